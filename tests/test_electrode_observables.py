"""Electrode observables (DESIGN 5) on synthetic fields with exact answers: effective
diffusivity of layered media (series: discrete harmonic sum; parallel: arithmetic mean), with
the 1e10 alpha/beta contrast of the mobility model; beta percolation; trapped Li; alpha-shell
thickness; capacity, utilisation and reversibility."""

from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from phasefield import observables as obs
from phasefield.constants import FARADAY
from phasefield.energies.lial import lial_energy
from phasefield.grid import Grid
from phasefield.mobility import lial_mobility

ENERGY = lial_energy()
MOB = lial_mobility()
XA, XB, XLI = 0.03, 0.49, 0.98  # alpha, beta, Li metal
LN_D = jax.jit(MOB.log_diffusivity)
D_ALPHA = float(jnp.exp(MOB.ln_D_alpha))
D_BETA = float(jnp.exp(LN_D(jnp.asarray(XB))))


def slab(shape, h=0.5):
    """Axis 0 electrolyte -> collector (no flux), the other axes periodic."""
    return Grid.create(shape, h, ("noflux",) + ("periodic",) * (len(shape) - 1))


def series_exact(D_col, h, L):
    """Exact discrete D_eff of a column D_0..D_{N-1}: half-cell Dirichlet faces at both ends,
    geometric-mean faces between cells."""
    D = np.asarray(D_col)
    R = h / (2 * D[0]) + h / (2 * D[-1]) + np.sum(h / np.sqrt(D[:-1] * D[1:]))
    return L / R


# ------------------------------------------------------------------ effective diffusivity
def test_mobility_contrast_is_ten_orders():
    assert 1e9 < D_BETA / D_ALPHA < 1e11  # the regime the solve must survive (DESIGN 2.3)


@pytest.mark.parametrize("shape", [(24, 5), (12, 3, 4)])
def test_series_layers_match_the_discrete_harmonic_sum(shape):
    rng = np.random.default_rng(1)
    D_col = np.exp(rng.uniform(-7.0, 7.0, shape[0]))  # six orders between layers
    D = D_col.reshape((-1,) + (1,) * (len(shape) - 1)) * np.ones(shape)
    grid = slab(shape)
    res = obs.effective_diffusivity_from_log(np.log(D), grid)
    exact = series_exact(D_col, 0.5, grid.lengths[0])
    assert res.D_eff == pytest.approx(exact, rel=1e-11)
    assert res.backward_error < 1e-12 and res.flux_mismatch < 1e-8


def test_uniform_layers_approach_the_continuum_harmonic_mean():
    # two layers of 30 cells each: only the one interface face deviates from the continuum
    grid = slab((60, 2), h=0.1)
    D_col = np.where(np.arange(60) < 30, 1.0, 4.0)
    res = obs.effective_diffusivity_from_log(np.log(D_col)[:, None] * np.ones((1, 2)), grid)
    harmonic = 1.0 / np.mean(1.0 / D_col)
    assert res.D_eff == pytest.approx(series_exact(D_col, 0.1, 6.0), rel=1e-12)
    # one face of resistance h/sqrt(D1 D2) instead of h/(2 D1) + h/(2 D2): 0.33 % here
    assert 1e-3 < res.D_eff / harmonic - 1 < 5e-3


@pytest.mark.parametrize("shape", [(16, 10), (10, 6, 5)])
def test_parallel_stripes_give_the_arithmetic_mean(shape):
    rng = np.random.default_rng(2)
    cross = np.exp(rng.uniform(-5.0, 5.0, shape[1:]))
    D = np.broadcast_to(cross, shape)
    res = obs.effective_diffusivity_from_log(np.log(D), slab(shape))
    assert res.D_eff == pytest.approx(np.mean(cross), rel=1e-12)


@pytest.mark.parametrize("shape", [(20, 10), (12, 10, 10)])
def test_beta_channel_through_alpha_carries_channel_fraction_times_D_beta(shape):
    X = np.full(shape, XA)
    X[:, :2] = XB  # a straight beta channel, 2 of 10 columns (in 3D: 20 of 100)
    grid = slab(shape)
    res = obs.effective_diffusivity(X, MOB, grid)
    f = np.mean(X[0] == XB)
    assert res.D_eff == pytest.approx(f * D_BETA + (1 - f) * D_ALPHA, rel=1e-10)
    assert res.D_eff == pytest.approx(f * D_BETA, rel=1e-8)


