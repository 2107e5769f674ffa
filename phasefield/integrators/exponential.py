"""Second-order exponential time differencing (ETDRK2; Cox & Matthews, J. Comput. Phys. 176,
430 (2002), their eq. (22)) with an embedded first-order error estimate, for models whose
kinetic operators have constant coefficients.

Each evolving field u (X or eta) obeys ``du/dt = r(u) = L u + N(u)``, where ``r`` is the
model's full rate (``div(M grad mu) + s`` or ``-L dF/deta + s``) and ``L`` its linear
stabilising operator (``symbols``: diagonal in the Laplacian eigenbasis T, <= 0, e.g.
``-M lam (S + kappa lam)`` for Cahn-Hilliard), so ``N = r - L u`` holds the nonlinear remainder.
With ``z = dt L`` and ``phi1(z) = (e^z - 1)/z``, ``phi2(z) = (e^z - 1 - z)/z^2``:

    a       = u^n + dt phi1(z) r(u^n)                              (exponential Euler, ETD1)
    u^{n+1} = a + dt phi2(z) [r(a) - r(u^n) - L (a - u^n)]          (ETDRK2)

both applied as multipliers in T space (``Grid.forward`` / ``Grid.inverse``). The Cahn-Hilliard
rate is formed in T space, ``T[r_X] = -M lam (T[f'(X)] + kappa lam T[X])``
(``PhaseFieldModel.transformed_conserved_rate``; the finite-volume Laplacian is diagonal there),
and the stage is kept in T space, so a step costs five transforms and two evaluations of
``f'`` and no stencils. The linear part is integrated exactly, so the stiff biharmonic modes
need no step restriction; the nonlinear part is second order. The zero mode has
``phi1 = 1, phi2 = 1/2`` and the rate of a conserved field has zero
mean, so the mean of X changes only by round-off (and by the sources' integral).

Error estimate: ``e = max |u^{n+1} - a|``, the difference between the embedded first-order
(ETD1) and the second-order solution: the local error of ETD1, O(dt^2) while all modes are
resolved (``|z| < 1``), which is what the adaptive controller's ``(tol/e)^(1/2)`` assumes. In
modes with ``|z| >> 1`` it grows more slowly with dt (``dt phi2(z) -> 1/|L|``; measured
slopes 1.4 and 0.7 on PFHub-1-type states, tests/test_exponential.py), so at loose
tolerances the controller can take steps longer than the accuracy allows (PFHub 1a at
error_tol 1e-2: 31 steps to t = 1000, F(100) and F(1000) 2.2 and 2.8 times the
reference), and a ``dt_max`` is the reliable limit for slow, path-dependent quantities
(PFHub 1a's F(1000): benchmarks/results/fipy_speed.md). The second-order solution is propagated (local
extrapolation).

Cached multipliers: ``with_step(dt, state)`` returns a copy holding phi1 and phi2 of one step
size; a step of exactly that size reuses them (``lax.cond`` on ``dt == dt_cached``) instead of
evaluating ``expm1`` and the series on every mode. Fixed-step runs, and adaptive runs whose
steps sit at ``dt_max``, then pay only for the transforms and the rates.

Applies only where the Cahn-Hilliard operator commutes with T (``model.constant_kinetics``:
constant mobility, no smoothed-boundary domain); variable-mobility Li-Al problems use the
ROS2 step (``phasefield.integrators.rosenbrock``).
"""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax import lax

from phasefield._pytree import pytree, replace, static
from phasefield.grid import Grid

_SMALL = 0.1  # below |z| = 0.1 the phi functions are summed as series (cancellation otherwise)


def phi_functions(z):
    """``(phi1(z), phi2(z))`` for real ``z <= 0``, accurate to a few 1e-15 relative:
    ``phi1 = expm1(z) / z`` (1 at z = 0), ``phi2 = (phi1 - 1) / z`` for ``|z| >= 0.1`` and its
    Taylor series ``sum_j z^j / (j + 2)!`` to j = 9 (Horner) below, where the difference cancels."""
    zero = z == 0
    phi1 = jnp.where(zero, 1.0, jnp.expm1(z) / jnp.where(zero, 1.0, z))
    small = jnp.abs(z) < _SMALL
    zs = jnp.where(small, z, 0.0)
    series = jnp.zeros_like(z)
    for j in range(9, -1, -1):
        series = series * zs + 1.0 / math.factorial(j + 2)
    return phi1, jnp.where(small, series, (phi1 - 1.0) / jnp.where(small, 1.0, z))


def _multipliers(symbols, dt):
    """``(phi1, phi2)`` of ``dt * s`` per field symbol (None for frozen fields)."""
    return tuple(None if s is None else phi_functions(dt * s) for s in symbols)


