"""ETDRK2 (``phasefield.integrators.ExponentialRK2``): phi functions, second-order convergence
in dt on Cahn-Hilliard (periodic and no-flux) and on the PFHub 7 Allen-Cahn problem with its
time-dependent source, exact conservation, its error estimate's order, and the deck's refusal
of variable-mobility problems.

Orders are self-convergence slopes against a run at a much smaller dt, fitted with
``np.polyfit`` on log-log data and held to 2 +- 0.2; the first-order semi-implicit step on the
same runs is held to 1 +- 0.2 so the test separates the two.
"""

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from phasefield.deck import DeckError, load_deck
from phasefield.energies import DoubleWell, FreeEnergy
from phasefield.grid import Grid
from phasefield.integrators import ExponentialRK2, SemiImplicit
from phasefield.integrators.exponential import phi_functions
from phasefield.mobility import ConstantMobility
from phasefield.models import PhaseFieldModel
from phasefield.problems.pfhub7 import pfhub7_problem
from phasefield.run import run_fixed
from phasefield.setup import build
from phasefield.state import State

ORDER_TOL = 0.2
ROOT = Path(__file__).resolve().parents[1]


def test_phi_functions_match_closed_forms_in_extended_precision():
    z = -np.concatenate([np.logspace(-12, -1.0001, 40), np.logspace(-0.9999, 4, 60)])
    p1, p2 = (np.asarray(p) for p in phi_functions(jnp.asarray(z)))
    zl = z.astype(np.longdouble)
    e = np.expm1(zl)
    big = np.abs(z) > 1e-3  # closed forms in long double are exact enough here
    np.testing.assert_allclose(p1[big], (e / zl)[big].astype(float), rtol=2e-15)
    np.testing.assert_allclose(p2[big], ((e - zl) / zl**2)[big].astype(float), rtol=5e-14)
    # small z: the series summed to 12 terms in long double
    small = ~big
    s1 = sum(zl**j / np.prod(np.arange(1, j + 2, dtype=np.longdouble)) for j in range(12))
    s2 = sum(zl**j / np.prod(np.arange(1, j + 3, dtype=np.longdouble)) for j in range(12))
    np.testing.assert_allclose(p1[small], s1[small].astype(float), rtol=1e-15)
    np.testing.assert_allclose(p2[small], s2[small].astype(float), rtol=1e-15)
    # z = 0 exactly (the zero mode)
    assert [float(p) for p in phi_functions(jnp.asarray(0.0))] == [1.0, 0.5]


def _ch_problem(bc, n=32):
    """PFHub-1 energy and mobility on ``n x n`` cells of size 1 (interface ~4 cells)."""
    grid = Grid.create((n, n), 1.0, bc)
    energy = FreeEnergy(DoubleWell(jnp.asarray(5.0), jnp.asarray(0.3), jnp.asarray(0.7)), kappa=jnp.asarray(2.0))
    model = PhaseFieldModel(energy, ConstantMobility(jnp.asarray(5.0)))
    x, y = np.meshgrid(*(grid.axis_coordinates(d) for d in range(2)), indexing="ij")
    X0 = 0.5 + 0.1 * np.cos(2 * np.pi * x / n) * np.cos(2 * np.pi * 2 * y / n) + 0.05 * np.sin(2 * np.pi * 3 * x / n)
    return grid, model, State.create(jnp.asarray(X0))


def _solve(integrator, state, dt, t_end, chunk=20):
    run = jax.jit(lambda s, h: run_fixed(integrator.step, s, chunk, h))
    n = int(round(t_end / (dt * chunk)))
    assert abs(n * chunk * dt - t_end) < 1e-9 * t_end
    for _ in range(n):
        state = run(state, jnp.asarray(dt))
    return state


def _order(dts, errors):
    return float(np.polyfit(np.log(dts), np.log(errors), 1)[0])


@pytest.mark.parametrize("bc", ["periodic", "noflux"])
def test_cahn_hilliard_converges_at_second_order(bc):
    """To t = 4 (X changes by ~0.1: the spinodal mode grows) at dt = 0.025 ... 0.00625 against
    dt = 0.025/64. ETDRK2's errors fall ~4x per halving (3.3x and 3.5x from dt = 0.05: still
    pre-asymptotic there); the semi-implicit step's 2x."""
    grid, model, state = _ch_problem(bc)
    t_end, dts = 4.0, np.array([0.025, 0.0125, 0.00625])
    etd, si = ExponentialRK2(model, grid), SemiImplicit(model, grid)
    ref = _solve(etd, state, dts[0] / 64, t_end).X
    assert float(jnp.max(jnp.abs(ref - state.X))) > 0.05
    err_etd = np.array([float(jnp.max(jnp.abs(_solve(etd, state, dt, t_end).X - ref))) for dt in dts])
    err_si = np.array([float(jnp.max(jnp.abs(_solve(si, state, dt, t_end).X - ref))) for dt in dts])
    assert abs(_order(dts, err_etd) - 2.0) <= ORDER_TOL, err_etd
    assert abs(_order(dts, err_si) - 1.0) <= ORDER_TOL, err_si
    assert np.all(err_etd < 0.1 * err_si), (err_etd, err_si)


