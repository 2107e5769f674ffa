"""Optimisers, stopping rules and Gauss-Newton uncertainties on problems with known answers
(no simulation; milliseconds).

- Linear least squares ``r = A u - d``: L-BFGS and Adam reach the normal-equation solution
  (L-BFGS to 1e-8, stopping by gtol; Adam to 1e-4), and the Gauss-Newton covariance equals the
  textbook ``s^2 (A^T A)^-1`` with ``s^2 = |r|^2 / (n - p)``.
- Through a log transform the physical sigma is ``p sigma_u`` (delta method), and the identity
  transform with ``scale`` multiplies it by the scale.
- The nonlinear Rosenbrock residuals ``(10 (u2 - u1^2), 1 - u1)``: L-BFGS reaches (1, 1).
- A schedule that changes with u (a stub re-fix that shifts the data) is re-fixed every
  ``refix_every`` iterations and the fit ends on a fresh schedule.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from phasefield.fit.optimize import Options, optimize
from phasefield.fit.params import Parameter
from phasefield.fit.uncertainty import gauss_newton


class Stub:
    """The part of ``FitProblem`` that ``optimize`` uses, for residuals ``res(u, sched)``."""

    def __init__(self, res, params, schedule=lambda u: 0):
        self.res, self.params, self._schedule, self.fixes = res, params, schedule, 0
        self._vg = jax.jit(jax.value_and_grad(lambda u, s: 0.5 * jnp.sum(res(u, s) ** 2)))

    @property
    def u0(self):
        return jnp.asarray([p.to_unconstrained(p.initial) for p in self.params])

    def schedule(self, u):
        self.fixes += 1
        return _Sched(self._schedule(u))

    def value_and_grad(self, u, sched):
        return self._vg(u, sched.value)


class _Sched:
    def __init__(self, value):
        self.value, self.n_steps = value, 1


RNG = np.random.default_rng(4)
A = RNG.standard_normal((30, 3))
D = A @ np.array([0.3, -1.2, 2.0]) + 0.01 * RNG.standard_normal(30)
EXACT = np.linalg.lstsq(A, D, rcond=None)[0]


def _linear_params():
    return [Parameter(f"u{i}", "identity", 0.0) for i in range(3)]


@pytest.mark.parametrize("optimizer, tol", [("lbfgs", 1e-8), ("adam", 1e-4)])
def test_optimisers_reach_the_least_squares_solution(optimizer, tol):
    stub = Stub(lambda u, s: jnp.asarray(A) @ u - jnp.asarray(D), _linear_params())
    opts = Options(optimizer, max_iterations=3000 if optimizer == "adam" else 100, gtol=1e-10, ftol=0.0,
                   learning_rate=0.02 if optimizer == "adam" else None, refix_every=10_000)
    result = optimize(stub, opts)
    np.testing.assert_allclose(result.u, EXACT, rtol=0, atol=tol)
    if optimizer == "lbfgs":
        assert result.stop_reason == "gtol" and len(result.history) < 30
    losses = [h.loss for h in result.history]
    assert losses[-1] < 1e-3 * losses[0]


def test_gauss_newton_covariance_is_the_linear_regression_covariance():
    r = A @ EXACT - D
    unc = gauss_newton(_linear_params(), EXACT, A, r)
    s2 = r @ r / (30 - 3)
    np.testing.assert_allclose(unc.cov_p, s2 * np.linalg.inv(A.T @ A), rtol=1e-10)
    assert unc.dof == 27 and unc.s2 == pytest.approx(s2, rel=1e-12)
    np.testing.assert_allclose(np.diag(unc.corr), 1.0, rtol=1e-12)
    # through transforms: log -> p sigma_u; identity with scale -> scale sigma_u
    params = [Parameter("a", "log", 2.0), Parameter("b", "identity", 1.0, scale=3.0), Parameter("c", "identity", 0.0)]
    u = np.array([np.log(2.0), 0.0, 0.0])
    unc2 = gauss_newton(params, u, A, r)
    np.testing.assert_allclose(unc2.sigma_p, unc.sigma_u * np.array([2.0, 3.0, 1.0]), rtol=1e-10)
    # logit: dp/du = (hi - lo) q (1 - q)
    logit = [Parameter("q", "logit", 0.25, lower=0.0, upper=1.0)] + params[1:]
    unc3 = gauss_newton(logit, np.array([np.log(1 / 3), 0.0, 0.0]), A, r)
    assert unc3.sigma_p[0] == pytest.approx(0.25 * 0.75 * unc.sigma_u[0], rel=1e-10)


def test_lbfgs_solves_the_rosenbrock_residuals():
    stub = Stub(lambda u, s: jnp.stack([10.0 * (u[1] - u[0] ** 2), 1.0 - u[0]]),
                [Parameter("x", "identity", -1.2), Parameter("y", "identity", 1.0)])
    result = optimize(stub, Options("lbfgs", max_iterations=200, gtol=1e-9, ftol=0.0, refix_every=10_000))
    np.testing.assert_allclose(result.u, [1.0, 1.0], atol=1e-6)


def test_schedule_is_refixed_and_the_fit_ends_on_a_fresh_one():
    # the "schedule" is a data offset that depends on where it was fixed (as step sizes do)
    stub = Stub(lambda u, s: jnp.asarray(A) @ u - jnp.asarray(D) - s, _linear_params(),
                schedule=lambda u: 1e-6 * float(jnp.sum(u)))
    result = optimize(stub, Options("lbfgs", max_iterations=100, gtol=1e-9, ftol=1e-14, refix_every=3,
                                    refix_rtol=1e-6))
    assert stub.fixes >= 3
    last = result.history[-1]
    L_fresh, _ = stub.value_and_grad(jnp.asarray(result.u), stub.schedule(result.u))
    assert last.loss == pytest.approx(float(L_fresh), rel=1e-12)
    assert result.stop_reason in ("gtol", "ftol")
