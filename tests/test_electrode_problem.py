"""The Li-Al electrode problem (``phasefield.problems.lial_electrode``): a seeded packing
between the solid electrolyte and the collector, built into a smoothed-boundary model.

Evidence: (1) the contact weight integrates to the covered part of the SE face and lies only
within a few interface widths of it; (2) prelithiated Li_xAl particles give the asked Li:Al
ratio in the psi-weighted model content to 1e-12, pure Al (x = 0) no Li particles, and a
mixed powder at x = 0.5 has Li particles (X = 1) with the achieved ratio near 0.5;
(3) under galvanostatic lithiation the electrode's Li content rises by I A / F per step to
1e-6 with the ROS2 integrator, while cells away from the contact in Al particles do not move;
(4) the same seed gives the same electrode, and a slab with a periodic axis 0 is refused.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from phasefield.constants import FARADAY
from phasefield.electrochem import ButlerVolmer, Galvanostatic
from phasefield.energies.lial import lial_energy
from phasefield.grid import Grid
from phasefield.integrators import Rosenbrock2
from phasefield.mobility import lial_mobility
from phasefield.problems.lial_electrode import electrode_packing, electrode_problem

VM = 1.0e-5


def _electrode(x_ratio, mode="mixed", seed=3):
    grid = Grid.create((64, 40), 0.25, ("noflux", "periodic"))
    energy = lial_energy(delta=0.75)
    packing = electrode_packing(grid, radius_mean=1.0, radius_std=0.2, density=0.7, seed=seed, gap=1.0)
    kinetics = ButlerVolmer(*(jnp.asarray(v) for v in (10.0, 0.5, 0.5, 298.15, VM)))
    return grid, electrode_problem(grid, packing, energy, lial_mobility(), kinetics,
                                   Galvanostatic(jnp.asarray(10.0)), x_ratio, mode=mode, seed=seed)


def _model_ratio(grid, e):
    psi = np.asarray(e.model.domain.psi)
    X = np.asarray(e.state.X)
    li = np.sum(psi * X)
    return li / (np.sum(psi) - li)


def test_contact_weight_lies_at_the_electrolyte_face():
    grid, e = _electrode(0.0)
    d = e.model.domain
    surface = np.asarray(d.surface)
    x = grid.coordinates()[0]
    assert surface.min() >= 0 and surface.max() > 0
    # concentrated at the SE face (x0 = 1 um): beyond 3 widths only the tanh tail remains
    assert surface[x > 1.0 + 3 * 0.75].sum() < 1e-3 * surface.sum()
    area = surface.sum() * grid.cell_volume
    assert 0.0 < area <= 1.2 * float(d.face_area)  # the covered part of the 10 um face (per um of depth)
    assert float(d.face_area) == pytest.approx(10.0)


@pytest.mark.parametrize("x_ratio", [0.25, 0.5, 0.75])
def test_prelithiated_particles_hold_the_asked_ratio(x_ratio):
    grid, e = _electrode(x_ratio, mode="prelithiated")
    assert e.x_ratio == x_ratio
    np.testing.assert_allclose(e.particle_X, x_ratio / (1 + x_ratio), rtol=0, atol=1e-15)
    assert _model_ratio(grid, e) == pytest.approx(x_ratio, rel=1e-12)
    # each particle is alpha + beta at the lever rule, with its own Li content kept
    energy = lial_energy(delta=0.75)
    Xa, Xb, X0 = float(energy.Xa), float(energy.Xb), x_ratio / (1 + x_ratio)
    psi, X, labels = np.asarray(e.model.domain.psi), np.asarray(e.state.X), e.labels
    lever = (X0 - Xa) / (Xb - Xa)
    for k in range(e.packing.n):
        inside = labels == k
        if inside.sum() < 20:
            continue
        Xk, wk = X[inside], psi[inside]
        two = (np.abs(Xk - Xa) < 1e-12) | (np.abs(Xk - Xb) < 1e-12)
        assert np.sum(~two) <= 1  # two phases; one cell at the threshold holds the remainder
        assert abs(np.sum(wk * (Xk > 0.27)) / np.sum(wk) - lever) < 0.25  # lever rule (rim cells excluded)
    beta = (X > 0.27) & (labels >= 0)
    assert abs(np.sum(psi * beta) / np.sum(psi * (labels >= 0)) - lever) < 0.05


def test_pure_al_and_mixed_powders():
    grid, pure = _electrode(0.0)
    assert np.all(pure.particle_X == 0.02)
    grid, mixed = _electrode(0.5)
    n_li = int(np.sum(mixed.particle_X == 1.0))
    assert 0 < n_li < mixed.packing.n
    assert abs(mixed.x_ratio - 0.5) < 0.15  # within one particle's step of the target
    # Li particles are Li metal in the field too (cells labelled with a Li particle)
    li_cells = np.isin(mixed.labels, np.flatnonzero(mixed.particle_X == 1.0))
    assert np.all(np.asarray(mixed.state.X)[li_cells] == 1.0)
    # the same seed builds the same electrode
    _, again = _electrode(0.5)
    np.testing.assert_array_equal(np.asarray(again.state.X), np.asarray(mixed.state.X))
    with pytest.raises(ValueError, match="noflux"):
        electrode_packing(Grid.create((16, 16), 0.25, "periodic"), 1.0, 0.2, 0.6, 0, 1.0)


def test_galvanostatic_lithiation_of_the_ensemble_balances_the_flux():
    grid, e = _electrode(0.0)
    model = e.model
    step = jax.jit(Rosenbrock2(model, grid).step)
    rate = 10.0 * float(model.domain.face_area) * VM * 1e6 / FARADAY
    state = e.state
    x = grid.coordinates()[0]
    far = (np.asarray(model.domain.psi) > 0.99) & (x > 8.0)
    dt = 0.05
    for _ in range(5):
        before = float(grid.integrate(model.conserved(state)))
        state = step(state, dt)
        after = float(grid.integrate(model.conserved(state)))
        assert abs((after - before) - rate * dt) <= 1e-6 * rate * dt
    # alpha transport is ~1e-9 um^2/s: deep Al stays as it was
    assert float(np.max(np.abs(np.asarray(state.X) - np.asarray(e.state.X))[far])) < 1e-6


def test_prelithiated_beta_network_carries_li_orders_of_magnitude_faster_than_alpha():
    """Reduced 3D electrode deck (24 x 20 x 20 cells of 0.5 um), as built: pure Al neither
    percolates nor conducts (D_eff ~ 1e-17 cm^2/s, the alpha value); Li0.75Al's beta percolates
    from the electrolyte to the collector and D_eff rises by more than eight orders of
    magnitude; with LiZn's Li diffusivity (1e-14 cm^2/s) in the same beta it does not
    (benchmarks/results/electrode_structure.md has the full decks)."""
    from pathlib import Path

    from phasefield import observables as obs
    from phasefield.deck import load_deck
    from phasefield.materials import D_LIZN
    from phasefield.mobility import with_beta_diffusivity
    from phasefield.setup import build

    deck = Path(__file__).resolve().parents[1] / "inputs/lial_electrode_3d.toml"
    reduced = ["run.seed=1", "grid.shape=[24,20,20]", 'grid.spacing="0.5 um"', 'energy.delta="1.5 um"',
               'geometry.electrolyte_gap="1.5 um"', 'geometry.radius_mean="1.5 um"', 'geometry.radius_std="0.2 um"']
    D = {}
    for x in (0.0, 0.75):
        sim = build(load_deck(deck, [f"initial.x_ratio={x}", 'initial.mode="prelithiated"', *reduced]))
        model, X = sim.stepper.integrator.model, np.asarray(sim.state.X)
        psi = np.asarray(model.domain.psi)
        perc = obs.beta_percolation(X, psi, model.energy.chemical, sim.grid)
        assert bool(perc.percolates) == (x > 0)
        D[x] = float(obs.effective_diffusivity(X, model.mobility, sim.grid, psi).D_eff) / 1e8  # cm^2/s
        if x > 0:
            zn = with_beta_diffusivity(model.mobility, D_LIZN)
            assert float(jnp.exp(zn.log_diffusivity(zn.Xb))) == pytest.approx(D_LIZN * 1e8, rel=1e-12)
            D["LiZn"] = float(obs.effective_diffusivity(X, zn, sim.grid, psi).D_eff) / 1e8
    assert 1e-18 < D[0.0] < 1e-16
    assert D[0.75] > 1e8 * D[0.0]
    assert D["LiZn"] < 1e-6 * D[0.75]
    # the deck key does the same: mobility.beta_diffusivity in physical units
    sim = build(load_deck(deck, ['mobility.beta_diffusivity="1e-14 cm^2/s"', *reduced]))
    mob = sim.stepper.integrator.model.mobility
    assert float(jnp.exp(mob.log_diffusivity(mob.Xb))) == pytest.approx(1e-14 * 1e8, rel=1e-12)