@pytest.mark.parametrize("shape", [(20, 6), (24, 8, 8)])
def test_alpha_layer_across_the_slab_blocks_beta(shape):
    X = np.full(shape, XB)
    X[9:12] = XA  # 3 cells (1.5 um) of alpha across the whole slab
    grid = slab(shape)
    res = obs.effective_diffusivity(X, MOB, grid)
    D_col = np.exp(np.asarray(LN_D(jnp.asarray(X[(slice(None),) + (0,) * (len(shape) - 1)]))))
    assert res.D_eff == pytest.approx(series_exact(D_col, 0.5, grid.lengths[0]), rel=1e-10)
    # D_alpha L / t with the layer thickness between 2 and 3 cells (geometric interface faces)
    L = grid.lengths[0]
    assert L / 1.5 * D_ALPHA < res.D_eff < L / 1.0 * D_ALPHA * 1.01
    assert res.D_eff < 1e-8 * D_BETA


def test_inlet_outlet_and_dissipation_fluxes_agree_on_a_random_field():
    # three evaluations of the same flux: D_eff from the dissipation, inlet and outlet sums
    rng = np.random.default_rng(3)
    ln_D = rng.uniform(-4.0, 4.0, (12, 8, 8))
    res = obs.effective_diffusivity_from_log(ln_D, slab(ln_D.shape))
    assert res.flux_mismatch < 1e-12 and res.backward_error < 1e-14
    # discrete maximum principle: the solution lies strictly between the boundary values
    assert 0.0 < np.min(res.u) and np.max(res.u) < 1.0


def test_electrolyte_gap_and_isolated_particles_are_left_out():
    D_cross = np.array([5.0, 5.0, 1.0, 1.0, 1.0, 2.0])
    body = np.log(np.broadcast_to(D_cross, (12, 6)))
    ref = obs.effective_diffusivity_from_log(body, slab((12, 6)))
    # 3 layers of SE (psi = 0) in front, and a particle floating in a pore (psi = 0 around it)
    ln_D = np.concatenate([np.zeros((3, 6)), body])
    psi = np.concatenate([np.zeros((3, 6)), np.ones((12, 6))])
    psi[8:11, 2:5] = 0.0
    psi[9, 3] = 1.0  # isolated solid cell: no face with positive conductance to the rest
    res = obs.effective_diffusivity_from_log(ln_D, slab((15, 6)), psi)
    assert np.isnan(res.u[9, 3]) and np.all(np.isnan(res.u[:3]))
    # the pore block cuts columns 2-4 for 3 layers: compare with the same field without the floater
    psi_ref = psi.copy()
    psi_ref[9, 3] = 0.0
    res_ref = obs.effective_diffusivity_from_log(ln_D, slab((15, 6)), psi_ref)
    assert res.D_eff == pytest.approx(res_ref.D_eff, rel=1e-12)
    assert res_ref.D_eff < ref.D_eff
    gap_only = np.concatenate([np.zeros((3, 6)), np.ones((12, 6))])
    no_gap = obs.effective_diffusivity_from_log(ln_D, slab((15, 6)), gap_only)
    assert no_gap.D_eff == pytest.approx(ref.D_eff, rel=1e-12)


def test_periodic_axis_0_is_rejected():
    with pytest.raises(ValueError, match="noflux"):
        obs.effective_diffusivity_from_log(np.zeros((4, 4)), Grid.create((4, 4), 1.0, "periodic"))


# ------------------------------------------------------------------ percolation
def _channel_2d():
    X = np.full((20, 12), XA)
    X[:, 3] = XB
    return X


def test_straight_channel_percolates_and_its_share_is_psi_weighted():
    X = _channel_2d()
    psi = np.ones(X.shape)
    X[5:7, 8:10] = XB  # an isolated beta blob
    psi[5:7, 8:10] = 0.7
    p = obs.beta_percolation(X, psi, ENERGY, slab(X.shape))
    assert p.percolates
    assert p.share == pytest.approx(20.0 / (20.0 + 4 * 0.7), rel=1e-14)