@pytree
class ExponentialRK2:
    """``step(state, dt) -> state`` and ``step_with_error`` (module docstring).

    ``dt_cached`` and ``phis_cached`` are set by ``with_step`` (None otherwise)."""

    model: object
    grid: Grid = static()
    dt_cached: object = None
    phis_cached: object = None

    def _check(self):
        if self.model.evolves_X and (not self.model.constant_kinetics or self.model.kinetics is not None):
            raise ValueError("ExponentialRK2 needs a constant-coefficient Cahn-Hilliard operator (constant "
                             "mobility, no smoothed-boundary domain); use Rosenbrock2 for variable mobility")

    def _symbols(self, state):
        lam = self.grid.laplacian_eigenvalues(dtype=state.X.dtype)
        return self.model.symbols(state, self.grid, lam)

    def with_step(self, dt, state) -> "ExponentialRK2":
        """A copy that holds ``(phi1, phi2)`` of ``dt * L`` for every evolving field; ``state``
        gives the shapes and dtype (the symbols of a constant-coefficient model do not depend
        on its values)."""
        self._check()
        dt = jnp.asarray(dt, state.X.dtype)
        return replace(self, dt_cached=dt, phis_cached=_multipliers(self._symbols(state), dt))

    def _phis(self, symbols, dt):
        if self.phis_cached is None:
            return _multipliers(symbols, dt)
        return lax.cond(dt == self.dt_cached, lambda: self.phis_cached, lambda: _multipliers(symbols, dt))

    def _transformed_rates(self, state, X_hat, lam):
        """``(T[r_X], T[r_eta])`` at ``state`` (None for frozen fields); X's from the model's
        stencil-free transformed rate, given ``X_hat = T[X]``."""
        m, grid = self.model, self.grid
        s_X, s_eta = m.sources(state, grid, None)  # no electrochemistry without a domain
        r_X = r_eta = None
        if m.evolves_X:
            r_X = m.transformed_conserved_rate(state.X, X_hat, grid, lam)
            r_X = r_X if s_X is None else r_X + grid.forward(s_X)
        if m.evolves_eta:
            r = m.nonconserved_rate(state, m.driving_forces(state, grid)[1])
            r_eta = grid.forward(r if s_eta is None else r + s_eta)
        return r_X, r_eta

    def step_with_error(self, state, dt):
        """One ETDRK2 step and the max-norm difference to its embedded ETD1 step."""
        self._check()
        grid = self.grid
        lam = grid.laplacian_eigenvalues(dtype=state.X.dtype)
        symbols = self.model.symbols(state, grid, lam)
        p_X, p_eta = self._phis(symbols, dt)
        X_hat = grid.forward(state.X) if self.model.evolves_X else None
        r0_X, r0_eta = self._transformed_rates(state, X_hat, lam)

        def cast(v, like):
            return v.astype(like.dtype)

        # exponential Euler stage a (X kept in T space too: the second rate needs T[a])
        a_hat = a_X = a_eta = None
        if r0_X is not None:
            a_hat = X_hat + cast(dt * p_X[0], r0_X) * r0_X
            a_X = grid.inverse(a_hat)
        if r0_eta is not None:
            a_eta = state.eta + grid.inverse(cast(dt * p_eta[0], r0_eta) * r0_eta)
        a = replace(state, X=state.X if a_X is None else a_X, eta=state.eta if a_eta is None else a_eta,
                    t=state.t + dt)
        r1_X, r1_eta = self._transformed_rates(a, a_hat, lam)

        # u^{n+1} = a + dt phi2 [r(a) - r(u) - L (a - u)], with a - u = dt phi1 r(u), i.e. in T
        # space dt phi2 [r(a)^ - e^z r(u)^]  (1 + z phi1 = e^z)
        def correction(r0, r1, s, p):
            growth = cast(1.0 + dt * s * p[0], r0)
            return cast(dt * p[1], r0) * (r1 - growth * r0)

        X, eta, err = state.X, state.eta, jnp.asarray(0.0, state.X.dtype)
        if r0_X is not None:
            X = grid.inverse(a_hat + correction(r0_X, r1_X, symbols[0], p_X))
            err = jnp.maximum(err, jnp.max(jnp.abs(X - a_X)))
        if r0_eta is not None:
            c = grid.inverse(correction(r0_eta, r1_eta, symbols[1], p_eta))
            eta = a_eta + c
            err = jnp.maximum(err, jnp.max(jnp.abs(c)))
        return state.advanced(X, eta, dt), err

    def step(self, state, dt):
        return self.step_with_error(state, dt)[0]


__all__ = ["ExponentialRK2", "phi_functions"]
