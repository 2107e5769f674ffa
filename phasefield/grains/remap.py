"""Grain identity tracking and order-parameter remapping between chunks of a run.

With a few fields carrying many grains (``colouring``), grain growth brings grains of one
field close to each other; if their diffuse interfaces meet they coalesce, which the
multi-order-parameter model must not allow. Between jitted chunks of steps (numpy, host
side) this module

- finds the grains: a core is a face-connected set of cells where one field dominates and
  exceeds ``threshold``, a grain the core (or, once it split, the pieces) tracked under one
  id; ``GrainMap.ids`` holds the grain id of every core cell
  (-1 in grain boundaries and outside the solid), ``GrainMap.field`` the field of each id;
- ``track``: gives each core the id of the previous core it overlaps most on the same field,
  so ids persist through a run (pieces of a split core keep its id; new ids only for cores
  that overlap none); ids not found again have vanished (``field = -1``);
- ``remap``: for each pair of same-field grains whose cores come within ``reach`` cells
  (Chebyshev), moves the smaller one to a field that no grain within ``2 reach`` cells uses
  (else the larger one; else the same within ``reach``; else ``RemapError``): the values of
  the old field on the grain's territory (its core grown by ``rim`` face-neighbour shells
  over cells where that field is above ``floor``) are copied into the new field and zeroed
  in the old one. The grain keeps
  its id; only ``field[id]`` changes. This is the dynamic reassignment of Vedantam &
  Patnaik, PRE 73, 016703 (2006) and of the grain trackers of multi-order-parameter codes.

Because ``g(eta)`` of ``GrainEnergy`` and the gradient energy are symmetric in the fields, a
remap that moves a grain onto a field that is zero on its territory leaves the free energy
unchanged up to the tails cut at the territory's edge. For two same-field grains d cells
apart the territory ends at their midline, where each tail is ``~ exp(-d/w)`` (w the
interface half-width), so the energy changes by ``~ exp(-2d/w)`` (tests/test_grains_remap.py:
relative 2e-4 at d = 5 w): ``reach`` should be a few w, and grains of one field that come
closer than about 3 w coalesce by themselves, remapped or not.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from phasefield.grains.lattice import connected_components, dilate, grow_labels, periodic_axes


class RemapError(RuntimeError):
    """Raised when a grain finds no free field nearby: raise the number of order parameters."""


@dataclasses.dataclass(frozen=True, eq=False)
class GrainMap:
    """Grain identities of one state.

    Attributes:
        ids: per-cell grain id on grain cores, -1 elsewhere (int64, grid shape).
        field: order-parameter index of every id ever used (-1: the grain has vanished).
    """

    ids: np.ndarray
    field: np.ndarray

    @property
    def alive(self) -> np.ndarray:
        """Ids of the grains present."""
        return np.flatnonzero(self.field >= 0)

    def sizes(self) -> np.ndarray:
        """Core cells per id (0 for vanished ids)."""
        return np.bincount(self.ids[self.ids >= 0], minlength=self.field.size)


def _cores(eta: np.ndarray, periodic, threshold: float):
    """Connected cores and the field of each: ``(labels, field_of_label)``."""
    eta = np.asarray(eta)
    dominant = np.argmax(eta, axis=0)
    core = np.max(eta, axis=0) > threshold
    lab = connected_components(core, periodic, key=dominant)
    n = int(lab.max()) + 1
    field = np.zeros(n, dtype=np.int64)
    field[lab[lab >= 0]] = dominant[lab >= 0]
    return lab, field


def grain_map(eta: np.ndarray, bc, threshold: float = 0.5) -> GrainMap:
    """A fresh ``GrainMap`` of ``eta`` (shape ``(n_fields, *grid.shape)``), ids 0..n-1."""
    eta = np.asarray(eta)
    lab, field = _cores(eta, periodic_axes(bc, eta.ndim - 1), threshold)
    return GrainMap(lab, field)


def track(eta: np.ndarray, previous: GrainMap, bc, threshold: float = 0.5) -> GrainMap:
    """The ``GrainMap`` of ``eta`` with the ids of ``previous`` carried over (module docstring).

    A core takes the id of the previous core (on the same field) that it overlaps most. When
    two previous grains overlap one core (they coalesced), the larger overlap keeps its id and
    the other id vanishes; when a core has split, all its pieces keep its id (an id may then
    label a core in pieces). Only a core that overlaps no previous core of its field gets a
    new id."""
    eta = np.asarray(eta)
    lab, cfield = _cores(eta, periodic_axes(bc, eta.ndim - 1), threshold)
    n = cfield.size
    prev = previous.ids
    both = (lab >= 0) & (prev >= 0)
    comp, pid = lab[both], prev[both]
    same = previous.field[pid] == cfield[comp]
    span = previous.field.size
    keys, counts = np.unique(comp[same] * span + pid[same], return_counts=True)
    pairs = np.stack([keys // span, keys % span], axis=1)
    new_field = np.full(previous.field.size, -1, dtype=np.int64)
    assigned = np.full(n, -1, dtype=np.int64)
    # greedy by overlap: each core takes its best still-free previous id
    order = np.argsort(-counts, kind="stable")
    for k in order:
        c, p = pairs[k]
        if assigned[c] < 0 and new_field[p] < 0:
            assigned[c] = p
            new_field[p] = cfield[c]
    # the other pieces of a core that split (a dying grain's last cells, a pinched grain) stay
    # that grain: same field, same id
    for k in order:
        c, p = pairs[k]
        if assigned[c] < 0:
            assigned[c] = p
    fresh = np.flatnonzero(assigned < 0)
    assigned[fresh] = previous.field.size + np.arange(fresh.size)
    new_field = np.concatenate([new_field, cfield[fresh]])
    ids = np.where(lab >= 0, assigned[np.maximum(lab, 0)], -1)
    return GrainMap(ids, new_field)


def coalesced(previous: GrainMap, current: GrainMap) -> np.ndarray:
    """Ids alive in ``previous`` and gone in ``current`` whose last core cells now lie in a
    core of the same field: grains that merged into a same-field neighbour (the artefact
    that remapping prevents), as opposed to grains that shrank away, whose cells the
    neighbouring grains of other fields take over."""
    gone = np.flatnonzero((previous.field >= 0) & (current.field[:previous.field.size] < 0))
    if not gone.size:
        return gone
    cells = np.isin(previous.ids, gone)
    now = current.ids[cells]
    absorbed = (now >= 0) & (current.field[np.maximum(now, 0)] == previous.field[previous.ids[cells]])
    return np.unique(previous.ids[cells][absorbed])


@dataclasses.dataclass(frozen=True)
class Move:
    """One remapping: grain ``grain`` moved from field ``source`` to field ``target``."""

    grain: int
    source: int
    target: int
    cells: int


def _same_field_pairs(ids: np.ndarray, field: np.ndarray, n_fields: int, periodic, reach: int) -> np.ndarray:
    """Pairs ``(a, b)`` of different grains on one field with cores within ``reach`` cells.

    Per field, a Chebyshev max and min filter of the cores' ids finds for every core cell the
    largest and smallest same-field id within ``reach``; a grain with any same-field grain in
    reach appears in at least one returned pair (all pairs when at most two grains of a field
    are close, which is what remapping meets)."""
    cell_field = np.where(ids >= 0, field[np.maximum(ids, 0)], -1)
    per_field = np.stack([np.where(cell_field == k, ids, -1) for k in range(n_fields)])
    own = per_field >= 0
    found = []
    for mode in ("max", "min"):
        other = dilate(per_field, periodic, reach, mode)
        hit = own & (other >= 0) & (other != per_field)
        a, b = per_field[hit], other[hit]
        found.append(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1))
    pairs = np.concatenate(found)
    return np.unique(pairs, axis=0) if len(pairs) else pairs


def _fields_near(ids: np.ndarray, field: np.ndarray, g: int, periodic, reach: int) -> np.ndarray:
    """Fields of the grains (other than ``g``) with a core cell within ``reach`` cells of ``g``."""
    zone = dilate((ids == g).astype(np.int8), periodic, reach, "max", empty=0) > 0
    others = ids[zone & (ids >= 0) & (ids != g)]
    return np.unique(field[others])


def _choose_move(ids, field, n_fields, periodic, reach, candidates):
    """``(grain, field)`` for the first candidate (smallest first) with a field that no grain
    within ``2 reach`` cells uses, else within ``reach``; ``(None, None)`` if there is none."""
    load = np.bincount(field[field >= 0], minlength=n_fields)
    for distance in (2 * reach, reach):
        for g in candidates:
            used = _fields_near(ids, field, int(g), periodic, distance)
            free = np.setdiff1d(np.arange(n_fields), np.append(used, field[g]))
            if free.size:
                # the least loaded free field keeps the fields balanced
                return int(g), int(free[np.argmin(load[free])])
    return None, None


def remap(eta: np.ndarray, gmap: GrainMap, bc, reach: int, rim: int | None = None,
          floor: float = 1e-8) -> tuple[np.ndarray, GrainMap, list[Move]]:
    """Separate same-field grains closer than ``reach`` cells (module docstring).

    Args:
        eta: order parameters ``(n_fields, *grid.shape)`` (numpy).
        gmap: the grain map of ``eta`` (``grain_map`` or ``track``).
        bc: the grid's boundary kinds.
        reach: cells; same-field cores within this Chebyshev distance are separated. It must
            exceed the width of two diffuse interfaces plus the distance boundaries travel
            between two calls.
        rim: face-neighbour shells around a core that move with it (default ``reach``).
        floor: cells where the old field is at most this are not part of the territory.

    Returns:
        ``(eta, gmap, moves)``: new fields, the map with the moved grains' new fields, and the
        list of ``Move`` records.
    """
    eta = np.array(eta, dtype=np.float64, copy=True)
    n_fields = eta.shape[0]
    periodic = periodic_axes(bc, eta.ndim - 1)
    rim = reach if rim is None else rim
    ids, field = gmap.ids, gmap.field.copy()
    sizes = gmap.sizes()
    moves: list[Move] = []
    # each pass moves one grain of every conflicting pair; a moved grain leaves the pairs of
    # its old field, so the passes end (bounded by the number of grains)
    for _ in range(field.size + 1):
        pairs = _same_field_pairs(ids, field, n_fields, periodic, reach)
        if not len(pairs):
            break
        for a, b in pairs:
            if field[a] < 0 or field[a] != field[b]:
                continue  # already separated by an earlier move of this pass
            k = int(field[a])
            smaller_first = sorted((a, b), key=lambda i: (sizes[i], i))
            g, target = _choose_move(ids, field, n_fields, periodic, reach, smaller_first)
            if target is None:
                raise RemapError(
                    f"grains {a} and {b} (field {k}) have no free field among {n_fields} within {reach} "
                    f"cells; use more order parameters or a smaller reach")
            same_field = np.where((ids >= 0) & (field[np.maximum(ids, 0)] == k), ids, -1)
            territory = grow_labels(same_field, periodic, rim, allowed=eta[k] > floor) == g
            eta[target][territory] = np.maximum(eta[target][territory], eta[k][territory])
            eta[k][territory] = 0.0
            field[g] = target
            moves.append(Move(g, k, target, int(territory.sum())))
    else:
        raise RemapError("same-field grains still close after remapping every grain; "
                         "use more order parameters or a smaller reach")
    return eta, GrainMap(ids, field), moves