def test_broken_or_corner_touching_channels_do_not_percolate():
    grid = slab((20, 12))
    X = _channel_2d()
    X[10, 3] = XA  # one alpha cell breaks it
    p = obs.beta_percolation(X, np.ones(X.shape), ENERGY, grid)
    assert not p.percolates and p.share == 0.0
    X = np.full((20, 12), XA)
    X[:10, 3] = XB
    X[10:, 4] = XB  # the halves meet only at a corner: faces are required
    assert not obs.beta_percolation(X, np.ones(X.shape), ENERGY, grid).percolates
    X = _channel_2d()
    psi = np.ones(X.shape)
    psi[10, 3] = 0.4  # beta across a pore (psi < 1/2) is no path
    assert not obs.beta_percolation(X, psi, ENERGY, grid).percolates


def test_channel_across_the_periodic_boundary():
    X = np.full((20, 12), XA)
    X[:11, 1] = XB
    X[10, 0:2] = XB
    X[10, 11] = XB  # crosses from column 0 to column 11 through the periodic face
    X[10:, 11] = XB
    psi = np.ones(X.shape)
    assert obs.beta_percolation(X, psi, ENERGY, slab(X.shape)).percolates
    walled = Grid.create(X.shape, 0.5, "noflux")
    assert not obs.beta_percolation(X, psi, ENERGY, walled).percolates


def test_percolation_in_3d_and_behind_an_electrolyte_gap():
    X = np.full((14, 6, 6), XA)
    psi = np.ones(X.shape)
    psi[:3] = 0.0  # SE layer: the first solid layer (index 3) is the electrolyte face
    X[3:, 2, 2] = XB
    grid = slab(X.shape)
    assert obs.beta_percolation(X, psi, ENERGY, grid).percolates
    Xs = X.copy()
    Xs[3, 2, 2] = XA  # starts one layer behind the face
    assert not obs.beta_percolation(Xs, psi, ENERGY, grid).percolates
    Xw = np.full(X.shape, XA)
    Xw[3:9, 2, 0] = XB
    Xw[8, 2, 5] = XB  # wraps along axis 2
    Xw[8:, 2, 5] = XB
    assert obs.beta_percolation(Xw, psi, ENERGY, grid).percolates
    Xw[8, 2, 0] = XA
    assert not obs.beta_percolation(Xw, psi, ENERGY, grid).percolates


def test_li_metal_joins_the_path_only_when_asked():
    X = _channel_2d()
    X[8:10, 3] = XLI
    grid = slab(X.shape)
    psi = np.ones(X.shape)
    assert not obs.beta_percolation(X, psi, ENERGY, grid).percolates
    assert obs.beta_percolation(X, psi, ENERGY, grid, phases=(1, 2)).percolates


# ------------------------------------------------------------------ trapped Li
def _disc(grid, centre, R, rc):
    c = grid.coordinates()
    r = np.sqrt(sum((x - x0) ** 2 for x, x0 in zip(c, centre)))
    psi = 0.5 * (1.0 - np.tanh(2.0 * (r - R) / (3 * grid.spacing[0])))
    X = np.where(r < rc, XB, XA)
    return r, psi, X


def test_beta_core_inside_an_alpha_shell_is_all_trapped():
    grid = slab((40, 40), h=0.25)
    r, psi, X = _disc(grid, (5.0, 5.0), 4.5, 3.0)  # touches the first solid layer, psi >= 1/2
    t = obs.trapped_li(X, psi, ENERGY, grid)
    li = psi * X * grid.cell_volume
    assert t.fraction == 1.0 and t.amount == pytest.approx(li.sum(), rel=1e-14)
    assert t.in_isolated == pytest.approx(li[X == XB].sum(), rel=1e-12)
    assert t.in_alpha == pytest.approx(li[X == XA].sum(), rel=1e-12)
    assert t.volume == pytest.approx(psi.sum() * grid.cell_volume, rel=1e-12)


def test_beta_channel_to_the_face_frees_the_core():
    grid = slab((40, 40), h=0.25)
    r, psi, X = _disc(grid, (5.0, 5.0), 4.5, 3.0)
    solid = psi >= 0.5
    X[:20, 19:21] = np.where(solid[:20, 19:21], XB, X[:20, 19:21])  # beta channel core -> face
    t = obs.trapped_li(X, psi, ENERGY, grid)
    li = psi * X * grid.cell_volume
    alpha_solid = li[solid & (X == XA)].sum()
    rim = li[~solid].sum()
    assert alpha_solid <= t.amount <= alpha_solid + rim  # rim cells follow their nearest solid cell
    assert t.in_isolated == 0.0
    assert t.fraction < 0.1  # alpha (X = 0.03) holds little Li
    assert not t.mask[solid & (X == XB)].any()
    # with a binary psi there is no rim: the trapped Li is exactly the Li in alpha
    sharp = solid.astype(np.float64)
    t_sharp = obs.trapped_li(X, sharp, ENERGY, grid)
    exact = (sharp * X * grid.cell_volume)[solid & (X == XA)].sum()
    assert t_sharp.amount == pytest.approx(exact, rel=1e-14)
    assert t_sharp.fraction == pytest.approx(exact / (sharp * X).sum() / grid.cell_volume, rel=1e-14)


