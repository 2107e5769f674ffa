"""Pressed-powder packings of polydisperse discs/spheres in an electrode slab.

Layout (lengths in um): axis 0 from the solid electrolyte (SE) layer ``0 <= x0 < gap`` and
its face at ``x0 = gap`` to the current collector at ``x0 = L0``; axes 1.. periodic. See
``phasefield.geometry`` for the whole picture and ``pack_particles`` for the method.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Sequence

import numpy as np

from phasefield.geometry.soft_spheres import SoftSpheres, close_pairs

if TYPE_CHECKING:
    from phasefield.grid import Grid


class PackingError(ValueError):
    """Raised when a packing cannot be built as asked (box too small, density out of reach)."""


@dataclasses.dataclass(frozen=True, eq=False)
class Packing:
    """Particles of an electrode slab (see the module docstring for the layout).

    Attributes:
        centers: (n, ndim) particle centres, um; axis 0 across the slab.
        radii: (n,) radii, um.
        box: domain lengths per axis, um (the grid's ``lengths``).
        seed: seed of the generator that built it (for the record).
        gap: thickness of the solid-electrolyte layer at the start of axis 0 (SE face at
            ``x0 = gap``), um.
        contact_overlap: largest allowed overlap as a fraction of the smaller radius.
    """

    centers: np.ndarray
    radii: np.ndarray
    box: tuple[float, ...]
    seed: int
    gap: float = 0.0
    contact_overlap: float = 0.08

    def __post_init__(self):
        centers = np.array(self.centers, dtype=np.float64)
        radii = np.array(self.radii, dtype=np.float64)
        box = tuple(float(b) for b in self.box)
        if centers.ndim != 2 or centers.shape[1] not in (2, 3) or len(box) != centers.shape[1]:
            raise PackingError(f"centers must be (n, ndim) with ndim = len(box) in (2, 3); got "
                               f"centers {centers.shape} and box {box}")
        if radii.shape != (centers.shape[0],) or not np.all(radii > 0):
            raise PackingError(f"radii must be {centers.shape[0]} positive numbers; got shape {radii.shape}")
        if not 0.0 <= self.gap < box[0]:
            raise PackingError(f"gap must lie in [0, box[0] = {box[0]}); got {self.gap}")
        centers.setflags(write=False)
        radii.setflags(write=False)
        object.__setattr__(self, "centers", centers)
        object.__setattr__(self, "radii", radii)
        object.__setattr__(self, "box", box)
        object.__setattr__(self, "gap", float(self.gap))
        object.__setattr__(self, "contact_overlap", float(self.contact_overlap))

    @property
    def ndim(self) -> int:
        return len(self.box)

    @property
    def n(self) -> int:
        return len(self.radii)

    @property
    def electrode_volume(self) -> float:
        """Volume of the electrode region ``(L0 - gap) L1 [L2]``, um^ndim."""
        return (self.box[0] - self.gap) * float(np.prod(self.box[1:]))

    def overlaps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(i, j, h_ij)`` for every overlapping pair ``i < j`` (periodic images on axes 1..)."""
        i, j, d = close_pairs(self.centers, self.radii, self.box, 0.0)
        h = self.radii[i] + self.radii[j] - d
        keep = h > 0
        return i[keep], j[keep], h[keep]

    def contact_pairs(self) -> np.ndarray:
        """(m, 2) index pairs ``i < j`` in contact (positive overlap)."""
        i, j, _ = self.overlaps()
        return np.stack([i, j], axis=1)

    def touches_electrolyte(self) -> np.ndarray:
        """(n,) bool: the particle reaches the SE face, ``x0 - r < gap``."""
        return self.centers[:, 0] - self.radii < self.gap

    def touches_collector(self) -> np.ndarray:
        """(n,) bool: the particle reaches the current collector, ``x0 + r > L0``."""
        return self.centers[:, 0] + self.radii > self.box[0]

    def particle_volumes(self) -> np.ndarray:
        """(n,) solid volume per particle, um^ndim (2D: um^2 per um of depth).

        Own volume minus the parts cut by the SE face and collector (caps) minus half of
        every lens shared with a neighbour, so the sum is the union volume up to triple
        overlaps (negligible for overlaps of a few % of a radius)."""
        i, j, h = self.overlaps()
        d = self.radii[i] + self.radii[j] - h
        lens = _lens_volume(self.radii[i], self.radii[j], d, self.ndim)
        vol = _ball_volume(self.radii, self.ndim) - self._cut_caps()
        return vol - 0.5 * (np.bincount(i, lens, self.n) + np.bincount(j, lens, self.n))

    def solid_fraction(self, grid: Grid | None = None) -> float:
        """Solid area/volume fraction of the electrode region ``gap < x0 < L0``.

        With a grid: the fraction of cell centres inside the (sharp) solid. Without: the
        union volume ``sum particle_volumes`` over the electrode volume (pairwise exact)."""
        if grid is None:
            return float(np.sum(self.particle_volumes()) / self.electrode_volume)
        from phasefield.geometry.fields import signed_distance

        d, _ = signed_distance(self, grid, far=max(grid.spacing))
        return float(np.count_nonzero(d < 0) * grid.cell_volume / self.electrode_volume)

    def electrolyte_contact_area(self) -> float:
        """Sharp SE contact: sum of the flat patches cut by the SE face, um^(ndim-1).

        A particle penetrating the face by ``p`` leaves a patch of half-width
        ``a = sqrt(2 r p - p^2)``: length ``2 a`` in 2D (per um of depth), area ``pi a^2`` in 3D."""
        p = np.clip(self.gap - (self.centers[:, 0] - self.radii), 0.0, None)
        a2 = np.clip(2 * self.radii * p - p * p, 0.0, None)
        return float(np.sum(2 * np.sqrt(a2)) if self.ndim == 2 else np.sum(np.pi * a2))

    def _cut_caps(self) -> np.ndarray:
        """(n,) volume of each particle beyond the SE face or the collector."""
        p_se = np.clip(self.gap - (self.centers[:, 0] - self.radii), 0.0, None)
        p_cu = np.clip(self.centers[:, 0] + self.radii - self.box[0], 0.0, None)
        return _cap_volume(self.radii, p_se, self.ndim) + _cap_volume(self.radii, p_cu, self.ndim)


def _ball_volume(r: np.ndarray, ndim: int) -> np.ndarray:
    return np.pi * r**2 if ndim == 2 else 4.0 / 3.0 * np.pi * r**3


def _cap_volume(r: np.ndarray, p: np.ndarray, ndim: int) -> np.ndarray:
    """Part of a disc/sphere of radius r beyond a plane it crosses by depth ``0 <= p <= r``:
    circular segment ``r^2 acos((r-p)/r) - (r-p) sqrt(2rp - p^2)``; spherical cap ``pi p^2 (3r - p)/3``."""
    p = np.minimum(p, r)
    if ndim == 2:
        return r**2 * np.arccos((r - p) / r) - (r - p) * np.sqrt(np.clip(2 * r * p - p * p, 0.0, None))
    return np.pi * p**2 * (3 * r - p) / 3.0


def _lens_volume(r1: np.ndarray, r2: np.ndarray, d: np.ndarray, ndim: int) -> np.ndarray:
    """Intersection of two discs/spheres at centre distance ``|r1 - r2| < d < r1 + r2``
    (Weisstein, MathWorld "Circle-Circle Intersection" Eq. 14, "Sphere-Sphere Intersection" Eq. 15)."""
    if ndim == 2:
        c1 = np.clip((d**2 + r1**2 - r2**2) / (2 * d * r1), -1.0, 1.0)
        c2 = np.clip((d**2 + r2**2 - r1**2) / (2 * d * r2), -1.0, 1.0)
        k = (-d + r1 + r2) * (d + r1 - r2) * (d - r1 + r2) * (d + r1 + r2)
        return r1**2 * np.arccos(c1) + r2**2 * np.arccos(c2) - 0.5 * np.sqrt(np.clip(k, 0.0, None))
    return np.pi * (r1 + r2 - d) ** 2 * (d**2 + 2 * d * (r1 + r2) - 3 * (r1 - r2) ** 2) / (12 * d)


def _components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Connected-component label (smallest member index) of each node of an undirected graph,
    by min-label propagation with pointer jumping."""
    lab = np.arange(n)
    while True:
        new = lab.copy()
        m = np.minimum(lab[i], lab[j])
        np.minimum.at(new, i, m)
        np.minimum.at(new, j, m)
        new = new[new]
        if np.array_equal(new, lab):
            return lab
        lab = new


def sample_radii(rng: np.random.Generator, n: int, mean: float, std: float) -> np.ndarray:
    """``n`` radii (um) from a log-normal distribution with the given mean and standard deviation.

    ``ln r ~ N(mu, s^2)`` with ``s^2 = ln(1 + (std/mean)^2)`` and ``mu = ln(mean) - s^2/2``,
    truncated to ``|ln r - mu| <= 3 s`` (redrawn), which moves the mean by under 0.3 %.
    Log-normal size distributions are the usual description of milled and atomised metal
    powders (Al powder <= 30 um in seed 000 Methods). ``std = 0`` gives equal radii."""
    if std == 0:
        return np.full(n, float(mean))
    s = math.sqrt(math.log1p((std / mean) ** 2))
    mu = math.log(mean) - 0.5 * s * s
    z = rng.standard_normal(n)
    while np.any(bad := np.abs(z) > 3.0):
        z[bad] = rng.standard_normal(int(np.count_nonzero(bad)))
    return np.exp(mu + s * z)


def pack_particles(
    box: Sequence[float],
    radius_mean: float,
    radius_std: float,
    target_density: float,
    seed: int,
    ndim: int,
    contact_overlap: float = 0.08,
    max_particles: int = 20000,
    electrolyte_gap: float = 0.0,
) -> Packing:
    """A pressed-powder packing of polydisperse discs (2D) or spheres (3D) in a slab.

    Args:
        box: domain lengths ``(L0, L1[, L2])``, um; axis 0 from the SE side (x0 = 0, the SE
            face at x0 = ``electrolyte_gap``) to the collector (x0 = L0), axes 1.. periodic.
        radius_mean, radius_std: mean and standard deviation of the log-normal radii, um
            (``sample_radii``).
        target_density: solid area/volume fraction of the electrode region (between the SE
            face and the collector). Reachable at ``contact_overlap = 0.08``: up to the
            jammed compact, about 0.85 in 2D and 0.65 in 3D (a little less in slabs a few
            particles thick); a ``PackingError`` names the limit. Lower targets thin the
            network (checked down to 0.45 in 2D and 0.35 in 3D).
        seed: seed of the ``numpy.random.Generator``; the same arguments give the same packing.
        ndim: 2 or 3 (must equal ``len(box)``).
        contact_overlap: largest overlap of two particles as a fraction of the smaller radius
            (and largest penetration of the SE face/collector as a fraction of the radius).
            Default 0.08: pressed metal powders are flattened at their contacts; 5-10 % keeps
            every neck a few cells wide at 3-4 cells per interface width.
        max_particles: refuse (``PackingError``) when the packing would need more particles.
        electrolyte_gap: thickness of the SE layer at the start of axis 0, um; the SE face is
            at ``x0 = electrolyte_gap``. Use at least one interface width when the contact
            flux is applied through ``electrolyte_contact``.

    Method (three stages, all from one seeded generator):
    1. Growth to jamming: radii ``s rho_i`` of soft particles at random positions grow
       (``s`` from a loose 30 % fill up to 1) with a FIRE energy minimisation after each step:
       the Lubachevsky-Stillinger growth idea (J. Stat. Phys. 60, 561 (1990)) with the
       soft-sphere energy minimisation of O'Hern, Silbert, Liu & Nagel (PRE 68, 011306
       (2003)). Overlaps up to ``contact_overlap`` cost nothing, so the jammed state is a
       pressed compact. When the packing jams before ``s = 1``, random particles are removed
       (rather than the radii shrunk), so the radii are exactly the drawn ones and the
       packing ends just below jamming.
    2. Dilution: the largest contact cluster (it spans the slab) is kept, and random
       particles off the two face layers are removed while the contact network stays
       connected, until the solid fraction is nearest ``target_density`` (within half a
       particle). The layers pressed against the SE face and the collector stay whole.
    3. Consolidation: contacts and near contacts (gaps below the allowed overlap) are pulled
       to an overlap of at least half the allowed one, particles within r/4 of a face into it
       by ``c r / 2``; then overlaps above the allowed one are relaxed away.
    The solid fraction is the union volume (``Packing.solid_fraction()``, exact for pairwise
    overlaps). Particles of a full first row can end a few nm behind the SE face without
    touching it; the smoothed contact counts them partly (``electrolyte_contact``).
    Cost: about 5000 FIRE steps plus O(n^2) neighbour-list rebuilds; ~2 s for 100 particles,
    10-15 s for 500.
    """
    box = tuple(float(b) for b in box)
    _check_packing_args(box, radius_mean, radius_std, target_density, ndim, contact_overlap, electrolyte_gap)
    rng = np.random.default_rng(seed)
    c, gap = float(contact_overlap), float(electrolyte_gap)
    v_el = (box[0] - gap) * float(np.prod(box[1:]))
    # log-normal moments: E[r^d] = mean^d (1 + (std/mean)^2)^(d(d-1)/2)
    cv2 = (radius_std / radius_mean) ** 2
    mean_vol = float(_ball_volume(np.asarray(radius_mean), ndim)) * (1 + cv2) ** (ndim * (ndim - 1) / 2)
    if target_density * v_el / mean_vol > max_particles:
        raise PackingError(f"the packing needs about {target_density * v_el / mean_vol:.0f} particles, over "
                           f"max_particles = {max_particles}; use a smaller box or larger particles")
    # sum of particle volumes a little above that of the jammed packing (measured), so that
    # stage 1 jams close to s = 1 and removes few particles
    fill = 0.80 if ndim == 2 else 0.62
    n0 = max(2, int(round(fill * (1 + c) ** ndim * v_el / mean_vol)))
    rho = sample_radii(rng, n0, radius_mean, radius_std)
    if 4 * rho.max() + 0.6 * radius_mean >= min(box[1:]) or 2 * rho.max() >= box[0] - gap:
        raise PackingError(f"the largest drawn radius {rho.max():.3g} um does not fit: lateral lengths must "
                           f"exceed 4 r_max (+ 0.6 radius_mean) and the electrode thickness 2 r_max; got box "
                           f"{box}, gap {gap}")
    x, rho = _grow(rng, rho, box, gap, c, radius_mean)
    packing = _dilute(rng, Packing(x, rho, box, int(seed), gap, c), target_density)
    x = _consolidate(packing.centers, packing.radii, box, gap, c, radius_mean)
    packing = dataclasses.replace(packing, centers=x)
    i, j, _ = packing.overlaps()
    if np.unique(_components(packing.n, i, j)).size != 1 or not (
        packing.touches_electrolyte().any() and packing.touches_collector().any()
    ):
        raise PackingError("consolidation broke the contact network; try another seed or a larger contact_overlap")
    return packing


def _check_packing_args(box, mean, std, target, ndim, c, gap):
    if ndim not in (2, 3) or len(box) != ndim:
        raise PackingError(f"ndim must be 2 or 3 and equal len(box); got ndim={ndim}, box={box}")
    if not all(np.isfinite(b) and b > 0 for b in box):
        raise PackingError(f"box lengths must be positive and finite (um); got {box}")
    if not (np.isfinite(mean) and mean > 0 and np.isfinite(std) and std >= 0):
        raise PackingError(f"need radius_mean > 0 and radius_std >= 0 (um); got {mean}, {std}")
    if not 0.0 < target < 1.0:
        raise PackingError(f"target_density is a solid fraction in (0, 1); got {target}")
    if not 0.0 < c <= 0.3:
        raise PackingError(f"contact_overlap is a fraction of the smaller radius in (0, 0.3]; got {c}")
    if not 0.0 <= gap < box[0]:
        raise PackingError(f"electrolyte_gap must lie in [0, box[0] = {box[0]}) um; got {gap}")


def _grow(rng, rho, box, gap, c, r_mean, max_iter=500):
    """Stage 1 of ``pack_particles``: grow radii ``s rho`` to ``s = 1``, removing random
    particles whenever the packing jams first. Returns centres and radii."""
    ndim = len(box)
    v_el = (box[0] - gap) * float(np.prod(box[1:]))
    lo, hi = np.array([gap] + [0.0] * (ndim - 1)), np.array(box)
    x = lo + (hi - lo) * rng.random((len(rho), ndim))
    s = min(1.0, (0.3 * v_el / np.sum(_ball_volume(rho, ndim))) ** (1.0 / ndim))
    ds, ftol, fit = 0.02, 1e-9 * r_mean, 1e-3 * r_mean
    system = SoftSpheres(s * rho, box, gap, c, 0.3 * r_mean)
    x, _, _ = system.relax(x, ftol, max_iter, fit=fit)
    while s < 1.0:
        ds = min(ds, 1.0 / s - 1.0)
        s_try = min(1.0, s * (1.0 + ds))
        system = SoftSpheres(s_try * rho, box, gap, c, 0.3 * r_mean)
        x_try, _, worst = system.relax(x, ftol, max_iter, fit=fit)
        if worst <= fit:
            x, s, ds = x_try, s_try, min(1.5 * ds, 0.05)
        elif ds > 0.01:
            ds *= 0.5
        else:  # jammed at s_try < 1: keep the drawn sizes, drop random particles instead
            vol = _ball_volume(rho, ndim)
            excess = np.sum(vol) * (1.0 - 0.99 * s_try**ndim)
            order = rng.permutation(len(rho))
            n_drop = max(1, int(np.searchsorted(np.cumsum(vol[order]), excess)))
            keep = np.sort(order[n_drop:])
            x, rho, ds = x[keep], rho[keep], 0.02
    return x, rho


def _consolidate(x, rho, box, gap, c, r_mean, max_iter=5000):
    """Stage 3 of ``pack_particles``: press contacts and near contacts (gaps below the allowed
    overlap) to an overlap of at least ``c/2 min(r)``, and particles within r/4 of the SE face
    or the collector into it by ``c/2 r``; then relax any overlap beyond the allowed one."""
    system = SoftSpheres(rho, box, gap, c, 0.3 * r_mean)
    i, j, d = close_pairs(x, rho, box, c * rho.min())
    h, small = rho[i] + rho[j] - d, np.minimum(rho[i], rho[j])
    near = h > -c * small
    system.bonds = (i[near], j[near], 0.5 * c * small[near])
    p_se, p_cu = system.wall_penetration(x)
    system.wall_bonds = (p_se > -0.25 * rho, p_cu > -0.25 * rho, 0.5 * c * rho)
    x, _, _ = system.relax(x, 1e-4 * r_mean, max_iter)
    system.bonds = system.wall_bonds = None
    x, _, worst = system.relax(x, 1e-10 * r_mean, max_iter, fit=1e-9 * r_mean)
    if worst > 1e-6 * r_mean:
        raise PackingError(f"could not relax the overlaps below contact_overlap (excess {worst:.2e} um)")
    return x


def _dilute(rng, packing: Packing, target: float) -> Packing:
    """Stage 2 of ``pack_particles``: keep the largest contact cluster, then remove random
    particles off the two face layers while the network stays connected."""
    n = packing.n
    i, j, h = packing.overlaps()
    lab = _components(n, i, j)
    big = lab == np.bincount(lab).argmax()
    if not (np.any(packing.touches_electrolyte() & big) and np.any(packing.touches_collector() & big)):
        raise PackingError("the contact network does not span the slab; use a thicker box (several particle "
                           "diameters) or a larger contact_overlap")
    alive = big.copy()
    lens = _lens_volume(packing.radii[i], packing.radii[j], packing.radii[i] + packing.radii[j] - h, packing.ndim)
    own = _ball_volume(packing.radii, packing.ndim) - packing._cut_caps()
    v_el = packing.electrode_volume
    se, cu = packing.touches_electrolyte(), packing.touches_collector()

    def union(mask):
        e = mask[i] & mask[j]
        return (np.sum(own[mask]) - np.sum(lens[e])) / v_el

    phi = union(alive)
    if phi < target - 0.01:
        raise PackingError(f"target_density {target} is above the densest connected packing reached, "
                           f"{phi:.3f}; lower the target or raise contact_overlap")
    removed = True
    while removed and phi > target:
        removed = False
        for k in rng.permutation(np.flatnonzero(alive & ~se & ~cu)):
            trial = alive.copy()
            trial[k] = False
            phi_k = union(trial)
            if abs(phi_k - target) >= abs(phi - target):
                continue
            e = trial[i] & trial[j]
            lab_k = _components(n, i[e], j[e])
            if np.unique(lab_k[trial]).size != 1:
                continue
            alive, phi, removed = trial, phi_k, True
            if phi <= target:
                break
    keep = np.flatnonzero(alive)
    return dataclasses.replace(packing, centers=packing.centers[keep], radii=packing.radii[keep])
