"""Electrochemistry at the solid-electrolyte contact: Butler-Volmer kinetics and the
galvanostatic / potentiostatic control of the electrode potential (DESIGN 2.4).

Current density (A/m^2, positive = lithiation, Li enters the alloy), at each boundary cell,

    i = i0 [ exp(-alpha_c F eta / RT) - exp(alpha_a F eta / RT) ],   eta = phi - V_eq(mu)

with the electrode potential phi vs Li/Li+ (V) and the local equilibrium potential
``V_eq = -mu / F`` of the alloy. The Li flux into the solid in the solver's units
(atom fraction x um / s) is ``j = i Vm / F * 1e6`` with the molar volume Vm (m^3 per mol of
sites). Exchange current densities of order 1 mA/cm^2 = 10 A/m^2 are realistic (seed 004:
0.69 and 1.11 mA/cm^2 for Li interfaces).

The exchange current may depend on the surface composition as in concentrated-solution
Butler-Volmer kinetics (Newman & Thomas-Alyea, *Electrochemical Systems*, 3rd ed., Eq. 8.27,
i0 ~ c_s^alpha_a (c_max - c_s)^alpha_c):

    i0(X) = i0 [4 X (1 - X)]^gamma

normalised at X = 1/2; ``gamma = 0`` (default) is a constant i0, ``gamma = 1/2`` the
symmetric form. With gamma > 0 a surface emptied of Li cannot carry the current, so a
delithiation meets its voltage cut-off once the surface is depleted.

Galvanostatic control fixes the total current ``I * face_area`` and solves the scalar
equation ``sum_cells surface * i(phi) dV = I * face_area`` for phi every step (i is monotone in
phi): 100 bisection steps on a bracket, then one Newton step so that phi is differentiable
with respect to every parameter (implicit-function derivative). Potentiostatic control fixes
phi.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from phasefield._pytree import pytree, static
from phasefield.constants import FARADAY, R_GAS


@pytree
class ButlerVolmer:
    """i0 (A/m^2), transfer coefficients, temperature (K), molar volume (m^3/mol) and the
    exponent ``gamma`` of the composition dependence of i0 (module docstring)."""

    i0: jnp.ndarray
    alpha_a: jnp.ndarray
    alpha_c: jnp.ndarray
    T: jnp.ndarray
    molar_volume: jnp.ndarray
    gamma: jnp.ndarray | float = 0.0

    def exchange_current(self, X=None):
        """``i0(X) = i0 [4 X (1 - X)]^gamma`` (A/m^2); ``i0`` without a composition."""
        if X is None:
            return self.i0
        site = jnp.clip(4.0 * X * (1.0 - X), 1e-300, 1.0)
        return self.i0 * jnp.exp(self.gamma * jnp.log(site))

    def current(self, phi, V_eq, X=None):
        """Lithiation current density (A/m^2) at potential ``phi`` against ``V_eq`` (V), at
        surface composition ``X`` (needed only when ``gamma != 0``)."""
        f = FARADAY / (R_GAS * self.T)
        eta = phi - V_eq
        return self.exchange_current(X) * (jnp.exp(-self.alpha_c * f * eta) - jnp.exp(self.alpha_a * f * eta))

    def li_flux(self, current):
        """Li flux (atom fraction x um/s) of a current density (A/m^2)."""
        return current * self.molar_volume / FARADAY * 1e6


@pytree
class Galvanostatic:
    """Applied current density (A/m^2 of the electrolyte face; > 0 lithiates) and the
    voltage window (V vs Li/Li+) outside which the step ends: ``v_min`` is the lower cut-off
    of a lithiation (e.g. 0.01 V), ``v_max`` the upper cut-off of a delithiation (e.g.
    1.5 V); infinite for none."""

    current: jnp.ndarray
    bracket: float = static(5.0)  # V around the range of V_eq searched for phi
    v_min: jnp.ndarray | float = -float("inf")
    v_max: jnp.ndarray | float = float("inf")


@pytree
class Potentiostatic:
    """Applied electrode potential vs Li/Li+ (V)."""

    potential: jnp.ndarray


def total_current(kinetics: ButlerVolmer, phi, V_eq, surface, cell_volume, X=None):
    """``sum surface * i dV`` (A/m^2 x area in the model's units)."""
    return jnp.sum(surface * kinetics.current(phi, V_eq, X)) * cell_volume


def solve_potential(kinetics: ButlerVolmer, control, V_eq, surface, face_area, cell_volume, X=None):
    """The electrode potential phi (V) for the given control (``X``: the compositions, for a
    composition-dependent exchange current)."""
    if isinstance(control, Potentiostatic):
        return control.potential
    target = control.current * face_area
    active = surface > 0
    lo0 = jnp.min(jnp.where(active, V_eq, jnp.inf)) - control.bracket
    hi0 = jnp.max(jnp.where(active, V_eq, -jnp.inf)) + control.bracket
    g = lambda phi: total_current(kinetics, phi, V_eq, surface, cell_volume, X) - target  # noqa: E731

    def bisect(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        # g decreases with phi: too much lithiation current means phi must rise
        positive = g(mid) > 0
        return jnp.where(positive, mid, lo), jnp.where(positive, hi, mid)

    lo, hi = lax.fori_loop(0, 100, bisect, (lax.stop_gradient(lo0), lax.stop_gradient(hi0)))
    phi0 = lax.stop_gradient(0.5 * (lo + hi))
    return phi0 - g(phi0) / jax.grad(g)(phi0)
