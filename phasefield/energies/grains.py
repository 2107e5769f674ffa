"""Multi-order-parameter grain energy (Fan & Chen, Acta Mater. 45, 611 (1997); Moelans,
Blanpain & Wollants, PRB 78, 024113 (2008), Eq. 3):

    g(eta) = m [ sum_i (eta_i^4/4 - eta_i^2/2) + gamma sum_{i<j} eta_i^2 eta_j^2 + 1/4 ]

with gradient energy ``kappa_eta/2 sum_i |grad eta_i|^2``. For ``gamma = 1.5`` the grain
boundary is symmetric, its energy is ``sigma_gb = (sqrt(2)/3) sqrt(kappa_eta m)`` and the
boundary moves with ``v = L kappa_eta K`` (K the mean curvature sum), so a circle (d = 2) or
sphere (d = 3) shrinks as ``R^2 = R0^2 - 2 (d-1) L kappa_eta t``.
"""

from __future__ import annotations

import jax.numpy as jnp

from phasefield._pytree import pytree


@pytree
class GrainEnergy:
    """``m`` in J/mol (or model energy units); ``gamma`` dimensionless (1.5: symmetric)."""

    m: jnp.ndarray
    gamma: jnp.ndarray

    def density(self, eta):
        """Energy density summed over the leading grain axis of ``eta`` (shape (n, *spatial))."""
        sq = eta**2
        total_sq = jnp.sum(sq, axis=0)
        pairs = 0.5 * (total_sq**2 - jnp.sum(sq**2, axis=0))  # sum_{i<j} eta_i^2 eta_j^2
        single = jnp.sum(0.25 * sq**2 - 0.5 * sq, axis=0)
        return self.m * (single + self.gamma * pairs + 0.25)

    def max_curvature(self, n_grains: int):
        """An upper bound of ``d^2 g / d eta_i^2`` for ``eta`` in [0, 1]^n: m (2 + 2 gamma (n-1))."""
        return self.m * (2.0 + 2.0 * self.gamma * (n_grains - 1))
