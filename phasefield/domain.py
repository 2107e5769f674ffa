"""Smoothed-boundary domain (DESIGN 2.4): where the solid is and where it meets the electrolyte.

    psi dX/dt = div(psi M grad mu) + |grad psi| j_n,   mu = f'(X) - (kappa/psi) div(psi grad X)

The solver evolves the conserved amount ``U = psi X`` (so the spectral stabiliser, which keeps
the mean of whatever it acts on, conserves the Li in the solid exactly) and reports
``X = U / psi``. ``psi`` is floored at ``psi_floor`` outside the solid so the division is
defined; the flux between cells carries the face mean of psi, so it vanishes across pores.

Cells with ``psi < psi_cut`` are inactive (extended smoothed-boundary practice): the faces
beside them carry neither flux nor gradient energy and they receive no surface flux, so their
X stays as it was. Without the cut, the outermost rim cells (psi ~ 1e-3) keep a tiny but
nonzero coupling to the particle, Li that reaches them changes X by O(1/psi), and the
composition there runs away (X of 0.3 to 4 in one step) while contributing nothing to the
physics. The Li they hold is negligible: ``int_{psi<c} psi dn`` is O(c w) per unit area.

``surface`` is the weight of the electrochemically active boundary, ``|grad psi|`` restricted
to where solid meets the solid electrolyte (um^-1); ``sum(surface) dV`` is the contact area
(um^2 in 3D, um per um of depth in 2D). ``face_area`` is the projected area of the
electrolyte face that the applied current density refers to (same units).
"""

from __future__ import annotations

import jax.numpy as jnp

from phasefield._pytree import pytree
from phasefield.grid import Grid


@pytree
class Domain:
    """psi (cells, in [psi_floor, 1]), active-surface weight (cells, um^-1), face area, and
    the mask of active cells (1 where ``psi >= psi_cut``, else 0)."""

    psi: jnp.ndarray
    surface: jnp.ndarray
    face_area: jnp.ndarray
    active: jnp.ndarray

    @classmethod
    def create(cls, psi, surface, face_area, psi_floor: float = 1e-6, psi_cut: float = 0.0,
               dtype=jnp.float64) -> "Domain":
        if not 0.0 <= psi_cut < 0.5:
            raise ValueError(f"psi_cut must lie in [0, 0.5); got {psi_cut}")
        raw = jnp.asarray(psi, dtype=dtype)
        active = (raw >= psi_cut).astype(dtype)
        psi = jnp.clip(raw, psi_floor, 1.0)
        surface = jnp.asarray(surface, dtype=dtype) * active
        return cls(psi, surface, jnp.asarray(face_area, dtype=dtype), active)

    def face_weights(self, grid: Grid) -> list:
        """psi on the faces of every axis: the mean of the two cells, 0 beside an inactive cell."""
        both = [grid.face_mean(self.active, d) > 0.75 for d in range(grid.ndim)]
        return [jnp.where(both[d], grid.face_mean(self.psi, d), 0.0) for d in range(grid.ndim)]
