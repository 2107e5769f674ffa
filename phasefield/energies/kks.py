"""Two-phase (alpha-Al / beta-LiAl) energy in the Kim-Kim-Suzuki form: Li content X and a
phase field phi (0 alpha, 1 beta) as separate fields.

In the single-field Li-Al energy (``phasefield.energies.lial``) the interface width follows
from the wells: on the beta side ``f'' = B ~ 2.9e6 J/mol`` makes a driven interface one or two
cells wide, and every cell ahead of a beta front changes phase as a separate burst
(benchmarks/results/single_particle.md). Here, as in Kim, Kim & Suzuki (Phys. Rev. E 60, 7186
(1999)) and the grand-potential model of Plapp (Phys. Rev. E 84, 031601 (2011)), a cell is a
mixture of the two phases at equal diffusion potential, and the interface is carried by phi
with its own double well and gradient energy, so its width ``delta`` is a numerical choice
independent of the bulk curvatures.

Each phase is the parabola that the single-field energy has at its coexistence point (J/mol
of sites; ``s1 = -F V1`` the common-tangent slope, ``A = f''(Xa)`` of the alpha quartic,
``B`` the beta-branch stiffness):

    f_alpha(X) = s1 (X - Xa) + A/2 (X - Xa)^2
    f_beta(X)  = s1 (X - Xa) + B/2 (X - Xb)^2          (the single-field beta branch exactly)

With ``h(phi) = phi^3 (10 - 15 phi + 6 phi^2)`` and X split as ``X = h X_beta + (1 - h)
X_alpha`` at equal ``mu = f_alpha'(X_alpha) = f_beta'(X_beta)``, the mixture energy is in
closed form:

    f(X, phi) = s1 (X - Xa) + (X - X0(phi))^2 / (2 chi(phi)) + W phi^2 (1 - phi)^2
    X0 = h Xb + (1 - h) Xa,     chi = dX/dmu = h / B + (1 - h) / A
    mu = df/dX = s1 + (X - X0) / chi
    df/dphi = h'(phi) [omega_beta(mu) - omega_alpha(mu)] + W g'(phi)

with the grand potentials ``omega_p(mu) = f_p(X_p) - mu X_p``, equal at ``mu = s1`` (the
plateau), so a flat interface at the plateau potential is at rest. The gradient energy
``kappa_phi/2 |grad phi|^2`` goes with it; ``W = 12 sigma / delta`` and
``kappa_phi = 3 sigma delta / 2`` (J/mol, J um^2/mol with sigma in J um/mol) give the
interface energy sigma and slope width delta (as ``DoubleWell`` with dX = 1).

Dilute alpha (``alpha="dilute"``): the parabola keeps V within ``A Xa / F`` (a few mV) of the
plateau down to X = 0, so a delithiated surface never reaches a 1.5 V cut-off. Li in alpha-Al
is a dilute solute, and this variant makes alpha the ideal dilute (Henry) solution through
the same coexistence point:

    f_alpha(X) = s1 (X - Xa) + R T [X ln(X / Xa) - (X - Xa)],   mu_alpha = s1 + R T ln(X / Xa)
    X_alpha(mu) = Xa exp((mu - s1) / R T),   omega_alpha = -s1 Xa - R T (X_alpha - Xa)

(``V = V1 - (R T / F) ln(X / Xa)``: 1.5 V at ``X = Xa e^-43.6``; curvature ``R T / Xa =
5.2e4 J/mol`` at Xa, against ``A ~ 5e3`` of the quartic). Henry's law holds below the
coexistence point only: above it (supersaturated alpha, ``mu > s1``) the alpha branch is its
tangent parabola there, of the same curvature (f'' continuous at Xa):

    f_alpha(X) = s1 (X - Xa) + R T (X - Xa)^2 / (2 Xa)          (X > Xa)
    X_alpha(mu) = Xa (1 + (mu - s1) / R T),   omega_alpha = -s1 Xa - Xa d - Xa d^2 / (2 R T)

with ``d = mu - s1``. Continued as Henry's law, alpha would hold ``Xa e^(d / RT)`` (five times
Xa at 40 mV past the plateau) and its grand potential would fall below beta's from
d ~ 8 kJ/mol (~90 mV) on: a cell part alpha, part beta would then turn back to alpha and
take up Li without bound during a lithiation (seen at X = 1.1 in a rim cell of a 3D
electrode). With the parabola, ``omega_beta - omega_alpha = -(Xb - Xa) d + d^2 (Xa / RT -
1 / B) / 2 < 0`` for all ``0 < d < 4.7e4 J/mol``, i.e. beta is the stable phase at every
potential above 0 V vs Li/Li+ past the plateau. The split then has no closed form:
``h X_beta(mu) + (1 - h) X_alpha(mu) = X`` is increasing and convex in mu (exponential, then
linear) and is solved per cell by Newton's method from above (monotone convergence), with
one last Newton step on the traced inputs so that derivatives follow the implicit function
theorem. X is held at
``>= 1e-30`` in the solve (as the single-field dilute term does; the stepper rejects X < 0). The density is
``f = h omega_beta + (1 - h) omega_alpha + mu X + W g(phi)``, so ``df/dX = mu`` and
``df/dphi = h' (omega_beta - omega_alpha) + W g'`` by autodiff as for the parabolas.
h is evaluated at phi clipped to [0, 1].

Drained beta (``alpha="dilute"``): beta's parabola is so stiff that its composition moves by
only ``1/B`` per J/mol (0.0034 per 100 mV), so a cell with a trace of beta (``h ~ 1e-4``
left in a drained surface cell) holding less Li than ``h Xb`` puts ``mu`` where X_beta has
fallen to ``X/h``: 13 V past the plateau for ``h = 8e-5``, ``X = 3.8e-6`` (seen at the 1.5 V
cut-off of a particle's delithiation). At open circuit such a cell exchanged 1e54 A/m^2
with its neighbours through the electrolyte, and no step could follow. Beta is a solid
solution only near Xb; more than ``V_DRAINED = 0.5 V`` past the plateau (``d < d_s = -F
V_DRAINED``, ``X_s = Xb + d_s / B = 0.470``) its composition falls as an ideal solution's:

    X_beta(mu) = X_s exp((d - d_s) / RT),   omega_beta = omega_beta(d_s) - RT (X_beta - X_s)    (d < d_s)

continuous in X_beta and omega_beta (so in mu and f; ``f''`` jumps at d_s). A trace of beta
then holds its Li like alpha does (the cell above: 0.94 V), and nothing changes in any state
less than 0.5 V past the plateau. The split's ``G`` is no longer convex across d_s (its
slope drops there): where the root lies below it (``G(d_s) >= 0``) both phases are
exponential in d with the same RT and the root is ``d = RT ln(X / (h X_s e^(-d_s/RT) + (1 -
h) Xa))``; elsewhere the Newton solve starts from above as before.

Not included: the Li-metal well of the single-field energy (Li + Al particle mixtures).
"""

