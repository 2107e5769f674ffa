"""Observables: pure functions of the state (DESIGN 5). Units follow the model: for Li-Al
presets lengths in um, so areas/volumes are um^2 (2D, per um of depth) or um^3."""

from __future__ import annotations

import jax.numpy as jnp

from phasefield.grid import Grid


def total_amount(X, grid: Grid):
    """``int X dV``: the conserved amount (Li site fraction x volume)."""
    return grid.integrate(X)


def phase_fractions(X, energy):
    """Volume fractions of alpha, beta and Li metal for a Li-Al energy, split at the
    midpoints of the two-phase gaps ``(Xa + Xb)/2`` and ``(Xc + XLi)/2``."""
    cut1 = 0.5 * (energy.Xa + energy.Xb)
    cut2 = 0.5 * (energy.Xc + energy.XLi)
    alpha = jnp.mean(X < cut1)
    li = jnp.mean(X >= cut2)
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
