"""The local Jacobian of a stencil operator as a block-tridiagonal matrix, and its exact LU solve.

For fields ``y`` of shape ``(F, n_0, ..., n_{d-1})`` on a grid whose rate ``F(y)`` couples each
cell only to the cells within one of it along every axis (the 3^d neighbourhood: the two-phase
model's Cahn-Hilliard flux through the faces, its phase-field gradient term and local sources),
the Jacobian ``J = dF/dy`` is recovered from ``F * prod(p_d)`` Jacobian-vector products by
colouring (Curtis, Powell & Reid, IMA J. Appl. Math. 13, 117 (1974)): cells whose indices agree
modulo ``p_d`` along every axis share a colour, and since ``p_d >= 3`` (and divides ``n_d`` on a
periodic axis) two cells of one colour never touch the same row, so a probe that is 1 on all the
cells of one colour in one field returns, in every row, the single entry of its column there.
Nine probes per field in 2D, 27 in 3D. A rate that reaches only the cells sharing a face (a
finite-volume flux and a face-difference gradient: ``stencil="cross"``) needs only that no
two cells within two face steps share a colour: 5 colours in 2D and 7 in 3D, a few more
where a periodic axis breaks the pattern (``_cross_colours``).

Ordering the unknowns by their index along one axis ``a`` (the longest no-flux axis; the
other axes and the fields within a block of size ``m = F prod_{d != a} n_d``) makes ``W = I -
c J`` block tridiagonal, ``W = tridiag(L_k, D_k, U_k)``, and block elimination (Thomas'
algorithm on blocks; Golub & Van Loan, Matrix Computations, 4th ed., Sec. 4.5.1) solves it
exactly:

    S_0 = D_0,   G_k = S_k^-1 U_k,   S_k = D_k - L_k G_{k-1}
    z_k = S_k^-1 (b_k - L_k z_{k-1}),   x_{n-1} = z_{n-1},   x_k = z_k - G_k x_{k+1}

with each ``S_k`` LU-factorised with partial pivoting. The off-layer blocks are sparse (each
row of ``L_k`` holds at most ``F`` entries per in-layer offset), so ``L_k G_{k-1}`` is taken as
scaled rows of ``G_{k-1}``, not a dense product. The factorisation costs ``~(2/3 + 2) n_a m^3``
flops (LU and ``m`` right-hand sides per layer) and ``2 n_a m^2`` numbers of memory, a solve
``~6 n_a m^2``: for 96 x 64 cells of two fields (m = 128) 43-44 ms per factorisation and
3.2-3.3 ms per solve on one x86_64 core (44-46 and 4.5-4.6 ms with dense off-layer products
and LAPACK pivots turned into a permutation at every solve; same runs). In 3D ``m``
is a whole plane of cells and this is only for small grids. Without a no-flux axis
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
import heapq
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from phasefield.grid import Grid


def _period(n: int, periodic: bool) -> int:
    """Colour period along an axis of ``n`` cells: 3, or on a periodic axis the smallest divisor
    of ``n`` that is at least 3 (``n`` itself if there is none, or if ``n < 3``)."""
    if not periodic:
        return 3
    return next((p for p in range(3, n + 1) if n % p == 0), n)


class Colouring(NamedTuple):
    """Static probes and maps of ``block_jacobian`` (``colouring``)."""

    probes: np.ndarray  # (F * n_colours, F, *shape): 1 on one colour of one field
    masks: np.ndarray  # (3, n_shift, n_colours, N): colour of the neighbour at each offset (0: none)
    shifts: np.ndarray  # (n_shift, n_rest, n_rest): that neighbour's place in its layer
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


STENCILS = ("box", "cross")


def _cross_colours(dims, periodic) -> np.ndarray:
    """Colours of the cells (block ordering) such that no two cells within two steps of each
    other along the axes (``|d|_1 <= 2``: two cells of the 5- or 7-point stencil of one row)
    share one: ``sum_i (i + 1) n_i mod (2 nd + 1)`` (5 colours in 2D, 7 in 3D, the fewest
    possible) where that holds across the periodic wraps, else the DSatur colouring of the
    conflict graph (Brelaz, Commun. ACM 22, 251 (1979); 7 colours on a 96 x 64 slab)."""
    nd = len(dims)
    cells = np.indices(dims).reshape(nd, -1)
    N = cells.shape[1]
    offsets = np.array([d for d in np.ndindex(*(5,) * nd) if 0 < sum(abs(o - 2) for o in d) <= 2]) - 2
    target = cells[None, :, :] + offsets[:, :, None]  # (offset, axis, cell)
    valid = np.ones((len(offsets), N), bool)
    for i in range(nd):
        if periodic[i]:
            target[:, i] %= dims[i]
        else:
            valid &= (target[:, i] >= 0) & (target[:, i] < dims[i])
    near = np.ravel_multi_index(tuple(np.where(valid, target[:, i], 0) for i in range(nd)), dims)
    valid &= near != np.arange(N)  # a short periodic axis wraps onto the cell itself
    colours = (np.arange(1, nd + 1) @ cells) % (2 * nd + 1)
    if not np.any(valid & (colours[near] == colours[None, :])):
        return colours
    neighbours = [near[valid[:, n], n] for n in range(N)]
    colours = np.full(N, -1)
    saturation = [set() for _ in range(N)]
    heap = [(0, -len(neighbours[n]), n) for n in range(N)]
    heapq.heapify(heap)
    while heap:  # colour the cell that sees the most colours next
        _, _, n = heapq.heappop(heap)
        if colours[n] >= 0:
            continue
        colour = min(set(range(len(saturation[n]) + 1)) - saturation[n])
        colours[n] = colour
        for q in neighbours[n]:
            if colours[q] < 0 and colour not in saturation[q]:
                saturation[q].add(colour)
                heapq.heappush(heap, (-len(saturation[q]), -len(neighbours[q]), q))
    return colours


@functools.lru_cache(maxsize=16)
def colouring(n_fields: int, shape: tuple[int, ...], bc: tuple[str, ...], stencil: str = "box") -> Colouring:
    """Probes and maps for ``n_fields`` fields on a grid of ``shape`` and boundaries ``bc``.

    ``stencil`` is the reach of the operator: ``"box"``, the 3^d neighbourhood (colour by
    index modulo 3 along each axis: 9 colours in 2D, 27 in 3D), or ``"cross"``, only the
    2d + 1 cells that share a face (``_cross_colours``: 5-7 colours in 2D, 7 or more in 3D,
    so 10-14 instead of 18 probes for two fields in 2D); entries outside it are taken to be
    zero.
    Cells are numbered in the block ordering (block axis first, then the others: ``N = k
    n_rest + r``). ``masks[o_a + 1, j, c, n]`` is 1 where the neighbour of cell ``n`` at the
    offset ``(o_a, o_j)`` exists, is within the stencil and has colour ``c``; ``shifts[j, r,
    q]`` is 1 where cell ``q`` of a layer is the neighbour of cell ``r`` at the in-layer
    offset ``o_j``."""
    if stencil not in STENCILS:
        raise ValueError(f"stencil must be one of {STENCILS}; got {stencil!r}")
    nd = len(shape)
    grid = Grid(tuple(shape), (1.0,) * nd, tuple(bc))
    a = block_axis(grid)
    order = [a] + [d for d in range(nd) if d != a]  # block ordering of the axes
    dims = [shape[d] for d in order]
    periodic = [bc[d] == "periodic" for d in order]
    cells = np.indices(dims).reshape(nd, -1)  # (nd, N), block ordering
    N = cells.shape[1]
    n_a, n_rest = dims[0], N // dims[0]
    if stencil == "box":
        p = [_period(n, per) for n, per in zip(dims, periodic)]
        colours = np.ravel_multi_index(tuple(cells[i] % p[i] for i in range(nd)), p)
    else:
        colours = _cross_colours(dims, periodic)
    n_colours = int(colours.max()) + 1

    def colour(index):
        return colours[np.ravel_multi_index(tuple(index), dims)]

    probes = np.zeros((n_fields, n_colours, n_fields, N))
    for g in range(n_fields):
        probes[g, colours, g, np.arange(N)] = 1.0
    probes = probes.reshape((n_fields * n_colours, n_fields) + tuple(dims))
    probes = np.moveaxis(probes, 2, 2 + a)  # back to the grid's axis order

    offsets = []
    for i in range(1, nd):  # in-layer axes: distinct neighbours only (1 or 2 cells wrap onto themselves)
        offs = (-1, 0, 1)
        if periodic[i]:
            offs = tuple(o - dims[i] if o > 1 else o for o in sorted({o % dims[i] for o in offs}))
        offsets.append(offs)
    in_layer = np.array(np.meshgrid(*offsets, indexing="ij")).reshape(nd - 1, -1).T if nd > 1 else np.zeros((1, 0), int)
    masks = np.zeros((3, len(in_layer), n_colours, N))
    shifts = np.zeros((len(in_layer), n_rest, n_rest))

    def rest(index):  # position of cells within their layer
        return np.ravel_multi_index(tuple(index[1:]), dims[1:]) if nd > 1 else 0

    for j, o_rest in enumerate(in_layer):
        for o_a in (-1, 0, 1):
            target = cells + np.concatenate([[o_a], o_rest]).astype(int)[:, None]
            valid = np.ones(N, bool)
            for i in range(nd):
                if periodic[i] and i > 0:
                    target[i] %= dims[i]
                else:  # no flux, or the block axis: no coupling out of [0, n)
                    valid &= (target[i] >= 0) & (target[i] < dims[i])
            if stencil == "cross" and abs(o_a) + int(np.count_nonzero(o_rest)) > 1:
                valid[:] = False  # a corner of the box: outside the stencil
            masks[o_a + 1, j, colour(target[:, valid]), np.nonzero(valid)[0]] = 1.0
            if o_a == 0:
                layer = valid & (cells[0] == 0)
                shifts[j, rest(cells[:, layer]), rest(target[:, layer])] = 1.0
    return Colouring(probes, masks, shifts, a, (n_a, n_fields * n_rest))


def stencil_values(jvp, c: Colouring, dtype) -> jnp.ndarray:
    """``(3, n_shift, F, F, n_a, n_rest)``: the Jacobian's entry of each row (field f, cell
    (k, r)) at its neighbour in each direction (block offset, in-layer offset j) and field g,
    from the products of ``jvp`` (a Jacobian-vector product for tangents of shape ``(F,
    *shape)``) with the probes: the probe of g and the neighbour's colour, read in that row."""
    n_a, m = c.blocks
    F = c.probes.shape[1]
    N = n_a * (m // F)
    products = jax.vmap(jvp)(jnp.asarray(c.probes, dtype))
    n_colours = c.masks.shape[2]
    products = jnp.moveaxis(products, 2 + c.axis, 2).reshape(F, n_colours, F, N)  # (g, colour, f, N)
    # masked sum over the colours, elementwise (XLA fuses it): a gather at static indices cost
    # as much again as the probes (21 against 12 ms for 14 probes on 96 x 64 cells)
    masks = jnp.asarray(c.masks, dtype)
    values = sum(masks[:, :, k, None, None, :] * jnp.swapaxes(products[:, k], 0, 1)[None, None]
                 for k in range(n_colours))  # (3, j, f, g, N)
    return values.reshape(values.shape[:4] + (n_a, m // F))


def _dense_block(v, c: Colouring) -> jnp.ndarray:
    """``(m, m)``: one block from its entries ``v`` of shape ``(n_shift, F, F, n_rest)``."""
    shifts = jnp.asarray(c.shifts, v.dtype)
    dense = sum(v[j, :, :, :, None] * shifts[j] for j in range(shifts.shape[0]))  # (f, g, r, q)
    m = c.blocks[1]
    return jnp.transpose(dense, (0, 2, 1, 3)).reshape(m, m)


def layer_blocks(values, c: Colouring, k) -> jnp.ndarray:
    """``(3, m, m)``: the lower, diagonal and upper blocks of layer ``k`` (``stencil_values``)."""
    return jnp.stack([_dense_block(values[o, :, :, :, k], c) for o in range(3)])


def block_jacobian(jvp, c: Colouring, dtype) -> jnp.ndarray:
    """``(3, n_a, m, m)``: the lower, diagonal and upper blocks of every layer, dense."""
    values = stencil_values(jvp, c, dtype)
    return jax.vmap(lambda k: layer_blocks(values, c, k), out_axes=1)(jnp.arange(c.blocks[0]))


def to_blocks(v, c: Colouring):
    """``(F, *shape)`` -> ``(n_a, m)`` in the block ordering."""
    return jnp.moveaxis(v, c.axis + 1, 0).reshape(c.blocks)


def from_blocks(x, c: Colouring, shape):
    """Inverse of ``to_blocks`` for fields of ``shape = (F, *grid.shape)``."""
    moved = (shape[c.axis + 1],) + tuple(s for i, s in enumerate(shape) if i != c.axis + 1)
    return jnp.moveaxis(x.reshape(moved), 0, c.axis + 1)


def _neighbours(c: Colouring) -> tuple[np.ndarray, np.ndarray]:
    """``(n_shift, n_rest)`` in-layer index of each cell's neighbour at each in-layer offset
    (0 where there is none) and ``(n_shift, n_rest)`` 1 where there is one."""
    return np.argmax(c.shifts, axis=2), c.shifts.sum(axis=2)


def _off_layer_product(v, c: Colouring, x):
    """``B x`` for an off-layer block ``B = sum_j diag(v_j) P_j`` (``layer_blocks``) without
    forming it: ``v`` of shape ``(n_shift, F, F, n_rest)``, ``x`` of shape ``(m, ...)``. Each
    ``P_j`` picks a neighbour's row, so the product is a gather and ``n_shift F`` scaled row
    sums: ``n_shift F m`` flops per column instead of ``m^2``."""
    nb, valid = _neighbours(c)
    F = v.shape[1]
    rows = x.reshape((F, nb.shape[1]) + x.shape[1:])[:, nb]  # (g, j, r, ...)
    w = v * jnp.asarray(valid, v.dtype)[:, None, None, :]
    extra = (None,) * (x.ndim - 1)
    out = [sum(w[j, f, g][(slice(None),) + extra] * rows[g, j] for j in range(nb.shape[0]) for g in range(F))
           for f in range(F)]  # elementwise: XLA fuses it (an einsum became n_rest tiny matmuls)
    return jnp.stack(out).reshape(x.shape)


def _lu_apply(lu, perm, b):
    """``S^-1 b`` from ``P S = L U`` packed in ``lu`` with the row permutation ``perm``
    (``lax.linalg.lu``); ``b`` of shape ``(m,)`` or ``(m, k)``. The permutation is kept
    rather than the LAPACK pivots, which ``lu_solve`` would turn into one at every call."""
    x = b[perm].reshape(b.shape[0], -1)
    x = lax.linalg.triangular_solve(lu, x, left_side=True, lower=True, unit_diagonal=True)
    x = lax.linalg.triangular_solve(lu, x, left_side=True, lower=False)
    return x.reshape(b.shape)


class BlockLU(NamedTuple):
    """Factors of a block-tridiagonal matrix (module docstring)."""

    lu: jnp.ndarray  # (n_a, m, m) LU of S_k
    perm: jnp.ndarray  # (n_a, m) its row permutation
    G: jnp.ndarray  # (n_a, m, m) S_k^-1 U_k
    lower: jnp.ndarray  # (n_a, n_shift, F, F, n_rest): the entries of L_k (``_off_layer_product``)


def factor(values, c: Colouring, scale) -> BlockLU:
    """Block elimination of ``W = I + scale J`` for the Jacobian ``J`` of ``stencil_values``;
    each layer's diagonal and upper blocks are formed inside the elimination, where they stay
    in cache, and ``L_k G_{k-1}`` is taken row by row (``_off_layer_product``)."""
    n_a, m = c.blocks
    eye = jnp.eye(m, dtype=values.dtype)

    def body(G_prev, k):
        v = scale * values[:, :, :, :, k]  # (3, j, f, g, r)
        lower = jnp.where(k > 0, v[0], 0.0)
        S = eye + _dense_block(v[1], c) - _off_layer_product(lower, c, G_prev)
        lu, _, perm = lax.linalg.lu(S)
        G = _lu_apply(lu, perm, _dense_block(v[2], c))
        return G, (lu, perm, G, lower)

    _, (lu, perm, G, lower) = lax.scan(body, jnp.zeros((m, m), values.dtype), jnp.arange(n_a))
    return BlockLU(lu, perm, G, lower)


def solve(f: BlockLU, c: Colouring, b):
    """``x`` with ``tridiag(L, D, U) x = b`` for ``b`` of shape ``(n_a, m)`` (``factor``)."""
    def forward(z_prev, k):
        z = _lu_apply(f.lu[k], f.perm[k], b[k] - _off_layer_product(f.lower[k], c, z_prev))
        return z, z

    _, z = lax.scan(forward, jnp.zeros_like(b[0]), jnp.arange(b.shape[0]))

    def backward(x_next, k):
        x = z[k] - f.G[k] @ x_next
        return x, x

    _, x = lax.scan(backward, jnp.zeros_like(b[0]), jnp.arange(b.shape[0]), reverse=True)
    return x


__all__ = ["BlockLU", "Colouring", "DIRECT_BLOCK_LIMIT", "block_axis", "block_jacobian", "block_size", "colouring",
           "factor", "from_blocks", "layer_blocks", "solve", "stencil_values", "to_blocks"]
