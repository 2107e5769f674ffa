"""The library's loops: fixed-step scans (differentiable) and chunked adaptive runs.

``run_fixed`` advances ``n_steps`` steps of a fixed ``dt`` with ``lax.scan``; it works under
``jax.jit``, ``jax.vmap`` and ``jax.grad``. With ``checkpoint_every`` the scan is split into
chunks wrapped in ``jax.checkpoint`` so reverse mode stores one state per chunk.

``integrate`` runs an ``AdaptiveStepper`` to a sequence of output times: each interval is one
jitted ``while_loop`` (no host sync per step); between intervals the Python loop calls the
user's callback (output, progress, checkpoints).

Buffer donation at the chunk boundary: the loop owns the states it produces, so each jitted
interval is called with its input state donated (``donate_argnums``): XLA aliases the input
buffers of X, eta, t, dt and step to the outputs (``input_output_alias`` in the compiled
module) and the chunk allocates no second copy of the fields. The caller's initial state is
copied once and never donated; a callback that keeps a state beyond its call (rather than
numbers computed from it) must copy it, or pass ``donate=False``. Where a donated buffer is
still viewed by numpy, JAX copies instead of aliasing, so donation never changes a result.
"""

from __future__ import annotations

import sys
import time
from typing import Callable, Iterable, Optional

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax


class SimulationError(RuntimeError):
    """The time integration failed (step size collapsed or too many rejections)."""


def run_fixed(step: Callable, state, n_steps: int, dt, checkpoint_every: Optional[int] = None):
    """``n_steps`` steps of ``step(state, dt)``; returns the final state."""

    def body(s, _):
        return step(s, dt), None

    if checkpoint_every is None or checkpoint_every >= n_steps:
        return lax.scan(body, state, None, length=n_steps)[0]
    if n_steps % checkpoint_every:
        raise ValueError(
            f"n_steps={n_steps} must be a multiple of checkpoint_every={checkpoint_every}"
        )

    @jax.checkpoint
    def chunk(s, _):
        return lax.scan(body, s, None, length=checkpoint_every)[0], None

    return lax.scan(chunk, state, None, length=n_steps // checkpoint_every)[0]


def _advance_jit(donate: bool):
    return jax.jit(lambda stepper, state, t_end, max_steps: stepper.advance(state, t_end, max_steps),
                   static_argnums=(3,), donate_argnums=(1,) if donate else ())


_ADVANCE = {False: _advance_jit(False), True: _advance_jit(True)}


def owned_copy(tree):
    """A copy of every array leaf of ``tree`` in fresh buffers, safe to donate later."""
    return jax.tree_util.tree_map(lambda x: jnp.array(x, copy=True), tree)


class Progress:
    """One status line per output interval: simulated time, dt, steps, wall time and ETA."""

    def __init__(self, t_end: float, unit: str = "s", stream=sys.stderr, enabled: bool = True):
        self.t_end, self.unit, self.stream, self.enabled = t_end, unit, stream, enabled
        self.start = time.perf_counter()
        self._last = (0.0, 0.0)  # (simulated time, wall time) at the previous call

    def __call__(self, state, stats) -> None:
        if not self.enabled:
            return
        t = float(state.t)
        wall = time.perf_counter() - self.start
        frac = t / self.t_end if self.t_end > 0 else 1.0
        # ETA from the cost per simulated time of the latest interval, which stays meaningful
        # for log-spaced outputs (a whole-run average would not)
        t0, w0 = self._last
        eta = (wall - w0) / (t - t0) * (self.t_end - t) if t > t0 else float("nan")
        self._last = (t, wall)
        bar = "#" * int(30 * frac) + "." * (30 - int(30 * frac))
        self.stream.write(
            f"\r[{bar}] t={t:.4g}/{self.t_end:.4g} {self.unit} dt={float(state.dt):.3g} "
            f"steps={int(state.step)} wall={wall:.1f}s eta={eta:.1f}s"
        )
        if frac >= 1.0:
            self.stream.write("\n")
        self.stream.flush()


def advance_to(stepper, state, t_out: float, max_steps: int = 1_000_000, donate: bool = False):
    """One jitted adaptive chunk to ``t_out`` (or to the stepper's stop event); returns
    ``(state, stats)`` or raises ``SimulationError`` with what happened and what to try.
    With ``donate=True`` the buffers of ``state`` are given to the chunk (see the module
    docstring) and ``state`` must not be used afterwards."""
    t_out_arr = jnp.asarray(t_out, state.X.dtype)
    state, stats = _ADVANCE[donate](stepper, state, t_out_arr, max_steps)
    if bool(stats.failed):
        raise SimulationError(
            f"time step collapsed near t={float(state.t):.6g} (dt={float(state.dt):.3g}, "
            f"{int(stats.rejected)} rejections): the problem may be unstable; try a smaller "
            f"error_tol or check the parameters"
        )
    # against t_out as the state's dtype holds it (float32 rounds 1e-9 below itself)
    slack = max(1e-9, 8 * float(jnp.finfo(state.X.dtype).eps))
    if float(state.t) < float(t_out_arr) * (1 - slack) and not bool(stats.stopped):
        raise SimulationError(
            f"reached max_steps_per_output={max_steps} at t={float(state.t):.6g} before the "
            f"output time {t_out:.6g}; raise integrator.max_steps_per_output or error_tol"
        )
    return state, stats


def integrate(
    stepper,
    state,
    output_times: Iterable[float],
    callback: Optional[Callable] = None,
    max_steps_per_output: int = 1_000_000,
    donate: bool = True,
):
    """Advance ``state`` through ``output_times`` (increasing), calling ``callback(state, stats)``
    after each. Raises ``SimulationError`` if the controller fails. ``state`` itself is left
    intact; with ``donate`` (default) each interval reuses the buffers of the previous one, so
    a callback must copy a state it keeps (module docstring)."""
    times = np.asarray(list(output_times), dtype=float)
    if times.size and np.any(np.diff(times) <= 0):
        raise ValueError(f"output times must increase strictly; got {times}")
    if donate and np.any(times > float(state.t)):
        state = owned_copy(state)
    for t_out in times:
        if t_out <= float(state.t):
            continue
        state, stats = advance_to(stepper, state, t_out, max_steps_per_output, donate=donate)
        if callback is not None:
            callback(state, stats)
    return state