def test_li_metal_at_the_face_is_free_unless_only_beta_carries_paths():
    grid = slab((12, 8))
    X = np.full((12, 8), XA)
    X[:4, :4] = XLI
    psi = np.ones(X.shape)
    li = X * grid.cell_volume
    assert obs.trapped_li(X, psi, ENERGY, grid).amount == pytest.approx(li[X == XA].sum(), rel=1e-14)
    assert obs.trapped_li(X, psi, ENERGY, grid, phases=(1,)).fraction == 1.0


# ------------------------------------------------------------------ alpha-shell thickness
@pytest.mark.parametrize("shape,h,R,rc", [((64, 64), 0.25, 6.0, 3.5), ((64, 64), 0.25, 6.0, 1.0),
                                          ((64, 64), 0.25, 6.0, 5.6), ((32, 32, 32), 0.5, 6.0, 3.0)])
def test_shell_of_a_concentric_core_is_R_minus_rc_within_a_cell(shape, h, R, rc):
    grid = slab(shape, h)
    r, psi, X = _disc(grid, [L / 2 for L in grid.lengths], R, rc)
    labels = np.where(r < R, 0, -1)
    t = obs.alpha_shell_thickness(X, psi, labels, ENERGY, grid)
    assert t.shape == (1,)
    assert abs(t[0] - (R - rc)) < h


def test_shell_conventions_wrapping_and_spanning_particles():
    grid = slab((64, 64), 0.25)
    c = grid.coordinates()
    L1 = grid.lengths[1]
    # particle 0 centred at the periodic edge x1 = 0.5 um (minimum image), particle 1 all alpha,
    # particle 2 all beta
    d1 = c[1] - 0.5
    d1 -= L1 * np.round(d1 / L1)
    r0 = np.sqrt((c[0] - 4.0) ** 2 + d1**2)
    r1 = np.sqrt((c[0] - 12.0) ** 2 + (c[1] - 4.0) ** 2)
    r2 = np.sqrt((c[0] - 12.0) ** 2 + (c[1] - 11.0) ** 2)
    R = 2.5
    dist = np.minimum(np.minimum(r0, r1), r2) - R
    psi = 0.5 * (1.0 - np.tanh(2.0 * dist / 0.75))
    labels = np.select([r0 < R, r1 < R, r2 < R], [0, 1, 2], -1)
    X = np.where((r0 < 1.0) | (r2 < R + 1.0), XB, XA)
    t = obs.alpha_shell_thickness(X, psi, labels, ENERGY, grid, n_particles=4)
    assert abs(t[0] - 1.5) < 0.25
    assert np.isnan(t[1]) and t[2] == 0.0 and np.isnan(t[3])  # no beta; all beta; no cells
    # a band spanning the periodic axis, surfaces and core boundary on cell faces: exact
    grid = slab((40, 20), 0.25)
    x0 = grid.coordinates()[0]
    d = np.maximum(2.0 - x0, x0 - 8.0)
    psi = 0.5 * (1.0 - np.tanh(2.0 * d / 0.75))
    X = np.where((x0 > 4.0) & (x0 < 6.0), XB, XA)
    t = obs.alpha_shell_thickness(X, psi, np.where(d < 0, 0, -1), ENERGY, grid)
    assert t[0] == pytest.approx(2.0, abs=1e-12)


# ------------------------------------------------------------------ capacity
def test_one_hour_at_one_mA_per_cm2_is_one_mAh_per_cm2():
    Vm, A = 1.0e-5, 50.0  # m^3/mol of sites, um^2
    # 10 A/m^2 for 3600 s = 36000 C/m^2 -> mol/m^2 -> m of sites -> um
    U = 36000.0 / FARADAY * Vm * 1e6 * A
    assert float(obs.capacity_mAh_per_cm2(U, A, Vm)) == pytest.approx(1.0, rel=1e-14)


