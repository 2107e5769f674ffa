"""Alpha-shell thickness per particle (DESIGN 5, 2.5 alpha-shell trapping). Host-side numpy
and ``scipy.ndimage`` on a snapshot.

Definition. For particle k (cells with ``labels == k``; from ``geometry.rasterize`` these are
the cells inside its surface, psi > 1/2) the core is its non-alpha cells (``X >= (Xa + Xb)/2``:
beta, or Li metal). The free surface is sampled on every face between a cell of k and a face
neighbour with psi < 1/2 (a pore or the electrolyte; contacts with other particles and the
collector boundary are not free surface). At each sample the thickness is

    t = max(d_s - h / 2, 0)                           (0 where the surface cell is in the core)
    d_s = d_c + theta (d_n - d_c),   theta = (psi_c - 1/2) / (psi_c - psi_n)

where ``d`` is the Euclidean distance (um) from a cell centre to the nearest core cell centre
of the same particle (exact distance transform, ``scipy.ndimage.distance_transform_edt``;
straight lines, which may cross pores in a non-convex particle), ``c`` the particle cell and
``n`` its outer neighbour, so ``d_s`` is the distance at the ``psi = 1/2`` surface found by
linear interpolation along the face normal. ``h / 2`` (half the mean cell size) moves the
reference from the outermost core cell centres to the core boundary, which lies on average
half a cell beyond them. The particle's shell thickness is the mean of ``t`` over its samples.

Conventions: NaN for a particle without core cells (no beta inside: the shell is the whole
particle) or without free surface or cells; 0 for a particle whose surface cells are all core
(beta reaches the surface everywhere). For a concentric core of radius r_c in a disc or sphere
of radius R the result is R - r_c to within a cell (tests).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from phasefield.grid import Grid
from phasefield.observables.connectivity import SOLID_PSI, phase_index


def _window(coords: np.ndarray, n: int, periodic: bool):
    """Crop indices along one axis for cells at ``coords``: the bounding interval plus a
    margin of one cell; on a periodic axis the interval is taken across the largest gap so a
    particle cut by the box edge stays whole, and a particle spanning (almost) the whole axis
    is tiled three times. Returns (indices, offset of the particle's first cell, extent)."""
    if not periodic:
        lo, hi = int(coords.min()), int(coords.max())
        start, stop = max(lo - 1, 0), min(hi + 2, n)
        return np.arange(start, stop), lo - start, hi - lo + 1
    u = np.unique(coords)
    gaps = np.diff(np.append(u, u[0] + n))
    j = int(np.argmax(gaps))
    first = int(u[(j + 1) % u.size])
    extent = int(((u - first) % n).max()) + 1
    margin = 1 if extent + 2 <= n else n
    return (first - margin + np.arange(extent + 2 * margin)) % n, margin, extent


def alpha_shell_thickness(X, psi, labels, energy, grid: Grid, n_particles: int | None = None) -> np.ndarray:
    """Mean alpha-shell thickness (um) of every particle (module docstring for the definition).

    Args:
        X: Li atom fraction (cells). psi: smoothed solid indicator (cells).
        labels: particle index per cell (int, -1 outside particles), e.g. ``rasterize``'s.
        energy: a ``LiAlEnergy`` (alpha/beta cut). grid: the grid (spacing in um, bc).
        n_particles: length of the result (default ``labels.max() + 1``).
    Returns a float64 array of shape (n_particles,), um; NaN where undefined.
    """
    X = np.asarray(X, dtype=np.float64)
    psi = np.asarray(psi, dtype=np.float64)
    labels = np.asarray(labels)
    if not (X.shape == psi.shape == labels.shape == tuple(grid.shape)):
        raise ValueError(f"X {X.shape}, psi {psi.shape} and labels {labels.shape} must all have the grid shape "
                         f"{grid.shape}")
    n = int(labels.max()) + 1 if n_particles is None else int(n_particles)
    periodic = [b == "periodic" for b in grid.bc]
    core_all = phase_index(X, energy) >= 1
    h = float(np.mean(grid.spacing))
    out = np.full(n, np.nan)
    flat = labels.ravel()
    order = np.argsort(flat, kind="stable")
    bounds = np.searchsorted(flat[order], np.arange(n + 1))
    for k in range(n):
        cells = order[bounds[k]:bounds[k + 1]]
        if cells.size == 0:
            continue
        coords = np.unravel_index(cells, grid.shape)
        wins = [_window(c, grid.shape[a], periodic[a]) for a, c in enumerate(coords)]
        crop = np.ix_(*[w[0] for w in wins])
        mine = labels[crop] == k
        core = mine & core_all[crop]
        if not core.any():
            continue
        # samples only from the central copy of a tiled axis
        centre = np.ones(mine.shape, dtype=bool)
        for a, (_, off, ext) in enumerate(wins):
            pos = np.arange(mine.shape[a])
            sel = (pos >= off) & (pos < off + ext)
            centre &= sel.reshape([-1 if d == a else 1 for d in range(mine.ndim)])
        dist = ndimage.distance_transform_edt(~core, sampling=grid.spacing)
        p = psi[crop]
        samples = []
        for a in range(mine.ndim):
            for s in (1, -1):
                cell = [slice(None)] * mine.ndim
                nbr = [slice(None)] * mine.ndim
                cell[a], nbr[a] = (slice(0, -1), slice(1, None)) if s == 1 else (slice(1, None), slice(0, -1))
                cell, nbr = tuple(cell), tuple(nbr)
                hit = mine[cell] & centre[cell] & (p[nbr] < SOLID_PSI)
                if not hit.any():
                    continue
                pc, pn = p[cell][hit], p[nbr][hit]
                dc, dn = dist[cell][hit], dist[nbr][hit]
                theta = (pc - SOLID_PSI) / (pc - pn)
                t = np.maximum(dc + theta * (dn - dc) - 0.5 * h, 0.0)
                samples.append(np.where(core[cell][hit], 0.0, t))
        if samples:
            out[k] = float(np.mean(np.concatenate(samples)))
    return out


def grain_alpha_layer(X, psi, labels, energy, grid: Grid, n_grains: int | None = None) -> np.ndarray:
    """Alpha-layer thickness (um) of every grain of a pulverized network: the difference of the
    equivalent radii of the grain and of its core,

        t_k = r(V_k) - r(V_k^core),   r(V) = (3 V / (4 pi))^(1/3) in 3D,  (V / pi)^(1/2) in 2D,

    with ``V_k`` the measure of the grain's cells (``labels == k`` and psi >= 1/2) and
    ``V_k^core`` that of its non-alpha cells (``X >= (Xa + Xb)/2``). For a concentric core in a
    round grain this is the layer thickness; otherwise it is the thickness of the equivalent
    concentric layer. Grain-grain contacts count like free surface here (the layer wraps each
    grain), unlike ``alpha_shell_thickness``. NaN for a grain without core or cells.
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    solid = np.asarray(psi) >= SOLID_PSI
    n = int(labels.max()) + 1 if n_grains is None else int(n_grains)
    inside = (labels >= 0) & solid
    cell = float(np.prod(grid.spacing))
    total = np.bincount(labels[inside], minlength=n)[:n] * cell
    core = np.bincount(labels[inside & (phase_index(X, energy) >= 1)], minlength=n)[:n] * cell
    if grid.ndim == 3:
        radius = lambda v: np.cbrt(3.0 * v / (4.0 * np.pi))  # noqa: E731
    else:
        radius = lambda v: np.sqrt(v / np.pi)  # noqa: E731
    return np.where((core > 0) & (total > 0), radius(total) - radius(core), np.nan)
