"""Uniform 1D/2D/3D cell-centred grids, their finite-volume operators and spectral transforms.

Cells are centred at ``x_i = (i + 1/2) h`` for ``i = 0..N-1`` along each axis. Each axis is
either ``"periodic"`` or ``"noflux"`` (homogeneous Neumann, mirror ghost cells). Spatial
operators act on the trailing ``ndim`` axes, so an array of grain fields of shape
``(n, *shape)`` is handled like a single field.

Discrete operators (second order, conservative):

    (grad a)_{i+1/2} = (a_{i+1} - a_i) / h          (zero on a no-flux boundary face)
    (div F)_i        = (F_{i+1/2} - F_{i-1/2}) / h
    lap a            = div grad a

The Laplacian is diagonalised by the FFT on periodic axes and by the type-II DCT on no-flux
axes (both through real FFTs: ``jnp.fft.rfftn``, and ``phasefield.dct``, Makhoul 1980), with
eigenvalues ``-lam`` where

    lam_d(k) = (4 / h_d^2) sin^2(pi k / N_d)      periodic, k = FFT frequency index
    lam_d(k) = (4 / h_d^2) sin^2(pi k / (2 N_d))  no-flux,  k = 0..N_d-1

so semi-implicit solves are exact inverses of the finite-volume operators.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import jax.numpy as jnp
import numpy as np

from phasefield.dct import dctn2, idctn2

BOUNDARIES = ("periodic", "noflux")


class GridError(ValueError):
    """Raised for an inconsistent grid description."""


@dataclasses.dataclass(frozen=True)
class Grid:
    """A uniform grid: static geometry, hashable, never traced.

    Attributes:
        shape: cells per axis, e.g. ``(256, 256)``.
        spacing: cell size per axis, in the length unit of the model (um for material
            presets, dimensionless for benchmark problems).
        bc: boundary kind per axis, ``"periodic"`` or ``"noflux"``.
    """

    shape: tuple[int, ...]
    spacing: tuple[float, ...]
    bc: tuple[str, ...]

    @classmethod
    def create(
        cls,
        shape: Sequence[int],
        spacing: float | Sequence[float],
        bc: str | Sequence[str] = "periodic",
    ) -> "Grid":
        """Build and validate a grid; scalars are broadcast to every axis."""
        shape = tuple(int(n) for n in shape)
        nd = len(shape)
        if nd not in (1, 2, 3):
            raise GridError(f"grid must be 1D, 2D or 3D; got shape {shape} ({nd} axes)")
        if any(n < 2 for n in shape):
            raise GridError(f"every axis needs at least 2 cells; got shape {shape}")
        sp = (float(spacing),) * nd if np.isscalar(spacing) else tuple(float(s) for s in spacing)
        if len(sp) != nd:
            raise GridError(f"spacing has {len(sp)} entries for a {nd}D shape {shape}")
        if not all(np.isfinite(s) and s > 0 for s in sp):
            raise GridError(f"spacing must be positive and finite; got {sp}")
        bcs = (bc,) * nd if isinstance(bc, str) else tuple(bc)
        if len(bcs) != nd or any(b not in BOUNDARIES for b in bcs):
            raise GridError(f"bc must be one of {BOUNDARIES} per axis; got {bc!r} for {nd} axes")
        return cls(shape, sp, bcs)

    # ------------------------------------------------------------------ geometry
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def cell_volume(self) -> float:
        return float(np.prod(self.spacing))

    @property
    def lengths(self) -> tuple[float, ...]:
        return tuple(n * h for n, h in zip(self.shape, self.spacing))

    def axis_coordinates(self, axis: int) -> np.ndarray:
        """Cell-centre coordinates along one axis (numpy, float64)."""
        return (np.arange(self.shape[axis]) + 0.5) * self.spacing[axis]

    def coordinates(self) -> tuple[np.ndarray, ...]:
        """Cell-centre coordinates as ``ndim`` broadcastable arrays (``indexing='ij'``)."""
        return tuple(np.meshgrid(*[self.axis_coordinates(a) for a in range(self.ndim)], indexing="ij"))

    def _ax(self, d: int) -> int:
        return d - self.ndim  # trailing spatial axes

    # ------------------------------------------------------------------ finite volumes
    def face_difference(self, a: jnp.ndarray, d: int) -> jnp.ndarray:
        """``a_{i+1} - a_i`` on the faces ``i+1/2``; zero on a no-flux upper boundary face."""
        ax = self._ax(d)
        if self.bc[d] == "periodic":
            return jnp.roll(a, -1, axis=ax) - a
        inner = jnp.diff(a, axis=ax)
        zero = jnp.zeros_like(lax_index(a, ax, slice(0, 1)))
        return jnp.concatenate([inner, zero], axis=ax)

    def face_upper(self, a: jnp.ndarray, d: int) -> jnp.ndarray:
        """The cell ``i+1`` beside each face ``i+1/2`` (at a no-flux end, the last cell itself)."""
        ax = self._ax(d)
        if self.bc[d] == "periodic":
            return jnp.roll(a, -1, axis=ax)
        return jnp.concatenate([lax_index(a, ax, slice(1, None)), lax_index(a, ax, slice(-1, None))], axis=ax)

    def face_mean(self, a: jnp.ndarray, d: int) -> jnp.ndarray:
        """Arithmetic mean of the two cells beside each face ``i+1/2``."""
        return 0.5 * (a + self.face_upper(a, d))

    def face_gradient(self, a: jnp.ndarray, d: int) -> jnp.ndarray:
        return self.face_difference(a, d) / self.spacing[d]

    def divergence(self, fluxes: Sequence[jnp.ndarray]) -> jnp.ndarray:
        """Cell divergence of face fluxes ``F_d`` given on faces ``i+1/2`` along each axis."""
        out = 0.0
        for d, flux in enumerate(fluxes):
            ax = self._ax(d)
            if self.bc[d] == "periodic":
                diff = flux - jnp.roll(flux, 1, axis=ax)
            else:
                diff = jnp.concatenate(
                    [lax_index(flux, ax, slice(0, 1)), jnp.diff(flux, axis=ax)], axis=ax
                )
            out = out + diff / self.spacing[d]
        return out

    def laplacian(self, a: jnp.ndarray) -> jnp.ndarray:
        return self.divergence([self.face_gradient(a, d) for d in range(self.ndim)])

    def squared_gradient_sum(self, a: jnp.ndarray) -> jnp.ndarray:
        """``sum_faces |grad a|^2 * cell_volume``: the discrete ``int |grad a|^2 dV``."""
        total = 0.0
        for d in range(self.ndim):
            total = total + jnp.sum(self.face_gradient(a, d) ** 2)
        return total * self.cell_volume

    def weighted_squared_gradient_sum(self, a: jnp.ndarray, w: jnp.ndarray) -> jnp.ndarray:
        """``sum_faces w_face |grad a|^2 * cell_volume`` with ``w_face`` the mean of the cells."""
        total = 0.0
        for d in range(self.ndim):
            total = total + jnp.sum(self.face_mean(w, d) * self.face_gradient(a, d) ** 2)
        return total * self.cell_volume

    def integrate(self, a: jnp.ndarray) -> jnp.ndarray:
        """``int a dV`` over the trailing spatial axes."""
        axes = tuple(range(-self.ndim, 0))
        return jnp.sum(a, axis=axes) * self.cell_volume

    # ------------------------------------------------------------------ spectral
    @property
    def _periodic_axes(self) -> tuple[int, ...]:
        return tuple(self._ax(d) for d in range(self.ndim) if self.bc[d] == "periodic")

    @property
    def _noflux_axes(self) -> tuple[int, ...]:
        return tuple(self._ax(d) for d in range(self.ndim) if self.bc[d] == "noflux")

    def forward(self, a: jnp.ndarray) -> jnp.ndarray:
        """Transform to the eigenbasis of the discrete Laplacian (DCT-II on no-flux axes,
        real FFT on periodic axes)."""
        if self._noflux_axes:
            a = dctn2(a, self._noflux_axes)
        if self._periodic_axes:
            a = jnp.fft.rfftn(a, axes=self._periodic_axes)
        return a

    def inverse(self, a: jnp.ndarray) -> jnp.ndarray:
        if self._periodic_axes:
            sizes = [self.shape[ax + self.ndim] for ax in self._periodic_axes]
            a = jnp.fft.irfftn(a, s=sizes, axes=self._periodic_axes)
        if self._noflux_axes:
            a = idctn2(a, self._noflux_axes)
        return a

    def filter(self, a: jnp.ndarray, multiplier: jnp.ndarray) -> jnp.ndarray:
        """``inverse(multiplier * forward(a))``: a multiplier diagonal in the Laplacian
        eigenbasis (laid out like ``laplacian_eigenvalues``) applied to a real field."""
        hat = self.forward(a)
        return self.inverse(hat * multiplier.astype(hat.dtype))

    def laplacian_eigenvalues(self, dtype=jnp.float64) -> jnp.ndarray:
        """``lam(k) >= 0`` with ``forward(lap a) = -lam * forward(a)``, in the transformed layout.

        Built as a broadcast sum of one 1D eigenvalue vector per axis (numpy, float64, cast to
        ``dtype``), so a jitted step carries ``ndim`` short constants instead of a grid-sized
        one and XLA fuses the sum into the multiplier that uses it (no array read per step)."""
        periodic = [d for d in range(self.ndim) if self.bc[d] == "periodic"]
        last_periodic = periodic[-1] if periodic else None
        lam = jnp.zeros((), dtype=dtype)
        for d in range(self.ndim):
            n, h = self.shape[d], self.spacing[d]
            if self.bc[d] == "noflux":
                k = np.arange(n)
                ld = (4.0 / h**2) * np.sin(np.pi * k / (2 * n)) ** 2
            else:
                freq = np.fft.rfftfreq(n) if d == last_periodic else np.fft.fftfreq(n)
                ld = (4.0 / h**2) * np.sin(np.pi * freq) ** 2
            shape = [1] * self.ndim
            shape[d] = ld.size
            lam = lam + jnp.asarray(ld.reshape(shape), dtype=dtype)
        return jnp.broadcast_to(lam, self.spectral_shape)

    @property
    def spectral_shape(self) -> tuple[int, ...]:
        periodic = [d for d in range(self.ndim) if self.bc[d] == "periodic"]
        shape = list(self.shape)
        if periodic:
            shape[periodic[-1]] = shape[periodic[-1]] // 2 + 1
        return tuple(shape)


def lax_index(a: jnp.ndarray, axis: int, sl: slice) -> jnp.ndarray:
    """``a[..., sl, ...]`` with the slice on ``axis`` (negative axes allowed)."""
    index = [slice(None)] * a.ndim
    index[axis] = sl
    return a[tuple(index)]
