"""ROS2 with one linear system for all fields: the stage solve of the two-phase model.

The step is ``Rosenbrock2``'s (Verwer, Spee, Blom & Hundsdorfer, SIAM J. Sci. Comput. 20,
1456 (1999), gamma = 1 + 1/sqrt(2)): for ``y = (X, phi)`` and ``dy/dt = F(y)``,

    W = I - gamma dt J,   W k1 = F(y_n),   W k2 = F(y_n + dt k1) - 2 k1,
    y_{n+1} = y_n + dt (3/2 k1 + 1/2 k2),   e = dt/2 max psi |k1 + k2| (or its rms, ``error_norm``).

Here ``J`` is the exact Jacobian of the whole right-hand side at ``y_n``, applied as a
Jacobian-vector product (``jax.linearize``): the mobility's dependence on X and phi, the
X-phi coupling blocks and the linearised Butler-Volmer flux (non-local under galvanostatic
control) are all in W. In the 1D front benchmark (benchmarks/results/two_phase_front.md)
dropping the coupling blocks, as ``Rosenbrock2`` does for X and eta, takes 3-8x more steps,
and freezing the mobility 1.5x more.

The system is solved by restarted GMRES with a right preconditioner that works in the
variables ``u = dX - X_phi dphi`` and ``dphi`` (``X_phi = h'(phi) (X_beta - X_alpha)``, the
Li a change of phase takes up at fixed mu): there the X-phi coupling of phi's row is the
local term ``gamma dt (L X_phi + ds_phi/dmu) u / chi`` (``chi = dX/dmu``; ``s_phi`` the
nucleation source, ``TwoPhaseModel.source_linearisation``). One block Gauss-Seidel sweep:
``u = P_X r_X``, ``dphi = P_phi (r_phi + gamma dt (L X_phi + ds_phi/dmu) u / chi)``,
``u = P_X (r_X - X_phi dphi)``, ``dX = u + X_phi dphi``. ``P_X`` is the cell-wise blend of ``Rosenbrock2`` with the
local chemical diffusivity ``D = M / chi`` in place of ``M f''`` (``P_X v = (1 - w) v + w
T^-1[T[v] / (1 + gamma dt D_max lam)]``, ``w = s/(1 + s)``, ``s = gamma dt D lam_max``);
``P_phi`` is cell-wise, ``1 / (1 + gamma dt (L (2 W + (1 - w) X_phi^2 / chi) + s_n))``: where X
is not stiff, eliminating u leaves phi's curvature at fixed X, up to ~30 W in a nucleating
cell, and ``s_n = -d s_phi/d phi`` is the nucleation source's own relaxation rate (``r``,
10 /s by default, in every cell driven past its overpotential: with ``L 2 W ~ 0.5 /s`` it is
the stiffest local term of phi). (On the 2D particle while beta nucleates, GMRES needs
41-177 iterations for dt = 0.025-8 s with the energy terms, 140-1000+ with the spectral
Allen-Cahn inverse in their place. On the 2D electrode deck, two-phase, x = 0, at t = 200 s
while beta grows in several particles: 69/142/289 iterations at dt = 0.1/0.8/3 s without the
source terms, 58/103/144 with them; at t = 30 s, 9/23/32 and 7/15/21.)
That sweep is built on a constant-coefficient inverse and fails where fast beta is cut into
islands by slow alpha: at the end of a prelithiated 2D electrode's delithiation it needed
58-298 iterations for dt = 0.05-1.6 s and did not converge in 800 at 6.4 s, which held the
steps at ~0.05 s. ``preconditioner="direct"`` instead inverts ``W`` exactly. Under
galvanostatic control the rate is ``F(y) = F_h(y, phi(y))`` with ``F_h`` the rate at a held
electrode potential phi and ``phi(y)`` the potential solved for the applied current, so

    W = W_h - gamma dt a g^T,   W_h = I - gamma dt dF_h/dy,   a = dF_h/dphi,   g = dphi/dy:

the local Jacobian ``dF_h/dy`` (potentiostatic control at the present potential) is probed
by colouring and factorised by block-tridiagonal LU
(``phasefield.integrators.block_tridiagonal``; the two-phase rate reaches only the cells
sharing a face, so 7 colours per field on a periodic 96 x 64 slab instead of 9), ``a`` is
one Jacobian-vector product and ``g`` one gradient, and the rank-one rest is inverted by
Sherman-Morrison (Golub & Van Loan, Matrix Computations, 4th ed., Sec. 2.1.4):

    W^-1 b = z + gamma dt (g . z) / (1 - gamma dt g . z_a) z_a,   z = W_h^-1 b,   z_a = W_h^-1 a.

Each stage is then one block solve, checked by its residual (``rosenbrock.checked_solve``:
GMRES takes over from there only where the residual is above the tolerance). Before, GMRES
added the rank-one coupling in two iterations at every dt, six block solves and eight
Jacobian-vector products per trial step against three and two now: a trial step on the
96 x 64 deck took 111.6 ms on one core, and 77-81 ms with Sherman-Morrison and the
face-neighbour colouring (same state at t = 180 s of a lithiation, dt = 3.7 s). It costs
a factorisation per trial step and ``2 n_a m^2`` memory, so it is for 2D grids (decks
choose it with ``"auto"``).
Each stage's X part is corrected so that it carries exactly the
psi-weighted sum of its right-hand side (``rosenbrock.conservation_correction``): Li is
conserved to round-off whatever the solver tolerance. A failed solve gives ``e = inf``.

A surface cell that delithiation empties is drained at a rate ~ X^(1/2) (Butler-Volmer with
alpha_a = 1/2 on the dilute alpha, whose V_eq carries RT ln X), and once that is stiff the
first stage overshoots: ``X_n + dt k1 -> -(2/gamma - 1) X_n``. Where it does, the rate of the
second stage is evaluated with the cell at ``FLOOR_SHARE`` of its content, and the step
projects any cell left below zero back as ``Rosenbrock2`` does (``project_nonnegative``: the Li
added is taken from the active cells in proportion to ``X (1 - X)`` and joins the error
estimate). Without this, at the end of the 96 x 64 electrode's delithiation every surface
cell was nearly empty (X ~ 1e-17), the stage took one negative, the solved potential went to
~8 V, and the step size collapsed at 1.493 V, 7 mV short of the 1.5 V cut-off, for every dt
down to 1e-15 s.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from phasefield._pytree import pytree, replace, static
from phasefield.grid import Grid
from phasefield.integrators import block_tridiagonal as bt
from phasefield.integrators.rosenbrock import (FLOOR_SHARE, GAMMA, checked_solve, conservation_correction,
                                               preconditioned_solve, project_nonnegative)

PRECONDITIONERS = ("spectral", "direct")


def _with_transpose(P, like):
    """``(P, P^T)`` for a linear preconditioner ``P`` on arrays like ``like`` (the transpose
    serves the transposed solve of implicit differentiation)."""
    transposed = jax.linear_transpose(P, like)
    return P, lambda v: transposed(v)[0]


@pytree
class CoupledRosenbrock2:
    """``step_with_error(state, dt) -> (state, e)`` for a ``TwoPhaseModel``.

    Attributes:
        model: the model.
        grid: the grid.
        rtol: relative residual at which a GMRES solve counts as converged.
        restart: GMRES basis size per cycle (memory: ``restart + 1`` pairs of fields).
        max_cycles: GMRES restarts before the solve counts as failed.
        error_norm: ``"max"`` over cells, or ``"rms"``: the root mean square over the active
            cells, the larger of X's and phi's.
        preconditioner: ``"spectral"`` (the block Gauss-Seidel sweep above) or ``"direct"``:
            the exact inverse of ``W``: block-tridiagonal LU of the local Jacobian at the
            held electrode potential (``phasefield.integrators.block_tridiagonal``) and the
            galvanostatic rank-one coupling by Sherman-Morrison (module docstring).
    """

    model: object
    grid: Grid = static()
    rtol: float = static(1e-7)
    restart: int = static(150)
    max_cycles: int = static(4)
    error_norm: str = static("max")
    preconditioner: str = static("spectral")

    def _rate(self, state):
        def F(y):
            rX, rphi = self.model.rates(replace(state, X=y[0], eta=y[1:]), self.grid)
            return jnp.concatenate([rX[None], rphi])

        return F

    def _preconditioner(self, state, dt):
        if self.preconditioner == "direct":
            return self._direct_preconditioner(state, dt)
        if self.preconditioner != "spectral":
            raise ValueError(f"preconditioner must be one of {PRECONDITIONERS}; got {self.preconditioner!r}")
        model, grid, energy = self.model, self.grid, self.model.energy
        c = GAMMA * dt
        lam = grid.laplacian_eigenvalues(dtype=state.X.dtype)
        lam_max = jnp.max(lam)
        phi = state.eta[0]
        mu = energy.chemical_potential(state.X, phi)
        D = jnp.exp(model.log_mobility(state, mu)) / energy.susceptibility(phi, mu)
        if model.active is not None:
            D = D * model.active
        stiffness = c * D * lam_max
        w = stiffness / (1.0 + stiffness)
        mult_X = 1.0 / (1.0 + c * jnp.max(D) * lam)
        # dX/dphi at fixed mu: the Li a change of phase takes up at the current potential
        X_alpha, X_beta = energy.phase_compositions(mu)
        X_phi = jax.grad(lambda p: jnp.sum(energy.phase_weight(p)))(phi) * (X_beta - X_alpha)
        chi = energy.susceptibility(phi, mu)
        if model.active is not None:
            X_phi = X_phi * model.active
        ds_dphi, ds_dmu = model.source_linearisation(state, mu)
        coupling = c * (model.L * X_phi + ds_dmu) / chi
        # phi's local curvature: 2 W, plus X_phi^2 / chi where X is not stiff (there u follows
        # dX - X_phi dphi cell by cell, and eliminating it leaves phi's curvature at fixed X)
        local = model.L * (2.0 * energy.W + (1.0 - w) * X_phi**2 / chi) + jnp.maximum(-ds_dphi, 0.0)
        mult_phi = 1.0 / (1.0 + c * local)

        def PX(v):
            return (1.0 - w) * v + w * grid.filter(v, mult_X)

        def P(v):
            # in (u, phi) with u = dX - X_phi dphi the phi block is mild and the coupling is
            # the local term L X_phi / chi u: one block Gauss-Seidel sweep, then back to dX
            u = PX(v[0])
            dphi = mult_phi * (v[1] + coupling * u)
            u = PX(v[0] - X_phi * dphi)
            return jnp.concatenate([(u + X_phi * dphi)[None], dphi[None]])

        return _with_transpose(P, jnp.zeros((2,) + state.X.shape, state.X.dtype))

    def _direct_preconditioner(self, state, dt):
        """``W^-1``: the local Jacobian at the held electrode potential by colouring and block
        LU, and the galvanostatic rank-one coupling by Sherman-Morrison (module docstring)."""
        model, grid = self.model, self.grid
        held_model = model.with_potential_held(state, grid)
        held = replace(self, model=held_model)
        y0 = jnp.concatenate([state.X[None], state.eta])
        _, jvp = jax.linearize(held._rate(state), y0)
        c = bt.colouring(y0.shape[0], grid.shape, grid.bc, getattr(model, "jacobian_stencil", "box"))
        factors = bt.factor(bt.stencil_values(jvp, c, y0.dtype), c, -GAMMA * dt)

        def solve_held(v):
            return bt.from_blocks(bt.solve(factors, c, bt.to_blocks(v, c)), c, v.shape)

        if held_model is model:  # no galvanostatic control: W is the held operator
            return _with_transpose(solve_held, jnp.zeros_like(y0))
        # W = W_h - gamma dt a g^T with a = dF/dphi at the held potential, g = dphi/dy
        potential = held_model.control.potential

        def rate_at(phi):
            at = replace(self, model=replace(held_model, control=replace(held_model.control, potential=phi)))
            return at._rate(state)(y0)

        a = jax.jvp(rate_at, (potential,), (jnp.ones_like(potential),))[1]
        g = jax.grad(lambda y: model.electrode_potential(replace(state, X=y[0], eta=y[1:]), grid))(y0)
        za = solve_held(a)
        scale = GAMMA * dt / (1.0 - GAMMA * dt * jnp.vdot(g, za))

        def P(v):
            z = solve_held(v)
            return z + scale * jnp.vdot(g, z) * za

        return _with_transpose(P, jnp.zeros_like(y0))

    def _solve(self, W, P, Pt, b, X):
        if self.preconditioner == "direct":  # P is the exact inverse: GMRES only where its residual says so
            k, (converged, residual) = checked_solve(W, P, Pt, b, self.rtol, self.restart, self.max_cycles)
        else:
            k, converged = preconditioned_solve(W, P, Pt, b, self.rtol, self.restart, self.max_cycles)
            residual = b - W(k)
        k = k.at[0].add(conservation_correction(self.model, residual[0], X))
        return k, converged

    def _norm(self, e):
        """``max |e|``, or per field the rms over the active cells and the larger of the two."""
        if self.error_norm == "max":
            return jnp.max(e)
        if self.error_norm != "rms":
            raise ValueError(f"error_norm must be 'max' or 'rms'; got {self.error_norm!r}")
        active = jnp.ones_like(e[0]) if self.model.active is None else self.model.active
        return jnp.sqrt(jnp.max(jnp.sum(active * e**2, axis=tuple(range(1, e.ndim)))) / jnp.sum(active))

    def step_with_error(self, state, dt):
        """One ROS2 step and its local error estimate (``inf`` if a linear solve failed)."""
        y0 = jnp.concatenate([state.X[None], state.eta])
        F0, jvp = jax.linearize(self._rate(state), y0)
        c = GAMMA * dt

        def W(v):
            return v - c * jvp(v)

        P, Pt = self._preconditioner(state, dt)
        k1, ok1 = self._solve(W, P, Pt, F0, state.X)
        mid = replace(state, t=state.t + dt)
        stage = y0 + dt * k1
        # a cell drained at a rate ~ X^(1/2) (Butler-Volmer on the dilute alpha) overshoots
        # to -(2/gamma - 1) X_n here once it is stiff: evaluate the rate where it keeps a share
        floor = FLOOR_SHARE * jnp.maximum(state.X, 0.0)
        stage = stage.at[0].set(jnp.where(stage[0] < 0.0, floor, stage[0]))
        F1 = self._rate(mid)(stage)
        k2, ok2 = self._solve(W, P, Pt, F1 - 2.0 * k1, state.X)
        y = y0 + dt * (1.5 * k1 + 0.5 * k2)
        weight = 1.0 if self.model.psi is None else self.model.psi
        err = 0.5 * dt * self._norm(weight * jnp.abs(k1 + k2))
        X, dip = project_nonnegative(self.model, y[0], state.X)
        err = jnp.maximum(err, jnp.max(dip))
        err = jnp.where(ok1 & ok2, err, jnp.inf)
        return state.advanced(X, y[1:], dt), err

    def step(self, state, dt):
        return self.step_with_error(state, dt)[0]


__all__ = ["CoupledRosenbrock2"]
