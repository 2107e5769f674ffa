"""Effective Li diffusivity of an electrode slab from a steady-state solve (DESIGN 5).
Host-side: a sparse direct solve (``scipy.sparse``) on a snapshot.

Problem: ``div(D grad u) = 0`` on the layers ``i0 .. N0-1`` along axis 0, with ``u = 1`` on
the lower face of layer i0 (the electrolyte side; by default i0 is the first layer holding a
solid cell, psi >= 1/2, so an SE gap in front of the electrode is left out), ``u = 0`` on the
upper face of the last layer (the collector), and the grid's own faces elsewhere (periodic, or
no flux). ``D = psi D*(X)`` with the tracer diffusivity of the mobility model (seed 000 Eq. 1,
log-space interpolation; ``LiAlMobility.log_diffusivity``), um^2/s, and ``psi = 0`` in cells
below ``psi_cut`` (the inactive cells of ``Domain``). Discretisation: the finite volumes of
the Cahn-Hilliard operator (``models.cahn_hilliard``); the conductance of the face between
cells i and j along axis a is the geometric mean of D,

    G_ij = sqrt(psi_i psi_j) exp((ln D*_i + ln D*_j)/2) A_a / h_a,   A_a = dV / h_a,

which for D* is the solver's log-space face mobility. For psi the solver takes the arithmetic
mean, but it also switches off the faces beside inactive cells; the geometric mean does that
by itself (a face beside a psi = 0 cell carries nothing), so a one-cell pore blocks. A
Dirichlet face is half a cell from its cell centre, ``G = psi_i D*_i A_0 / (h_0 / 2)``. Then

    D_eff = Q L / (A du),   L = (N0 - i0) h_0,  A = prod_{a>0} L_a,  du = 1,

with the flux Q evaluated as the dissipation ``Q = sum_faces G (u_i - u_j)^2`` (boundary faces
included), which equals the inlet and the outlet flux at the discrete solution and, being
quadratic in the error of u, keeps full relative precision when an alpha layer makes the
flux 1e10 times smaller than across beta (the inlet flux ``sum G (1 - u_i)`` would take the
difference of numbers within 1e-10 of 1). Cells not joined to either Dirichlet face by faces
of positive conductance (isolated particles in pores with psi = 0) are left out of the solve.

Solve: symmetric diagonal scaling ``S K S`` (turns the 1e10 coefficient contrast into an O(1)
diagonal), SuperLU (minimum-degree ordering of K + K^T, no pivoting: the scaled matrix is
SPD), then iterative refinement (at most 3 steps). The check is the normwise backward error
of the scaled system, ``|r|_inf / (|S K S|_inf |y|_inf + |S b|_inf)`` with
``r = S b - S K S y``; the result is rejected (``SolveError``) above ``error_tol``. (A
residual relative to ``|S b|`` alone is no test here: when alpha covers the electrolyte face,
b is ~1e-5 of the scale of S K S y.)
Iterative solves are not offered: conjugate gradients, BiCGSTAB and GMRES preconditioned by a
drop-tolerance incomplete LU did not converge in 300 iterations on a 24^3 packing of
alpha-shelled particles (backward error 1e-8 to 2e-8, solution off by 30 % or more), where
the direct solve takes 1.7 s. Measured direct-solve times (2 shared CPU cores): a 2D
packing on 128^2 cells 0.4 s; 3D packings of alpha-shelled particles on 24^3 cells 1.7 to
4.7 s and on 32^3 cells 20 s. Larger 3D grids want a coarser snapshot of the fields.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import numpy as np
from scipy import sparse
from scipy.sparse import csgraph
from scipy.sparse.linalg import splu

from phasefield.grid import Grid
from phasefield.observables.connectivity import SOLID_PSI, first_solid_layer

PSI_CUT = 1e-3


# one compiled program per field shape (op-by-op dispatch compiles every operation anew)
_log_diffusivity = jax.jit(lambda mobility, X: mobility.log_diffusivity(X))


class EffectiveDiffusivity(NamedTuple):
    """D_eff: effective diffusivity of the slab, um^2/s.
    u: the solution on the grid (NaN in the left-out layers and cells).
    backward_error: normwise backward error of the scaled linear solve.
    flux_mismatch: |inlet - outlet flux| / Q. Not a measure of the error of D_eff: with beta
        regions joined only through alpha, each beta cell balances fluxes ~1e10 larger than
        Q, so round-off leaves an imbalance of ~eps 1e10 per cell (measured: 1e-5 for one
        alpha layer, 3e-3 for a packing of alpha-shelled particles), while Q, a sum of
        squares, is stationary in the error of u."""

    D_eff: float
    u: np.ndarray
    backward_error: float
    flux_mismatch: float


class SolveError(RuntimeError):
    """The steady-state solve did not reach the backward error it was asked for."""


def _faces(shape: tuple[int, ...], periodic: tuple[bool, ...], axis: int):
    """Flat index pairs (i, j) of the interior faces along ``axis`` (j = i + 1 along it)."""
    idx = np.arange(int(np.prod(shape))).reshape(shape)
    if periodic[axis] and shape[axis] > 1:
        return idx, np.roll(idx, -1, axis=axis)
    lo = [slice(None)] * len(shape)
    hi = [slice(None)] * len(shape)
    lo[axis], hi[axis] = slice(0, -1), slice(1, None)
    return idx[tuple(lo)], idx[tuple(hi)]


def _backward_error(A, x, b, norm_A: float) -> float:
    """Normwise backward error ``|b - A x|_inf / (|A|_inf |x|_inf + |b|_inf)``."""
    r = b - A @ x
    return float(np.abs(r).max() / (norm_A * np.abs(x).max() + np.abs(b).max()))


def _solve(A, b):
    """Solve the scaled SPD system directly; returns (x, normwise backward error)."""
    if not np.any(b):
        return np.zeros_like(b), 0.0
    lu = splu(A, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
    norm_A = float(abs(A).sum(axis=1).max())
    x = lu.solve(b)
    err = _backward_error(A, x, b, norm_A)
    for _ in range(3):  # iterative refinement while it helps
        if err < 1e-15:
            break
        x_new = x + lu.solve(b - A @ x)
        err_new = _backward_error(A, x_new, b, norm_A)
        if not err_new < err:
            break
        x, err = x_new, err_new
    return x, err


def effective_diffusivity_from_log(ln_D, grid: Grid, psi=None, *, first_layer: int | None = None,
                                   psi_cut: float = PSI_CUT, error_tol: float = 1e-12) -> EffectiveDiffusivity:
    """``D_eff`` of the slab for a cell field ``ln D*`` (ln of um^2/s), see the module docstring.

    Args:
        ln_D: ln of the tracer diffusivity, grid shape.
        grid: the grid (axis 0 runs electrolyte -> collector and must be 'noflux').
        psi: smoothed solid indicator (default 1 everywhere).
        first_layer: index i0 of the first layer of the slab (default: the first layer with
            psi >= 1/2; 0 without psi).
        psi_cut: cells with psi below it conduct nothing. The default 1e-3 removes the floor
            of ``Domain.psi`` (1e-6), which would otherwise leak sqrt(1e-6) = 1e-3 of D across a
            pore, far more than an alpha shell passes; such cells hold < 1e-3 of a cell's Li.
        error_tol: largest accepted backward error (float64 solves reach ~1e-16).
    """
    ln_D = np.asarray(ln_D, dtype=np.float64)
    if ln_D.shape != tuple(grid.shape):
        raise ValueError(f"ln_D has shape {ln_D.shape}, expected the grid shape {grid.shape}")
    if grid.bc[0] == "periodic":
        raise ValueError("the slab solve needs a 'noflux' axis 0 (electrolyte at index 0, collector at the end); "
                         "got a periodic axis 0")
    psi = np.ones_like(ln_D) if psi is None else np.asarray(psi, dtype=np.float64)
    if psi.shape != ln_D.shape:
        raise ValueError(f"psi has shape {psi.shape}, expected the grid shape {grid.shape}")
    i0 = (first_solid_layer(psi >= SOLID_PSI) if first_layer is None else int(first_layer))
    if not 0 <= i0 < grid.shape[0]:
        raise ValueError(f"first_layer must lie in [0, {grid.shape[0]}); got {i0}")
    lnD = ln_D[i0:]
    w = np.where(psi[i0:] >= psi_cut, psi[i0:], 0.0)
    shape = lnD.shape
    size = lnD.size
    periodic = tuple(b == "periodic" for b in grid.bc)
    dV = grid.cell_volume
    rows, cols, vals = [], [], []
    for a in range(grid.ndim):
        i, j = _faces(shape, periodic, a)
        i, j = i.ravel(), j.ravel()
        li, lj = lnD.ravel()[i], lnD.ravel()[j]
        g = np.sqrt(w.ravel()[i] * w.ravel()[j]) * np.exp(0.5 * (li + lj)) * dV / grid.spacing[a] ** 2
        rows.append(i)
        cols.append(j)
        vals.append(g)
    fi, fj, fg = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    g_cell = w * np.exp(lnD) * dV / grid.spacing[0] ** 2 * 2.0  # half-cell Dirichlet faces
    g_in = np.zeros(shape)
    g_out = np.zeros(shape)
    g_in[0] = g_cell[0]
    g_out[-1] = g_cell[-1]
    g_in, g_out = g_in.ravel(), g_out.ravel()

    # keep the cells joined to a Dirichlet face
    pos = fg > 0
    adj = sparse.coo_matrix((np.ones(pos.sum()), (fi[pos], fj[pos])), shape=(size, size))
    _, comp = csgraph.connected_components(adj, directed=False)
    anchored = np.zeros(comp.max() + 1, dtype=bool)
    anchored[comp[(g_in > 0) | (g_out > 0)]] = True
    keep = anchored[comp]
    new = np.full(size, -1)
    new[keep] = np.arange(keep.sum())
    m = int(keep.sum())
    if m == 0:
        raise ValueError("no cell of the slab is joined to the electrolyte or the collector (D = 0 there)")
    both = keep[fi] & keep[fj] & pos
    a_, b_, g_ = new[fi[both]], new[fj[both]], fg[both]
    diag = np.bincount(a_, g_, m) + np.bincount(b_, g_, m) + (g_in + g_out)[keep]
    K = sparse.coo_matrix((np.concatenate([diag, -g_, -g_]),
                           (np.concatenate([np.arange(m), a_, b_]), np.concatenate([np.arange(m), b_, a_]))),
                          shape=(m, m)).tocsc()
    rhs = g_in[keep]
    s = 1.0 / np.sqrt(diag)
    Ks = (sparse.diags(s) @ K @ sparse.diags(s)).tocsc()
    y, error = _solve(Ks, s * rhs)
    if not error <= error_tol:
        raise SolveError(f"steady-state solve reached a backward error of {error:.2e}, above error_tol = "
                         f"{error_tol:.1e}; check ln_D and psi for NaN, inf or overflow")
    u_k = s * y
    u = np.zeros(size)
    u[keep] = u_k
    both_all = keep[fi] & keep[fj]
    Q = (np.sum(fg[both_all] * (u[fi[both_all]] - u[fj[both_all]]) ** 2)
         + np.sum(g_in[keep] * (1.0 - u_k) ** 2) + np.sum(g_out[keep] * u_k ** 2))
    q_in = np.sum(g_in[keep] * (1.0 - u_k))
    q_out = np.sum(g_out[keep] * u_k)
    L = (grid.shape[0] - i0) * grid.spacing[0]
    A = float(np.prod(grid.lengths[1:])) if grid.ndim > 1 else 1.0
    field = np.full(grid.shape, np.nan)
    u[~keep] = np.nan
    field[i0:] = u.reshape(shape)
    mismatch = float(abs(q_in - q_out) / Q) if Q > 0 else 0.0
    return EffectiveDiffusivity(float(Q * L / A), field, error, mismatch)


def effective_diffusivity(X, mobility, grid: Grid, psi=None, *, first_layer: int | None = None,
                          psi_cut: float = PSI_CUT, error_tol: float = 1e-12) -> EffectiveDiffusivity:
    """``D_eff`` (um^2/s) of the slab with ``D* = exp(mobility.log_diffusivity(X))``, the
    tracer diffusivity of ``LiAlMobility`` (seed 000 Eq. 1, log-space interpolation), weighted
    by psi; see ``effective_diffusivity_from_log`` and the module docstring."""
    ln_D = np.asarray(_log_diffusivity(mobility, np.asarray(X, dtype=np.float64)), dtype=np.float64)
    return effective_diffusivity_from_log(ln_D, grid, psi, first_layer=first_layer, psi_cut=psi_cut,
                                          error_tol=error_tol)
