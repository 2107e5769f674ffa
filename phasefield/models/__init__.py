"""Physics as explicit rates plus a linear (Fourier-diagonal) stabilising part.

Integrators see only ``rates(state, grid)`` and ``symbols(state, grid, lam)``; they know
nothing about Li or Al."""

from phasefield.models.coupled import PhaseFieldModel

__all__ = ["PhaseFieldModel"]
