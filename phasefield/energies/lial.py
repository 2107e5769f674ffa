"""Li-Al free energy: alpha-Al, beta-LiAl and bcc Li as three wells on the Li atom fraction X.

The molar Gibbs energy (J/mol of lattice sites) is built from the two common tangents it must
reproduce, with the chemical potential ``mu = df/dX`` measured from bcc Li so that the
equilibrium potential is ``V = -mu / F`` (DESIGN 2.2):

    alpha/beta tangent   T1(X) = s1 (X - Xa),            s1 = -F V1,  V1 = 0.38 V
    beta/Li tangent      slope   s2 = -F V2,              V2 = 0 V (pure Li)

    f(X) = T1(X) + W1 (X - Xa)^2 (X - Xb)^2                      X <= Xb   (alpha, alpha/beta)
         = f(Xb) + s1 (X - Xb) + B/2 (X - Xb)^2                  Xb <= X <= Xc (beta branch)
         = f(Xc) + s2 (X - Xc) + W2 (X - Xc)^2 (X - XLi)^2       X >= Xc   (beta/Li, Li)

    B = (s2 - s1) / (Xc - Xb)   (stiff single-phase beta: ~2.9e6 J/mol)

f is C1 and lies on or above both tangents, so the lower convex hull touches it exactly at
Xa, Xb (potential V1) and Xc, XLi (potential V2): Al + Li mixtures react to alpha + beta.

Dilute alpha (optional, ``T_dilute > 0``): below Xa the quartic alone keeps V within a few mV
of the plateau down to X = 0 (V(0) = 0.381 V), so a delithiated surface never reaches a
1.5 V cut-off. Li in alpha-Al is a dilute interstitial-like solute, so its configurational
entropy dominates there; the term

    f_d(X) = R T [ g(X) - g(Xa) - g'(Xa)(X - Xa) - g''(Xa)/2 (X - Xa)^2 ],  X < Xa  (0 above)
    g(X)   = X ln X + (1 - X) ln(1 - X)

adds the ideal-solution chemical potential ``R T ln X`` as X -> 0 (V -> infinity at a fully
delithiated surface) while f, f' and f'' stay continuous at Xa, the coexistence point is
unchanged and f_d >= 0 (g''' < 0 below X = 1/2).

Numbers (cited):
- Coexistence alpha/beta at x = 0.05 and 0.95 in Li_xAl (seed 000, Results), i.e.
  Xa = 0.05/1.05 = 0.0476 and Xb = 0.95/1.95 = 0.4872; the beta branch ends at LiAl,
  Xc = 0.5 (x = 1, seed 000: vacancies vanish there).
- Plateau V1 = 0.38 V vs Li/Li+ (seed 003, Table 1; Wen-Huggins 451 - 0.220 T mV gives
  0.385 V at 298 K). Li metal at 0 V.
- The interface energy sigma (J/m^2) and width delta (um) are inputs; the quartic barriers
  and the single gradient coefficient follow (see ``DoubleWell``):
  kappa = 3 sigma_m delta / (2 dX1^2), W1 = 12 sigma_m / (delta dX1^4), and W2 is chosen so
  the beta/Li interface has the same sigma. ``sigma_m = sigma Vm * 1e6`` converts J/m^2 to
  J um / mol with the molar volume Vm (m^3 per mol of sites).
"""

from __future__ import annotations

import jax.numpy as jnp

from phasefield._pytree import pytree
from phasefield.constants import FARADAY, M_TO_UM, R_GAS


