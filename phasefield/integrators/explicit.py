"""Explicit forward-Euler finite-difference reference integrator.

    u^{n+1} = u^n + dt N(u^n)

Same spatial operators as the semi-implicit scheme, no stabiliser: an independent check of
the spectral solve. Stable only for ``dt < h^4 / (8 d^2 M kappa)``-type limits.
"""

from __future__ import annotations

from phasefield._pytree import pytree, static
from phasefield.grid import Grid


@pytree
class ExplicitEuler:
    model: object
    grid: Grid = static()

    def step(self, state, dt):
        rX, reta = self.model.rates(state, self.grid)
        X = state.X if rX is None else state.X + dt * rX
        eta = state.eta if reta is None else state.eta + dt * reta
        return state.advanced(X, eta, dt)

    def step_with_error(self, state, dt):
        """Forward Euler has no embedded estimate; the controller then limits the change."""
        return self.step(state, dt), 0.0
