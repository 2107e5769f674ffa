"""Adaptive time stepping with rejection and retry, inside one bounded ``lax.while_loop``.

A trial step of size dt is accepted when all of these hold:
- the integrator's local error estimate ``e`` (``step_with_error``) is at most ``error_tol``;
- every field is finite (no NaN/Inf);
- X stays within ``[lower, upper]``;
- the largest change of any field, ``c = max |u^{n+1} - u^n|``, is at most ``reject_change``;
- for models without sources, the discrete free energy does not rise by more than
  ``energy_tol * max(|F|, energy_floor)`` (semi-implicit CH/AC steps are energy stable when
  the stabiliser is large enough, so a rise flags a step that is too large).

With ``event_tol > 0``, a step that takes the state across the stop event (e.g. a voltage
cut-off) is accepted only if ``dt <= event_tol``; otherwise it is retried with ``dt * shrink``,
so the event is located in time to within ``event_tol`` instead of being overshot by a
whole step (after a long rest a single step may otherwise carry a whole pulse past its
cut-off).

After acceptance the next step is ``dt * clip(safety * min((tol/e)^(1/2), max_change/c),
shrink, grow)`` (the estimate is O(dt^2) for these first-order schemes; the change limit
caps steps when the estimate is absent); after a rejection ``dt * shrink``, or, when the error
estimate was over the tolerance, ``dt * clip(safety * (tol/e)^(1/2), shrink_min, shrink)``
(Hairer, Norsett & Wanner, *Solving ODEs I*, II.4: a trial far over the tolerance is not
retried at half its size only to fail again), and the step is retried. With
``history_exponent > 0`` the error term after an acceptance is the PI control of Gustafsson,
Lundh & Soderlind (BIT 28, 270 (1988)), ``(tol/e_n)^a (e_{n-1}/tol)^b`` with ``e_{n-1}`` the
previous accepted step's estimate in the same ``advance`` call (``a = error_exponent``, 1/2
by default, and ``b = history_exponent``, 0 by default: the plain control above). With
``a = 0.35, b = 0.2`` (``integrator.step_control = "PI"`` in a deck) the 96 x 64 electrode's
600 s cycle took 1,455 trials (191 rejected) instead of 1,648 (344 rejected)
(benchmarks/results/electrode_cycle.md). The loop owns its
bounds (``max_steps`` accepted steps, ``max_rejections`` in a row), so it never hangs and
needs no host synchronisation. A rejection never takes dt below ``dt_min``: the run fails
only once a trial of ``dt_min`` itself is rejected. (At the end of an electrode's
delithiation the last drained surface cells can leave a window of only a few 1e-14 s in
which a step is accurate; from 7.4e-14 s a shrink by 10 skipped over it and the run stopped
with "time step collapsed" 0.14 V short of its cut-off, where a step of 1e-14 s takes the
potential past it.) Where even a trial of ``dt_min`` is rejected but the model's stop event
is due, by linear extrapolation of its rate (``stop_event_time``: the electrode potential
climbing to a cut-off), within ``max(event_tol, dt_min)`` (the precision to which a crossing
is located anyway), the loop ends at that event instead of failing. (The state above: V =
1.357 V rising at 4e12 V/s, the 1.5 V cut-off due in 3.4e-14 s.)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from phasefield._pytree import pytree, replace, static


@pytree
class AdaptiveController:
    """Step-size control parameters (times in the model's time unit)."""

    dt_min: float = 1e-14
    dt_max: float = 1e30
    error_tol: float = 1e-3
    max_change: float = 0.05
    reject_change: float = 0.2
    grow: float = 1.5
    shrink: float = 0.5
    shrink_min: float = 0.1
    safety: float = 0.9
    energy_tol: float = 1e-9
    energy_floor: float = 1e-12
    lower: float = -1e30
    upper: float = 1e30
    event_tol: float = 0.0
    error_exponent: float = 0.5
    history_exponent: float = 0.0
    max_rejections: int = static(40)
    check_energy: bool = static(True)


@pytree
class StepStats:
    """Counters from one ``advance`` call."""

    accepted: jnp.ndarray
    rejected: jnp.ndarray
    failed: jnp.ndarray
    energy: jnp.ndarray
    dt_smallest: jnp.ndarray
    dt_largest: jnp.ndarray
    stopped: jnp.ndarray  # the loop ended at the stop event (or with it due within max(event_tol, dt_min))


def _max_change(new, old):
    return jnp.max(jnp.abs(new - old))


def _all_finite(a):
    return jnp.all(jnp.isfinite(a))


@pytree
class AdaptiveStepper:
    """Wraps an integrator (``step_with_error(state, dt)``) with the controller above.

    ``stop_when(state) -> bool`` (static callable, optional) is an event such as a voltage
    cut-off: the loop ends after the first accepted step at which it holds. Without it the
    model's own ``stop_event(state, grid)`` is used where the model has one (the voltage
    window of a galvanostatic control, whose bounds are array leaves, so protocol steps with
    other cut-offs reuse the compiled loop).
    """

    integrator: object
    controller: AdaptiveController
    stop_when: object = static(None)

    @property
    def model(self):
        return self.integrator.model

    @property
    def grid(self):
        return self.integrator.grid

    def free_energy(self, state):
        return self.model.free_energy(state, self.grid)

    def stopped(self, state):
        """The stop event at ``state`` (a scalar bool array)."""
        if self.stop_when is not None:
            return jnp.asarray(self.stop_when(state))
        event = getattr(self.model, "stop_event", None)
        return jnp.asarray(False) if event is None else event(state, self.grid)

    def event_within(self, state, dt):
        """Whether the model's stop event is due within ``dt`` of ``state`` by linear
        extrapolation (``stop_event_time``; False for a model without one or with
        ``stop_when``)."""
        event_time = getattr(self.model, "stop_event_time", None)
        if self.stop_when is not None or event_time is None:
            return jnp.asarray(False)
        return event_time(state, self.grid) <= dt

    def advance(self, state, t_end, max_steps: int):
        """Advance to ``t_end`` (or ``max_steps`` accepted steps); returns ``(state, StepStats)``."""
        c = self.controller
        dtype = state.X.dtype
        t_end = jnp.asarray(t_end, dtype)
        use_energy = c.check_energy and self.model.conservative
        E0 = self.free_energy(state) if use_energy else jnp.asarray(0.0, dtype)
        tol_t = 1e-12 * jnp.abs(t_end)  # relative: output times far below 1 (1e-20 s) stay reachable

        # the stop event of the current state rides in the carry: one evaluation per trial
        def cond(carry):
            s, _, n_acc, _, streak, failed, _, _, stop, _ = carry
            return (s.t < t_end - tol_t) & (n_acc < max_steps) & ~failed & ~stop

        def body(carry):
            s, E, n_acc, n_rej, streak, failed, dt_lo, dt_hi, stop, e_prev = carry
            remaining = t_end - s.t
            truncated = s.dt >= remaining
            dt = jnp.minimum(s.dt, remaining)
            trial, err = self.integrator.step_with_error(s, dt)
            change = _max_change(trial.X, s.X)
            ok = _all_finite(trial.X) & (jnp.min(trial.X) >= c.lower) & (jnp.max(trial.X) <= c.upper)
            if trial.eta is not None:
                change = jnp.maximum(change, _max_change(trial.eta, s.eta))
                ok = ok & _all_finite(trial.eta)
            ok = ok & (change <= c.reject_change) & (err <= c.error_tol)
            # locate the stop event: no step may jump far across it (event_tol = 0: off)
            stop_trial = self.stopped(trial)
            ok = ok & ((c.event_tol <= 0) | (dt <= c.event_tol) | ~stop_trial)
            if use_energy:
                E_new = self.free_energy(trial)
                ok = ok & (E_new <= E + c.energy_tol * jnp.maximum(jnp.abs(E), c.energy_floor))
            else:
                E_new = E
            error_ratio = jnp.sqrt(c.error_tol / jnp.maximum(err, 1e-300))
            e_now = jnp.maximum(err, 1e-10 * c.error_tol)
            pi_ratio = jnp.where((c.error_exponent == 0.5) & (c.history_exponent == 0.0), error_ratio,
                                 (c.error_tol / e_now) ** c.error_exponent * (e_prev / c.error_tol) ** c.history_exponent)
            ratio = jnp.minimum(pi_ratio, c.max_change / jnp.maximum(change, 1e-300))
            factor = jnp.clip(c.safety * ratio, c.shrink, c.grow)
            dt_next_ok = jnp.where(truncated, jnp.maximum(s.dt, dt * factor), dt * factor)
            dt_next_ok = jnp.clip(dt_next_ok, c.dt_min, c.dt_max)
            over = jnp.isfinite(err) & (err > c.error_tol)
            dt_next_bad = dt * jnp.where(over, jnp.clip(c.safety * error_ratio, c.shrink_min, c.shrink), c.shrink)
            dt_next_bad = jnp.maximum(dt_next_bad, c.dt_min)  # dt_min itself is tried before giving up
            accepted = replace(trial, dt=dt_next_ok.astype(dtype))
            rejected = replace(s, dt=dt_next_bad.astype(dtype))
            new_s = jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), accepted, rejected)
            streak = jnp.where(ok, 0, streak + 1)
            failed = (streak > c.max_rejections) | (dt <= c.dt_min) & ~ok
            # an event due sooner than it would be located anyway (event_tol, at least dt_min:
            # a cut-off the potential reaches within 1e-14 s) ends the loop at it, not as a collapse
            horizon = jnp.maximum(c.event_tol, c.dt_min)
            imminent = lax.cond(failed, lambda: self.event_within(s, horizon), lambda: jnp.asarray(False))
            failed = failed & ~imminent
            return (
                new_s,
                jnp.where(ok, E_new, E),
                n_acc + ok.astype(jnp.int32),
                n_rej + (~ok).astype(jnp.int32),
                streak,
                failed,
                jnp.where(ok, jnp.minimum(dt_lo, dt), dt_lo),
                jnp.where(ok, jnp.maximum(dt_hi, dt), dt_hi),
                jnp.where(ok, stop_trial, stop | imminent),
                jnp.where(ok, e_now, e_prev),
            )

        zero = jnp.asarray(0, jnp.int32)
        init = (state, E0, zero, zero, zero, jnp.asarray(False),
                jnp.asarray(jnp.inf, dtype), jnp.asarray(0.0, dtype), self.stopped(state),
                jnp.asarray(c.error_tol, dtype))
        s, E, n_acc, n_rej, _, failed, lo, hi, stop, _ = lax.while_loop(cond, body, init)
        return s, StepStats(n_acc, n_rej, failed, E, lo, hi, stop)
