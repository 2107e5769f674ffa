"""The linearly implicit ROS2 step and its GMRES solver.

- GMRES equals a dense solve, returns 0 for b = 0 and reports a solve it could not finish.
- A beta-LiAl front driven into alpha-Al by a surface Li flux, with the physical 1e10
  mobility contrast and the stiff beta branch: ROS2 under the adaptive controller
  (tol 1e-3, a few hundred steps) matches an independent stiff integrator (scipy's Radau
  IIA with the exact Jacobian, rtol 1e-10) to 1e-4, and the Li content rises by exactly
  the injected amount.
- Second order in time at fixed dt; reverse-mode gradients through fixed-step runs
  (implicit differentiation of the linear solves) equal forward mode to 1e-6 and central
  differences to their truncation error.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from phasefield._pytree import replace
from phasefield.energies import DoubleWell, FreeEnergy
from phasefield.grid import Grid
from phasefield.integrators import AdaptiveController, AdaptiveStepper
from phasefield.integrators.krylov import gmres
from phasefield.integrators.rosenbrock import Rosenbrock2, project_nonnegative
from phasefield.mobility import ConstantMobility, lial_mobility
from phasefield.models import PhaseFieldModel
from phasefield.problems.lial_front import beta_front
from phasefield.run import run_fixed
from phasefield.state import State


def test_gmres_matches_a_dense_solve_and_reports_its_state():
    rng = np.random.default_rng(0)
    n = 120
    A = 3.0 * np.eye(n) + rng.standard_normal((n, n)) / np.sqrt(n)
    b = rng.standard_normal(n)
    Aj = jnp.asarray(A)
    exact = np.linalg.solve(A, b)
    for restart in (5, 40):
        x, info = gmres(lambda v: Aj @ v, jnp.asarray(b), rtol=1e-11, restart=restart, max_cycles=40)
        assert bool(info.converged) and float(info.residual) <= 1e-11
        np.testing.assert_allclose(np.asarray(x), exact, rtol=0, atol=1e-9)
    D = jnp.asarray(np.diag(A))
    x, info = gmres(lambda v: Aj @ v, jnp.asarray(b), P=lambda v: v / D, rtol=1e-11)
    np.testing.assert_allclose(np.asarray(x), exact, rtol=0, atol=1e-9)
    x, info = gmres(lambda v: Aj @ v, jnp.zeros(n))
    assert int(info.iterations) == 0 and bool(info.converged) and float(jnp.max(jnp.abs(x))) == 0.0
    x, info = gmres(lambda v: Aj @ v, jnp.asarray(b), rtol=1e-12, restart=3, max_cycles=1)
    assert not bool(info.converged) and int(info.iterations) == 3


def test_beta_front_matches_an_independent_stiff_integrator():
    grid, model, state = beta_front()
    t_end = 20.0
    rate = jax.jit(lambda X: model.rates(replace(state, X=X), grid)[0])
    jac = jax.jit(jax.jacfwd(lambda X: model.rates(replace(state, X=X), grid)[0]))
    ref = solve_ivp(lambda t, y: np.asarray(rate(jnp.asarray(y))), (0.0, t_end), np.asarray(state.X),
                    method="Radau", rtol=1e-10, atol=1e-12,
                    jac=lambda t, y: np.asarray(jac(jnp.asarray(y))))
    assert ref.status == 0
    stepper = AdaptiveStepper(Rosenbrock2(model, grid), AdaptiveController(error_tol=1e-3))
    out, stats = jax.jit(lambda s: stepper.advance(s, t_end, 5000))(state)
    assert float(out.t) == pytest.approx(t_end) and not bool(stats.failed)
    assert int(stats.accepted) < 1000  # the front moves ~0.05 um: hundreds of steps, not 1e5
    err = np.max(np.abs(np.asarray(out.X) - ref.y[:, -1]))
    assert err < 1e-4, err
    # the front really moved (by about flux t / (Xb - Xa) = 0.047 um)
    assert np.max(np.abs(np.asarray(out.X) - np.asarray(state.X))) > 0.1
    injected = 1.04e-3 * t_end
    gained = float(grid.integrate(out.X - state.X))
    assert gained == pytest.approx(injected, rel=1e-10)


def _smooth_ch():
    grid = Grid.create((32,), 1.0, "periodic")
    x = np.arange(32)
    X0 = 0.3 + 0.1 * np.cos(2 * np.pi * x / 32) + 0.05 * np.sin(6 * np.pi * x / 32)
    dw = DoubleWell(jnp.asarray(5.0), jnp.asarray(0.3), jnp.asarray(0.7))
    return grid, PhaseFieldModel(FreeEnergy(dw, jnp.asarray(2.0)), ConstantMobility(jnp.asarray(5.0))), jnp.asarray(X0)


def test_second_order_in_time():
    # in the convex part of the well, where the Jacobian used is the exact one (with a concave
    # part removed from it the measured order approaches 2 more slowly: 1.65, 1.73, 1.80)
    grid, model, X0 = _smooth_ch()
    ros = Rosenbrock2(model, grid, rtol=1e-12)
    t_end = 4.0

    def run(n):
        return np.asarray(run_fixed(ros.step, State.create(X0, dt=0.1), n, t_end / n).X)

    ref = run(1280)
    errs = [np.max(np.abs(run(n) - ref)) for n in (40, 80, 160)]
    orders = np.log2(np.asarray(errs[:-1]) / np.asarray(errs[1:]))
    assert np.all(orders > 1.8), (errs, orders)


def test_gradient_through_fixed_steps_matches_central_differences():
    mob0 = lial_mobility(298.15)

    def observable(log_scale):
        mob = replace(mob0, ln_D_beta0=mob0.ln_D_beta0 + log_scale)
        grid, model, state = beta_front(n=24, flux=1e-3, mobility=mob)
        out = run_fixed(Rosenbrock2(model, grid, rtol=1e-12).step, state, 10, 0.05)
        return jnp.sum(out.X * jnp.linspace(0.0, 1.0, grid.shape[0]))

    g = float(jax.grad(observable)(0.0))
    forward = float(jax.jvp(observable, (0.0,), (1.0,))[1])
    assert g == pytest.approx(forward, rel=1e-6)
    # central differences carry the iterative solves' noise (~1e-11 in the observable), so
    # the step is not made small: O(h^2) truncation at h = 1e-3 is ~1e-4 relative
    h = 1e-3
    fd = (float(observable(h)) - float(observable(-h))) / (2 * h)
    assert g == pytest.approx(fd, rel=5e-4)


def test_deck_scheme_selects_the_integrator():
    from pathlib import Path

    from phasefield.deck import load_deck
    from phasefield.integrators import SemiImplicit
    from phasefield.setup import build

    inputs = Path(__file__).resolve().parents[1] / "inputs"
    assert isinstance(build(load_deck(inputs / "lial_reaction_2d.toml")).stepper.integrator, Rosenbrock2)
    assert isinstance(build(load_deck(inputs / "pfhub1a.toml")).stepper.integrator, SemiImplicit)
    chosen = build(load_deck(inputs / "lial_reaction_2d.toml", ["integrator.scheme=semi-implicit"]))
    assert isinstance(chosen.stepper.integrator, SemiImplicit)
    ros = build(load_deck(inputs / "pfhub1a.toml", ["integrator.scheme=rosenbrock", "integrator.krylov_restart=20"]))
    assert isinstance(ros.stepper.integrator, Rosenbrock2) and ros.stepper.integrator.restart == 20


def test_rms_error_norm_is_the_root_mean_square_and_gives_the_same_step():
    grid, model, state = beta_front(40, 0.025, 1.04e-3)
    a, b = Rosenbrock2(model, grid), Rosenbrock2(model, grid, error_norm="rms")
    sa, ea = a.step_with_error(state, 0.05)
    sb, eb = b.step_with_error(state, 0.05)
    np.testing.assert_array_equal(np.asarray(sa.X), np.asarray(sb.X))  # the norm changes only the estimate
    # the rms of the per-cell estimate dt/2 |k1 + k2| lies below its max
    assert 0.0 < float(eb) < float(ea)
    e = np.random.default_rng(0).random(50)
    assert float(b._norm(jnp.asarray(e))) == pytest.approx(np.sqrt(np.mean(e**2)), rel=1e-14)
    with pytest.raises(ValueError, match="error_norm"):
        Rosenbrock2(model, grid, error_norm="l1")._norm(jnp.asarray(e))


def test_conserving_correction_spares_emptied_cells(monkeypatch):
    """An inexact solve (here GMRES replaced by k = 0.9 b) is corrected so that the stage
    carries exactly sum psi b, and the correction goes where X (1 - X) > 0: a surface cell
    emptied of Li gets none of it (a uniform shift pushed such cells below X = 0)."""
    import phasefield.integrators.rosenbrock as ros
    from pathlib import Path
    from phasefield.deck import load_deck
    from phasefield.setup import build

    class Info:
        converged = jnp.asarray(True)

    monkeypatch.setattr(ros, "gmres", lambda matvec, rhs, P, **kw: (0.9 * rhs, Info()))
    deck = Path(__file__).resolve().parents[1] / "inputs/lial_particle_1d.toml"
    sim = build(load_deck(deck, ['electrochemistry.current="-1 mA/cm^2"']))
    integ = sim.stepper.integrator
    model = integ.model
    X = jnp.where(model.active > 0, 0.45, 0.0).at[1].set(1e-12)  # first active cell emptied
    state = replace(sim.state, X=X)
    system = integ._x_system(state, 0.1)
    b = model.rates(state, integ.grid)[0]
    k, ok = integ._solve_x(system, b, state.X)
    psi = model.psi * model.active
    assert bool(ok)
    # the residual's psi-weighted sum is removed (to the tolerance of the linearised potential
    # solve inside W: 1e-6 relative here)
    np.testing.assert_allclose(float(jnp.sum(psi * system[0](k))), float(jnp.sum(psi * b)), rtol=1e-5)
    shift = k - 0.9 * b
    assert np.all(np.isfinite(np.asarray(k)))
    # the emptied cell takes ~1e-12 / 0.2 of a full cell's share of the correction
    assert abs(float(shift[1])) < 1e-10 * float(jnp.max(jnp.abs(shift)))
    assert float(jnp.max(jnp.abs(shift))) > 0  # the others carry the correction


def test_dilute_steps_project_small_dips_below_zero_back_conservatively():
    """With the dilute alpha's ``R T ln X`` the ROS2 step holds emptied cells above X = 0: a
    cell a step takes below 0 keeps a tenth of its content, the Li that adds is taken from
    the others in proportion to X (1 - X) (the psi-weighted content is unchanged to round-off),
    and the dip joins the error estimate; a dip larger than the room to take it from is left
    for the controller to reject."""
    from pathlib import Path

    from phasefield.deck import load_deck
    from phasefield.integrators.rosenbrock import FLOOR_SHARE
    from phasefield.setup import build

    deck = Path(__file__).resolve().parents[1] / "inputs/lial_gitt_1d.toml"
    sim = build(load_deck(deck))
    integ = sim.stepper.integrator
    assert integ.nonnegative and sim.stepper.controller.lower == 0.0
    model = integ.model
    psi, active = model.psi * model.active, model.active
    old = jnp.where(active > 0, 0.3, 0.0).at[1].set(2e-14).at[2].set(5e-13)
    trial = old.at[1].set(-3e-13).at[2].set(4e-13).at[5].set(0.2)  # cell 1 dips, cell 2 does not
    X, dip = project_nonnegative(integ.model, trial, old)
    assert float(jnp.min(X)) >= 0.0
    assert float(X[1]) == pytest.approx(FLOOR_SHARE * 2e-14, rel=1e-9)
    assert float(dip[1]) == pytest.approx(float(psi[1]) * (FLOOR_SHARE * 2e-14 + 3e-13), rel=1e-12)
    assert float(jnp.sum(jnp.abs(dip))) == float(dip[1])  # nothing else is raised
    # conserved to round-off; the Li comes from cells with room (cell 5: 0.2 * 0.8 of 0.3 * 0.7)
    assert float(jnp.sum(psi * X)) == pytest.approx(float(jnp.sum(psi * trial)), rel=1e-15, abs=1e-18)
    taken = np.asarray(trial - X)
    assert taken[5] / taken[6] == pytest.approx(0.2 * 0.8 / (0.3 * 0.7), rel=1e-2)  # ~3e-14 of 0.3: round-off
    assert float(X[2]) == pytest.approx(4e-13, rel=1e-9)  # a nearly empty cell gives ~nothing
    # a dip deeper than half the room of the rest is not projected
    deep = jnp.where(active > 0, -0.5, 0.0).at[3].set(0.01)
    X_deep, _ = project_nonnegative(integ.model, deep, old)
    np.testing.assert_array_equal(np.asarray(X_deep), np.asarray(deep))
    # and inside a step the dip is part of the error estimate: a drained film's surface cells
    state = replace(sim.state, X=old)
    new, err = jax.jit(integ.step_with_error)(state, 1e-3)
    assert float(jnp.min(new.X)) >= 0.0 and np.isfinite(float(err))
