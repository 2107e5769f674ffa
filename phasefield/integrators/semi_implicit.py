"""Stabilised semi-implicit Fourier step (Zhu, Chen, Shen & Tikare, PRE 60, 3564 (1999)),
in a symmetrised form that keeps it energy stable for variable mobility.

For a conserved field with potential mu = dF/dX, kinetic operator K mu = div(M grad mu) and
linear stabilising operator Lhat (<= 0, diagonal in the Laplacian eigenbasis T), let
``P = (1 - dt Lhat)^{-1}``. The step is

    X^{n+1} = X^n + dt [ P^{1/2} K P^{1/2} mu^n + P s^n ]

(s: optional source). With constant M, K commutes with P and this is exactly Zhu et al.'s
scheme ``X^{n+1} = X^n + dt P (K mu^n + s^n)``, which is what is computed then. With a
concentration-dependent M the plain form ``P K`` is not a descent direction: on a relaxed
Li-Al alpha shell with the 1e10 contrast its free energy rises every step at any dt, while
``P^{1/2} K P^{1/2}`` is symmetric negative semi-definite, so ``<mu, dX> <= 0`` and the
energy falls (tests/test_invariants.py). Non-conserved fields use ``eta^{n+1} = eta^n +
dt P (-L force + s)``. T is the FFT on periodic axes and the DCT-II on no-flux axes; the zero
mode has P = 1, so the mean of X changes only by round-off. First order in time.

Accuracy with a mobility contrast: the stabiliser uses ``A = max M`` everywhere, so in regions
where ``M << A`` the modes with ``dt A (S lam + kappa lam^2) >~ 1`` are slowed by that factor
(first-order time error, larger than the explicit scheme's at equal dt). Stability and energy
decay hold at any dt; accuracy in slow regions needs the step the error estimate asks for.

Local error estimate: ``e = max |u^{n+1} - (u^n + dt N(u^n))|``, the defect against the
explicit Euler step, ``~ dt^2 Lhat N``: the leading local truncation error in stiff modes. It
grows when large steps slow down the stabilised modes, so an adaptive controller using it
cannot buy speed by damping the dynamics.
"""

from __future__ import annotations

import jax.numpy as jnp

from phasefield._pytree import pytree, static
from phasefield.grid import Grid


@pytree
class SemiImplicit:
    """``step(state, dt) -> state`` for a model offering driving forces, kinetics and symbols."""

    model: object
    grid: Grid = static()

    def _conserved(self, state, mu, source, symbol, dt):
        """Update X. With a smoothed-boundary weight psi the conserved amount is ``psi X``:
        the filtered increment of X is shifted by a constant so that ``sum psi dX`` equals
        ``dt sum (K mu + s)`` exactly (the shift is O(dt^2)). Filtering X rather than psi X
        keeps the pores (psi -> 0) bounded: there ``dX = dt P r`` with ``r = K mu / psi``. Cells
        the domain has cut off (``psi < psi_cut``) keep their X."""
        P = 1.0 / (1.0 - dt * symbol)
        psi = self.model.psi
        explicit = self.model.conserved_rate(state, mu, self.grid)
        if source is not None:
            explicit = explicit + source
        if self.model.constant_kinetics:
            increment = self.grid.filter(explicit, P)
        else:
            root = jnp.sqrt(P)
            filtered = self.model.conserved_rate(state, self.grid.filter(mu, root), self.grid)
            if psi is not None:
                filtered = filtered / psi
            increment = self.grid.filter(filtered, root)
            if source is not None:
                increment = increment + self.grid.filter(source if psi is None else source / psi, P)
        if psi is None:
            new = state.X + dt * increment
            return new, jnp.max(jnp.abs(new - state.X - dt * explicit))
        # cells a domain has cut off stay frozen (the filters spread into them)
        active = self.model.active
        increment = increment * active
        shift = (dt * jnp.sum(explicit) - dt * jnp.sum(psi * increment)) / jnp.sum(psi * active)
        new = state.X + dt * increment + shift * active
        return new, jnp.max(jnp.abs(psi * (new - state.X) - dt * explicit))

    def _nonconserved(self, state, force, source, symbol, dt):
        explicit = self.model.nonconserved_rate(state, force)
        if source is not None:
            explicit = explicit + source
        new = state.eta + dt * self.grid.filter(explicit, 1.0 / (1.0 - dt * symbol))
        return new, jnp.max(jnp.abs(new - state.eta - dt * explicit))

    def step_with_error(self, state, dt):
        """One step and the max-norm local error estimate (see module docstring)."""
        lam = self.grid.laplacian_eigenvalues(dtype=state.X.dtype)
        sym_X, sym_eta = self.model.symbols(state, self.grid, lam)
        mu, force = self.model.driving_forces(state, self.grid)
        src_X, src_eta = self.model.sources(state, self.grid, mu)
        X, eta, err = state.X, state.eta, jnp.asarray(0.0, state.X.dtype)
        if self.model.evolves_X:
            X, e = self._conserved(state, mu, src_X, sym_X, dt)
            err = jnp.maximum(err, e)
        if self.model.evolves_eta:
            eta, e = self._nonconserved(state, force, src_eta, sym_eta, dt)
            err = jnp.maximum(err, e)
        return state.advanced(X, eta, dt), err

    def step(self, state, dt):
        return self.step_with_error(state, dt)[0]
