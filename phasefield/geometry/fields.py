"""Smoothed-boundary fields of a packing: solid indicator psi, particle labels, and the
weight of the active surface against the solid electrolyte.

Smoothed boundary method: Bueno-Orovio, Perez-Garcia & Fenton, SIAM J. Sci. Comput. 28, 886
(2006); Yu, Chen & Thornton, Modelling Simul. Mater. Sci. Eng. 20, 075008 (2012). The solid
enters the model as ``psi dX/dt = div(psi M grad mu) + |grad psi| j_n`` (DESIGN 2.4).
Construction runs once per run: numpy in, numpy out; lengths in um.
"""

from __future__ import annotations

import math

import numpy as np

from phasefield.geometry.packing import Packing, PackingError
from phasefield.grid import Grid


def smoothed_indicator(d: np.ndarray, width: float) -> np.ndarray:
    """``psi = [1 - tanh(2 d / width)] / 2`` of a signed distance ``d`` (um, negative inside).

    psi goes from 0.12 to 0.88 across ``|d| <= width / 2`` and integrates like the sharp
    indicator (the profile is antisymmetric about d = 0); ``width`` in um."""
    return 0.5 * (1.0 - np.tanh(2.0 * np.asarray(d) / width))


def _check_grid(packing: Packing, grid: Grid):
    if grid.ndim != packing.ndim or not np.allclose(grid.lengths, packing.box, rtol=1e-9, atol=0.0):
        raise PackingError(f"grid lengths {grid.lengths} um do not match the packing box {packing.box} um; "
                           f"build the grid with shape[i] * spacing[i] = box[i]")


def signed_distance(packing: Packing, grid: Grid, far: float):
    """Signed distance (um) to the solid at cell centres, clamped at ``far``, and the nearest
    particle (``argmin_k |x - c_k| - r_k``, -1 where every particle is farther than ``far``).

    The solid is the union of the particles (periodic images on axes 1..) cut by the SE face:
    ``d = max(min_k (|x - c_k| - r_k), gap - x0)`` when ``gap > 0`` (with ``gap = 0`` the
    grid boundary cuts it). ``min_k`` is the exact distance outside the union and the distance
    to the nearest particle's surface inside; the face cut is exact away from the rim of a
    contact patch. One vectorised update per particle over its bounding block of cells."""
    _check_grid(packing, grid)
    d = np.full(grid.shape, float(far))
    lab = np.full(grid.shape, -1, dtype=np.int64)
    for k in range(packing.n):
        c, r = packing.centers[k], packing.radii[k]
        index, dist2 = [], 0.0
        for a in range(grid.ndim):
            h, n = grid.spacing[a], grid.shape[a]
            ii = np.arange(math.floor((c[a] - r - far) / h - 0.5), math.ceil((c[a] + r + far) / h - 0.5) + 1)
            if a == 0:
                ii = ii[(ii >= 0) & (ii < n)]
                off = (ii + 0.5) * h - c[a]
            elif ii.size >= n:  # block wider than the box: every cell once, at its nearest image
                ii = np.arange(n)
                off = (ii + 0.5) * h - c[a]
                off -= grid.lengths[a] * np.round(off / grid.lengths[a])
            else:
                off = (ii + 0.5) * h - c[a]
                ii = ii % n
            shape = [1] * grid.ndim
            shape[a] = ii.size
            index.append(ii)
            dist2 = dist2 + off.reshape(shape) ** 2
        block = np.ix_(*index)
        dk = np.sqrt(dist2) - r
        cur = d[block]
        better = dk < cur
        d[block] = np.where(better, dk, cur)
        lab[block] = np.where(better, k, lab[block])
    if packing.gap > 0:
        face = packing.gap - grid.axis_coordinates(0).reshape((-1,) + (1,) * (grid.ndim - 1))
        d = np.minimum(np.maximum(d, face), far)
    return d, lab


