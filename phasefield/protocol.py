"""Cycling protocols: sequences of constant-current, constant-potential and rest steps with
voltage cut-offs, run one after another on an electrode model (DESIGN 2.4).

A step is host-side configuration (``ProtocolStep``); running it swaps the model's control
pytree (``phasefield.electrochem``) and advances the adaptive stepper through the step's
output times until its duration has elapsed or its cut-off is crossed:

    current    galvanostatic, ``value`` = current density (A/m^2 of the electrolyte face;
               > 0 lithiates); ends at ``duration`` or when the electrode potential phi
               leaves the cut-off window (below ``cutoff`` while lithiating, above it while
               delithiating)
    potential  potentiostatic, ``value`` = phi (V vs Li/Li+); ends at ``duration``
    rest       galvanostatic at zero net current (open circuit: the surface may still
               exchange Li between regions of different equilibrium potential); ends at
               ``duration``

Builders for the protocols of seed 000: ``cycling`` (lithiate to 0.01 V, delithiate to
1.5 V, repeated, optionally with rests) and ``gitt`` (galvanostatic intermittent titration:
pulses of ``current`` for ``pulse`` seconds, each followed by ``rest`` seconds, until the
cut-off; seed 000 Fig. 1d-e uses 0.1 mA/cm^2 for 30 min and 2 h rests).

Each step starts with the time step cut back to the run's initial one: the control jumps
there (a current switched on after a long rest), and a step as long as the rest's last one,
judged by an error estimate that cannot see the jump, may carry a whole pulse past its
cut-off in one go.

Only the control's array leaves change between steps of one kind, so consecutive current
steps (and rests) reuse one compiled interval; a potential step compiles its own.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Optional, Sequence

import jax.numpy as jnp
import numpy as np

from phasefield._pytree import replace
from phasefield.electrochem import Galvanostatic, Potentiostatic
from phasefield.run import advance_to, owned_copy

KINDS = ("current", "potential", "rest")


class ProtocolError(ValueError):
    """A protocol step that cannot be run as given."""


@dataclasses.dataclass(frozen=True)
class ProtocolStep:
    """One step of a protocol (module docstring).

    Attributes:
        kind: ``"current"``, ``"potential"`` or ``"rest"``.
        value: current density (A/m^2, > 0 lithiates) or potential (V vs Li/Li+); ignored
            for a rest.
        duration: longest time the step may last (s); finite.
        cutoff: voltage cut-off (V) of a current step, or ``None``.
        name: label written to the records (e.g. ``"lithiation 1"``).
    """

    kind: str
    value: float = 0.0
    duration: float = math.inf
    cutoff: Optional[float] = None
    name: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ProtocolError(f"step kind must be one of {KINDS}; got {self.kind!r}")
        if not (math.isfinite(self.duration) and self.duration > 0):
            raise ProtocolError(f"step {self.name or self.kind!r}: duration must be a positive, finite "
                                f"time in s (a cap for cut-off steps); got {self.duration}")
        if not math.isfinite(self.value):
            raise ProtocolError(f"step {self.name or self.kind!r}: value must be finite; got {self.value}")
        if self.cutoff is not None and self.kind != "current":
            raise ProtocolError(f"step {self.name or self.kind!r}: only current steps have a voltage cut-off")
        if self.kind == "current" and self.value == 0.0:
            raise ProtocolError(f"step {self.name or 'current'!r}: a current step needs a nonzero current; "
                                f"use kind = 'rest' for open circuit")

    def control(self, dtype=jnp.float64):
        """The control pytree of this step, with the cut-off as its voltage window."""
        a = lambda v: jnp.asarray(v, dtype=dtype)  # noqa: E731
        if self.kind == "potential":
            return Potentiostatic(a(self.value))
        if self.kind == "rest":
            return Galvanostatic(a(0.0), v_min=a(-jnp.inf), v_max=a(jnp.inf))
        lo, hi = -math.inf, math.inf
        if self.cutoff is not None:
            if self.value > 0:
                lo = self.cutoff
            else:
                hi = self.cutoff
        return Galvanostatic(a(self.value), v_min=a(lo), v_max=a(hi))

    def on(self, model, dtype=jnp.float64):
        """``model`` under this step's control (to evaluate e.g. the electrode potential of a
        state during the step)."""
        return replace(model, control=self.control(dtype))


def cycling(current: float, lower: float, upper: float, n_cycles: int, max_duration: float,
            rest: float = 0.0) -> tuple[ProtocolStep, ...]:
    """``n_cycles`` of lithiation at ``+|current|`` to ``lower`` V and delithiation at
    ``-|current|`` to ``upper`` V, each capped at ``max_duration`` s, with an optional rest
    of ``rest`` s after each half cycle."""
    if n_cycles < 1:
        raise ProtocolError(f"n_cycles must be at least 1; got {n_cycles}")
    if not lower < upper:
        raise ProtocolError(f"the lower cut-off ({lower} V) must lie below the upper one ({upper} V)")
    I = abs(current)
    steps = []
    for k in range(1, n_cycles + 1):
        steps.append(ProtocolStep("current", I, max_duration, lower, f"lithiation {k}"))
        if rest > 0:
            steps.append(ProtocolStep("rest", 0.0, rest, None, f"rest after lithiation {k}"))
        steps.append(ProtocolStep("current", -I, max_duration, upper, f"delithiation {k}"))
        if rest > 0:
            steps.append(ProtocolStep("rest", 0.0, rest, None, f"rest after delithiation {k}"))
    return tuple(steps)


def gitt(current: float, pulse: float, rest: float, cutoff: float, n_pulses: int, return_pulses: int = 0,
         return_cutoff: Optional[float] = None) -> tuple[ProtocolStep, ...]:
    """Galvanostatic intermittent titration: ``n_pulses`` x (``current`` for ``pulse`` s, then
    ``rest`` s at open circuit; no rest steps for ``rest = 0``); a pulse that reaches
    ``cutoff`` ends early (module docstring). ``return_pulses`` > 0 follows them with as many
    pulses of ``-current`` to ``return_cutoff`` (e.g. a lithiation titration, then the
    delithiation one), named ``return pulse k`` / ``return relaxation k``."""
    if n_pulses < 1:
        raise ProtocolError(f"n_pulses must be at least 1; got {n_pulses}")
    if return_pulses < 0:
        raise ProtocolError(f"return_pulses must not be negative; got {return_pulses}")
    if return_pulses and return_cutoff is None:
        raise ProtocolError("return pulses need a cut-off in their direction")
    steps = []
    for sign, n, cut, prefix in ((1.0, n_pulses, cutoff, ""), (-1.0, return_pulses, return_cutoff, "return ")):
        for k in range(1, n + 1):
            steps.append(ProtocolStep("current", sign * current, pulse, cut, f"{prefix}pulse {k}"))
            if rest > 0:
                steps.append(ProtocolStep("rest", 0.0, rest, None, f"{prefix}relaxation {k}"))
    return tuple(steps)


@dataclasses.dataclass(frozen=True)
class StepRecord:
    """What one step did: start and end time (s), why it ended (``"duration"``, ``"cutoff"``),
    accepted and rejected steps, and the conserved amount at its start and end (model units:
    ``sum psi X dV``)."""

    index: int
    name: str
    kind: str
    t_start: float
    t_end: float
    reason: str
    accepted: int
    rejected: int
    amount_start: float
    amount_end: float


def run_protocol(
    stepper,
    state,
    steps: Sequence[ProtocolStep],
    outputs_per_step: int = 4,
    callback: Optional[Callable] = None,
    max_steps_per_output: int = 1_000_000,
    on_step: Optional[Callable] = None,
    dt_restart: Optional[float] = None,
):
    """Run ``steps`` in order from ``state``; returns ``(state, records)``.

    Each step swaps ``stepper``'s model control, then advances through ``outputs_per_step``
    equally spaced output times of its duration; ``callback(state, stats, index)`` is called
    after each output interval (``steps[index].on(model)`` is the model it ran under) and
    ``on_step(record)`` after each step. A current step whose
    cut-off is crossed ends there (``reason = "cutoff"``) and the next step starts from that
    state. Each step starts with ``dt <= dt_restart`` (default: the ``dt`` of ``state``).
    The stepper's model must carry electrochemical kinetics and a domain.
    """
    model = stepper.integrator.model
    if model.kinetics is None or model.domain is None:
        raise ProtocolError("a protocol needs an electrode model (kinetics and a smoothed-boundary domain)")
    if outputs_per_step < 1:
        raise ProtocolError(f"outputs_per_step must be at least 1; got {outputs_per_step}")
    grid = stepper.integrator.grid
    dtype = state.X.dtype

    def amount(s):
        return float(grid.integrate(model.conserved(s)))

    records = []
    restart = jnp.asarray(state.dt if dt_restart is None else dt_restart, dtype)
    state = owned_copy(state)
    for index, step in enumerate(steps):
        st = replace(stepper, integrator=replace(stepper.integrator, model=step.on(model, dtype)))
        state = replace(state, dt=jnp.minimum(state.dt, restart))
        t0, U0 = float(state.t), amount(state)
        acc = rej = 0
        reason = "duration"
        for t_out in t0 + step.duration * np.arange(1, outputs_per_step + 1) / outputs_per_step:
            state, stats = advance_to(st, state, float(t_out), max_steps_per_output, donate=True)
            acc += int(stats.accepted)
            rej += int(stats.rejected)
            if callback is not None:
                callback(state, stats, index)
            if float(state.t) < t_out * (1 - 1e-12) - 1e-300:
                reason = "cutoff"
                break
        rec = StepRecord(index, step.name or step.kind, step.kind, t0, float(state.t), reason, acc, rej,
                         U0, amount(state))
        records.append(rec)
        if on_step is not None:
            on_step(rec)
    return state, records


__all__ = ["KINDS", "ProtocolError", "ProtocolStep", "StepRecord", "cycling", "gitt", "run_protocol"]
