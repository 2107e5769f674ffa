"""The fit loss: a step schedule fixed by an adaptive forward pass, replayed differentiably.

1. ``fix_schedule`` runs the deck's ``AdaptiveStepper`` (error control, rejections, no stop
   event) at the current parameters and records the accepted step sizes ``dt_1..dt_N``; every
   target time is hit exactly (the controller truncates the step that would pass it).
2. ``replay`` repeats those N steps with ``lax.scan``: a pure function of the parameters, so
   ``jax.grad`` applies. With ``checkpoint_every = c`` the scan runs over ``N / c`` chunks, each
   wrapped in ``jax.checkpoint``: reverse mode stores one state per chunk and the residuals of one
   chunk at a time (recomputed), so memory is ``O(N / c + c)`` states instead of ``O(N)``;
   ``c ~ sqrt(N)`` (the default) minimises it. Observables are evaluated only after the marked
   steps (``lax.cond``).

The schedule depends on the parameters only through the controller's accept/reject decisions,
which are not differentiable; the fit re-fixes it every few iterations (``optimize``), so the
final loss and gradient are those of the adaptive run at the final parameters.

Loss: ``L(u) = 1/2 sum_k sum_j r_kj(u)^2`` with the residuals of ``targets.Target``.

Compiled once: ``FitProblem.value_and_grad`` and ``FitProblem.jacobian`` take the schedule as
array arguments padded with dt = 0 steps (the identity for every integrator here) to a
capacity ``n_chunks * c`` with 25% headroom, so re-fixing the schedule during a fit reuses the
compiled program unless the step count outgrows the capacity.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from phasefield._pytree import replace
from phasefield.fit.params import apply, check_distinct, initial_u
from phasefield.fit.targets import merged_times, observable
from phasefield.integrators import AdaptiveStepper
from phasefield.run import SimulationError


class ScheduleError(SimulationError):
    """The forward adaptive pass failed or needed more than ``max_steps`` steps."""


@dataclasses.dataclass(frozen=True)
class Schedule:
    """Accepted step sizes ``dt`` (N,) and, for each time of ``times``, the number of steps
    after which it is reached (0: the initial state)."""

    dt: np.ndarray
    times: np.ndarray
    step_at: np.ndarray

    @property
    def n_steps(self) -> int:
        return int(self.dt.size)


def _record(stepper, state, t_out, capacity: int):
    """Accepted steps of the adaptive loop to ``t_out``: ``(state, dts, n, failed)``."""
    dtype = state.X.dtype
    t_out = jnp.asarray(t_out, dtype)
    tol = 1e-12 * jnp.abs(t_out)  # the same end test as AdaptiveStepper.advance

    def cond(c):
        s, _, n, failed = c
        return (s.t < t_out - tol) & (n < capacity) & ~failed

    def body(c):
        s, dts, n, _ = c
        new, stats = stepper.advance(s, t_out, 1)
        return new, dts.at[n].set(new.t - s.t), n + 1, stats.failed

    init = (state, jnp.zeros(capacity, dtype), jnp.asarray(0, jnp.int32), jnp.asarray(False))
    return lax.while_loop(cond, body, init)


_RECORD = jax.jit(_record, static_argnums=(3,))


def fix_schedule(integrator, controller, state, times, max_steps: int = 100_000) -> Schedule:
    """Run the adaptive controller through ``times`` (increasing) and record its steps."""
    stepper = AdaptiveStepper(integrator, controller)
    times = np.asarray(times, float)
    dts, step_at = [], []
    for t_out in times:
        if t_out > float(state.t):
            # one buffer size for every interval, so the loop compiles once
            state, buf, n, failed = _RECORD(stepper, state, t_out, max_steps)
            if bool(failed):
                raise ScheduleError(f"the time step collapsed near t={float(state.t):.6g} in the "
                                    f"adaptive pass; the parameters may be unphysical")
            if float(state.t) < t_out * (1 - 1e-9):
                raise ScheduleError(f"the adaptive pass needs more than max_steps={max_steps} steps to "
                                    f"reach t={t_out:g}; raise fit.max_steps or the deck's error_tol")
            dts.append(np.asarray(buf)[: int(n)])
            if sum(d.size for d in dts) > max_steps:
                raise ScheduleError(f"the adaptive pass needs more than max_steps={max_steps} steps to "
                                    f"reach t={t_out:g}; raise fit.max_steps or the deck's error_tol")
        step_at.append(sum(d.size for d in dts))
    dt = np.concatenate(dts) if dts else np.zeros(0)
    return Schedule(dt, times, np.asarray(step_at, int))


def default_chunk(n_steps: int) -> int:
    """``ceil(sqrt(N))``: balances stored chunk states against one chunk's residuals."""
    return max(1, math.ceil(math.sqrt(n_steps)))


