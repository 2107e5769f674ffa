"""Graph colouring of grains onto a few Allen-Cahn order parameters, and their initial fields.

The multi-order-parameter model (Fan & Chen, Acta Mater. 45, 611 (1997); Moelans, Blanpain &
Wollants, PRB 78, 024113 (2008)) needs a distinct order parameter for each pair of grains that
touch: two grains on one field would coalesce where they meet. Many grains therefore share a
few fields through a colouring of the grain adjacency graph (Krill & Chen, Acta Mater. 50,
3057 (2002) used 25 fields for thousands of grains; Vedantam & Patnaik, PRE 73, 016703 (2006)
colour and remap dynamically).

- ``grain_adjacency``: grains are adjacent when a cell of one lies within ``reach`` cells
  (Chebyshev distance: diagonals and periodic images included) of a cell of the other.
  ``reach`` > 1 keeps same-field grains a margin apart, so that their diffuse interfaces do
  not meet either.
- ``dsatur``: Brelaz's DSatur (Commun. ACM 22, 251 (1979)): colour next the uncoloured grain
  whose neighbours already use the most distinct colours (ties: most neighbours). A grain
  takes an allowed colour (none of its neighbours' colours), so the result is proper by
  construction, and it is checked; with ``n_colours`` > max degree it always succeeds. Among
  the allowed colours it takes the one least used by the grains two steps away (ties: least
  used overall), which spreads same-field grains apart and balances the fields.
- ``order_parameters``: ``eta_k`` = indicator of the grains of colour k, smoothed by a
  (lattice) Gaussian of standard deviation ``0.8 w`` (a smoothed step ``[1 - erf(x / (sqrt(2) s))]/2``
  with the central slope of the flat grain-boundary profile ``[1 - tanh(x / w)] / 2``,
  ``w = sqrt(2 kappa_eta / m)`` for ``GrainEnergy`` with gamma = 1.5). The fields sum to 1
  inside a fully solid region.
"""

from __future__ import annotations

import numpy as np

from phasefield.grains.lattice import neighbour_pairs, periodic_axes
from phasefield.grid import Grid


class ColouringError(ValueError):
    """Raised when the grains cannot be coloured with the number of fields asked for."""


def grain_adjacency(labels: np.ndarray, bc, reach: int = 1) -> np.ndarray:
    """Pairs ``(a, b)``, ``a < b``, of grains within ``reach`` cells of each other.

    Args:
        labels: per-cell grain labels (>= 0), -1 where there is no grain.
        bc: the grid's boundary kinds (``grid.bc``): periodic axes count neighbours across.
        reach: Chebyshev distance in cells (1: faces, edges and corners touch).
    """
    labels = np.asarray(labels)
    return neighbour_pairs(labels, periodic_axes(bc, labels.ndim), reach)


def _adjacency_lists(n: int, edges: np.ndarray) -> list[np.ndarray]:
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    both = np.concatenate([edges, edges[:, ::-1]])
    order = np.argsort(both[:, 0], kind="stable")
    both = both[order]
    splits = np.searchsorted(both[:, 0], np.arange(n + 1))
    return [np.unique(both[splits[i]:splits[i + 1], 1]) for i in range(n)]


def dsatur(n: int, edges: np.ndarray, n_colours: int) -> np.ndarray:
    """A proper colouring ``c[0..n-1]`` in ``0..n_colours-1`` of the graph (DSatur, module
    docstring); raises ``ColouringError`` when a vertex finds no free colour."""
    if n_colours < 1:
        raise ColouringError(f"n_colours must be at least 1; got {n_colours}")
    nbrs = _adjacency_lists(n, edges)
    degree = np.array([len(a) for a in nbrs], dtype=np.int64)
    colour = np.full(n, -1, dtype=np.int64)
    seen = np.zeros((n, n_colours), dtype=np.int64)  # neighbours of v with colour c
    used = np.zeros(n_colours, dtype=np.int64)
    for _ in range(n):
        saturation = np.count_nonzero(seen, axis=1)
        score = np.where(colour < 0, saturation * (n + 1) + degree, -1)
        v = int(np.argmax(score))
        free = np.flatnonzero(seen[v] == 0)
        if free.size == 0:
            raise ColouringError(
                f"grain {v} touches grains of all {n_colours} fields (degree {degree[v]}); raise "
                f"the number of order parameters or lower the adjacency reach")
        ring2 = np.setdiff1d(np.concatenate([nbrs[u] for u in nbrs[v]] or [np.zeros(0, np.int64)]),
                             np.append(nbrs[v], v))
        c2 = colour[ring2]
        near = np.bincount(c2[c2 >= 0], minlength=n_colours)
        c = int(free[np.lexsort((used[free], near[free]))[0]])
        colour[v] = c
        used[c] += 1
        seen[nbrs[v], c] += 1
    if np.any(colour[edges[:, 0]] == colour[edges[:, 1]]) if len(edges) else False:
        raise ColouringError("internal error: the colouring is not proper")
    return colour


