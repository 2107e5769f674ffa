"""The total free energy functional and its variational derivatives by autodiff.

    F[X, eta] = int [ f(X) + g(eta) + kappa/2 |grad X|^2 + kappa_eta/2 sum_i |grad eta_i|^2 ] dV

discretised on the grid's faces (``Grid.squared_gradient_sum``). The driving forces are the
gradients of this discrete energy divided by the cell volume,

    mu    = dF/dX / dV     = f'(X) - kappa lap_h X
    force = dF/deta / dV   = g'(eta) - kappa_eta lap_h eta,

so they are exactly consistent with the discrete energy that the tests check for decay.

Smoothed boundary method (DESIGN 2.4): with a domain indicator ``psi`` the energy becomes
``F = int psi [f + kappa/2 |grad X|^2] dV`` (psi on faces as the mean of the two cells), and
dividing its gradient by ``psi dV`` gives the SBM potential

    mu = f'(X) - (kappa / psi) div(psi grad X).
"""

from __future__ import annotations

from typing import Any, Optional

import jax
import jax.numpy as jnp

from phasefield._pytree import pytree
from phasefield.grid import Grid


@pytree
class FreeEnergy:
    """Chemical energy ``f(X)``, optional grain energy ``g(eta)``, and gradient coefficients.

    Attributes:
        chemical: local energy with ``density(X)`` (J/mol for material presets), or ``None``
            for a grain-only problem.
        kappa: gradient coefficient of X (J/mol um^2).
        grains: ``GrainEnergy`` or ``None``.
        kappa_eta: gradient coefficient of the order parameters (J/mol um^2).
    """

    chemical: Any
    kappa: jnp.ndarray
    grains: Optional[Any] = None
    kappa_eta: Optional[jnp.ndarray] = None

    def density(self, X, eta):
        out = 0.0
        if self.chemical is not None:
            out = out + self.chemical.density(X)
        if self.grains is not None and eta is not None:
            out = out + self.grains.density(eta)
        return out

    def total(self, X, eta, grid: Grid, psi=None, face_psi=None):
        """Discrete ``F`` (energy units x volume units), psi-weighted when ``psi`` is given.
        ``face_psi`` (one array per axis) overrides the face weights, the mean of the cells."""
        if psi is None:
            F = grid.integrate(self.density(X, eta))
            gradient_sum = grid.squared_gradient_sum
        else:
            F = grid.integrate(psi * self.density(X, eta))
            if face_psi is None:
                gradient_sum = lambda a: grid.weighted_squared_gradient_sum(a, psi)  # noqa: E731
            else:
                gradient_sum = lambda a: grid.cell_volume * sum(  # noqa: E731
                    jnp.sum(w * grid.face_gradient(a, d) ** 2) for d, w in enumerate(face_psi))
        if self.chemical is not None:
            F = F + 0.5 * self.kappa * gradient_sum(X)
        if self.grains is not None and eta is not None:
            F = F + 0.5 * self.kappa_eta * gradient_sum(eta)
        return F

    def derivatives(self, X, eta, grid: Grid, psi=None, face_psi=None):
        """``(mu, force_eta)``: variational derivatives per unit volume (per ``psi dV`` with a
        domain), by autodiff."""
        dX, deta = jax.grad(self.total, argnums=(0, 1))(X, eta, grid, psi, face_psi)
        inv = 1.0 / grid.cell_volume if psi is None else 1.0 / (grid.cell_volume * psi)
        return dX * inv, (None if deta is None else deta * inv)

    def local_chemical_potential(self, X):
        """``f'(X)``: the chemical potential without its gradient term, by autodiff."""
        return jax.grad(lambda x: jnp.sum(self.chemical.density(x)))(X)

    def chemical_potential(self, X, grid: Grid, psi=None):
        return self.derivatives(X, None, grid, psi)[0]

    def max_chemical_curvature(self, samples: int = 2001):
        """``max f''(X)`` over the chemical energy's composition range, by autodiff."""
        lo, hi = self.chemical.composition_range()
        X = jnp.linspace(lo, hi, samples, dtype=jnp.asarray(self.kappa).dtype)
        d2 = jax.vmap(jax.grad(jax.grad(self.chemical.density)))(X)
        return jnp.max(d2)