def replay(integrator, state, dts, marks, observe, n_obs: int, checkpoint_every: int | None):
    """Observations after every marked step of the fixed schedule ``dts`` (N,).

    Returns ``(final_state, ys)`` with ``ys`` of shape (N, n_obs), zero in unmarked rows.
    ``checkpoint_every``: steps per ``jax.checkpoint`` chunk (None or >= N: no checkpointing);
    the schedule is padded with dt = 0 steps (the identity) to a multiple of it.
    """
    dtype = state.X.dtype
    dts = jnp.asarray(dts, dtype)
    marks = jnp.asarray(marks, bool)
    zeros = jnp.zeros(n_obs, dtype)

    def step(s, x):
        dt, mark = x
        s = integrator.step(s, dt)
        return s, lax.cond(mark, observe, lambda _: zeros, s)

    n = dts.shape[0]
    if checkpoint_every is None or checkpoint_every >= n:
        return lax.scan(step, state, (dts, marks))
    c = int(checkpoint_every)
    pad = (-n) % c
    dts = jnp.concatenate([dts, jnp.zeros(pad, dtype)]).reshape(-1, c)
    marks = jnp.concatenate([marks, jnp.zeros(pad, bool)]).reshape(-1, c)

    @jax.checkpoint
    def chunk(s, xs):
        return lax.scan(step, s, xs)

    final, ys = lax.scan(chunk, state, (dts, marks))
    return final, ys.reshape(-1, n_obs)[:n]


