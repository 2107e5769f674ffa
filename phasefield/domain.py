"""Smoothed-boundary domain (DESIGN 2.4): where the solid is and where it meets the electrolyte.

    psi dX/dt = div(psi M grad mu) + |grad psi| j_n,   mu = f'(X) - (kappa/psi) div(psi grad X)

The solver evolves the conserved amount ``U = psi X`` (so the spectral stabiliser, which keeps
the mean of whatever it acts on, conserves the Li in the solid exactly) and reports
``X = U / psi``. ``psi`` is floored at ``psi_floor`` outside the solid so the division is
defined; the flux between cells carries the face mean of psi, so it vanishes across pores.

``surface`` is the weight of the electrochemically active boundary, ``|grad psi|`` restricted
to where solid meets the solid electrolyte (um^-1); ``sum(surface) dV`` is the contact area
(um^2 in 3D, um per um of depth in 2D). ``face_area`` is the projected area of the
electrolyte face that the applied current density refers to (same units).
"""

from __future__ import annotations

import jax.numpy as jnp

from phasefield._pytree import pytree


@pytree
class Domain:
    """psi (cells, in [psi_floor, 1]), active-surface weight (cells, um^-1), face area."""

    psi: jnp.ndarray
    surface: jnp.ndarray
    face_area: jnp.ndarray

    @classmethod
    def create(cls, psi, surface, face_area, psi_floor: float = 1e-6, dtype=jnp.float64) -> "Domain":
        psi = jnp.clip(jnp.asarray(psi, dtype=dtype), psi_floor, 1.0)
        return cls(psi, jnp.asarray(surface, dtype=dtype), jnp.asarray(face_area, dtype=dtype))