def rasterize(packing: Packing, grid: Grid, width: float) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed solid indicator and particle labels on ``grid`` (lengths equal to the box).

    ``psi = [1 - tanh(2 d / width)] / 2`` (``smoothed_indicator``) of the signed distance ``d``
    to the solid (``signed_distance``: union of particles with periodic images on axes 1..,
    cut flat at the SE face x0 = gap); psi = 1 in the solid, 0 in pores and the SE layer
    (exactly 0 beyond d = 3 width, where it is below 6.2e-6). ``width`` (um) is the interface
    width of the smoothed boundary, typically 3-4 cells. ``labels[cell]`` is the particle whose
    surface is nearest (``argmin_k |x - c_k| - r_k``) for cells inside the solid (d < 0, so
    psi > 1/2), else -1.

    Returns ``(psi, labels)``: float64 and int64 arrays of ``grid.shape``.
    """
    if not (np.isfinite(width) and width >= min(grid.spacing)):
        raise PackingError(f"width must be at least one cell ({min(grid.spacing)} um), typically 3-4 cells; "
                           f"got {width}")
    far = 3.0 * width
    d, lab = signed_distance(packing, grid, far)
    psi = np.where(d >= far, 0.0, smoothed_indicator(d, width))
    return psi, np.where(d < 0, lab, -1)


def electrolyte_contact(psi, grid: Grid, face: float, width: float, axis: int = 0,
                        reach: float | None = None) -> np.ndarray:
    """Weight field (1/um) of the active surface where the solid touches the solid electrolyte.

    Model: the SE fills ``x < face`` along ``axis`` (the layer of thickness ``gap`` of the
    packing, ``face = packing.gap``) and is described by the same smoothed indicator as the
    solid, ``psi_E = [1 - tanh(2 (x - face) / width)] / 2``. The solid's psi is cut flat at
    the face (``rasterize``), so against a contact patch ``psi = 1 - psi_E``. The weight

        w = 2 psi |d psi_E / dx|,      |d psi_E / dx| = sech^2(2 (x - face) / width) / width,

    is ``|grad psi|`` on the electrolyte side of the solid: on a fully covered face
    ``int w dx = int_0^1 2 (1 - u) du = 1``, so ``int w dV`` is the face area (um^(ndim-1), per
    um of depth in 2D); where the face meets a pore (psi = 0) it is 0, and ``w / psi`` stays
    bounded, so a flux ``w j_n`` never lands in empty cells.

    Relation to the sharp contact. A particle of radius r pressed into the face by p leaves a
    sharp patch of radius ``a = sqrt(2 r p - p^2)``; at its rim the particle surface meets the
    face at the angle theta, ``cos theta = 1 - p / r``. Near the rim the solid is a wedge; with
    ``S(d) = [1 - tanh(2 d / width)] / 2``, coordinates xi (into the electrode) and eta (along
    the face, patch at eta < 0), the excess of the smoothed over the sharp contact per unit rim
    length is

        E = int dxi 2 |S'(xi)| int deta [S(max(sin(theta) eta - cos(theta) xi, -xi)) - H(-eta) S(-xi)]
          = (2 / sin theta) [(cos theta - 1) A + B] width,    A = 1/8,  B = 1/4
          = (width / 4) cot(theta / 2)        (~ width r / (2 a) for shallow contacts),

    using ``int_z^inf S = (width/4) ln(1 + exp(-4 z / width))`` and ``u = S(xi)`` as the
    variable (A = int_0^1 (1-u) ln((1-u)/u) du / 4, B = -int_0^1 ln(u) du / 4). So

        2D disc:    L = 2 a + (width / 2) cot(theta / 2)        (two rim points)
        3D sphere:  A = pi a^2 + pi a (width / 2) cot(theta / 2)

    up to O(width^2) from the curvature of the rim (tests: 0.5 % in 2D at width = a / 13,
    1e-4 in 3D at width = a / 6.5). The smoothed patch exceeds the sharp one and converges to it
    linearly as width -> 0; particles within about a width of the face without touching it
    also count partly. ``face`` must leave at least one ``width`` of SE inside the grid: the
    part of the profile cut off by the domain start is then below 3.3e-4 of the area.

    The tail. ``|d psi_E / dx|`` falls off as ``(4/width) exp(-4 d / width)`` at a depth d
    behind the face, and a weight that small still passes the electrode's current where the
    Butler-Volmer overpotential is large: when an alpha layer has formed at the face on
    delithiation, Li leaves from the beta behind it through the tail (on a 60 x 48 ensemble,
    a 3 um alpha layer was bypassed at 0.76 V from cells 2.1 um deep with weights of 1.6e-3
    /um, benchmarks/results/electrode_cycle.md). ``reach`` (um) ends the contact there: the
    weight is zero more than ``reach`` behind the face and scaled by ``1 / (1 - u_c)^2``, with
    ``u_c = psi_E(face + reach)``, so that a fully covered face still integrates to 1.

    Args:
        psi: smoothed solid indicator on ``grid`` (from ``rasterize``).
        face: position of the SE face along ``axis``, um.
        width: the interface width used for psi, um.
        reach: depth behind the face beyond which the weight is zero (um); None: no limit.
    Returns the weight (float64 numpy array of ``grid.shape``), 1/um.
    """
    psi = np.asarray(psi, dtype=np.float64)
    if psi.shape != grid.shape:
        raise PackingError(f"psi has shape {psi.shape}, expected the grid shape {grid.shape}")
    length = grid.lengths[axis]
    if not (width > 0 and face >= width and face + width <= length):
        raise PackingError(f"the SE face at {face} um needs at least one interface width ({width} um) of "
                           f"electrolyte before it and of electrode after it inside the grid [0, {length}] um; "
                           f"build the packing with electrolyte_gap >= width")
    x = grid.axis_coordinates(axis)
    t = np.tanh(2.0 * (x - face) / width)
    profile = (1.0 - t * t) / width
    if reach is not None:
        if not reach > 0:
            raise PackingError(f"the contact's reach must be positive, got {reach} um")
        u_c = 0.5 * (1.0 - np.tanh(2.0 * reach / width))
        profile = np.where(x - face <= reach, profile / (1.0 - u_c) ** 2, 0.0)
    shape = [1] * grid.ndim
    shape[axis] = -1
    return 2.0 * psi * profile.reshape(shape)
