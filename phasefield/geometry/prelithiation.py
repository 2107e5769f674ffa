"""Initial Li/Al distribution of an electrode made by in-situ prelithiation (seed 000 Methods:
Li and Al powders mixed at the atom ratio Li:Al = x and pressed)."""

from __future__ import annotations

import numpy as np

from phasefield.geometry.packing import Packing, PackingError

# Al 26.98 g/mol / 2.70 g/cm^3 = 10.0; Li 6.94 g/mol / 0.534 g/cm^3 = 13.0 (CRC Handbook).
MOLAR_VOLUME_AL = 10.0
MOLAR_VOLUME_LI = 13.0


def assign_li_al(
    packing: Packing,
    x_ratio: float,
    seed: int,
    mode: str = "mixed",
    X_al: float = 0.02,
    X_li: float = 1.0,
) -> tuple[np.ndarray, float]:
    """Initial Li atom fraction per particle for Li_xAl made by in-situ prelithiation.

    Seed 000 (Methods) mixes Li and Al powders at the atom ratio Li:Al = x (x = 0.25, 0.5,
    0.75, ...) and presses them; the Li reacts with the Al to beta-LiAl. Two initial states:

    - ``"mixed"``: each particle is either Al (alpha, ``X = X_al``) or Li metal (``X = X_li``).
      Moles per particle are ``V_k / Vm`` with the molar volumes Vm(Al) = 10.0 and Vm(Li) =
      13.0 cm^3/mol (``MOLAR_VOLUME_AL``, ``MOLAR_VOLUME_LI``) and ``V_k`` from
      ``Packing.particle_volumes``, so the Li:Al atom ratio of the electrode is

          x(S) = [sum_S V_k X_li / 13 + sum_notS V_k X_al / 10]
               / [sum_S V_k (1 - X_li) / 13 + sum_notS V_k (1 - X_al) / 10]

      for the set S of Li particles. S is built greedily in a seeded random order (a particle
      joins when that brings x(S) closer to ``x_ratio``), so the achieved ratio is within one
      particle's step of the target and the Li particles are spread at random. Targets below
      the Al floor ``X_al / (1 - X_al)`` (x = 0 included) give no Li particles.
    - ``"prelithiated"``: every particle is Li_xAl with ``X = x / (1 + x)``; the ratio is exact.

    Returns ``(X, x_achieved)``: (n,) float64 atom fractions and the achieved Li:Al ratio.
    """
    if not (np.isfinite(x_ratio) and x_ratio >= 0):
        raise PackingError(f"x_ratio is the Li:Al atom ratio, >= 0; got {x_ratio}")
    if mode == "prelithiated":
        return np.full(packing.n, x_ratio / (1.0 + x_ratio)), float(x_ratio)
    if mode != "mixed":
        raise PackingError(f"mode must be 'mixed' or 'prelithiated'; got {mode!r}")
    vol = packing.particle_volumes()
    li_in = np.stack([vol * X_al / MOLAR_VOLUME_AL, vol * X_li / MOLAR_VOLUME_LI])
    al_in = np.stack([vol * (1 - X_al) / MOLAR_VOLUME_AL, vol * (1 - X_li) / MOLAR_VOLUME_LI])
    is_li = np.zeros(packing.n, dtype=bool)
    li, al = li_in[0].sum(), al_in[0].sum()
    for k in np.random.default_rng(seed).permutation(packing.n):
        li_k, al_k = li + li_in[1, k] - li_in[0, k], al + al_in[1, k] - al_in[0, k]
        if abs(li_k / al_k - x_ratio) < abs(li / al - x_ratio):
            is_li[k], li, al = True, li_k, al_k
    return np.where(is_li, X_li, X_al), float(li / al)


def initial_X(
    packing: Packing,
    labels: np.ndarray,
    psi: np.ndarray,
    per_particle_X: np.ndarray,
    outside: float = 0.02,
) -> np.ndarray:
    """Cell field of the Li atom fraction from per-particle values.

    ``X = per_particle_X[label]`` in labelled cells (inside the solid). Cells of the diffuse
    rim (label -1 but psi > 0) take the value of the nearest labelled cell (grown one cell per
    sweep, periodic on axes 1..), so ``int psi X dV`` over a particle is its X times its
    psi-volume. Cells with psi = 0 (pores, SE) get ``outside`` (default 0.02, alpha-Al: a benign
    value where the solid indicator vanishes). Contacts between an Li and an Al particle are
    sharp steps in X (the Cahn-Hilliard dynamics smooth them in a few steps).
    """
    labels = np.asarray(labels)
    psi = np.asarray(psi, dtype=np.float64)
    values = np.asarray(per_particle_X, dtype=np.float64)
    if labels.shape != psi.shape or values.shape != (packing.n,):
        raise PackingError(f"need labels and psi of one grid shape and {packing.n} particle values; got "
                           f"{labels.shape}, {psi.shape}, {values.shape}")
    lab = labels.copy()
    todo = (lab < 0) & (psi > 0)
    while todo.any():
        before = int(np.count_nonzero(todo))
        for a in range(lab.ndim):
            for step in (1, -1):
                nb = np.roll(lab, step, axis=a)
                if a == 0:  # axis 0 is not periodic
                    nb[(0 if step == 1 else -1,)] = -1
                take = todo & (nb >= 0)
                lab[take] = nb[take]
                todo &= ~take
        if np.count_nonzero(todo) == before:
            break
    return np.where(lab >= 0, values[np.maximum(lab, 0)], outside)
