"""Cell-lattice helpers for grain maps: shifted copies, neighbour pairs, connected components.

Everything acts on integer label arrays of a grid's shape (numpy, host side: grain maps are
built once, or between jitted chunks of a run). Periodic axes wrap around; on no-flux axes a
shifted copy is padded with ``fill`` (``-1``: no grain).

Neighbourhoods are Chebyshev balls: the offsets ``s`` with ``0 < max_d |s_d| <= reach``
(``reach = 1``: the 8 neighbours in 2D, 26 in 3D, diagonals included).
"""

from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np


def periodic_axes(bc: Sequence[str] | str, ndim: int) -> tuple[bool, ...]:
    """Per-axis flags from a grid's ``bc`` (``"periodic"``/``"noflux"``, or a tuple of them)."""
    bcs = (bc,) * ndim if isinstance(bc, str) else tuple(bc)
    if len(bcs) != ndim or any(b not in ("periodic", "noflux") for b in bcs):
        raise ValueError(f"bc must be 'periodic' or 'noflux' per axis for {ndim} axes; got {bc!r}")
    return tuple(b == "periodic" for b in bcs)


def shifted(a: np.ndarray, offset: Sequence[int], periodic: Sequence[bool], fill=-1) -> np.ndarray:
    """``b[x] = a[x + offset]``, wrapping periodic axes and padding the others with ``fill``."""
    out = a
    for ax, (s, per) in enumerate(zip(offset, periodic)):
        if s == 0:
            continue
        if per:
            out = np.roll(out, -s, axis=ax)
            continue
        n = out.shape[ax]
        pad = np.full(out.shape[:ax] + (min(abs(s), n),) + out.shape[ax + 1:], fill, dtype=out.dtype)
        if abs(s) >= n:
            out = np.full_like(out, fill)
        elif s > 0:
            out = np.concatenate([np.take(out, np.arange(s, n), axis=ax), pad], axis=ax)
        else:
            out = np.concatenate([pad, np.take(out, np.arange(0, n + s), axis=ax)], axis=ax)
    return out


def ball_offsets(ndim: int, reach: int) -> list[tuple[int, ...]]:
    """Offsets of the Chebyshev ball of radius ``reach`` without the origin."""
    r = range(-reach, reach + 1)
    return [s for s in itertools.product(r, repeat=ndim) if any(s)]


