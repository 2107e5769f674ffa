"""Harmonic soft discs/spheres in an electrode slab and their FIRE minimiser (packing only).

Axis 0 is bounded by two walls (the SE face at ``gap`` and the collector at ``L0``), axes 1..
are periodic. Lengths in um. Pairs come from a brute-force Verlet list (``close_pairs``).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def min_image(dx: np.ndarray, box: Sequence[float]) -> np.ndarray:
    """Minimum-image separation: periodic along axes 1.., not along axis 0 (in place)."""
    lat = np.asarray(box[1:])
    dx[..., 1:] -= lat * np.round(dx[..., 1:] / lat)
    return dx


def close_pairs(x: np.ndarray, r: np.ndarray, box, extra: float, chunk: int = 256):
    """Pairs ``i < j`` with ``|c_i - c_j| < r_i + r_j + extra``: ``(i, j, distance)``.

    Brute force in row blocks (O(n^2) work, O(chunk n) memory): it runs once per neighbour-
    list rebuild, which the packer keeps rare with a skin."""
    n = len(r)
    out_i, out_j, out_d = [], [], []
    idx = np.arange(n)
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        dx = min_image(x[None, :, :] - x[a:b, None, :], box)
        d2 = np.einsum("abk,abk->ab", dx, dx)
        lim = (r[a:b, None] + r[None, :] + extra) ** 2
        ii, jj = np.nonzero((d2 < lim) & (idx[a:b, None] < idx[None, :]))
        out_i.append(ii + a)
        out_j.append(jj)
        out_d.append(np.sqrt(d2[ii, jj]))
    return np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_d)


class SoftSpheres:
    """Harmonic soft discs/spheres in the slab; used only to build packings.

    Energy (lengths in um, unit stiffness; ``h_ij`` overlap, ``p_i`` penetration of a wall
    plane, ``delta_ij = c min(r_i, r_j)`` and ``delta_i = c r_i`` the allowed ones):

        E = 1/2 sum_pairs [h_ij - delta_ij]_+^2 + 1/2 sum_i sum_walls [p_i - delta_i]_+^2
          + 1/2 sum_bonds [b_ij - h_ij]_+^2 + 1/2 sum_wall_bonds [b_i - p_i]_+^2

    Overlaps up to the allowed ones cost nothing (the pressed contacts); bonds (optional)
    pull chosen pairs (and particles into a wall) until they overlap by at least ``b``.
    Pairs come from a Verlet list with a skin, rebuilt when a particle may have moved more
    than half the skin.
    """

    def __init__(self, radii, box, gap, c, skin):
        self.r = np.asarray(radii, dtype=np.float64)
        self.box, self.gap, self.c, self.skin = tuple(box), float(gap), float(c), float(skin)
        self.lat = np.asarray(self.box[1:])
        self.bonds = None  # (i, j, b): pairs pulled to an overlap >= b
        self.wall_bonds = None  # (on_se, on_cu, b): particles pulled into a wall by >= b
        self.travel = 0.0  # bound on the largest displacement since the list was built
        self._built = False
        self._i = self._j = self._ij = self._allowed = None

    def _pairs(self, x):
        """Verlet list; ``self.travel`` (an upper bound of the largest displacement since the
        last build, kept by ``relax``) triggers a rebuild at half the skin."""
        if not self._built or self.travel > 0.5 * self.skin:
            i, j, _ = close_pairs(x, self.r, self.box, self.skin)
            self._i, self._j = i, j
            self._ij = np.concatenate([j, i])
            self._allowed = self.c * np.minimum(self.r[i], self.r[j])
            self._built, self.travel = True, 0.0
        return self._i, self._j

    def _pair_terms(self, x, i, j):
        dx = x[j] - x[i]
        dx[:, 1:] -= self.lat * np.rint(dx[:, 1:] / self.lat)
        d = np.sqrt(np.einsum("ak,ak->a", dx, dx))
        return dx, d, self.r[i] + self.r[j] - d

    def wall_penetration(self, x):
        """(n,) penetration of the SE face and of the collector plane."""
        return self.r - (x[:, 0] - self.gap), self.r - (self.box[0] - x[:, 0])

    def forces(self, x):
        """``(E, F, worst)``: energy, forces (n, ndim) and the largest excess over the
        allowed overlap/penetration (um)."""
        n = len(self.r)
        F = np.empty_like(x)
        i, j = self._pairs(x)
        dx, d, h = self._pair_terms(x, i, j)
        e = np.maximum(h - self._allowed, 0.0)
        f = dx * (e / d)[:, None]  # force on j is +e u, on i is -e u (u = dx / d)
        ij = self._ij
        if self.bonds is not None:
            bi, bj, rest = self.bonds
            bdx, bd, bh = self._pair_terms(x, bi, bj)
            ij = np.concatenate([j, bj, i, bi])
            pull = np.minimum(bh - rest, 0.0)
            f = np.concatenate([f, bdx * (pull / bd)[:, None]])
        f = np.concatenate([f, -f])
        for k in range(x.shape[1]):
            F[:, k] = np.bincount(ij, f[:, k], n)
        p_se, p_cu = self.wall_penetration(x)
        e_se = np.maximum(p_se - self.c * self.r, 0.0)
        e_cu = np.maximum(p_cu - self.c * self.r, 0.0)
        f0 = e_se - e_cu
        energy = 0.5 * (e @ e + e_se @ e_se + e_cu @ e_cu)
        if self.wall_bonds is not None:
            on_se, on_cu, rest_w = self.wall_bonds
            b_se = np.where(on_se, np.minimum(p_se - rest_w, 0.0), 0.0)
            b_cu = np.where(on_cu, np.minimum(p_cu - rest_w, 0.0), 0.0)
            f0 = f0 + b_se - b_cu
            energy += 0.5 * (np.sum(b_se**2) + np.sum(b_cu**2))
        F[:, 0] += f0
        if self.bonds is not None:
            energy += 0.5 * (pull @ pull)
        worst = max(e.max(initial=0.0), e_se.max(), e_cu.max())
        return energy, F, worst

    def relax(self, x, ftol, max_iter, dt_max=0.3, fit=None):
        """FIRE minimisation (Bitzek et al., PRL 97, 170201 (2006), standard parameters).

        Returns ``(x, E, worst)``. Stops when max |F| <= ftol, after max_iter steps, or, with
        ``fit`` given, as soon as ``worst <= fit`` (it fits: unjammed) or the forces have
        balanced with ``max |F| < 1e-3 worst`` (a minimum with E > 0: jammed)."""
        x = x.copy()
        v = np.zeros_like(x)
        dt, alpha, n_pos = 0.1 * dt_max, 0.1, 0
        energy, F, worst = self.forces(x)
        for _ in range(max_iter):
            fmax = np.abs(F).max(initial=0.0)
            if fmax <= ftol or (fit is not None and (worst <= fit or fmax < 1e-3 * worst)):
                break
            if np.vdot(F, v) > 0:
                v = (1 - alpha) * v + (alpha * np.linalg.norm(v) / np.linalg.norm(F)) * F
                if n_pos > 5:
                    dt, alpha = min(1.1 * dt, dt_max), 0.99 * alpha
                n_pos += 1
            else:
                v[:] = 0.0
                dt, alpha, n_pos = 0.5 * dt, 0.1, 0
            v += dt * F
            x += dt * v
            x[:, 1:] %= self.lat
            self.travel += dt * np.sqrt(np.einsum("ak,ak->a", v, v).max(initial=0.0))
            energy, F, worst = self.forces(x)
        return x, energy, worst
