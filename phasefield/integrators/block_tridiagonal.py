"""The local Jacobian of a stencil operator as a block-tridiagonal matrix, and its exact LU solve.

For fields ``y`` of shape ``(F, n_0, ..., n_{d-1})`` on a grid whose rate ``F(y)`` couples each
cell only to the cells within one of it along every axis (the 3^d neighbourhood: the two-phase
model's Cahn-Hilliard flux through the faces, its phase-field gradient term and local sources),
the Jacobian ``J = dF/dy`` is recovered from ``F * prod(p_d)`` Jacobian-vector products by
colouring (Curtis, Powell & Reid, IMA J. Appl. Math. 13, 117 (1974)): cells whose indices agree
modulo ``p_d`` along every axis share a colour, and since ``p_d >= 3`` (and divides ``n_d`` on a
periodic axis) two cells of one colour never touch the same row, so a probe that is 1 on all the
cells of one colour in one field returns, in every row, the single entry of its column there.
Nine probes per field in 2D, 27 in 3D.

Ordering the unknowns by their index along one axis ``a`` (the longest no-flux axis; the
other axes and the fields within a block of size ``m = F prod_{d != a} n_d``) makes ``W = I -
c J`` block tridiagonal, ``W = tridiag(L_k, D_k, U_k)``, and block elimination (Thomas'
algorithm on blocks; Golub & Van Loan, Matrix Computations, 4th ed., Sec. 4.5.1) solves it
exactly:

    S_0 = D_0,   G_k = S_k^-1 U_k,   S_k = D_k - L_k G_{k-1}
    z_k = S_k^-1 (b_k - L_k z_{k-1}),   x_{n-1} = z_{n-1},   x_k = z_k - G_k x_{k+1}

with each ``S_k`` LU-factorised with partial pivoting. The factorisation costs ``~(8/3) n_a
m^3`` flops and ``2 n_a m^2`` numbers of memory, a solve ``~4 n_a m^2``: for a 60 x 48 grid of
two fields (m = 96) about 1.4e8 flops and 9 MB, for 96 x 64 (m = 128) 5e8 flops and 25 MB; in
3D ``m`` is a whole plane of cells and this is only for small grids. Without a no-flux axis
the blocks coupling the first and last layers across the periodic boundary are left out, so the
solve is exact only where nothing crosses that boundary (a particle surrounded by electrolyte).

Why it exists: where the mobility spans ten orders of magnitude in one field, with islands of
fast beta cut off by slow alpha, no constant-coefficient spectral preconditioner holds: at the
end of a prelithiated electrode's delithiation GMRES needed 58-298 iterations at dt = 0.05-1.6 s
and did not converge in 800 at 6.4 s, where the exact inverse of the local Jacobian needs 2 at
every step (benchmarks/results/electrode_cycle.md).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.linalg import lu_factor, lu_solve

from phasefield.grid import Grid


def _period(n: int, periodic: bool) -> int:
    """Colour period along an axis of ``n`` cells: 3, or on a periodic axis the smallest divisor
    of ``n`` that is at least 3 (``n`` itself if there is none, or if ``n < 3``)."""
    if not periodic or n < 3:
        return 3 if not periodic else n
    return next(p for p in range(3, n + 1) if n % p == 0)


class Colouring(NamedTuple):
    """Static probes and index maps of ``block_jacobian`` (``colouring``)."""

    probes: np.ndarray  # (n_probes, F, *shape): 1 on one colour of one field
    gather: np.ndarray  # flat indices into the probes' products (n_probes, F, N)
    scatter: np.ndarray  # flat indices into the blocks (3, n_a, m, m)
    axis: int  # the block axis a
    blocks: tuple[int, int]  # (n_a, m)


DIRECT_BLOCK_LIMIT = 512  # unknowns per block up to which a deck's "auto" picks the direct solve


def block_size(n_fields: int, grid: Grid) -> int:
    """``m``, the unknowns per block: ``n_fields`` times the cells of one layer across the block
    axis."""
    return n_fields * int(np.prod(grid.shape)) // grid.shape[block_axis(grid)]


def block_axis(grid: Grid) -> int:
    """The longest no-flux axis (the longest axis if all are periodic)."""
    noflux = [d for d in range(grid.ndim) if grid.bc[d] == "noflux"]
    candidates = noflux or list(range(grid.ndim))
    return max(candidates, key=lambda d: (grid.shape[d], -d))


@functools.lru_cache(maxsize=16)
def colouring(n_fields: int, shape: tuple[int, ...], bc: tuple[str, ...]) -> Colouring:
    """Probes and index maps for ``n_fields`` fields on a grid of ``shape`` and boundaries ``bc``."""
    nd = len(shape)
    grid = Grid(tuple(shape), (1.0,) * nd, tuple(bc))
    a = block_axis(grid)
    periodic = [b == "periodic" for b in bc]
    p = [_period(n, per) for n, per in zip(shape, periodic)]
    n_colours = int(np.prod(p))
    cells = np.indices(shape).reshape(nd, -1)  # (nd, N)
    N = cells.shape[1]
    colour = np.ravel_multi_index(tuple(cells[d] % p[d] for d in range(nd)), p)
    probes = np.zeros((n_fields * n_colours, n_fields, N))
    for g in range(n_fields):
        probes[g * n_colours + colour, g, np.arange(N)] = 1.0
    probes = probes.reshape((n_fields * n_colours, n_fields) + tuple(shape))

    rest = [d for d in range(nd) if d != a]
    rest_shape = [shape[d] for d in rest]
    n_rest = int(np.prod(rest_shape)) if rest else 1
    n_a, m = shape[a], n_fields * n_rest

    def local(index):  # position of a cell within its block (without the field)
        return np.ravel_multi_index(tuple(index[d] for d in rest), rest_shape) if rest else np.zeros_like(index[0])

    offsets_per_axis = []
    for d in range(nd):
        offs = (-1, 0, 1)
        if periodic[d] and d != a:  # distinct neighbours only (1 or 2 cells wrap onto themselves)
            offs = tuple(o - shape[d] if o > 1 else o for o in sorted({o % shape[d] for o in offs}))
        offsets_per_axis.append(offs)
    gather, scatter = [], []
    for offset in np.array(np.meshgrid(*offsets_per_axis, indexing="ij")).reshape(nd, -1).T:
        target = cells + offset[:, None]
        valid = np.ones(N, bool)
        for d in range(nd):
            if periodic[d] and d != a:
                target[d] %= shape[d]
            else:  # no flux, or the block axis: no coupling out of [0, n)
                valid &= (target[d] >= 0) & (target[d] < shape[d])
        src, tgt = cells[:, valid], target[:, valid]
        col_colour = np.ravel_multi_index(tuple(tgt[d] % p[d] for d in range(nd)), p)
        row_cell = np.ravel_multi_index(tuple(src), shape)
        which = offset[a] + 1  # 0: lower block, 1: diagonal, 2: upper
        for f in range(n_fields):
            for g in range(n_fields):
                probe = g * n_colours + col_colour
                gather.append((probe * n_fields + f) * N + row_cell)
                row, col = f * n_rest + local(src), g * n_rest + local(tgt)
                scatter.append(((which * n_a + src[a]) * m + row) * m + col)
    return Colouring(probes, np.concatenate(gather), np.concatenate(scatter), a, (n_a, m))


def block_jacobian(jvp, c: Colouring, dtype) -> jnp.ndarray:
    """``(3, n_a, m, m)``: the lower, diagonal and upper blocks of the Jacobian whose product
    with a tangent of shape ``(F, *shape)`` is ``jvp``."""
    products = jax.vmap(jvp)(jnp.asarray(c.probes, dtype))
    n_a, m = c.blocks
    values = products.reshape(-1)[c.gather]
    return jnp.zeros(3 * n_a * m * m, dtype).at[c.scatter].set(values).reshape(3, n_a, m, m)


def to_blocks(v, c: Colouring):
    """``(F, *shape)`` -> ``(n_a, m)`` in the block ordering."""
    return jnp.moveaxis(v, c.axis + 1, 0).reshape(c.blocks)


def from_blocks(x, c: Colouring, shape):
    """Inverse of ``to_blocks`` for fields of ``shape = (F, *grid.shape)``."""
    moved = (shape[c.axis + 1],) + tuple(s for i, s in enumerate(shape) if i != c.axis + 1)
    return jnp.moveaxis(x.reshape(moved), 0, c.axis + 1)


class BlockLU(NamedTuple):
    """Factors of a block-tridiagonal matrix (module docstring)."""

    lu: jnp.ndarray  # (n_a, m, m) LU of S_k
    pivots: jnp.ndarray  # (n_a, m)
    G: jnp.ndarray  # (n_a, m, m) S_k^-1 U_k
    lower: jnp.ndarray  # (n_a, m, m) L_k


def factor(blocks) -> BlockLU:
    """Block elimination of ``tridiag(blocks[0], blocks[1], blocks[2])`` (``blocks[0][0]`` and
    ``blocks[2][-1]`` are ignored)."""
    lower, diag, upper = blocks

    def body(G_prev, k):
        S = diag[k] - lower[k] @ G_prev
        lu, piv = lu_factor(S)
        G = lu_solve((lu, piv), upper[k])
        return G, (lu, piv, G)

    n_a, m = diag.shape[0], diag.shape[1]
    _, (lu, piv, G) = lax.scan(body, jnp.zeros((m, m), diag.dtype), jnp.arange(n_a))
    return BlockLU(lu, piv, G, lower.at[0].set(0.0))


def solve(f: BlockLU, b):
    """``x`` with ``tridiag(L, D, U) x = b`` for ``b`` of shape ``(n_a, m)``."""
    def forward(z_prev, k):
        z = lu_solve((f.lu[k], f.pivots[k]), b[k] - f.lower[k] @ z_prev)
        return z, z

    _, z = lax.scan(forward, jnp.zeros_like(b[0]), jnp.arange(b.shape[0]))

    def backward(x_next, k):
        x = z[k] - f.G[k] @ x_next
        return x, x

    _, x = lax.scan(backward, jnp.zeros_like(b[0]), jnp.arange(b.shape[0]), reverse=True)
    return x


__all__ = ["BlockLU", "Colouring", "DIRECT_BLOCK_LIMIT", "block_axis", "block_size", "block_jacobian", "colouring", "factor", "from_blocks", "solve",
           "to_blocks"]
