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
    - ``"prelithiated"``: every particle is Li_xAl with mean ``X = x / (1 + x)``; the ratio is
      exact (``two_phase_X`` then splits the particles into alpha and beta at the lever rule).

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
    lab = grown_labels(labels, psi)
    return np.where(lab >= 0, values[np.maximum(lab, 0)], outside)


def grown_labels(labels: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """Particle labels grown into the diffuse rim: cells with label -1 but psi > 0 take the
    label of the nearest labelled cell (one cell per sweep, periodic on axes 1..)."""
    lab = np.asarray(labels).copy()
    todo = (lab < 0) & (np.asarray(psi) > 0)
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
    return lab


def two_phase_X(X: np.ndarray, labels: np.ndarray, psi: np.ndarray, X_alpha: float, X_beta: float,
                correlation: float, spacing, seed: int = 0) -> np.ndarray:
    """Li_xAl particles as alpha + beta at the lever rule instead of one uniform composition.

    A uniform ``X`` between the coexistence compositions lies in the two-phase field (for
    0.14 < X < 0.39 inside the spinodal, where it is a stationary point that the noise-free
    dynamics never leaves). Each particle k with content ``U_k = sum psi X`` and psi-volume
    ``W_k`` is split into beta cells (``X_beta``) holding the lever-rule fraction
    ``f_k = (U_k / W_k - X_alpha) / (X_beta - X_alpha)`` of ``W_k`` and alpha cells (``X_alpha``):
    the beta cells are those where a seeded Gaussian random field of correlation length
    ``correlation`` (um; filtered white noise, periodic on axes 1..) is largest, and the one
    cell at the threshold takes the remainder (an X between the two), so every particle keeps
    its Li content to round-off. Particles with ``f_k <= 0`` or ``>= 1`` are left as they are.

    ``X``: cell field (e.g. ``initial_X``'s), ``labels``: particle index (-1 outside),
    ``spacing``: cell size per axis (um).
    """
    from scipy import ndimage

    X = np.asarray(X, dtype=np.float64).copy()
    psi = np.asarray(psi, dtype=np.float64)
    lab = grown_labels(labels, psi)
    rng = np.random.default_rng(seed)
    sigma = [correlation / float(h) for h in np.broadcast_to(spacing, (X.ndim,))]
    modes = ["nearest"] + ["wrap"] * (X.ndim - 1)
    noise = ndimage.gaussian_filter(rng.standard_normal(X.shape), sigma, mode=modes)
    for k in range(int(lab.max()) + 1):
        cells = np.flatnonzero((lab == k).ravel())
        if cells.size == 0:
            continue
        w = psi.ravel()[cells]
        W, U = w.sum(), (w * X.ravel()[cells]).sum()
        f = (U / W - X_alpha) / (X_beta - X_alpha)
        if not 0.0 < f < 1.0:
            continue
        order = cells[np.argsort(-noise.ravel()[cells], kind="stable")]
        cum = np.cumsum(psi.ravel()[order])
        n_beta = int(np.searchsorted(cum, f * W))  # cells wholly beta; the next one takes the rest
        Xk = X.ravel()  # a view: X is updated in place
        Xk[order] = X_alpha
        Xk[order[:n_beta]] = X_beta
        if n_beta < order.size:
            held = cum[n_beta - 1] if n_beta else 0.0
            Xk[order[n_beta]] = X_alpha + (f * W - held) / psi.ravel()[order[n_beta]] * (X_beta - X_alpha)
    return X