def colour_grains(labels: np.ndarray, bc, n_fields: int, reach: int = 1) -> np.ndarray:
    """Field index per grain (``labels`` 0..n-1) such that grains within ``reach`` cells of
    each other never share a field."""
    labels = np.asarray(labels)
    n = int(labels.max()) + 1 if (labels >= 0).any() else 0
    return dsatur(n, grain_adjacency(labels, bc, reach), n_fields)


def gaussian_smooth(a: np.ndarray, grid: Grid, sigma: float) -> np.ndarray:
    """Lattice Gaussian of standard deviation ``sigma`` (um) over the trailing grid axes.

    The filter is the heat kernel of the grid's discrete Laplacian, ``exp((sigma^2/2) lap_h)``,
    multiplier ``exp(-(sigma^2/2) lam)`` with ``lam = sum_d (4/h_d^2) sin^2(k_d h_d / 2)``: its
    variance is ``sigma^2`` per axis like the continuous Gaussian's, and, unlike a continuous
    Gaussian cut at the Nyquist frequency (which rings below zero when ``sigma`` is about a
    cell), it is positive and conserves sums, so smoothed indicators stay in [0, 1] and sum to
    1 where the indicators do. Periodic axes by FFT, no-flux axes by FFT of the
    mirror-extended array (zero normal derivative)."""
    a = np.asarray(a, dtype=np.float64)
    lead = a.ndim - grid.ndim
    ext = a
    for d, b in enumerate(grid.bc):
        if b == "noflux":
            ext = np.concatenate([ext, np.flip(ext, axis=lead + d)], axis=lead + d)
    spectrum = np.fft.rfftn(ext, axes=tuple(range(lead, ext.ndim)))
    shape = ext.shape[lead:]
    kernel = 1.0
    for d, n in enumerate(shape):
        h = grid.spacing[d]
        freq = np.fft.rfftfreq(n) if d == grid.ndim - 1 else np.fft.fftfreq(n)  # cycles per cell
        lam = (4.0 / h**2) * np.sin(np.pi * freq) ** 2
        kshape = [1] * grid.ndim
        kshape[d] = lam.size
        kernel = kernel * np.exp(-0.5 * sigma**2 * lam.reshape(kshape))
    out = np.fft.irfftn(spectrum * kernel, s=shape, axes=tuple(range(lead, ext.ndim)))
    return out[(Ellipsis,) + tuple(slice(0, n) for n in grid.shape)]


def order_parameters(labels: np.ndarray, colours: np.ndarray, n_fields: int, grid: Grid,
                     width: float, psi: np.ndarray | None = None) -> np.ndarray:
    """Initial order parameters ``(n_fields, *grid.shape)`` of a coloured grain map.

    ``eta_k`` is the indicator of the grains of colour k smoothed by the lattice Gaussian
    (``gaussian_smooth``) of standard deviation ``0.8 width`` (module docstring; ``width`` =
    ``w`` in um, 0 for sharp fields), so the fields lie in [0, 1] and sum to 1 where grains
    fill the grid; multiplied by ``psi`` when given (no grains in pores).
    """
    labels = np.asarray(labels)
    colours = np.asarray(colours)
    if labels.shape != grid.shape:
        raise ValueError(f"labels must have the grid's shape {grid.shape}; got {labels.shape}")
    if labels.max() >= colours.size or (colours.size and colours.max() >= n_fields):
        raise ValueError(f"need a colour in 0..{n_fields - 1} for each of the {labels.max() + 1} grains; "
                         f"got {colours.size} colours up to {colours.max() if colours.size else None}")
    cell_colour = np.where(labels >= 0, colours[np.maximum(labels, 0)], -1)
    eta = np.stack([(cell_colour == k).astype(np.float64) for k in range(n_fields)])
    if width > 0:
        eta = np.clip(gaussian_smooth(eta, grid, 0.8 * width), 0.0, 1.0)
    if psi is not None:
        eta = eta * np.asarray(psi)
    return eta