from __future__ import annotations

import jax.numpy as jnp

from jax import lax

from phasefield._pytree import pytree, static
from phasefield.constants import FARADAY, R_GAS

NEWTON_ITERATIONS = 30
V_DRAINED = 0.5  # V past the plateau below which a dilute-alpha energy's beta drains as an ideal solution


def interpolation(phi):
    """``h(phi) = phi^3 (10 - 15 phi + 6 phi^2)``: 0 and 1 at the wells, ``h' = 0`` there."""
    return phi**3 * (10.0 - 15.0 * phi + 6.0 * phi**2)


@pytree
class TwoPhaseEnergy:
    """KKS alpha/beta energy (module docstring). Energies in J/mol, lengths in um.

    Attributes:
        Xa, Xb: coexistence Li atom fractions of alpha and beta.
        A, B: curvatures ``f''`` of the alpha and beta parabolas (J/mol).
        s1: common-tangent slope ``-F V1`` (J/mol).
        W: phase-field barrier height (J/mol).
        kappa_phi: phase-field gradient coefficient (J um^2 / mol).
        T: temperature (K) of the dilute alpha phase.
        alpha: ``"parabola"`` or ``"dilute"`` (module docstring).
    """

    Xa: jnp.ndarray
    Xb: jnp.ndarray
    A: jnp.ndarray
    B: jnp.ndarray
    s1: jnp.ndarray
    W: jnp.ndarray
    kappa_phi: jnp.ndarray
    T: jnp.ndarray | float = 298.15
    alpha: str = static("parabola")

    @classmethod
    def from_lial(cls, energy, delta, alpha: str = "parabola", T: float = 298.15) -> "TwoPhaseEnergy":
        """The phases of a ``LiAlEnergy`` at its coexistence points, its interface energy,
        and a phase-field interface of slope width ``delta`` (um); ``alpha`` chooses the
        alpha phase (module docstring), ``T`` (K) its temperature when dilute."""
        if alpha not in ("parabola", "dilute"):
            raise ValueError(f"alpha must be 'parabola' or 'dilute'; got {alpha!r}")
        sigma = energy.sigma_molar
        A = 2.0 * energy.W1 * (energy.Xb - energy.Xa) ** 2  # f'' of the quartic at Xa
        return cls(Xa=energy.Xa, Xb=energy.Xb, A=A, B=energy.beta_stiffness, s1=energy.s1,
                   W=12.0 * sigma / delta, kappa_phi=1.5 * sigma * delta,
                   T=jnp.asarray(T, dtype=jnp.asarray(energy.Xa).dtype), alpha=alpha)

    @property
    def RT(self):
        return R_GAS * self.T

    def phase_weight(self, phi):
        """``h(phi)``, at phi clipped to [0, 1] for the dilute alpha (its split needs h in [0, 1])."""
        return interpolation(jnp.clip(phi, 0.0, 1.0)) if self.alpha == "dilute" else interpolation(phi)

    def _dilute_alpha(self, d):
        """``(X_alpha, dX_alpha/dd)`` of the dilute alpha at ``d = mu - s1``: Henry's law for
        ``d <= 0``, its tangent (the parabola of curvature RT/Xa) above (module docstring)."""
        below = d <= 0.0
        henry = self.Xa * jnp.exp(jnp.where(below, d, 0.0) / self.RT)
        X_alpha = jnp.where(below, henry, self.Xa * (1.0 + d / self.RT))
        return X_alpha, jnp.where(below, henry, self.Xa) / self.RT

    def susceptibility(self, phi, mu=None):
        """``chi = dX/dmu`` at fixed phi (mol/J); the dilute alpha phase needs ``mu``."""
        h = self.phase_weight(phi)
        if self.alpha == "dilute":
            d = mu - self.s1
            return h * self._beta(d)[1] + (1.0 - h) * self._dilute_alpha(d)[1]
        return h / self.B + (1.0 - h) / self.A

    @property
    def _drained(self):
        """``(d_s, X_s)``: ``d_s = -F V_DRAINED`` (J/mol), below which the dilute-alpha
        energy's beta drains as an ideal solution, and beta's composition there (module
        docstring)."""
        d_s = -FARADAY * V_DRAINED
        return d_s, self.Xb + d_s / self.B

    def _omega_beta_parabola(self, d):
        return -self.s1 * self.Xa - d * self.Xb - 0.5 * d**2 / self.B

    def _beta(self, d, low=None):
        """``(X_beta, dX_beta/dd)`` at ``d = mu - s1``: beta's parabola, and for the dilute
        alpha below ``d_s`` (or where ``low`` says) the ideal solution through its point there."""
        linear = self.Xb + d / self.B
        if self.alpha != "dilute":
            return linear, jnp.ones_like(d) / self.B
        d_s, X_s = self._drained
        low = d < d_s if low is None else low
        ideal = X_s * jnp.exp(jnp.minimum(d - d_s, 0.0) / self.RT)
        return jnp.where(low, ideal, linear), jnp.where(low, ideal / self.RT, 1.0 / self.B)

    def _split_residual(self, d, X, h, low=None):
        """``G(d) = h X_beta + (1 - h) X_alpha - X`` at ``mu = s1 + d`` and ``dG/dd``."""
        Xa_d, dXa_d = self._dilute_alpha(d)
        Xb_d, dXb_d = self._beta(d, low)
        return h * Xb_d + (1.0 - h) * Xa_d - X, h * dXb_d + (1.0 - h) * dXa_d

    def _dilute_potential(self, X, h):
        """``d = mu - s1`` solving the split (module docstring) for the dilute alpha phase."""
        tiny = 1e-30
        X = jnp.maximum(X, tiny)  # X <= 1e-30 is held there, as in the single-field energy
        # each phase alone holding X bounds d from above: G >= 0 there, and Newton on an
        # increasing convex G from such a point decreases monotonically to the root
        r = X / jnp.maximum((1.0 - h) * self.Xa, tiny)
        d_alpha = self.RT * jnp.where(r > 1.0, r - 1.0, jnp.log(jnp.minimum(r, 1.0)))
        d_beta = jnp.where(h > 0, self.B * (X / jnp.where(h > 0, h, 1.0) - self.Xb), jnp.inf)
        X0, h0 = lax.stop_gradient(X), lax.stop_gradient(h)
        # the root lies below d_s where G(d_s) >= 0; there both phases are exponential in d
        # with the same RT and the root is in closed form
        d_s, X_s = self._drained
        low = self._split_residual(jnp.full_like(X0, d_s), X0, h0, low=True)[0] >= 0.0
        d_low = self.RT * jnp.log(X0 / (h0 * X_s * jnp.exp(-d_s / self.RT) + (1.0 - h0) * self.Xa))
        d0 = lax.stop_gradient(jnp.where(low, jnp.minimum(d_low, d_s), jnp.minimum(d_alpha, d_beta)))

        def newton(_, d):
            G, dG = self._split_residual(d, X0, h0, low)
            return d - G / dG

        d = lax.fori_loop(0, NEWTON_ITERATIONS, newton, d0)
        G, dG = self._split_residual(d, X, h, low)  # traced: first derivatives of the root
        return d - G / dG

    def _offset(self, phi):
        h = interpolation(phi)
        return h * self.Xb + (1.0 - h) * self.Xa

    def density(self, X, phi):
        """``f(X, phi)`` in J/mol, the double well of phi included."""
        if self.alpha == "dilute":
            h = self.phase_weight(phi)
            mu = self.s1 + self._dilute_potential(X, h)
            oa, ob = self.grand_potentials(mu)
            return h * ob + (1.0 - h) * oa + mu * X + self.W * phi**2 * (1.0 - phi) ** 2
        chi = self.susceptibility(phi)
        return (self.s1 * (X - self.Xa) + 0.5 * (X - self._offset(phi)) ** 2 / chi
                + self.W * phi**2 * (1.0 - phi) ** 2)

    def chemical_potential(self, X, phi):
        """``mu = df/dX`` (J/mol), in closed form (by Newton's method for dilute alpha)."""
        if self.alpha == "dilute":
            return self.s1 + self._dilute_potential(X, self.phase_weight(phi))
        return self.s1 + (X - self._offset(phi)) / self.susceptibility(phi)

    def phase_compositions(self, mu):
        """``(X_alpha, X_beta)`` at the diffusion potential ``mu``."""
        if self.alpha == "dilute":
            return self._dilute_alpha(mu - self.s1)[0], self._beta(mu - self.s1)[0]
        return self.Xa + (mu - self.s1) / self.A, self.Xb + (mu - self.s1) / self.B

    def grand_potentials(self, mu):
        """``(omega_alpha, omega_beta)`` in J/mol."""
        d = mu - self.s1
        if self.alpha == "dilute":
            # -int X_alpha dmu from the plateau; the parabola above Xa adds -Xa d^2 / (2 RT)
            up = jnp.maximum(d, 0.0)
            omega_a = (-self.s1 * self.Xa - self.RT * (self._dilute_alpha(d)[0] - self.Xa)
                       - 0.5 * self.Xa * up**2 / self.RT)
        else:
            omega_a = -mu * self.Xa - 0.5 * d**2 / self.A
        omega_b = self._omega_beta_parabola(d)
        if self.alpha == "dilute":  # drained beta: -int X_beta dmu continued below d_s
            d_s, X_s = self._drained
            omega_b = jnp.where(d < d_s, self._omega_beta_parabola(d_s) - self.RT * (self._beta(d)[0] - X_s),
                                omega_b)
        return omega_a, omega_b

    def voltage(self, mu):
        """Equilibrium potential vs Li/Li+ (V)."""
        return -mu / FARADAY


__all__ = ["TwoPhaseEnergy", "interpolation"]