@pytree
class LiAlEnergy:
    """Three-well Li-Al energy (J/mol); see the module docstring for the equations.

    Attributes:
        Xa, Xb: alpha/beta coexistence Li atom fractions.
        Xc: Li-rich end of the beta branch (LiAl, x = 1).
        XLi: pure Li (1.0).
        V1: alpha/beta plateau potential vs Li/Li+ (V).
        V2: beta/Li plateau potential (V), 0 for Li metal.
        sigma: interface energy (J/m^2).
        delta: interface width (um).
        molar_volume: m^3 per mol of lattice sites.
        T_dilute: temperature (K) of the dilute-alpha entropy term; 0 leaves it out.
    """

    Xa: jnp.ndarray
    Xb: jnp.ndarray
    Xc: jnp.ndarray
    XLi: jnp.ndarray
    V1: jnp.ndarray
    V2: jnp.ndarray
    sigma: jnp.ndarray
    delta: jnp.ndarray
    molar_volume: jnp.ndarray
    T_dilute: jnp.ndarray | float = 0.0

    # -------------------------------------------------------------- derived parameters
    @property
    def sigma_molar(self):
        """Interface energy in J um / mol."""
        return self.sigma * self.molar_volume * M_TO_UM

    @property
    def kappa(self):
        """Gradient coefficient (J um^2 / mol) giving ``sigma`` and ``delta`` at the alpha/beta interface."""
        return 1.5 * self.sigma_molar * self.delta / (self.Xb - self.Xa) ** 2

    @property
    def W1(self):
        return 12.0 * self.sigma_molar / (self.delta * (self.Xb - self.Xa) ** 4)

    @property
    def W2(self):
        dX2 = self.XLi - self.Xc
        return (6.0 * self.sigma_molar / dX2**3) ** 2 / (2.0 * self.kappa)

    @property
    def s1(self):
        return -FARADAY * self.V1

    @property
    def s2(self):
        return -FARADAY * self.V2

    @property
    def beta_stiffness(self):
        """``B = f''`` on the single-phase beta branch (J/mol)."""
        return (self.s2 - self.s1) / (self.Xc - self.Xb)

    # -------------------------------------------------------------- energy
    def density(self, X):
        Xa, Xb, Xc, XLi = self.Xa, self.Xb, self.Xc, self.XLi
        s1, s2, B = self.s1, self.s2, self.beta_stiffness
        f_b = s1 * (Xb - Xa)  # f(Xb): the quartic vanishes there
        f_c = f_b + s1 * (Xc - Xb) + 0.5 * B * (Xc - Xb) ** 2
        low = s1 * (X - Xa) + self.W1 * (X - Xa) ** 2 * (X - Xb) ** 2
        mid = f_b + s1 * (X - Xb) + 0.5 * B * (X - Xb) ** 2
        high = f_c + s2 * (X - Xc) + self.W2 * (X - Xc) ** 2 * (X - XLi) ** 2
        return jnp.where(X <= Xb, low + self.dilute_alpha(X), jnp.where(X <= Xc, mid, high))

    def dilute_alpha(self, X):
        """The dilute-alpha entropy term ``f_d`` (module docstring), J/mol; 0 at ``X >= Xa``."""
        Xa = self.Xa
        # X <= 1e-30 is held at 1e-30 (X ln X and its derivatives stay finite; with this term
        # on the ROS2 step projects small dips below 0 back and the stepper rejects the rest);
        # the branch above Xa is 0
        Xs = jnp.where(X < Xa, jnp.where(X > 1e-30, X, 1e-30), Xa)

        def g(x):
            return x * jnp.log(x) + (1 - x) * jnp.log1p(-x)

        d = Xs - Xa
        taylor = g(Xa) + jnp.log(Xa / (1 - Xa)) * d + 0.5 * d**2 / (Xa * (1 - Xa))
        return R_GAS * self.T_dilute * (g(Xs) - taylor)

    def composition_range(self) -> tuple[float, float]:
        return (-0.05, 1.05)

    def voltage(self, mu):
        """Equilibrium potential vs Li/Li+ (V) of a chemical potential ``mu`` (J/mol)."""
        return -mu / FARADAY


def lial_energy(
    sigma: float = 0.2,
    delta: float = 0.05,
    V1: float = 0.38,
    molar_volume: float = 1.0e-5,
    dilute_alpha_T: float = 0.0,
    dtype=jnp.float64,
) -> LiAlEnergy:
    """The Li-Al preset. ``sigma`` (J/m^2) and ``delta`` (um) set the interface; the
    default sigma = 0.2 J/m^2 is an assumed order of magnitude for a metallic interphase
    boundary (no value in the seeds), and Vm = 1.0e-5 m^3/mol is the molar volume of Al per
    atom (LiAl has about the same per atom: 96% expansion per Al for 2 atoms).
    ``dilute_alpha_T`` (K) switches on the dilute-alpha entropy term at that temperature."""
    a = lambda v: jnp.asarray(v, dtype=dtype)  # noqa: E731
    return LiAlEnergy(
        Xa=a(0.05 / 1.05),
        Xb=a(0.95 / 1.95),
        Xc=a(0.5),
        XLi=a(1.0),
        V1=a(V1),
        V2=a(0.0),
        sigma=a(sigma),
        delta=a(delta),
        molar_volume=a(molar_volume),
        T_dilute=a(dilute_alpha_T),
    )
