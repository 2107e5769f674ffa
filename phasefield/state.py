"""The evolving fields and clock as one pytree."""

from __future__ import annotations

from typing import Optional

import jax.numpy as jnp

from phasefield._pytree import pytree, replace


@pytree
class State:
    """Fields and time of a simulation.

    Attributes:
        X: Li atom fraction (or the conserved field of a benchmark problem), shape ``grid.shape``.
        eta: grain order parameters, shape ``(n_grains, *grid.shape)``, or ``None``.
        t: simulated time (s for material presets), scalar.
        dt: the time step the next step will try, scalar.
        step: number of accepted steps, integer scalar.
    """

    X: jnp.ndarray
    eta: Optional[jnp.ndarray]
    t: jnp.ndarray
    dt: jnp.ndarray
    step: jnp.ndarray

    @classmethod
    def create(cls, X, eta=None, t: float = 0.0, dt: float = 1e-3) -> "State":
        X = jnp.asarray(X)
        eta = None if eta is None else jnp.asarray(eta, dtype=X.dtype)
        return cls(
            X=X,
            eta=eta,
            t=jnp.asarray(t, dtype=X.dtype),
            dt=jnp.asarray(dt, dtype=X.dtype),
            step=jnp.asarray(0, dtype=jnp.int32),
        )

    def advanced(self, X, eta, dt) -> "State":
        """The state after one accepted step of size ``dt``."""
        return replace(self, X=X, eta=eta, t=self.t + dt, step=self.step + 1)
