"""Electrode geometry: packings, smoothed-boundary fields, electrolyte contact, Li/Al assignment.

Evidence and references:
- packings: seeded reproducibility; solid fraction within 0.03 of the target on a grid, and
  the analytic union fraction (pairwise lenses and face caps) agreeing with the grid count;
  one connected contact network touching both faces; no overlap above ``contact_overlap``.
- psi: the integral of psi for two overlapping discs equals the exact union area
  ``2 pi r^2 - lens`` (Weisstein, MathWorld "Circle-Circle Intersection"), since the tanh
  profile is antisymmetric about the surface.
- electrolyte contact: a flat solid face integrates to the face area (exact up to the part of
  the profile cut by the domain start, (1 - psi_E(0))^2 = 3.3e-4 at one width); a disc or
  sphere pressed into the face by p gives the sharp patch plus the rim excess
  ``(width/4) cot(theta/2)`` per unit rim length (cos theta = 1 - p/r), derived in
  ``electrolyte_contact``: first order in width, checked at width/a < 0.1.
- Li/Al: the mixed assignment hits Li:Al = x within one particle's step; x = 0 has no Li.
"""

from __future__ import annotations

import numpy as np
import pytest

from phasefield.geometry import (
    Packing,
    PackingError,
    assign_li_al,
    electrolyte_contact,
    initial_X,
    pack_particles,
    rasterize,
    sample_radii,
    smoothed_indicator,
)
from phasefield.geometry.packing import _components, _lens_volume
from phasefield.grid import Grid

CASES = {
    # box (um), radius mean/std (um), target, seed, SE gap (um), cell (um)
    "2d": dict(box=(41.0, 40.0), r=2.0, std=0.4, target=0.70, seed=1, gap=1.0, h=0.1),
    "3d": dict(box=(12.0, 12.0, 12.0), r=1.5, std=0.3, target=0.55, seed=2, gap=0.0, h=0.1),
}


def _grid(box, h):
    return Grid.create([round(b / h) for b in box], h, ("noflux",) + ("periodic",) * (len(box) - 1))


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    c = CASES[request.param]
    packing = pack_particles(c["box"], c["r"], c["std"], c["target"], c["seed"], len(c["box"]),
                             electrolyte_gap=c["gap"])
    return c, packing


# ---------------------------------------------------------------------------- packing
def test_packing_reproducible_with_seed():
    args = ((20.0, 24.0), 2.0, 0.4, 0.65)
    a = pack_particles(*args, seed=3, ndim=2)
    b = pack_particles(*args, seed=3, ndim=2)
    c = pack_particles(*args, seed=4, ndim=2)
    assert np.array_equal(a.centers, b.centers) and np.array_equal(a.radii, b.radii)
    assert a.n != c.n or not np.allclose(a.centers, c.centers)


def test_packing_density(case):
    c, packing = case
    grid = _grid(c["box"], c["h"])
    on_grid = packing.solid_fraction(grid)
    assert abs(on_grid - c["target"]) <= 0.03
    # the analytic union fraction is what the packer steers; it must agree with the grid count
    assert abs(packing.solid_fraction() - on_grid) <= 0.005


def test_packing_connected_and_touches_faces(case):
    _, packing = case
    pairs = packing.contact_pairs()
    labels = _components(packing.n, pairs[:, 0], pairs[:, 1])
    assert np.unique(labels).size == 1
    assert packing.touches_electrolyte().any() and packing.touches_collector().any()
    # the first layer sits against the SE face: at least 40 % of a square monolayer touches it
    monolayer = np.prod(packing.box[1:]) / (2 * packing.radii.mean()) ** (packing.ndim - 1)
    assert packing.touches_electrolyte().sum() >= 0.4 * monolayer


def test_packing_overlaps_within_allowed(case):
    _, packing = case
    i, j, h = packing.overlaps()
    allowed = packing.contact_overlap * np.minimum(packing.radii[i], packing.radii[j])
    assert np.all(h > 0) and np.all(h <= allowed * (1 + 1e-6))
    pen_se = packing.gap - (packing.centers[:, 0] - packing.radii)
    pen_cu = packing.centers[:, 0] + packing.radii - packing.box[0]
    assert np.all(np.maximum(pen_se, pen_cu) <= packing.contact_overlap * packing.radii * (1 + 1e-6))
    # particles lie in the electrode region, laterally wrapped into the box
    assert np.all(packing.centers[:, 1:] >= 0) and np.all(packing.centers[:, 1:] < packing.box[1:])