@dataclasses.dataclass
class FitProblem:
    """Everything the loss needs; the model is ``integrator.model`` at the initial values.

    Attributes:
        integrator: ``SemiImplicit`` or ``Rosenbrock2`` built from the deck.
        controller: the deck's ``AdaptiveController`` (fixes the schedule).
        state: initial ``State``.
        problem: deck problem name (selects the observables).
        params: ``Parameter`` tuple.
        targets: ``Target`` tuple.
        checkpoint_every: steps per checkpointed chunk; 0 = ceil(sqrt(N)); None = off.
        max_steps: most steps the adaptive pass may take.
        headroom: the compiled replay holds ``headroom * N`` steps (rounded up to whole
            chunks; the extra ones are dt = 0 identity steps), so later schedules of up to that
            length reuse it.
    """

    integrator: object
    controller: object
    state: object
    problem: str
    params: tuple
    targets: tuple
    checkpoint_every: int | None = 0
    max_steps: int = 100_000
    headroom: float = 1.25

    def __post_init__(self):
        self._chunk_fixed = None  # c, fixed by the first schedule so the compiled loop is reused
        self._capacity = 0
        self._compiled = {}  # (kind, capacity, chunk) -> compiled executable
        self.params, self.targets = tuple(self.params), tuple(self.targets)
        check_distinct(self.params)
        self.names = tuple(dict.fromkeys(t.observable for t in self.targets))
        self._fns = [observable(self.problem, n) for n in self.names]
        self.times = merged_times(self.targets)
        self.data = np.concatenate([t.values for t in self.targets])
        self.scale = np.concatenate([np.full(t.values.size, t.scale) for t in self.targets])
        self._cols = np.concatenate([np.full(t.values.size, self.names.index(t.observable)) for t in self.targets])
        self._time_idx = np.concatenate([np.searchsorted(self.times, t.times) for t in self.targets])

    # -- building blocks -------------------------------------------------------------------
    @property
    def u0(self):
        return initial_u(self.params)

    def model(self, u):
        return apply(self.integrator.model, self.params, u)

    def integrator_at(self, u):
        return replace(self.integrator, model=self.model(u))

    def schedule(self, u) -> Schedule:
        """The adaptive forward pass at parameters ``u`` (not differentiated)."""
        return fix_schedule(self.integrator_at(jnp.asarray(u)), self.controller, self.state, self.times,
                            self.max_steps)

    def chunk(self, sched: Schedule) -> int | None:
        if self.checkpoint_every is None:
            return None
        return self.checkpoint_every or default_chunk(sched.n_steps)

    def _arrays(self, sched: Schedule):
        marks = np.zeros(sched.n_steps, bool)
        marks[sched.step_at[sched.step_at > 0] - 1] = True
        rows = sched.step_at[self._time_idx]
        return jnp.asarray(sched.dt), jnp.asarray(marks), jnp.asarray(rows)

    def _predict(self, u, dts, marks, rows, chunk):
        integ = self.integrator_at(u)
        model, grid, s0 = integ.model, integ.grid, self.state

        def observe(s):
            return jnp.stack([jnp.asarray(f(model, grid, s, s0), s.X.dtype) for f in self._fns])

        _, ys = replay(integ, s0, dts, marks, observe, len(self._fns), chunk)
        ys = jnp.concatenate([observe(s0)[None], ys])  # row k: after k steps
        return ys[rows, jnp.asarray(self._cols)]

    def _residuals(self, u, dts, marks, rows, chunk, data=None):
        data = jnp.asarray(self.data) if data is None else data
        return jnp.asarray(self.scale) * (self._predict(u, dts, marks, rows, chunk) - data)

    def _loss_arrays(self, u, data, dts, marks, rows, chunk):
        r = self._residuals(u, dts, marks, rows, chunk, data)
        return 0.5 * jnp.sum(r * r)

    def _residuals_aux(self, u, data, dts, marks, rows, chunk):
        r = self._residuals(u, dts, marks, rows, chunk, data)
        return r, r

    def set_data(self, values) -> None:
        """Replace the data of every target (one array per target, same times); compiled
        executables stay valid because the data enter them as an argument."""
        self.targets = tuple(dataclasses.replace(t, values=np.asarray(v, float))
                             for t, v in zip(self.targets, values, strict=True))
        self.data = np.concatenate([t.values for t in self.targets])

    def padded(self, sched: Schedule):
        """``(dts, marks, rows, chunk)`` padded with identity steps (dt = 0) to the capacity."""
        n = sched.n_steps
        if self.checkpoint_every is None:
            chunk = None
        elif self.checkpoint_every:
            chunk = self.checkpoint_every
        else:
            if self._chunk_fixed is None:
                self._chunk_fixed = default_chunk(n)
            chunk = self._chunk_fixed
        block = chunk or 1
        if n > self._capacity:
            self._capacity = block * math.ceil(self.headroom * max(n, 1) / block)
        dts, marks, rows = self._arrays(sched)
        pad = self._capacity - n
        dts = jnp.concatenate([dts, jnp.zeros(pad, dts.dtype)])
        marks = jnp.concatenate([marks, jnp.zeros(pad, bool)])
        return dts, marks, rows, chunk

    def compiled(self, kind: str, u, sched: Schedule):
        """The compiled executable of ``kind`` ("value_and_grad" | "jacobian") for this
        schedule's capacity, and its arguments ``(u, data, dts, marks, rows)``. ``.memory_analysis()`` of the executable
        gives XLA's buffer sizes (``temp_size_in_bytes``: the reverse-mode residuals)."""
        dts, marks, rows, chunk = self.padded(sched)
        key = (kind, int(dts.shape[0]), chunk)
        if key not in self._compiled:
            if kind == "value_and_grad":
                fn = jax.value_and_grad(self._loss_arrays)
            else:
                fn = jax.jacfwd(self._residuals_aux, has_aux=True)
            self._compiled[key] = jax.jit(fn, static_argnums=(5,)).lower(
                jnp.asarray(u), jnp.asarray(self.data), dts, marks, rows, chunk).compile()
        return self._compiled[key], (jnp.asarray(u), jnp.asarray(self.data), dts, marks, rows)

    def value_and_grad(self, u, sched: Schedule):
        """``(L, dL/du)`` by reverse mode through the checkpointed replay (compiled once per
        capacity)."""
        exe, args = self.compiled("value_and_grad", u, sched)
        return exe(*args)

    def jacobian(self, u, sched: Schedule):
        """``(J, r)``: the residual Jacobian ``dr/du`` (n_data, n_params) by forward mode (one
        tangent per parameter; memory independent of the step count) and the residuals."""
        exe, args = self.compiled("jacobian", u, sched)
        return exe(*args)

    def prediction_from_residuals(self, r) -> list[np.ndarray]:
        """Model values per target from residuals: ``y = r / scale + data``."""
        y = np.asarray(r) / self.scale + self.data
        out, k = [], 0
        for t in self.targets:
            out.append(y[k:k + t.values.size])
            k += t.values.size
        return out

    # -- public ----------------------------------------------------------------------------
    def residuals(self, u, sched: Schedule):
        """``r(u)`` (n_data,) on the fixed schedule (traceable in ``u``)."""
        return self._residuals(u, *self._arrays(sched), self.chunk(sched))

    def loss(self, u, sched: Schedule):
        r = self.residuals(u, sched)
        return 0.5 * jnp.sum(r * r)

    def predictions(self, u, sched: Schedule) -> list[np.ndarray]:
        """Model values at each target's times (one array per target)."""
        y = np.asarray(jax.jit(self._predict, static_argnums=(4,))(jnp.asarray(u), *self._arrays(sched),
                                                                    self.chunk(sched)))
        out, k = [], 0
        for t in self.targets:
            out.append(y[k:k + t.values.size])
            k += t.values.size
        return out

    def loss_fn(self, sched: Schedule):
        """``u -> L(u)`` on ``sched`` (jit-compatible, differentiable)."""
        arrays, chunk = self._arrays(sched), self.chunk(sched)

        def L(u):
            r = self._residuals(u, *arrays, chunk)
            return 0.5 * jnp.sum(r * r)

        return L

    def residual_fn(self, sched: Schedule):
        arrays, chunk = self._arrays(sched), self.chunk(sched)
        return lambda u: self._residuals(u, *arrays, chunk)
