"""Li mobility: seed 000 Eq. 1 per phase, log-space interpolation, grain-boundary transport.

Flux ``J = -M grad mu`` with the lattice-gas mobility (DESIGN 2.3)

    M(X) = D*(X) X (1 - X) / (R T)        [um^2 mol / (J s)]

and across the alpha/beta and beta/Li interfaces

    ln D* = (1 - h1) ln D_a + h1 [ (1 - h2) ln D_b(X) + h2 ln D_Li ]

with ``h1 = p((X - Xa)/(Xb - Xa))``, ``h2 = p((X - Xc)/(XLi - Xc))`` and the smooth step
``p(u) = u^3 (6u^2 - 15u + 10)`` clipped to [0, 1]. A linear blend of D would let a resolved
alpha shell leak by orders of magnitude, a harmonic blend chokes beta channels; both are kept
(``interpolation="linear" | "harmonic"``) only to show that in the tests.

The beta vacancy fraction is ``x_va = max(1 - x, 0) + x_floor`` with ``x = X / (1 - X)``
evaluated at ``x >= 0.95`` (seed 000 Methods: x_va = 1 - x for 0.95 <= x <= 1, thermally
activated beyond).

Everything is returned as ``ln M`` so that 1e10 contrasts survive float32.
"""

from __future__ import annotations

import jax.numpy as jnp

from phasefield._pytree import pytree, replace, static
from phasefield.constants import (
    ANGSTROM_TO_CM,
    CM2_PER_S_TO_UM2_PER_S,
    K_BOLTZMANN_EV,
    R_GAS,
)
from phasefield.materials import ALPHA_AL, BETA_LIAL, BETA_VACANCY_FLOOR, D_LI_METAL, HopParameters


def tracer_diffusivity(g, r, f, nu, x_va, E, T):
    """Seed 000 Eq. 1: ``D* = g r^2 f nu x_va exp(-E/(k_B T))`` in cm^2/s.

    Args: g (-), r (Angstrom), f (-), nu (Hz), x_va (-), E (eV), T (K).
    """
    r_cm = r * ANGSTROM_TO_CM
    return g * r_cm**2 * f * nu * x_va * jnp.exp(-E / (K_BOLTZMANN_EV * T))


def hop_prefactor(p: HopParameters, T) -> float:
    """``D*/x_va`` of Eq. 1 in cm^2/s for a phase whose vacancy fraction varies."""
    return tracer_diffusivity(p.g, p.r, p.f, p.nu, 1.0, p.E, T)


def smooth_step(u):
    u = jnp.clip(u, 0.0, 1.0)
    return u**3 * (6.0 * u**2 - 15.0 * u + 10.0)


@pytree
class ConstantMobility:
    """``M`` constant (model units); optionally scaled by ``X (1 - X)`` is not applied."""

    M: jnp.ndarray

    def log_mobility(self, X, eta=None):
        return jnp.log(self.M) + jnp.zeros_like(X)


@pytree
class GrainBoundaryTerm:
    """Extra Li transport along grain boundaries (DESIGN 2.5):

        M_gb = D_gb X (1 - X) / (R T) * 16 sum_{i<j} eta_i^2 eta_j^2

    The factor 16 makes the term equal ``D_gb`` at the centre of a symmetric two-grain
    boundary (eta_i = eta_j = 1/2); the boundary carries ``D_gb`` over roughly its width.

    D_gb: grain-boundary diffusivity (um^2/s).
    """

    D_gb: jnp.ndarray

    def weight(self, eta):
        sq = eta**2
        total = jnp.sum(sq, axis=0)
        # 16 sum_{i<j} eta_i^2 eta_j^2, clipped at 0 against round-off in the difference
        return jnp.maximum(8.0 * (total**2 - jnp.sum(sq**2, axis=0)), 0.0)