def test_lognormal_radii_moments():
    r = sample_radii(np.random.default_rng(0), 40000, 2.0, 0.5)
    assert abs(r.mean() / 2.0 - 1) < 0.01 and abs(r.std() / 0.5 - 1) < 0.03


def test_unreachable_density_raises():
    with pytest.raises(PackingError, match="densest"):
        pack_particles((20.0, 24.0), 2.0, 0.4, 0.95, seed=0, ndim=2)


# ---------------------------------------------------------------------------- fields
def test_psi_two_discs_union_area():
    r, d = 4.0, 7.5
    packing = Packing(np.array([[10.0, 10.0], [10.0, 10.0 + d]]), np.array([r, r]), (20.0, 30.0), 0)
    grid = _grid(packing.box, 0.1)
    psi, labels = rasterize(packing, grid, 0.3)
    exact = 2 * np.pi * r**2 - _lens_volume(np.array(r), np.array(r), np.array(d), 2)
    assert psi.min() >= 0.0 and psi.max() <= 1.0
    assert abs(float(psi.sum()) * grid.cell_volume / exact - 1) < 0.005
    assert abs(packing.solid_fraction() * 600.0 / exact - 1) < 1e-12
    # labels split the lens at the mid-plane of equal discs
    y = grid.coordinates()[1]
    assert np.all(labels[(labels >= 0) & (y < 10.0 + d / 2 - 0.1)] == 0)
    assert np.all(labels[(labels >= 0) & (y > 10.0 + d / 2 + 0.1)] == 1)


def test_labels_consistent_with_psi(case):
    c, packing = case
    grid = _grid(c["box"], 2 * c["h"])
    psi, labels = rasterize(packing, grid, 3 * grid.spacing[0])
    assert psi.min() >= 0.0 and psi.max() <= 1.0
    assert np.all(psi[labels >= 0] > 0.5) and np.all(psi[labels < 0] <= 0.5)
    assert set(np.unique(labels[labels >= 0])) == set(range(packing.n))


def test_electrolyte_contact_flat_face():
    grid = _grid((10.0, 5.0), 0.1)
    x = grid.coordinates()[0]
    width, face = 0.4, 1.0
    psi = smoothed_indicator(face - x, width)  # solid slab x > face
    area = float(electrolyte_contact(psi, grid, face, width).sum()) * grid.cell_volume
    assert abs(area / 5.0 - 1) < 0.02
    assert abs(area / 5.0 - 1) < 5e-4  # the model's own accuracy
    # the active surface sits on the SE face: nothing at the collector end
    w = electrolyte_contact(psi, grid, face, width)
    assert np.all(w[x > face + 5 * width] < 1e-7)
    # with a reach the tail ends there and the face still carries its area
    cut = electrolyte_contact(psi, grid, face, width, reach=width)
    assert np.all(cut[x > face + width] == 0.0) and np.any(w[x > face + width] > 1e-3)
    assert abs(float(cut.sum()) * grid.cell_volume / 5.0 - 1) < 5e-3
    np.testing.assert_allclose(cut[x <= face], w[x <= face] / (1 - 0.5 * (1 - np.tanh(2.0))) ** 2, rtol=1e-12)
    with pytest.raises(PackingError):
        electrolyte_contact(psi, grid, face, width, reach=0.0)


@pytest.mark.parametrize("ndim", [2, 3])
def test_electrolyte_contact_pressed_particle(ndim):
    """A particle pressed into the face by p: smoothed = sharp patch + rim excess."""
    r, p, gap = 3.0, 0.3, 0.6
    a, theta = np.sqrt(2 * r * p - p * p), np.arccos(1 - p / r)
    width, h = (0.1, 0.025) if ndim == 2 else (0.2, 0.05)
    box = (gap + 2.0,) + (8.0,) * (ndim - 1)
    packing = Packing(np.array([[gap + r - p] + [4.0] * (ndim - 1)]), np.array([r]), box, 0, gap)
    grid = _grid(box, h)
    psi, _ = rasterize(packing, grid, width)
    area = float(electrolyte_contact(psi, grid, gap, width).sum()) * grid.cell_volume
    rim = width / 4 / np.tan(theta / 2)
    expected = 2 * a + 2 * rim if ndim == 2 else np.pi * a * a + 2 * np.pi * a * rim
    assert abs(packing.electrolyte_contact_area() - (2 * a if ndim == 2 else np.pi * a * a)) < 1e-12
    assert abs(area / expected - 1) < 0.01


