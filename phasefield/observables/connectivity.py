"""Connectivity of the fast Li phases in an electrode slab: beta percolation and trapped Li
(DESIGN 5). Host-side (numpy) graph work on a snapshot; call it between jitted chunks.

Geometry (DESIGN 2.4, ``phasefield.geometry``): axis 0 runs from the solid electrolyte (SE,
low index) to the current collector (the last layer, high index); the other axes follow the
grid's ``bc`` (periodic in the packings). Cells belong to the solid where ``psi >= 1/2`` (the
``psi = 1/2`` surface is the particle surface of the smoothed boundary method). Phases are
those of ``phase_labels``: alpha ``X < (Xa + Xb)/2``, beta up to ``(Xc + XLi)/2``, Li metal
above. Clusters are face-connected (2 ndim neighbours), so two particles or two beta regions
touching only along an edge or a corner are not joined; a diffuse pore between particles
(psi < 1/2) never carries a path.

The electrolyte side of a cluster is, by default, the first layer along axis 0 that holds any
solid cell (with an SE gap, the layer just past the SE face, where the first particle layer
is pressed flat against it); ``contact_cells`` builds the alternative from the active-surface
weight of a ``Domain``, and any boolean mask may be passed.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from phasefield.grains.lattice import connected_components, shifted
from phasefield.grid import Grid

SOLID_PSI = 0.5  # the particle surface of the smoothed boundary method


def _periodic(grid: Grid, shape: tuple[int, ...]) -> tuple[bool, ...]:
    if tuple(shape) != tuple(grid.shape):
        raise ValueError(f"field of shape {tuple(shape)} on a grid of shape {grid.shape}; pass fields of the "
                         f"grid's shape (one snapshot, no batch axis)")
    if grid.bc[0] == "periodic":
        raise ValueError("electrode observables need a slab: axis 0 runs from the electrolyte to the current "
                         "collector and must be 'noflux'; got a periodic axis 0")
    return tuple(b == "periodic" for b in grid.bc)


def phase_index(X, energy) -> np.ndarray:
    """``phase_labels`` as numpy int8: 0 alpha, 1 beta, 2 Li metal."""
    X = np.asarray(X, dtype=np.float64)
    cut1 = float(0.5 * (energy.Xa + energy.Xb))
    cut2 = float(0.5 * (energy.Xc + energy.XLi))
    return (X >= cut1).astype(np.int8) + (X >= cut2).astype(np.int8)


def first_solid_layer(solid: np.ndarray) -> int:
    """Index along axis 0 of the first layer holding a solid cell (ValueError if none)."""
    layers = np.flatnonzero(np.asarray(solid).reshape(solid.shape[0], -1).any(axis=1))
    if layers.size == 0:
        raise ValueError("no solid cell (psi >= 1/2) in the field; the electrode observables need a solid")
    return int(layers[0])


def face_cells(solid: np.ndarray) -> np.ndarray:
    """Solid cells of the first solid layer along axis 0 (the default electrolyte contact)."""
    solid = np.asarray(solid, dtype=bool)
    out = np.zeros_like(solid)
    i0 = first_solid_layer(solid)
    out[i0] = solid[i0]
    return out


def contact_cells(surface, psi, rel: float = 0.1) -> np.ndarray:
    """Solid cells where the active-surface weight (``Domain.surface``, 1/um) is at least
    ``rel`` times its maximum.

    The weight ``2 psi |d psi_E/dx|`` of ``geometry.electrolyte_contact`` never vanishes
    exactly (a sech^2 tail), hence a relative cut. Against a flat contact patch it is
    ``(1 + tanh z) sech^2 z / width`` with ``z = 2 s / width`` at the depth s behind the SE
    face, largest (1.185 / width) at z = 0.35 and down to a tenth of that at z = 2.08: with
    the default ``rel = 0.1`` the cells within about one interface width of the face count
    as in contact, where most of the surface flux lands."""
    surface = np.asarray(surface, dtype=np.float64)
    peak = surface.max()
    if not peak > 0:
        raise ValueError("the active-surface weight is zero everywhere; no cell touches the electrolyte")
    return (surface >= rel * peak) & (np.asarray(psi) >= SOLID_PSI)


def _check_phases(phases: Sequence[int]) -> tuple[int, ...]:
    phases = tuple(int(p) for p in phases)
    if not phases or any(p not in (1, 2) for p in phases):
        raise ValueError(f"phases are the fast Li phases, a non-empty subset of (1, 2) (1 beta, 2 Li metal); "
                         f"got {phases}")
    return phases


class Clusters(NamedTuple):
    """Face-connected clusters of the fast phases inside the solid.

    labels: int64 cells, cluster index ``0..n-1`` or -1 (not a fast-phase solid cell).
    to_electrolyte, to_collector: bool (n,), whether a cluster holds an electrolyte-contact
        cell / a cell of the last layer along axis 0.
    """

    labels: np.ndarray
    to_electrolyte: np.ndarray
    to_collector: np.ndarray


def fast_clusters(X, psi, energy, grid: Grid, *, electrolyte=None, phases: Sequence[int] = (1,)) -> Clusters:
    """Clusters of the cells with ``psi >= 1/2`` whose phase is in ``phases`` (module docstring);
    ``electrolyte`` is a boolean mask of the contact cells (default ``face_cells``)."""
    X = np.asarray(X, dtype=np.float64)
    periodic = _periodic(grid, X.shape)
    phases = _check_phases(phases)
    solid = np.asarray(psi) >= SOLID_PSI
    fast = solid & np.isin(phase_index(X, energy), phases)
    face = face_cells(solid) if electrolyte is None else np.asarray(electrolyte, dtype=bool)
    if face.shape != X.shape:
        raise ValueError(f"electrolyte mask of shape {face.shape}, expected the field shape {X.shape}")
    labels = connected_components(fast, periodic)
    n = int(labels.max()) + 1
    hit_e = np.zeros(n, dtype=bool)
    hit_e[labels[face & fast]] = True
    hit_c = np.zeros(n, dtype=bool)
    hit_c[labels[-1][fast[-1]]] = True
    return Clusters(labels, hit_e, hit_c)


class Percolation(NamedTuple):
    """percolates: a cluster joins the electrolyte contact and the collector.
    share: psi-weighted volume of the percolating clusters over that of all fast-phase solid
        cells (0 when there is none); dimensionless.
    clusters: the ``Clusters`` it was computed from."""

    percolates: bool
    share: float
    clusters: Clusters


def beta_percolation(X, psi, energy, grid: Grid, *, electrolyte=None, phases: Sequence[int] = (1,)) -> Percolation:
    """Does a connected beta cluster join the electrolyte and the current collector (DESIGN 5)?

    A cluster percolates when it holds an electrolyte-contact cell (``electrolyte``, default
    the first solid layer along axis 0) and a cell of the last layer along axis 0 (the
    collector). The share is

        share = sum_{c in P} psi_c / sum_{c in B} psi_c

    over the beta cells ``B`` of the solid (psi >= 1/2) and those ``P`` of percolating
    clusters (the psi weighting matches the psi-weighted beta fraction). ``phases=(1, 2)``
    lets Li metal carry the path as well.

    Args:
        X: Li atom fraction (cells); psi: smoothed solid indicator (cells); energy: a
            ``LiAlEnergy`` (for the phase cuts); grid: the grid (axis 0 'noflux').
    Returns a ``Percolation``.
    """
    clusters = fast_clusters(X, psi, energy, grid, electrolyte=electrolyte, phases=phases)
    psi = np.asarray(psi, dtype=np.float64)
    inside = clusters.labels >= 0
    through = clusters.to_electrolyte & clusters.to_collector
    total = psi[inside].sum()
    share = float(psi[inside][through[clusters.labels[inside]]].sum() / total) if total > 0 else 0.0
    return Percolation(bool(through.any()), share, clusters)


class TrappedLi(NamedTuple):
    """amount: trapped Li, ``sum psi X dV`` over the trapped cells (um^ndim: um^3 in 3D, um^2
        per um of depth in 2D).
    fraction: amount over the total ``sum psi X dV``.
    in_alpha: the part of ``amount`` held in alpha cells (X below the alpha/beta cut).
    in_isolated: the rest: fast-phase clusters with no path to the electrolyte.
    volume: psi-weighted volume of the trapped cells (um^ndim); ``amount - Xa volume`` is the
        Li in excess of the alpha composition.
    mask: bool cells, True where trapped."""

    amount: float
    fraction: float
    in_alpha: float
    in_isolated: float
    volume: float
    mask: np.ndarray


def _spread_status(status: np.ndarray, allowed: np.ndarray, periodic) -> np.ndarray:
    """Give unlabelled ``allowed`` cells (status -1) the status of the nearest labelled cell,
    one face-neighbour shell per sweep; ties go to the larger status (free beats trapped)."""
    offsets = [tuple(int(d == ax) * s for d in range(status.ndim)) for ax in range(status.ndim) for s in (1, -1)]
    while True:
        free = (status < 0) & allowed
        claim = np.full_like(status, -1)
        for off in offsets:
            claim = np.maximum(claim, shifted(status, off, periodic))
        take = free & (claim >= 0)
        if not take.any():
            return status
        status = np.where(take, claim, status)


def trapped_li(X, psi, energy, grid: Grid, *, electrolyte=None, phases: Sequence[int] = (1, 2)) -> TrappedLi:
    """Li that no fast path connects to the electrolyte (DESIGN 5, 2.5 alpha-shell trapping).

    A solid cell (psi >= 1/2) is free when it belongs to a face-connected cluster of the fast
    phases (``phases``; default beta and Li metal) that holds an electrolyte-contact cell
    (``electrolyte``, default the first solid layer along axis 0); every other solid cell is
    trapped: alpha everywhere (D_alpha ~ 2.6e-9 um^2/s, so Li crosses 10 nm of alpha in ~10 h,
    DESIGN 2.3) and fast clusters enclosed by alpha. Diffuse-rim cells (0 < psi < 1/2) take
    the status of the nearest solid cell (free on a tie); rim cells that reach no solid cell
    count as trapped. Li metal is a fast phase by default because metal touching the
    electrolyte strips directly (D_Li ~ 1.6e-2 um^2/s); with ``phases=(1,)`` only beta
    carries paths and Li metal cells count as trapped.

    Measure: the psi-weighted Li content ``sum_trapped psi X dV``, not the Li in excess of the
    alpha composition. Reasons: it is the same measure as the total ``sum psi X dV`` the solver
    conserves and the capacity is computed from, so ``fraction`` lies in [0, 1]; and the alpha
    cells, which count as trapped by definition, would contribute ~0 (or negative amounts below
    Xa) to an excess. The excess is ``amount - Xa * volume``.

    Returns a ``TrappedLi``.
    """
    X = np.asarray(X, dtype=np.float64)
    psi = np.asarray(psi, dtype=np.float64)
    periodic = _periodic(grid, X.shape)
    clusters = fast_clusters(X, psi, energy, grid, electrolyte=electrolyte, phases=phases)
    solid = psi >= SOLID_PSI
    lab = clusters.labels
    free_solid = np.zeros(X.shape, dtype=bool)
    free_solid[lab >= 0] = clusters.to_electrolyte[lab[lab >= 0]]
    status = np.where(solid, free_solid.astype(np.int64), -1)
    status = _spread_status(status, (~solid) & (psi > 0), periodic)
    trapped = status != 1
    li = psi * X * grid.cell_volume
    total = li.sum()
    amount = float(li[trapped].sum())
    alpha = phase_index(X, energy) == 0
    in_alpha = float(li[trapped & alpha].sum())
    volume = float((psi * grid.cell_volume)[trapped].sum())
    fraction = amount / float(total) if total > 0 else 0.0
    return TrappedLi(amount, fraction, in_alpha, amount - in_alpha, volume, trapped)
