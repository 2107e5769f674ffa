"""Phase and amount reductions of the Li atom fraction X: pure, jax-traceable (DESIGN 5).

Units follow the model: for Li-Al presets lengths are in um, so amounts ``int X dV`` are in
um^3 (3D) or um^2 per um of depth (2D), i.e. volumes of lattice sites filled with Li.
"""

from __future__ import annotations

import jax.numpy as jnp

from phasefield.grid import Grid


def total_amount(X, grid: Grid):
    """``int X dV``: the conserved amount (Li site fraction x volume, um^ndim)."""
    return grid.integrate(X)


def phase_fractions(X, energy, weight=None):
    """Volume fractions of alpha, beta and Li metal for a Li-Al energy, split at the
    midpoints of the two-phase gaps ``(Xa + Xb)/2`` and ``(Xc + XLi)/2``; with ``weight``
    (e.g. the smoothed-boundary psi) the fractions are of the weighted volume, the solid."""
    cut1 = 0.5 * (energy.Xa + energy.Xb)
    cut2 = 0.5 * (energy.Xc + energy.XLi)
    w = jnp.ones_like(X) if weight is None else weight
    total = jnp.sum(w)
    alpha = jnp.sum(w * (X < cut1).astype(w.dtype)) / total
    li = jnp.sum(w * (X >= cut2).astype(w.dtype)) / total
    return alpha, 1.0 - alpha - li, li


def mean_li_ratio(X):
    """Mean Li/Al ratio ``x = <X> / (1 - <X>)`` (the papers' Li_xAl)."""
    m = jnp.mean(X)
    return m / (1.0 - m)


def phase_labels(X, energy):
    """0 for alpha, 1 for beta, 2 for Li metal (same cuts as ``phase_fractions``)."""
    cut1 = 0.5 * (energy.Xa + energy.Xb)
    cut2 = 0.5 * (energy.Xc + energy.XLi)
    return (X >= cut1).astype(X.dtype) + (X >= cut2).astype(X.dtype)