def test_electrolyte_contact_of_packing(case):
    """The first layer of a packing: the pressed-particle law summed over its patches.

    Particles that sit within a few widths of the face without touching it (behind a full
    first row) also count in the smoothed contact, so they are left out here; the slab is cut
    to the first 8 um to keep the grid small."""
    c, packing = case
    if packing.gap == 0:
        grid = _grid(c["box"], 1.0)
        with pytest.raises(PackingError, match="electrolyte_gap"):
            electrolyte_contact(np.zeros(grid.shape), grid, 0.0, 0.3)
        return
    width = 0.1
    pen = packing.gap - (packing.centers[:, 0] - packing.radii)
    keep = (packing.centers[:, 0] < packing.gap + 6.0) & ((pen > 0) | (pen < -4 * width))
    front = Packing(packing.centers[keep], packing.radii[keep], (packing.gap + 8.0,) + packing.box[1:], 0, packing.gap)
    grid = _grid(front.box, 0.025)
    psi, _ = rasterize(front, grid, width)
    area = float(electrolyte_contact(psi, grid, front.gap, width).sum()) * grid.cell_volume
    p = pen[keep & (pen > 0)]
    theta = np.arccos(1 - p / packing.radii[keep & (pen > 0)])
    expected = front.electrolyte_contact_area() + np.sum(2 * width / 4 / np.tan(theta / 2))
    assert p.size >= 4
    assert abs(area / expected - 1) < 0.02


# ---------------------------------------------------------------------------- Li / Al
def _ratio(v, X):
    """Li:Al atom ratio for particle volumes v and atom fractions X (Li metal where X = 1)."""
    vm = np.where(X == 1.0, 13.0, 10.0)
    return np.sum(v * X / vm) / np.sum(v * (1 - X) / vm)


def _one_particle_step(v, X):
    """Granularity: the largest change of the ratio when one particle switches Al <-> Li."""
    steps = []
    for k in range(len(v)):
        Y = X.copy()
        Y[k] = 0.02 if X[k] == 1.0 else 1.0
        steps.append(abs(_ratio(v, Y) - _ratio(v, X)))
    return max(steps)


@pytest.mark.parametrize("x", [0.25, 0.5, 0.75])
def test_assign_li_al_hits_ratio(case, x):
    _, packing = case
    X, achieved = assign_li_al(packing, x, seed=5)
    v = packing.particle_volumes()
    assert set(np.unique(X)) == {0.02, 1.0}
    assert abs(_ratio(v, X) - achieved) < 1e-12  # recount from the molar volumes
    assert abs(achieved - x) <= _one_particle_step(v, X)


def test_assign_li_al_zero_and_prelithiated(case):
    _, packing = case
    X, achieved = assign_li_al(packing, 0.0, seed=5)
    assert np.all(X == 0.02) and abs(achieved - 0.02 / 0.98) < 1e-12
    X, achieved = assign_li_al(packing, 0.5, seed=5, mode="prelithiated")
    assert np.allclose(X, 0.5 / 1.5) and achieved == 0.5


def test_initial_X_field(case):
    c, packing = case
    grid = _grid(c["box"], 2 * c["h"])
    psi, labels = rasterize(packing, grid, 3 * grid.spacing[0])
    X_p, _ = assign_li_al(packing, 0.5, seed=5)
    X = initial_X(packing, labels, psi, X_p, outside=-1.0)
    assert np.all(X[labels >= 0] == X_p[labels[labels >= 0]])
    assert np.all(X[psi == 0] == -1.0) and np.all(X[psi > 0] >= 0.02)
    # psi-weighted mean of X equals the volume-weighted mean of the particle values
    v = packing.particle_volumes()
    assert abs(np.sum(psi * X) / np.sum(psi) - np.sum(v * X_p) / np.sum(v)) < 0.01