def neighbour_pairs(labels: np.ndarray, periodic: Sequence[bool], reach: int = 1) -> np.ndarray:
    """Distinct label pairs ``(a, b)``, ``0 <= a < b``, with a cell of ``a`` and a cell of ``b``
    within Chebyshev distance ``reach`` (cells). Returns an int64 array of shape (E, 2).

    Only cells with another label within ``reach`` (found by a separable max/min filter) are
    visited, and each pair is encoded as one integer ``a n + b`` so that duplicates are
    removed by a 1D sort per offset."""
    if reach < 1:
        raise ValueError(f"reach must be a positive number of cells; got {reach}")
    labels = np.asarray(labels, dtype=np.int64)
    n = int(labels.max()) + 1 if labels.size else 0
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    band = (labels >= 0) & ((dilate(labels, periodic, reach, "max") != labels)
                            | (dilate(labels, periodic, reach, "min") != labels))
    if not band.any():
        return np.zeros((0, 2), dtype=np.int64)
    where = np.nonzero(band)
    own = labels[where]
    shape = np.asarray(labels.shape)
    keys = []
    # half of the ball suffices: the pair (x, x + s) is the pair (x', x' - s) read backwards
    for s in ball_offsets(labels.ndim, reach):
        if s <= tuple(-v for v in s):
            continue
        coords, inside = [], np.ones(own.size, dtype=bool)
        for ax, (c, off) in enumerate(zip(where, s)):
            c = c + off
            if periodic[ax]:
                c = c % shape[ax]
            else:
                inside &= (c >= 0) & (c < shape[ax])
                c = np.clip(c, 0, shape[ax] - 1)
            coords.append(c)
        other = labels[tuple(coords)]
        hit = inside & (other >= 0) & (other != own)
        if hit.any():
            a, b = own[hit], other[hit]
            keys.append(np.unique(np.minimum(a, b) * n + np.maximum(a, b)))
    if not keys:
        return np.zeros((0, 2), dtype=np.int64)
    keys = np.unique(np.concatenate(keys))
    return np.stack([keys // n, keys % n], axis=1)


def connected_components(mask: np.ndarray, periodic: Sequence[bool], key: np.ndarray | None = None) -> np.ndarray:
    """Face-connected components of ``mask`` (cells with equal ``key`` only, when given).

    Returns labels ``0..n-1`` on the mask (numbered in order of their smallest flat cell
    index) and -1 elsewhere. Minimum-label propagation over the 2 ndim face neighbours with
    pointer jumping (a label is a flat cell index of the same component, so ``lab[lab]`` is
    one too), which converges in a few tens of sweeps for grains of any size.
    """
    mask = np.asarray(mask, dtype=bool)
    shape = mask.shape
    key = np.zeros(shape, dtype=np.int64) if key is None else np.asarray(key)
    big = np.iinfo(np.int64).max
    lab = np.where(mask, np.arange(mask.size, dtype=np.int64).reshape(shape), big)
    offsets = [tuple(int(d == ax) * sgn for d in range(mask.ndim)) for ax in range(mask.ndim) for sgn in (1, -1)]
    same = [mask & shifted(mask, s, periodic, fill=False) & (shifted(key, s, periodic, fill=0) == key)
            for s in offsets]
    while True:
        new = lab
        for s, ok in zip(offsets, same):
            new = np.where(ok, np.minimum(new, shifted(lab, s, periodic, fill=big)), new)
        flat = new.ravel()
        inside = flat != big
        while True:  # pointer jumping
            jumped = flat.copy()
            jumped[inside] = flat[flat[inside]]
            if np.array_equal(jumped, flat):
                break
            flat = jumped
        new = flat.reshape(shape)
        if np.array_equal(new, lab):
            break
        lab = new
    out = np.full(shape, -1, dtype=np.int64)
    roots, inverse = np.unique(lab[mask], return_inverse=True)
    out[mask] = inverse.ravel()
    return out


def grow_labels(labels: np.ndarray, periodic: Sequence[bool], steps: int,
                allowed: np.ndarray | None = None) -> np.ndarray:
    """Grow labelled regions (>= 0) into unlabelled cells (-1), one face-neighbour shell per
    step (``allowed`` restricts the cells that may be claimed); where two regions reach a cell
    in the same step the larger label wins (an arbitrary but deterministic tie break)."""
    lab = np.asarray(labels).copy()
    ok = np.ones(lab.shape, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    offsets = [tuple(int(d == ax) * sgn for d in range(lab.ndim)) for ax in range(lab.ndim) for sgn in (1, -1)]
    for _ in range(steps):
        free = (lab < 0) & ok
        if not free.any():
            break
        claim = np.full(lab.shape, -1, dtype=lab.dtype)
        for s in offsets:
            claim = np.maximum(claim, shifted(lab, s, periodic))
        lab = np.where(free & (claim >= 0), claim, lab)
    return lab


def dilate(a: np.ndarray, periodic: Sequence[bool], reach: int, mode: str = "max", empty=-1) -> np.ndarray:
    """Chebyshev-ball max (or min) filter of radius ``reach`` cells over the trailing
    ``len(periodic)`` axes (leading axes are batch axes), separable by axis; cells equal to
    ``empty`` are ignored (for ``mode="min"`` they count as +inf)."""
    a = np.asarray(a)
    if mode == "max":
        work, pad, reduce = a, empty, np.maximum
    elif mode == "min":
        pad = np.iinfo(a.dtype).max if np.issubdtype(a.dtype, np.integer) else np.inf
        work, reduce = np.where(a == empty, pad, a), np.minimum
    else:
        raise ValueError(f"mode must be 'max' or 'min'; got {mode!r}")
    lead = a.ndim - len(periodic)
    flags = (True,) * lead + tuple(periodic)
    for ax in range(lead, a.ndim):
        out = work
        for s in range(1, reach + 1):
            for sgn in (1, -1):
                off = tuple(sgn * s * int(d == ax) for d in range(a.ndim))
                out = reduce(out, shifted(work, off, flags, fill=pad))
        work = out
    return np.where(work == pad, empty, work) if mode == "min" else work
