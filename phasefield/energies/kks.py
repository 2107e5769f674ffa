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

Not included (yet): the dilute-alpha entropy term and the Li-metal well of the single-field
energy; the equilibrium potential is the plateau ``V1`` wherever alpha and beta coexist.
"""

from __future__ import annotations

import jax.numpy as jnp

from phasefield._pytree import pytree
from phasefield.constants import FARADAY


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
    """

    Xa: jnp.ndarray
    Xb: jnp.ndarray
    A: jnp.ndarray
    B: jnp.ndarray
    s1: jnp.ndarray
    W: jnp.ndarray
    kappa_phi: jnp.ndarray

    @classmethod
    def from_lial(cls, energy, delta) -> "TwoPhaseEnergy":
        """The parabolas of a ``LiAlEnergy`` at its coexistence points, its interface energy,
        and a phase-field interface of slope width ``delta`` (um)."""
        sigma = energy.sigma_molar
        A = 2.0 * energy.W1 * (energy.Xb - energy.Xa) ** 2  # f'' of the quartic at Xa
        return cls(Xa=energy.Xa, Xb=energy.Xb, A=A, B=energy.beta_stiffness, s1=energy.s1,
                   W=12.0 * sigma / delta, kappa_phi=1.5 * sigma * delta)

    def susceptibility(self, phi):
        """``chi = dX/dmu`` at fixed phi (mol/J)."""
        h = interpolation(phi)
        return h / self.B + (1.0 - h) / self.A

    def _offset(self, phi):
        h = interpolation(phi)
        return h * self.Xb + (1.0 - h) * self.Xa

    def density(self, X, phi):
        """``f(X, phi)`` in J/mol, the double well of phi included."""
        chi = self.susceptibility(phi)
        return (self.s1 * (X - self.Xa) + 0.5 * (X - self._offset(phi)) ** 2 / chi
                + self.W * phi**2 * (1.0 - phi) ** 2)

    def chemical_potential(self, X, phi):
        """``mu = df/dX`` (J/mol), in closed form."""
        return self.s1 + (X - self._offset(phi)) / self.susceptibility(phi)

    def phase_compositions(self, mu):
        """``(X_alpha, X_beta)`` at the diffusion potential ``mu``."""
        return self.Xa + (mu - self.s1) / self.A, self.Xb + (mu - self.s1) / self.B

    def grand_potentials(self, mu):
        """``(omega_alpha, omega_beta)`` in J/mol."""
        d = mu - self.s1
        omega_a = -mu * self.Xa - 0.5 * d**2 / self.A
        omega_b = -self.s1 * self.Xa - d * self.Xb - 0.5 * d**2 / self.B
        return omega_a, omega_b

    def voltage(self, mu):
        """Equilibrium potential vs Li/Li+ (V)."""
        return -mu / FARADAY


__all__ = ["TwoPhaseEnergy", "interpolation"]
