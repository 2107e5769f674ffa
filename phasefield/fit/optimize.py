"""The optimiser loop: Adam or L-BFGS on the unconstrained variables ``u``, with stopping rules
and periodic re-fixing of the adaptive step schedule.

Minimises ``L(u) = 1/2 sum r(u)^2`` (``loss.FitProblem``). Each evaluation is one compiled
reverse-mode pass (``FitProblem.value_and_grad``).

- ``adam``: ``optax.adam(learning_rate)`` (Kingma & Ba 2015); the step is in units of ``u``
  (a relative change for log-transformed parameters), default 0.05.
- ``lbfgs``: the two-loop L-BFGS direction of ``optax.scale_by_lbfgs`` (Nocedal & Wright 2006,
  Alg. 7.4; memory 10) with a backtracking Armijo line search on the host,
  ``L(u + a d) <= L(u) + 1e-4 a g.d``, starting at ``a = learning_rate`` (default 1) and
  halving up to 30 times. Trial points whose replay is non-finite count as failures.

The loss is that of a fixed step schedule (``loss.fix_schedule``); re-fixing it at the current
``u`` changes the loss slightly (the accepted steps of the adaptive controller move with the
parameters, a discontinuous dependence). So the schedule is re-fixed every ``refix_every``
accepted iterations, and convergence is declared only when a re-fix at the converged point
changes the loss by at most ``refix_rtol`` of itself (otherwise the fit continues on the new
schedule; after five such re-fixes it stops with ``schedule``). The L-BFGS memory is reset at
every re-fix. The reported final loss and gradient are those of the adaptive run at the final
parameters.

Stopping rules (``stop_reason`` names the one that ended the fit): ``gtol``:
``max |dL/du| <= gtol``; ``ftol``: an accepted iteration lowers the loss by at most
``ftol L``; ``max_iterations``; ``line_search``: no step along the L-BFGS direction lowers the
loss on a freshly fixed schedule; ``schedule`` (above).
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Callable, Optional

import jax
import jax.numpy as jnp
import numpy as np
import optax

from phasefield.fit.params import physical
from phasefield.run import SimulationError

OPTIMIZERS = ("lbfgs", "adam")
DEFAULT_LEARNING_RATE = {"adam": 0.05, "lbfgs": 1.0}


@dataclasses.dataclass(frozen=True)
class Options:
    """Optimiser settings (see the module docstring for the meaning of each)."""

    optimizer: str = "lbfgs"
    max_iterations: int = 50
    learning_rate: Optional[float] = None
    gtol: float = 1e-6
    ftol: float = 1e-10
    refix_every: int = 5
    refix_rtol: float = 1e-3

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")

    @property
    def rate(self) -> float:
        return self.learning_rate if self.learning_rate is not None else DEFAULT_LEARNING_RATE[self.optimizer]


@dataclasses.dataclass(frozen=True)
class Iterate:
    """One accepted iterate: loss, gradient norm (max |dL/du|), u, physical values p,
    schedule length, cumulative loss evaluations and wall time (s)."""

    iteration: int
    loss: float
    grad_max: float
    u: np.ndarray
    p: np.ndarray
    n_steps: int
    evaluations: int
    wall_s: float


@dataclasses.dataclass
class FitResult:
    u: np.ndarray
    history: list
    schedule: object
    stop_reason: str
    evaluations: int


class _Evaluator:
    def __init__(self, problem):
        self.problem, self.count = problem, 0

    def __call__(self, u, sched):
        self.count += 1
        L, g = self.problem.value_and_grad(jnp.asarray(u), sched)
        return float(L), np.asarray(g, dtype=float)


def optimize(problem, options: Options, callback: Optional[Callable] = None, u0=None) -> FitResult:
    """Minimise ``problem``'s loss from ``u0`` (default: the parameters' initial values).

    ``callback(Iterate)`` is called after the start and every accepted iteration (output,
    progress). Raises ``SimulationError`` when the loss is non-finite at the start."""
    evaluate = _Evaluator(problem)
    start = time.perf_counter()
    u = np.asarray(problem.u0 if u0 is None else u0, dtype=float)
    sched = problem.schedule(u)
    L, g = evaluate(u, sched)
    if not (math.isfinite(L) and np.all(np.isfinite(g))):
        raise SimulationError(f"the fit loss is not finite at the initial parameters (L={L}); "
                              f"check the initial values and the targets")
    history = []

    def record(it, replace_last=False):
        p = np.asarray(physical(problem.params, jnp.asarray(u))) if len(u) else np.zeros(0)
        item = Iterate(it, L, float(np.max(np.abs(g))) if g.size else 0.0, u.copy(), p, sched.n_steps,
                       evaluate.count, time.perf_counter() - start)
        if replace_last:
            history[-1] = item
        else:
            history.append(item)
        if callback is not None:
            callback(item)

    record(0)
    if options.optimizer == "adam":
        transform = optax.adam(options.rate)
    else:
        transform = optax.scale_by_lbfgs(memory_size=10)
    # optax mixes int32 and int64 counters; allow that promotion inside its updates only
    promotion = jax.numpy_dtype_promotion("standard")
    with promotion:
        opt_state = transform.init(jnp.asarray(u))
    reason, decrease, since_fix, refixes_at_end = "max_iterations", None, 0, 0

    def converged():
        if g.size == 0 or np.max(np.abs(g)) <= options.gtol:
            return "gtol"
        if decrease is not None and 0 <= decrease <= options.ftol * max(abs(L), 1e-300):
            return "ftol"
        return None

    def refix():
        nonlocal sched, L, g, decrease, since_fix, opt_state
        sched = problem.schedule(u)
        L, g = evaluate(u, sched)
        decrease, since_fix = None, 0
        with promotion:
            opt_state = transform.init(jnp.asarray(u))  # the loss changed: drop curvature pairs
        record(history[-1].iteration, replace_last=True)

    for it in range(1, options.max_iterations + 1):
        done = converged()
        if done:
            if since_fix == 0:
                reason = done
                break
            before = L
            refix()
            refixes_at_end += 1
            if abs(L - before) <= options.refix_rtol * max(abs(before), 1e-300) or converged() == "gtol":
                reason = done
                break
            if refixes_at_end > 5:
                reason = "schedule"
                break
        if options.optimizer == "adam":
            with promotion:
                step, opt_state = transform.update(jnp.asarray(g), opt_state, jnp.asarray(u))
            u_new = u + np.asarray(step)
            L_new, g_new = evaluate(u_new, sched)
            if not (math.isfinite(L_new) and np.all(np.isfinite(g_new))):
                raise SimulationError(f"the fit loss became non-finite at iteration {it}; "
                                      f"lower fit.learning_rate (now {options.rate:g})")
        else:
            with promotion:
                d, new_state = transform.update(jnp.asarray(g), opt_state, jnp.asarray(u))
            direction = -np.asarray(d)
            slope = float(g @ direction)
            if not slope < 0:  # not a descent direction: restart from steepest descent
                with promotion:
                    new_state = transform.init(jnp.asarray(u))
                direction, slope = -g / max(np.max(np.abs(g)), 1e-300), -float(g @ g) / max(np.max(np.abs(g)), 1e-300)
            opt_state = new_state
            a, accepted = options.rate, False
            for _ in range(30):
                u_new = u + a * direction
                L_new, g_new = evaluate(u_new, sched)
                if math.isfinite(L_new) and np.all(np.isfinite(g_new)) and L_new <= L + 1e-4 * a * slope:
                    accepted = True
                    break
                a *= 0.5
            if not accepted:
                if since_fix == 0:
                    reason = "line_search"
                    break
                refix()
                continue
        decrease = L - L_new
        u, L, g = u_new, L_new, g_new
        since_fix += 1
        record(it)
        if since_fix >= options.refix_every and not converged():
            refix()
    else:
        if since_fix:
            refix()
    return FitResult(u, history, sched, reason, evaluate.count)
