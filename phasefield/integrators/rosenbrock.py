"""Linearly implicit two-stage Rosenbrock step (ROS2) for stiff, strongly varying mobility.

ROS2 (Verwer, Spee, Blom & Hundsdorfer, SIAM J. Sci. Comput. 20, 1456 (1999), Eq. 2.2 with
gamma = 1 + 1/sqrt(2)): for ``du/dt = F(t, u)`` and an approximate Jacobian ``J``,

    W = I - gamma dt J
    W k1 = F(t_n, u_n)
    W k2 = F(t_n + dt, u_n + dt k1) - 2 k1
    u_{n+1} = u_n + dt (3/2 k1 + 1/2 k2)

It is second order for *any* ``J`` (a W-method) and L-stable when ``J`` is exact, so stiff
modes relax in one step instead of limiting it. The embedded first-order solution
``u_n + dt k1`` gives the local error estimate ``e = dt/2 max |k1 + k2|``; with a
smoothed-boundary weight psi the X part is ``dt/2 max psi |k1 + k2|``, the error in the Li
content of a cell (as for the semi-implicit step), so the thin outer rim of a particle, where
psi ~ 0.01 and little Li changes X a lot, does not set the step.

Why it exists: in Li-Al the chemical diffusivity of beta (``M f''`` with ``f'' ~ 3e6 J/mol``
on the narrow beta branch, ~3e3 um^2/s) is ~1e14 times that of alpha. The stabilised Fourier
step must use one ``A = max M`` and ``S = max f''/2`` everywhere, which slows every mode of
the alpha and interface regions by up to ``A S / (M f'')`` (1e4-1e5 at the interface) and
lets its error estimate ask for steps of ~1e-4 s. Here the implicit operator carries the
local mobility and curvature, so large steps stay accurate (tests/test_rosenbrock.py).

Jacobian used for X (``psi`` = smoothed-boundary weight, 1 without a domain):

    J v = (1/psi) [ div( psi M(X_n) grad (H v) ) + dj/dmu [H v] ],
    H v = d mu/dX [v] + max(-f''(X_n), 0) v

``d mu/dX [v]`` is a Jacobian-vector product of the autodiff chemical potential (it carries
``f''`` and the gradient term ``-(kappa/psi) div(psi grad v)``); adding back the concave part
of ``f''`` makes ``H`` positive definite, so ``W`` has eigenvalues >= 1 (``J`` is the product
of two operators that are symmetric positive semi-definite in the psi-weighted inner
product). ``dj/dmu`` is the linearised electrochemical surface flux (Butler-Volmer at the
potential solved for the whole electrode, so it is non-local under galvanostatic control); it
only drains or feeds the surface, but explicit it limits the step once phases of different
equilibrium potential share the surface. The mobility's own dependence on X is left out
(allowed by the W-method).
For grain order parameters ``J`` is the Allen-Cahn stabiliser ``-L (S_eta + kappa_eta lam)``,
inverted exactly in the Laplacian eigenbasis.

The X systems are solved by GMRES (``phasefield.integrators.krylov``) with a right
preconditioner that blends, cell by cell, the identity (cells whose explicit stiffness
``s = gamma dt M (f''_+ + kappa lam_max) lam_max`` is small: the operator is ~I there) and the
constant-coefficient spectral inverse with ``A = max M``, ``S = max f''_+`` (stiff cells):
``P v = (1 - w) v + w T^-1[T[v] / (1 + gamma dt A (S lam + kappa lam^2))]``,
``w = s / (1 + s)``. A step whose solve does not converge gets ``e = inf`` and is rejected by
the adaptive controller. Each stage is corrected so that the psi-weighted sum of its
residual vanishes (with a domain the correction is spread over the cells in proportion to
X (1 - X), so a cell emptied of Li is not pushed below X = 0 by solver round-off); transport
sums to zero and a galvanostatic current is fixed, so there ``sum psi k`` equals
``sum psi F`` and Li is conserved to round-off whatever the solver tolerance (under
potentiostatic control the correction only fixes the residual).
With ``nonnegative=True`` (an energy that diverges at X = 0, such as the dilute alpha's
``R T ln X``) a step that leaves cells below X = 0 is projected back: each such cell keeps
``FLOOR_SHARE`` (a tenth) of the content it had (it stays > 0 and its ``ln X`` finite, as a
cell drained at a finite rate does), the Li this adds is taken from the active cells in
proportion to ``X (1 - X)`` (as for the stage correction), so the psi-weighted Li content is
unchanged to round-off, and the psi-weighted amount added joins the error estimate, so the
projection never moves a cell by more than the step's error tolerance. (Setting such cells
to exactly 0 instead put the electrode potential, which the drained contact cells set, into
70 mV step-to-step oscillations.) Such dips come from cells already emptied
(X ~ 1e-14 at a delithiated surface or in an alpha layer): the GMRES residual (relative
1e-7) alone moves them by more than their content, and without the projection every such
step is rejected and dt collapses to ~1e-7 s (benchmarks/results/network_reversibility.md).
Solves go through ``lax.custom_linear_solve``, so ``jax.grad``
through fixed-step runs uses implicit differentiation (a transposed GMRES solve).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax

from phasefield._pytree import pytree, replace, static
from phasefield.grid import Grid
from phasefield.integrators.krylov import gmres

GAMMA = 1.0 + 1.0 / math.sqrt(2.0)
FLOOR_SHARE = 0.1  # a cell a step would take below X = 0 keeps this share of its content


def preconditioned_solve(W, P, Pt, b, rtol, restart, max_cycles):
    """``(k, converged)`` with ``W k = b`` by right-preconditioned GMRES (``P``; ``Pt`` its
    transpose, for the transposed solve that ``jax.grad`` uses through
    ``lax.custom_linear_solve``)."""
    kw = dict(rtol=rtol, restart=restart, max_cycles=max_cycles)

    def solve(matvec, rhs):
        x, info = gmres(matvec, rhs, P, **kw)
        return x, info.converged

    def transpose_solve(vecmat, rhs):
        x, info = gmres(vecmat, rhs, Pt, **kw)
        return x, info.converged

    return lax.custom_linear_solve(W, b, solve, transpose_solve, has_aux=True)


def checked_solve(W, P, Pt, b, rtol, restart, max_cycles):
    """``(k, (converged, residual))`` with ``W k = b`` where ``P`` is meant to be the exact
    inverse of ``W`` (a direct solve): ``k = P b``, accepted if its residual ``b - W k`` is
    within ``rtol ||b||``, else refined by GMRES from there (``preconditioned_solve``'s
    settings). One application of ``P`` and one of ``W`` when the check passes, instead of the
    three of each that a GMRES cycle needs even when it converges at once."""
    kw = dict(rtol=rtol, restart=restart, max_cycles=max_cycles)

    def make(P):
        def solve(matvec, rhs):
            x = P(rhs)
            r = rhs - matvec(x)
            ok = jnp.sqrt(jnp.vdot(r, r)) <= rtol * jnp.sqrt(jnp.vdot(rhs, rhs))

            def refine(x):
                x, info = gmres(matvec, rhs, P, x0=x, **kw)
                return x, info.converged, rhs - matvec(x)

            return lax.cond(ok, lambda x: (x, ok, r), refine, x)

        return solve

    solve, transpose_solve = make(P), make(Pt)
    return lax.custom_linear_solve(W, b, lambda mv, rhs: _split(solve(mv, rhs)),
                                   lambda vm, rhs: _split(transpose_solve(vm, rhs)), has_aux=True)


def _split(out):
    x, converged, residual = out
    return x, (converged, residual)


def conservation_correction(model, residual, X):
    """The correction that removes the psi-weighted sum of a stage's ``residual``.

    Transport sums to zero and a galvanostatic current is fixed, so ``sum psi W(c) = sum psi
    c`` and the corrected stage carries exactly ``sum psi b`` (Li conserved whatever the
    solver tolerance). Without a domain c is a constant; with one it is spread over the
    active cells in proportion to ``X (1 - X)``, so that a cell emptied of Li (X ~ 1e-12 at a
    delithiated surface) is not pushed below X = 0 by it; cells a domain has cut off stay
    frozen."""
    if model.psi is None:
        return jnp.mean(residual)
    room = _room(model, X) + 1e-30 * model.active  # 1e-30: never all zero
    return room * jnp.sum(model.psi * model.active * residual) / jnp.sum(model.psi * room)


def project_nonnegative(model, X, X_old):
    """``(X', dip)``: X with every cell held at no less than ``FLOOR_SHARE`` of its old
    content where it went below zero, and the Li this adds taken back in proportion to
    ``X (1 - X)`` (module docstring); ``dip`` is the psi-weighted amount each cell was
    raised by. A dip deeper than half the room is left to the error check."""
    psi = 1.0 if model.psi is None else model.psi
    active = 1.0 if model.active is None else model.active
    floor = FLOOR_SHARE * jnp.maximum(X_old, 0.0)
    raise_by = active * jnp.where(X < 0.0, floor - X, 0.0)
    lifted = X + raise_by
    room = _room(model, lifted)
    added, total = jnp.sum(psi * raise_by), jnp.sum(psi * room)
    lifted = lifted - room * added / jnp.maximum(total, 1e-300)
    return jnp.where(added <= 0.5 * total, lifted, X), psi * raise_by


def _room(model, X):
    """``X (1 - X)`` in the active cells: where Li can be taken from or put without leaving
    [0, 1] (the share of a conservative correction each cell carries)."""
    active = 1.0 if model.active is None else model.active
    return active * jnp.clip(X * (1.0 - X), 0.0, 0.25)


@pytree
class Rosenbrock2:
    """``step_with_error(state, dt) -> (state, e)`` for a ``PhaseFieldModel``.

    Attributes:
        model: the model (energy, mobility, optional domain and electrochemical flux).
        grid: the grid.
        rtol: relative residual at which a GMRES solve counts as converged.
        restart: GMRES basis size per cycle (memory: ``restart + 1`` fields).
        max_cycles: GMRES restarts before the solve counts as failed.
    """

    model: object
    grid: Grid = static()
    rtol: float = static(1e-7)
    restart: int = static(100)
    max_cycles: int = static(2)
    error_norm: str = static("max")
    nonnegative: bool = static(False)

    # -- X -------------------------------------------------------------------------------
    def _mu_of_X(self, state):
        return lambda X: self.model.driving_forces(replace(state, X=X), self.grid)[0]

    def _x_system(self, state, dt):
        """``(W, P, Pt)``: the stage operator for X, its preconditioner and the transpose."""
        model, grid = self.model, self.grid
        mu_of_X = self._mu_of_X(state)
        mu_n, hess = jax.linearize(mu_of_X, state.X)
        curvature = hess(jnp.ones_like(state.X))  # f''(X_n): the gradient term of a constant vanishes
        concave = jnp.maximum(-curvature, 0.0)
        psi = model.psi
        c = GAMMA * dt
        if model.kinetics is not None:
            # the electrochemical flux depends on X through the surface potentials: linearise it
            # too (it damps uneven filling of the surface, and explicit it limits dt)
            _, flux = jax.linearize(lambda mu: model.electrochemical_source(state, grid, mu), mu_n)
        else:
            flux = None

        def W(v):
            dmu = hess(v) + concave * v
            r = model.conserved_rate(state, dmu, grid)
            if flux is not None:
                r = r + flux(dmu)
            return v - c * (r if psi is None else r / psi)

        lam = grid.laplacian_eigenvalues(dtype=state.X.dtype)
        lam_max = jnp.max(lam)
        kappa = model.energy.kappa
        M = jnp.exp(model.log_mobility(state))
        convex = jnp.maximum(curvature, 0.0)
        multiplier = 1.0 / (1.0 + c * jnp.max(M) * (jnp.max(convex) * lam + kappa * lam**2))
        stiffness = c * M * (convex + kappa * lam_max) * lam_max
        w = stiffness / (1.0 + stiffness)

        def P(v):
            return (1.0 - w) * v + w * grid.filter(v, multiplier)

        def Pt(v):  # the spectral filter is symmetric
            return (1.0 - w) * v + grid.filter(w * v, multiplier)

        return W, P, Pt

    def _solve_x(self, system, b, X):
        W, P, Pt = system
        k, converged = preconditioned_solve(W, P, Pt, b, self.rtol, self.restart, self.max_cycles)
        return k + conservation_correction(self.model, b - W(k), X), converged

    # -- eta -----------------------------------------------------------------------------
    def _eta_solver(self, state, dt):
        lam = self.grid.laplacian_eigenvalues(dtype=state.X.dtype)
        _, symbol = self.model.symbols(state, self.grid, lam)
        multiplier = 1.0 / (1.0 - GAMMA * dt * symbol)
        return lambda b: self.grid.filter(b, multiplier)

    def _norm(self, e):
        """Max norm, or the root mean square over the active cells (``error_norm="rms"``)."""
        if self.error_norm == "max":
            return jnp.max(e)
        if self.error_norm != "rms":
            raise ValueError(f"error_norm must be 'max' or 'rms'; got {self.error_norm!r}")
        active = self.model.active
        if active is None:
            return jnp.sqrt(jnp.mean(e**2))
        axes = tuple(range(e.ndim - active.ndim, e.ndim))
        return jnp.sqrt(jnp.max(jnp.sum(active * e**2, axis=axes)) / jnp.sum(active))

    # -- step ----------------------------------------------------------------------------
    def step_with_error(self, state, dt):
        """One ROS2 step and its local error estimate (``inf`` if a linear solve failed)."""
        model = self.model
        ok = jnp.asarray(True)
        FX0, Feta0 = model.rates(state, self.grid)
        if model.evolves_X:
            sys_X = self._x_system(state, dt)
            kX1, c1 = self._solve_x(sys_X, FX0, state.X)
            ok = ok & c1
        if model.evolves_eta:
            solve_eta = self._eta_solver(state, dt)
            keta1 = solve_eta(Feta0)
        mid = replace(
            state,
            X=state.X + dt * kX1 if model.evolves_X else state.X,
            eta=state.eta + dt * keta1 if model.evolves_eta else state.eta,
            t=state.t + dt,
        )
        FX1, Feta1 = model.rates(mid, self.grid)
        X, eta = state.X, state.eta
        err = jnp.asarray(0.0, state.X.dtype)
        if model.evolves_X:
            kX2, c2 = self._solve_x(sys_X, FX1 - 2.0 * kX1, state.X)
            ok = ok & c2
            X = state.X + dt * (1.5 * kX1 + 0.5 * kX2)
            psi = model.psi
            eX = jnp.abs(kX1 + kX2) if psi is None else psi * jnp.abs(kX1 + kX2)
            err = jnp.maximum(err, 0.5 * dt * self._norm(eX))
            if self.nonnegative:
                X, dip = project_nonnegative(model, X, state.X)
                err = jnp.maximum(err, jnp.max(dip))
        if model.evolves_eta:
            keta2 = solve_eta(Feta1 - 2.0 * keta1)
            eta = state.eta + dt * (1.5 * keta1 + 0.5 * keta2)
            err = jnp.maximum(err, 0.5 * dt * self._norm(jnp.abs(keta1 + keta2)))
        err = jnp.where(ok, err, jnp.inf)
        return state.advanced(X, eta, dt), err

    def step(self, state, dt):
        return self.step_with_error(state, dt)[0]


__all__ = ["Rosenbrock2", "FLOOR_SHARE", "GAMMA", "checked_solve", "conservation_correction", "preconditioned_solve",
           "project_nonnegative"]