@pytree
class LiAlMobility:
    """Concentration-dependent Li mobility of the Li-Al system (module docstring).

    Attributes:
        ln_D_alpha: ln of alpha-Al tracer diffusivity (um^2/s).
        ln_D_beta0: ln of the beta hop prefactor ``D*/x_va`` (um^2/s).
        ln_D_li: ln of Li-metal diffusivity (um^2/s).
        x_va_floor: beta vacancy fraction beyond x = 1.
        Xa, Xb, Xc, XLi: phase compositions (atom fraction), as in ``LiAlEnergy``.
        T: temperature (K).
        gb: optional ``GrainBoundaryTerm``.
        interpolation: "log" (default), or "linear"/"harmonic" for comparison only.
        site_floor: lower bound of ``X (1 - X)`` so overshoots beyond [0, 1] stay finite.
    """

    ln_D_alpha: jnp.ndarray
    ln_D_beta0: jnp.ndarray
    ln_D_li: jnp.ndarray
    x_va_floor: jnp.ndarray
    Xa: jnp.ndarray
    Xb: jnp.ndarray
    Xc: jnp.ndarray
    XLi: jnp.ndarray
    T: jnp.ndarray
    gb: GrainBoundaryTerm | None = None
    interpolation: str = static("log")
    site_floor: float = static(1e-6)

    def ln_D_beta(self, X):
        x = X / jnp.maximum(1.0 - X, 1e-12)
        x = jnp.maximum(x, 0.95)
        x_va = jnp.maximum(1.0 - x, 0.0) + self.x_va_floor
        return self.ln_D_beta0 + jnp.log(x_va)

    def log_diffusivity(self, X):
        """``ln D*(X)`` with D* in um^2/s."""
        h1 = smooth_step((X - self.Xa) / (self.Xb - self.Xa))
        h2 = smooth_step((X - self.Xc) / (self.XLi - self.Xc))
        lnDb = self.ln_D_beta(X)
        if self.interpolation == "log":
            return (1 - h1) * self.ln_D_alpha + h1 * ((1 - h2) * lnDb + h2 * self.ln_D_li)
        Da, Db, Dl = jnp.exp(self.ln_D_alpha), jnp.exp(lnDb), jnp.exp(self.ln_D_li)
        if self.interpolation == "linear":
            return jnp.log((1 - h1) * Da + h1 * ((1 - h2) * Db + h2 * Dl))
        if self.interpolation == "harmonic":
            return -jnp.log((1 - h1) / Da + h1 * ((1 - h2) / Db + h2 / Dl))
        raise ValueError(f"interpolation must be 'log', 'linear' or 'harmonic'; got {self.interpolation!r}")

    def log_mobility(self, X, eta=None):
        """``ln M`` with M in um^2 mol / (J s)."""
        site = jnp.maximum(X * (1.0 - X), self.site_floor)
        lnM = self.log_diffusivity(X) + jnp.log(site) - jnp.log(R_GAS * self.T)
        if self.gb is not None and eta is not None:
            M_gb = self.gb.D_gb * site / (R_GAS * self.T) * self.gb.weight(eta)
            lnM = jnp.logaddexp(lnM, jnp.log(jnp.maximum(M_gb, 1e-300)))
        return lnM


def lial_mobility(
    T: float = 298.15,
    D_li: float = D_LI_METAL,
    x_va_floor: float = BETA_VACANCY_FLOOR,
    alpha_scale: float = 1.0,
    D_gb: float | None = None,
    interpolation: str = "log",
    dtype=jnp.float64,
) -> LiAlMobility:
    """The Li-Al preset from seed 000 Eq. 1 (``materials.ALPHA_AL``, ``BETA_LIAL``).

    Args:
        T: temperature (K).
        D_li: Li metal diffusivity (cm^2/s, seed 001).
        x_va_floor: beta vacancy fraction beyond x = 1.
        alpha_scale: multiplies D_alpha (to show trapping is diffusion controlled).
        D_gb: grain-boundary diffusivity (cm^2/s) or None for no grain-boundary term.
    """
    a = lambda v: jnp.asarray(v, dtype=dtype)  # noqa: E731
    conv = CM2_PER_S_TO_UM2_PER_S
    p = ALPHA_AL
    D_alpha = tracer_diffusivity(p.g, p.r, p.f, p.nu, p.x_va, p.E, T) * conv * alpha_scale
    D_beta0 = hop_prefactor(BETA_LIAL, T) * conv
    gb = None if D_gb is None else GrainBoundaryTerm(a(D_gb * conv))
    return LiAlMobility(
        ln_D_alpha=a(jnp.log(D_alpha)),
        ln_D_beta0=a(jnp.log(D_beta0)),
        ln_D_li=a(jnp.log(D_li * conv)),
        x_va_floor=a(x_va_floor),
        Xa=a(0.05 / 1.05),
        Xb=a(0.95 / 1.95),
        Xc=a(0.5),
        XLi=a(1.0),
        T=a(T),
        gb=gb,
        interpolation=interpolation,
    )


def with_beta_diffusivity(mobility: LiAlMobility, D_beta: float) -> LiAlMobility:
    """The mobility with its beta branch scaled so that ``D*(x = 0.95) = D_beta`` (cm^2/s),
    alpha, Li metal and the vacancy dependence unchanged: e.g. B32 LiZn's Li diffusivity
    (``materials.D_LIZN``, seed 001) in the Li-Al structure."""
    shift = jnp.log(D_beta * CM2_PER_S_TO_UM2_PER_S) - mobility.ln_D_beta(mobility.Xb)
    return replace(mobility, ln_D_beta0=mobility.ln_D_beta0 + shift)