def test_half_cycles_utilisation_and_reversibility():
    Vm, A = 1.0e-5, 4.0
    C = float(obs.capacity_mAh_per_cm2(1.0, A, Vm))
    record = jnp.asarray([0.0, 1.0, 3.0, 2.0, 0.5, 1.5])
    lith, delith = obs.half_cycle_capacities_mAh_per_cm2(record, A, Vm)
    assert float(lith) == pytest.approx(4.0 * C, rel=1e-14)
    assert float(delith) == pytest.approx(2.5 * C, rel=1e-14)
    assert float(obs.reversibility(lith, delith)) == pytest.approx(0.625, rel=1e-14)
    jitted = jax.jit(obs.half_cycle_capacities_mAh_per_cm2)(record, A, Vm)
    assert float(jitted[0]) == pytest.approx(float(lith), rel=1e-14)
    grid = Grid.create((8, 4), 0.5, ("noflux", "periodic"))
    psi = jnp.ones(grid.shape)
    theo = obs.theoretical_capacity_mAh_per_cm2(psi, grid, grid.lengths[1], Vm)
    for X1, expected in [(0.5, 1.0), (0.25, 0.5)]:  # pure Al to LiAl; half way
        U = jnp.asarray([0.0, float(grid.integrate(psi * X1))])
        q, _ = obs.half_cycle_capacities_mAh_per_cm2(U, grid.lengths[1], Vm)
        assert float(obs.utilisation(q, theo)) == pytest.approx(expected, rel=1e-14)
    slope = jax.grad(lambda u: obs.capacity_mAh_per_cm2(u, A, Vm))(2.0)
    assert float(slope) == pytest.approx(C, rel=1e-14)


def test_protocol_records_give_the_half_cycle_capacities():
    # lithiate, rest, delithiate part way, lithiate again: amounts at the ends of each step
    Vm, A = 1.0e-5, 4.0
    C = float(obs.capacity_mAh_per_cm2(1.0, A, Vm))
    ends = [(10.0, 14.0), (14.0, 14.0), (14.0, 11.5), (11.5, 12.0)]
    records = [SimpleNamespace(amount_start=a, amount_end=b) for a, b in ends]
    lith, delith = obs.protocol_capacities_mAh_per_cm2(records, A, Vm)
    assert float(lith) == pytest.approx(4.5 * C, rel=1e-14)
    assert float(delith) == pytest.approx(2.5 * C, rel=1e-14)
    series = jnp.asarray([10.0, 14.0, 14.0, 11.5, 12.0])
    assert float(obs.half_cycle_capacities_mAh_per_cm2(series, A, Vm)[0]) == pytest.approx(float(lith), rel=1e-14)


@pytest.mark.parametrize("shape, h", [((80, 80), 0.1), ((40, 40, 40), 0.2)])
def test_grain_alpha_layer_of_concentric_cores_inside_one_particle(shape, h):
    """Two round grains of one particle (psi = 1 throughout: grain contacts are not free
    surface), with beta cores of different radii: the layer is R - rc per grain within a cell,
    where ``alpha_shell_thickness`` (free surface only) sees no surface at all."""
    grid = slab(shape, h)
    L = grid.lengths
    centres = [[L[0] / 4] + [x / 2 for x in L[1:]], [3 * L[0] / 4] + [x / 2 for x in L[1:]]]
    R = L[0] / 4 * 0.9
    X = np.full(grid.shape, XA)
    labels = np.full(grid.shape, -1)
    for k, (c, rc) in enumerate(zip(centres, (0.5 * R, 0.8 * R))):
        r = np.sqrt(sum((x - x0) ** 2 for x, x0 in zip(grid.coordinates(), c)))
        labels[r < R] = k
        X[r < rc] = XB
    psi = np.ones(grid.shape)
    t = obs.grain_alpha_layer(X, psi, labels, ENERGY, grid)
    np.testing.assert_allclose(t, [0.5 * R, 0.2 * R], atol=h)
    assert np.all(np.isnan(obs.alpha_shell_thickness(X, psi, labels, ENERGY, grid)))
    # a grain without beta has no layer; all-beta grains have none either (0)
    X[labels == 1] = XA
    X[labels == 0] = XB
    t = obs.grain_alpha_layer(X, psi, labels, ENERGY, grid)
    assert t[0] == 0.0 and np.isnan(t[1])