def test_allen_cahn_with_source_converges_at_second_order():
    """PFHub 7 (Allen-Cahn with a time-dependent manufactured source) on 16 x 32 cells to
    t = 0.5: the eta path and the stage source at t + dt are second order too."""
    grid, model, state = pfhub7_problem(16)
    etd = ExponentialRK2(model, grid)
    t_end, dts = 0.5, np.array([0.025, 0.0125, 0.00625])
    ref = _solve(etd, state, dts[0] / 64, t_end, chunk=10).eta[0]
    errs = np.array([float(jnp.max(jnp.abs(_solve(etd, state, dt, t_end, chunk=10).eta[0] - ref))) for dt in dts])
    assert abs(_order(dts, errs) - 2.0) <= ORDER_TOL, errs


@pytest.mark.parametrize("bc", ["periodic", "noflux"])
def test_mean_is_conserved_and_error_estimate_is_second_order(bc):
    grid, model, state = _ch_problem(bc)
    etd = ExponentialRK2(model, grid)
    after = _solve(etd, state, 0.1, 10.0)
    assert abs(float(jnp.mean(after.X) - jnp.mean(state.X))) < 1e-14
    # the embedded estimate |ETDRK2 - ETD1| is the local error of ETD1: O(dt^2) while every
    # mode is resolved (|z| = dt M lam (S + kappa lam) <= 0.07 here), O(dt) once the stiffest
    # modes have |z| >> 1 (dt phi2(z) -> 1/|L| there; measured slopes 1.4 over dt = 0.02 ...
    # 0.005 and 0.7 over dt = 2 ... 0.5)
    est = jax.jit(lambda s, h: etd.step_with_error(s, h)[1])
    dts = np.array([1e-4, 5e-5, 2.5e-5])
    errs = np.array([float(est(after, jnp.asarray(dt))) for dt in dts])
    assert abs(_order(dts, errs) - 2.0) <= ORDER_TOL, errs


def test_deck_refuses_etdrk2_for_variable_mobility():
    with pytest.raises(DeckError, match="etdrk2"):
        build(load_deck(ROOT / "inputs/lial_reaction_2d.toml", ['integrator.scheme="etdrk2"']))
    sim = build(load_deck(ROOT / "inputs/pfhub1a.toml", ['integrator.scheme="etdrk2"']))
    assert isinstance(sim.stepper.integrator, ExponentialRK2)


@pytest.mark.parametrize("problem", ["cahn_hilliard", "pfhub7"])
def test_cached_multipliers_give_the_uncached_step(problem):
    """``with_step(dt)`` only stores phi1, phi2: a step of that dt and a step of any other dt
    agree with the uncached integrator to round-off, for X and for eta."""
    grid, model, state = _ch_problem("periodic") if problem == "cahn_hilliard" else pfhub7_problem(16)
    plain = ExponentialRK2(model, grid)
    cached = plain.with_step(0.01, state)
    assert cached.dt_cached == 0.01 and any(p is not None for p in cached.phis_cached)
    step = jax.jit(lambda integ, s, h: integ.step_with_error(s, h))
    for dt in (0.01, 0.004):
        (a, ea), (b, eb) = step(plain, state, jnp.asarray(dt)), step(cached, state, jnp.asarray(dt))
        field = (lambda s: s.X) if problem == "cahn_hilliard" else (lambda s: s.eta)
        assert float(jnp.max(jnp.abs(field(a) - field(state)))) > 1e-6  # the step does something
        np.testing.assert_allclose(np.asarray(field(b)), np.asarray(field(a)), rtol=0, atol=1e-14)
        assert abs(float(ea) - float(eb)) <= 1e-14


def test_deck_caches_multipliers_at_dt_max():
    sim = build(load_deck(ROOT / "inputs/pfhub1a.toml", ['integrator.scheme="etdrk2"', "integrator.dt_max=0.15"]))
    assert float(sim.stepper.integrator.dt_cached) == 0.15
    sim = build(load_deck(ROOT / "inputs/pfhub1a.toml", ['integrator.scheme="etdrk2"']))
    assert sim.stepper.integrator.dt_cached is None


@pytest.mark.parametrize("bc", ["periodic", "noflux"])
def test_transformed_rate_is_the_transform_of_the_finite_volume_rate(bc):
    """``-M lam (T[f'(X)] + kappa lam T[X])`` equals ``T[div(M grad mu)]`` of the stencils and
    the autodiff mu, to round-off, on FFT and DCT axes."""
    grid, model, state = _ch_problem(bc)
    lam = grid.laplacian_eigenvalues()
    mu, _ = model.driving_forces(state, grid)
    direct = grid.forward(model.conserved_rate(state, mu, grid))
    spectral = model.transformed_conserved_rate(state.X, grid.forward(state.X), grid, lam)
    scale = float(jnp.max(jnp.abs(direct)))
    assert scale > 1e-3
    assert float(jnp.max(jnp.abs(spectral - direct))) < 1e-12 * scale
