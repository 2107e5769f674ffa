"""Adaptive time stepping: rejection and retry on NaN, bounds, energy rise and error; step
growth through quiet stretches; a clear error when the step collapses."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from phasefield._pytree import replace
from phasefield.energies import DoubleWell, FreeEnergy
from phasefield.grid import Grid
from phasefield.integrators import AdaptiveController, AdaptiveStepper, ExplicitEuler, SemiImplicit
from phasefield.mobility import ConstantMobility
from phasefield.models import PhaseFieldModel
from phasefield.run import SimulationError, integrate, run_fixed
from phasefield.state import State


def _problem(n=48):
    grid = Grid.create((n, n), 1.0, "periodic")
    model = PhaseFieldModel(
        FreeEnergy(DoubleWell(jnp.asarray(5.0), jnp.asarray(0.3), jnp.asarray(0.7)), jnp.asarray(2.0)),
        ConstantMobility(jnp.asarray(5.0)),
    )
    X = 0.5 + 0.05 * np.random.default_rng(4).standard_normal(grid.shape)
    return grid, model, jnp.asarray(X)


def test_explicit_blowup_is_rejected_and_retried_until_stable():
    """Explicit Euler at 100x its stability limit produces NaN/out-of-bounds trials; the
    controller rejects them, shrinks dt and finishes with a bounded, decreasing energy."""
    grid, model, X = _problem()
    stepper = AdaptiveStepper(
        ExplicitEuler(model, grid), AdaptiveController(max_change=0.02, lower=-0.5, upper=1.5)
    )
    state = State.create(X, dt=1.0)  # stability limit ~ h^4/(32 M kappa) ~ 3e-3
    out, stats = stepper.advance(state, 2.0, 100_000)
    assert int(stats.rejected) >= 5
    assert not bool(stats.failed)
    assert abs(float(out.t) - 2.0) < 1e-12
    assert np.all(np.isfinite(np.asarray(out.X)))
    assert float(model.free_energy(out, grid)) < float(model.free_energy(state, grid))


def test_error_control_meets_tolerance_and_converges():
    """The estimate is O(dt^2) per step, so dt ~ tol^(1/2) and, for a first-order scheme, the
    global error ~ tol^(1/2): 100x tighter tolerance gives ~10x smaller error against a fine
    fixed-dt reference (measured: 0.101 -> 0.0111 at t = 10)."""
    grid, model, X = _problem(32)
    si = SemiImplicit(model, grid)
    ref = jax.jit(lambda s: run_fixed(si.step, s, 40000, 2.5e-4))(State.create(X))
    errors = []
    for tol in (1e-3, 1e-5):
        out = integrate(AdaptiveStepper(si, AdaptiveController(error_tol=tol)), State.create(X, dt=1e-3), [10.0])
        errors.append(float(jnp.max(jnp.abs(out.X - ref.X))))
    order = np.log10(errors[0] / errors[1]) / 2.0
    assert 0.35 < order < 0.65, (errors, order)
    assert errors[1] < 0.02, errors


def test_steps_grow_when_the_solution_is_quiet():
    grid, model, X = _problem(32)
    stepper = AdaptiveStepper(SemiImplicit(model, grid), AdaptiveController(error_tol=1e-3))
    dts = []
    integrate(stepper, State.create(X, dt=1e-3), [10.0, 100.0, 1000.0, 5000.0],
              callback=lambda s, st: dts.append(float(st.dt_largest)))
    assert dts[-1] > 20 * dts[0], dts


def test_output_times_far_below_one_are_reached():
    # log-spaced outputs of a long deck can start at 1e-20 s or earlier; each must be hit
    grid, model, X = _problem(16)
    stepper = AdaptiveStepper(SemiImplicit(model, grid), AdaptiveController(error_tol=1e-3))
    times = [1e-20, 1e-12, 1e-6]
    seen = []
    out = integrate(stepper, State.create(X, dt=1e-3), times, callback=lambda s, st: seen.append(float(s.t)))
    assert seen == pytest.approx(times, rel=1e-9) and float(out.t) == pytest.approx(1e-6)


def test_energy_rise_is_rejected():
    """A stabiliser far below max f''/2 lets large steps raise the energy: those trials are
    rejected by the energy check, so every accepted step lowers F."""
    grid, model, X = _problem(32)
    weak = replace(model, stabilizer_S=jnp.asarray(0.0), stabilizer_A_scale=jnp.asarray(0.01))
    stepper = AdaptiveStepper(SemiImplicit(weak, grid), AdaptiveController(error_tol=1e9, max_change=1e9, reject_change=1e9))
    energies = [float(weak.free_energy(State.create(X), grid))]
    rejected = []

    def record(state, stats):
        rejected.append(int(stats.rejected))
        energies.append(float(stats.energy))

    integrate(stepper, State.create(X, dt=5.0), np.linspace(5.0, 200.0, 40), callback=record)
    assert sum(rejected) > 0
    assert np.all(np.diff(energies) <= 1e-12 * max(abs(e) for e in energies))


def test_collapse_raises_a_clear_error():
    grid, model, X = _problem(16)
    bad = jnp.asarray(np.full(grid.shape, 2.0))  # outside the bounds from the start
    stepper = AdaptiveStepper(SemiImplicit(model, grid), AdaptiveController(lower=0.0, upper=1.0, dt_min=1e-8))
    with pytest.raises(SimulationError, match="time step collapsed"):
        integrate(stepper, State.create(bad, dt=1e-3), [1.0])


def test_dt_min_itself_is_tried_before_the_step_counts_as_collapsed():
    """A step accurate only below 2e-14 (the last drained surface cells at the end of a
    delithiation): rejections that shrink dt by 10 from 7.4e-3 jump from 7.4e-14 to 7.4e-15,
    below dt_min = 1e-14; the controller tries 1e-14 instead of giving up, and it passes."""
    grid, model, X = _problem(8)

    class Window:  # error 1e6 tol above dt = 2e-14, 0 below
        def __init__(self, model):
            self.model, self.grid = model, grid

        def step_with_error(self, state, dt):
            return state.advanced(state.X, state.eta, dt), jnp.where(dt > 2e-14, 1e3, 0.0)

    ctrl = AdaptiveController(error_tol=1e-3, check_energy=False, dt_min=1e-14)
    out, stats = AdaptiveStepper(Window(model), ctrl).advance(State.create(X, dt=7.4e-3), 1.0, 1)
    assert not bool(stats.failed) and int(stats.accepted) == 1
    assert float(out.t) == pytest.approx(1e-14)
    assert int(stats.rejected) == 12  # 7.4e-3 ... 7.4e-14 (11 shrinks by 10), then 1e-14 passes
    narrow = replace(ctrl, dt_min=3e-14)  # nothing at or above dt_min passes: a collapse
    _, stats = AdaptiveStepper(Window(model), narrow).advance(State.create(X, dt=7.4e-3), 1.0, 1)
    assert bool(stats.failed)


def test_an_event_due_within_dt_min_ends_the_loop_instead_of_a_collapse():
    """From t = 0.5 every trial is rejected down to dt_min (the last surface Li draining
    faster than any step resolves). If the stop event is then due within max(event_tol,
    dt_min) by linear extrapolation (``stop_event_time``), the loop ends at it (``stats.stopped``, which the
    chunk driver takes as the event, not as a shortfall); if it is not, the run collapses."""
    grid, _, X = _problem(8)

    class Model:
        conservative = False

        def __init__(self, due):
            self.due = due

        def stop_event(self, state, grid):
            return jnp.asarray(False)

        def stop_event_time(self, state, grid):
            return jnp.where(state.t >= 0.5, self.due, jnp.inf)

    class Blocked:
        def __init__(self, model):
            self.model, self.grid = model, grid

        def step_with_error(self, state, dt):
            return state.advanced(state.X, state.eta, dt), jnp.where(state.t >= 0.5, 1e3, 0.0)

    ctrl = AdaptiveController(error_tol=1e-3, check_energy=False, grow=1.0, dt_min=1e-14)
    imminent = AdaptiveStepper(Blocked(Model(1e-16)), ctrl)
    out, stats = imminent.advance(State.create(X, dt=0.25), 1.0, 100)
    assert bool(stats.stopped) and not bool(stats.failed)
    assert float(out.t) == pytest.approx(0.5) and int(stats.accepted) == 2
    _, stats = AdaptiveStepper(Blocked(Model(1e-3)), ctrl).advance(State.create(X, dt=0.25), 1.0, 100)
    assert bool(stats.failed) and not bool(stats.stopped)
    located = replace(ctrl, event_tol=2e-3)  # due within the precision the crossing is located to
    _, stats = AdaptiveStepper(Blocked(Model(1e-3)), located).advance(State.create(X, dt=0.25), 1.0, 100)
    assert bool(stats.stopped) and not bool(stats.failed)


def test_pi_control_follows_the_trend_of_the_error_estimate():
    """After two accepted steps with estimates e_1, e_2 the next dt is dt_2 * 0.9 (tol/e_2)^a
    (e_1/tol)^b: the plain control (a = 1/2, b = 0) ignores e_1; the PI control of a deck's
    ``step_control = "PI"`` (a = 0.35, b = 0.2) shrinks less after a rising estimate."""
    from phasefield.setup import STEP_CONTROL

    grid, model, X = _problem(8)

    class Quadratic:  # e = (dt / 0.01)^2 * 5e-4 with tol 1e-3: accepted, and the next dt grows
        def __init__(self, model):
            self.model, self.grid = model, grid

        def step_with_error(self, state, dt):
            return state.advanced(state.X, state.eta, dt), 5e-4 * (dt / 0.01) ** 2

    for name, (a, b) in (("I", (0.5, 0.0)), ("PI", (0.35, 0.2))):
        ctrl = AdaptiveController(error_tol=1e-3, check_energy=False, grow=10.0, **STEP_CONTROL[name])
        assert (ctrl.error_exponent, ctrl.history_exponent) == (a, b)
        out, stats = AdaptiveStepper(Quadratic(model), ctrl).advance(State.create(X, dt=0.01), 10.0, 2)
        assert int(stats.accepted) == 2 and int(stats.rejected) == 0
        dt1 = 0.01 * 0.9 * 2.0 ** a  # after e_1 = tol / 2, e_0 taken as tol
        e2 = 5e-4 * (dt1 / 0.01) ** 2
        assert float(out.dt) == pytest.approx(dt1 * 0.9 * (1e-3 / e2) ** a * (5e-4 / 1e-3) ** b, rel=1e-12)


def test_a_trial_far_over_the_tolerance_shrinks_by_its_error_ratio():
    """An error estimate 100x the tolerance shrinks dt by 0.9 (1/100)^(1/2) (floored at
    ``shrink_min``), not by the halving kept for other rejections: from dt = 1 to a
    step the error allows (dt <= 0.01) takes two rejections instead of seven."""
    grid, model, X = _problem(8)

    class Thresholded:  # an integrator whose error is 100 tol above dt = 0.01, 0 below
        def __init__(self, model):
            self.model, self.grid = model, grid

        def step_with_error(self, state, dt):
            return state.advanced(state.X, state.eta, dt), jnp.where(dt > 0.01 + 1e-12, 0.1, 0.0)

    for shrink_min, expected_dt in ((0.1, 0.01), (0.5, 0.0078125)):
        ctrl = AdaptiveController(error_tol=1e-3, check_energy=False, shrink_min=shrink_min, grow=1.0)
        out, stats = AdaptiveStepper(Thresholded(model), ctrl).advance(State.create(X, dt=1.0), 10.0, 1)
        assert int(stats.accepted) == 1
        # with the floor at 0.1: 1 -> 0.1 -> 0.01; at 0.5 it halves: 1 -> ... -> 1/128
        assert int(stats.rejected) == (2 if shrink_min == 0.1 else 7)
        assert float(out.t) == pytest.approx(expected_dt)


def test_float32_run_reaches_output_times_its_dtype_rounds():
    """float32 holds 1e-9 and 0.1 as slightly smaller numbers; the run must end at them (as
    float32 holds them) instead of reporting that it fell short of the output time."""
    from phasefield.problems.pfhub1 import pfhub1_problem

    grid, model, state = pfhub1_problem("1a", n=16, dtype=jnp.float32)
    stepper = AdaptiveStepper(SemiImplicit(model, grid), AdaptiveController(error_tol=1e-3))
    times = []
    final = integrate(stepper, state, [1e-9, 0.1, 1.0], callback=lambda s, st: times.append(float(s.t)))
    assert final.X.dtype == jnp.float32
    assert times == [float(np.float32(t)) for t in (1e-9, 0.1, 1.0)]
