"""Cahn-Hilliard operator with variable mobility (conservative finite volumes).

    dX/dt = div( M(X) grad mu ),   mu = f'(X) - kappa lap X

The face mobility is by default the geometric mean of the two cells, ``M_{i+1/2} =
exp(<ln M>)``, consistent with the log-space interpolation of D* across interfaces (DESIGN
2.3); ``face="arithmetic"`` takes ``(M_i + M_{i+1})/2`` instead (formed in log space, so a
float32 run keeps the slow side), which the two-phase model uses at moving alpha/beta fronts
(``phasefield.models.two_phase``). Between two cells of one phase the two agree to the
phase's own spread of M. The flux through a no-flux face is zero, so ``sum X dV`` changes
only by round-off.

Stabiliser (Zhu, Chen, Shen & Tikare, PRE 60, 3564 (1999), Eq. 9, in linearly stabilised
form): the implicit operator is ``-A (S lam + kappa lam^2)`` in the Laplacian eigenbasis, with
``A = max M`` (the classic (max M + min M)/2 is unstable at useful steps with a 1e10 contrast)
and ``S = max f''/2``.
"""

from __future__ import annotations

import jax.numpy as jnp

from phasefield.grid import Grid


FACE_MEANS = ("geometric", "arithmetic")


def face_mobilities(lnM, grid: Grid, face: str = "geometric"):
    """Mobility on the faces of every axis from the cells' ``ln M``: the geometric mean of
    the two cells beside a face, or their arithmetic mean (``face="arithmetic"``)."""
    if face == "geometric":
        return [jnp.exp(grid.face_mean(lnM, d)) for d in range(grid.ndim)]
    if face == "arithmetic":
        return [jnp.exp(jnp.logaddexp(lnM, grid.face_upper(lnM, d)) - jnp.log(2.0)) for d in range(grid.ndim)]
    raise ValueError(f"face must be one of {FACE_MEANS}; got {face!r}")


def cahn_hilliard_rate(mu, lnM, grid: Grid, psi=None, face_psi=None, face: str = "geometric"):
    """``div(M grad mu)`` in units of X per time; ``div(psi M grad mu)`` with a domain
    indicator ``psi`` (face value: mean of the two cells, or ``face_psi`` per axis); ``face``
    chooses the face mobility (``face_mobilities``)."""
    M_faces = face_mobilities(lnM, grid, face)
    if psi is not None and face_psi is None:
        face_psi = [grid.face_mean(psi, d) for d in range(grid.ndim)]
    if face_psi is not None:
        M_faces = [M_faces[d] * face_psi[d] for d in range(grid.ndim)]
    return grid.divergence([M_faces[d] * grid.face_gradient(mu, d) for d in range(grid.ndim)])


def cahn_hilliard_symbol(A, S, kappa, lam):
    """The stabilising linear operator ``-A (S lam + kappa lam^2)`` (<= 0)."""
    return -A * (S * lam + kappa * lam**2)
