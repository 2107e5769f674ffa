"""Stabilised semi-implicit Fourier step (Zhu et al., PRE 60, 3564 (1999)).

For each field u with explicit rate N(u^n) and linear stabilising operator Lhat (<= 0),

    (u^{n+1} - u^n)/dt = N(u^n) + Lhat (u^{n+1} - u^n)
    =>  u^{n+1} = u^n + dt T^{-1}[ T[N(u^n)] / (1 - dt Lhat) ]

where T is the grid's Laplacian eigentransform (FFT periodic, DCT-II no-flux). First order
in time; the zero mode is untouched, so conserved fields keep their mean to round-off.

Local error estimate: the stabiliser changes the step by ``u^{n+1} - (u^n + dt N) ~ dt^2 Lhat N``,
the leading part of the local truncation error in stiff modes. Its max norm is returned by
``step_with_error`` and drives the adaptive controller; it costs no extra transform. Unlike a
change-per-step criterion it grows when large steps slow down the stabilised modes, so the
controller cannot buy speed by damping the dynamics.
"""

from __future__ import annotations

import jax.numpy as jnp

from phasefield._pytree import pytree, static
from phasefield.grid import Grid


@pytree
class SemiImplicit:
    """``step(state, dt) -> state`` for a model offering ``rates`` and ``symbols``."""

    model: object
    grid: Grid = static()

    def _update(self, u, rate, symbol, dt):
        if rate is None:
            return u, 0.0
        hat = self.grid.forward(rate)
        new = u + dt * self.grid.inverse(hat / (1.0 - dt * symbol).astype(hat.dtype))
        err = jnp.max(jnp.abs(new - u - dt * rate))
        return new, err

    def step_with_error(self, state, dt):
        """One step and the max-norm local error estimate (see module docstring)."""
        lam = self.grid.laplacian_eigenvalues(dtype=state.X.dtype)
        rX, reta = self.model.rates(state, self.grid)
        sX, seta = self.model.symbols(state, self.grid, lam)
        X, eX = self._update(state.X, rX, sX, dt)
        eta, eeta = (state.eta, 0.0) if reta is None else self._update(state.eta, reta, seta, dt)
        return state.advanced(X, eta, dt), jnp.maximum(eX, eeta)

    def step(self, state, dt):
        return self.step_with_error(state, dt)[0]
