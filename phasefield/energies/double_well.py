"""Generic quartic double well.

    f(X) = W (X - Xa)^2 (Xb - X)^2

With gradient coefficient kappa, the flat 1D equilibrium interface between the wells is

    X(x) = Xa + (Xb - Xa)/2 [1 + tanh(2 x / delta)],   delta = 4 sqrt(kappa / (2 W)) / dX

(``delta`` is the slope width ``dX / max|dX/dx|``), and its energy per area is

    sigma = sqrt(2 kappa W) dX^3 / 6,   dX = Xb - Xa.

Inverting: ``kappa = 3 sigma delta / (2 dX^2)`` and ``W = 12 sigma / (delta dX^4)``.
PFHub benchmark 1 uses ``W = rho_s = 5``, ``Xa = 0.3``, ``Xb = 0.7``, ``kappa = 2``.
"""

from __future__ import annotations

import jax.numpy as jnp

from phasefield._pytree import pytree


@pytree
class DoubleWell:
    """Quartic double well; ``W`` in energy units of the model, ``Xa < Xb`` dimensionless."""

    W: jnp.ndarray
    Xa: jnp.ndarray
    Xb: jnp.ndarray

    def density(self, X):
        return self.W * (X - self.Xa) ** 2 * (self.Xb - X) ** 2

    def composition_range(self) -> tuple[float, float]:
        """Compositions over which the stabiliser samples ``f''`` (a margin beyond the wells)."""
        return (-0.1, 1.1)

    @staticmethod
    def from_interface(sigma, delta, Xa, Xb) -> tuple["DoubleWell", jnp.ndarray]:
        """The well and gradient coefficient giving interface energy ``sigma`` and width ``delta``."""
        dX = Xb - Xa
        kappa = 1.5 * sigma * delta / dX**2
        W = 12.0 * sigma / (delta * dX**4)
        return DoubleWell(jnp.asarray(W), jnp.asarray(Xa), jnp.asarray(Xb)), jnp.asarray(kappa)

    def interface_energy(self, kappa):
        return jnp.sqrt(2.0 * kappa * self.W) * (self.Xb - self.Xa) ** 3 / 6.0

    def interface_width(self, kappa):
        return 4.0 * jnp.sqrt(kappa / (2.0 * self.W)) / (self.Xb - self.Xa)

    def profile(self, x, kappa):
        """Analytic equilibrium profile centred at ``x = 0``."""
        return self.Xa + 0.5 * (self.Xb - self.Xa) * (1.0 + jnp.tanh(2.0 * x / self.interface_width(kappa)))
