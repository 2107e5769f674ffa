"""Pulverization (``phasefield.grains.pulverize``) and size distributions
(``phasefield.observables.sizes``).

Evidence: equivalent diameters of discs/squares built on the grid equal 2 sqrt(A/pi) of their
cell areas exactly; pulverizing a 2D disc particle puts grains only in the solid, keeps X
when no alpha layer is asked, gives a mean grain equivalent diameter within 20% of the target
and a proper colouring; with an alpha layer the beta domains are the grain interiors (one per
grain, smaller than their grain) and the alpha cells lie within the layer of a boundary.
"""

import numpy as np
import pytest

from phasefield.energies.lial import lial_energy
from phasefield.grains.colouring import grain_adjacency
from phasefield.grains.pulverize import pulverize
from phasefield.grid import Grid
from phasefield.observables import sizes


def test_equivalent_diameters_of_built_shapes():
    grid = Grid.create((40, 40), 0.5, "periodic")
    labels = -np.ones(grid.shape, dtype=int)
    labels[2:12, 2:12] = 0  # 100 cells of 0.25 um^2
    labels[20:24, 20:36] = 1  # 64 cells
    d = sizes.label_diameters(labels, grid)
    np.testing.assert_allclose(d, [2 * np.sqrt(25.0 / np.pi), 2 * np.sqrt(16.0 / np.pi)], rtol=1e-14)
    assert sizes.equivalent_diameters([np.pi / 6], 3)[0] == pytest.approx(1.0, rel=1e-14)
    energy = lial_energy()
    X = np.where(labels >= 0, 0.49, 0.02)
    np.testing.assert_allclose(np.sort(sizes.beta_domain_diameters(X, energy, grid)), np.sort(d), rtol=1e-14)
    # a domain across the periodic edge is one domain
    X2 = np.full(grid.shape, 0.02)
    X2[:, :3] = X2[:, -3:] = 0.49
    assert sizes.beta_domain_diameters(X2, energy, grid).size == 1


def _disc(n=96, h=0.1, R=4.0):
    grid = Grid.create((n, n), h, "noflux")
    x, y = grid.coordinates()
    d = np.hypot(x - n * h / 2, y - n * h / 2) - R
    return grid, 0.5 * (1 - np.tanh(2 * d / 0.3))


def test_pulverized_particle_has_grains_of_the_target_size_in_the_solid_only():
    grid, psi = _disc()
    X = np.where(psi > 0.5, 0.49, 0.02)
    net = pulverize(grid, X, psi, grain_size=1.5, n_fields=8, width=0.1, seed=4)
    solid = psi >= 0.5
    assert np.all(net.labels[~solid] == -1) and np.all(net.labels[solid] >= 0)
    np.testing.assert_array_equal(net.X, X)
    assert float(np.max(net.eta[:, psi < 1e-3])) < 1e-3  # no grains in the pore
    d = sizes.label_diameters(net.labels, grid)
    assert d.size >= 15
    # target = equivalent diameter of the mean grain area
    d_mean_area = sizes.equivalent_diameters([np.mean((d / 2) ** 2 * np.pi)], 2)[0]
    assert d_mean_area == pytest.approx(1.5, rel=0.2)
    edges = grain_adjacency(net.labels, grid.bc, reach=1)
    assert np.all(net.colours[edges[:, 0]] != net.colours[edges[:, 1]])


def test_alpha_layers_wrap_beta_grains():
    grid, psi = _disc()
    net = pulverize(grid, np.full(grid.shape, 0.02), psi, grain_size=1.5, n_fields=8, width=0.1, seed=4,
                    alpha_layer=0.2)
    solid = psi >= 0.5
    X = net.X
    assert set(np.unique(X[solid])) == {0.0476, 0.4872}
    assert np.all(X[~solid] == 0.0476)  # the smoothed rim and the pores: alpha composition
    beta = solid & (X > 0.3)
    # the layers separate the grains: no beta domain spans two grains, and nearly every grain
    # keeps a beta core (a grain's core may be pinched in two where the grain is narrow)
    from phasefield.grains.lattice import connected_components

    energy = lial_energy()
    comp = connected_components(beta, (False, False))
    for k in range(int(comp.max()) + 1):
        assert len(np.unique(net.labels[comp == k])) == 1
    n_grains = int(net.labels.max()) + 1
    assert len(np.unique(net.labels[beta])) >= 0.8 * n_grains
    grain_d = sizes.label_diameters(net.labels, grid)
    assert np.median(sizes.beta_domain_diameters(np.where(solid, X, 0.02), energy, grid)) < np.median(grain_d)
    # the alpha fraction matches a layer of ~0.2 um on the grain perimeters (order of magnitude)
    alpha_frac = np.mean(X[solid] < 0.3)
    assert 0.2 < alpha_frac < 0.7
    with pytest.raises(ValueError, match="alpha_layer"):
        pulverize(grid, X, psi, 1.5, 8, 0.1, alpha_layer=-1.0)


def test_network_deck_builds_beta_grains_in_alpha_layers_with_boundary_transport():
    from pathlib import Path

    from phasefield.deck import load_deck
    from phasefield.setup import build

    deck = Path(__file__).resolve().parents[1] / "inputs/lial_network_3d.toml"
    sets = ["grid.shape=[24,20,20]", "grid.spacing=\"0.5 um\"", "geometry.radius_mean=\"1.4 um\"",
            "geometry.radius_std=\"0.1 um\"", "energy.delta=\"1.5 um\"", "geometry.electrolyte_gap=\"1.5 um\"",
            "grains.grain_size=\"1.5 um\"", "grains.alpha_layer=\"0.5 um\"", "output.fields=[\"X\",\"eta\"]"]
    sim = build(load_deck(deck, sets))
    model, state = sim.stepper.integrator.model, sim.state
    psi = np.asarray(model.domain.psi)
    solid = psi >= 0.5
    X = np.asarray(state.X)[solid]
    assert set(np.round(np.unique(X), 4)) == {0.0476, 0.4872}
    assert 0.2 < np.mean(X < 0.3) < 0.99  # alpha layers and beta cores (coarse grid: mostly layer)
    eta = np.asarray(state.eta)
    assert eta.shape[0] == 8 and np.max(np.abs(eta.sum(axis=0) - psi)[solid]) < 1e-12  # fields partition the solid
    assert float(model.mobility.gb.D_gb) == pytest.approx(1e-12 * 1e8)  # um^2/s
    assert float(model.L) == 0.0  # fixed grains by default
    row = sim.observe(state)
    assert row["beta_domain_mean_diameter_um"] > 0 and row["beta_percolates"] in (0, 1)
    # grains as built carry alpha layers: the mean layer is positive and below the grain radius
    assert 0.0 < row["grain_alpha_layer_um"] < 1.5 / 2
    # the grain fields can be written (VTK: one component per field)
    assert sim.fields(state)["eta"].shape == eta.shape
