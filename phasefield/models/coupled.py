"""The coupled Cahn-Hilliard / Allen-Cahn model: one energy, two kinds of kinetics.

    dX/dt     = div( M(X, eta) grad dF/dX ) + s_X(t)          (if ``mobility`` is set)
    deta_i/dt = -L dF/deta_i + s_eta(t)                      (if the energy has grains)

``F`` is ``FreeEnergy``; the grain boundaries couple back into X through the mobility's
grain-boundary term. ``s_X``, ``s_eta`` are optional source terms (manufactured solutions).

With a smoothed-boundary ``domain`` (``phasefield.domain``) the conserved quantity is
``U = psi X``:

    dU/dt = div(psi M grad mu) + surface * j(phi, V_eq(mu))

where the Li flux j comes from Butler-Volmer ``kinetics`` under a galvanostatic or
potentiostatic ``control`` (``phasefield.electrochem``), applied only on the active surface.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import jax.numpy as jnp

from phasefield._pytree import pytree, static
from phasefield.energies.functional import FreeEnergy
from phasefield.grid import Grid
from phasefield.models.electrode import ElectrodeMethods
from phasefield.models.allen_cahn import allen_cahn_rate, allen_cahn_symbol
from phasefield.mobility import ConstantMobility
from phasefield.models.cahn_hilliard import cahn_hilliard_rate, cahn_hilliard_symbol


@pytree
class PhaseFieldModel(ElectrodeMethods):
    """Cahn-Hilliard for X, Allen-Cahn for eta, or both.

    Attributes:
        energy: the free energy functional.
        mobility: has ``log_mobility(X, eta)``; ``None`` freezes X.
        L: Allen-Cahn mobility (per energy unit per time); needed when grains are present.
        stabilizer_A_scale: multiplies ``A = max M`` (>= 1 for stability).
        stabilizer_S: overrides ``S = max f''/2`` when given.
        X_source, eta_source: optional static callables ``t -> field`` added to the rates.
    """

    energy: FreeEnergy
    mobility: Any = None
    L: Optional[jnp.ndarray] = None
    stabilizer_A_scale: jnp.ndarray | float = 1.0
    stabilizer_S: Optional[jnp.ndarray] = None
    X_source: Optional[Callable] = static(None)
    eta_source: Optional[Callable] = static(None)
    domain: Any = None
    kinetics: Any = None
    control: Any = None

    @property
    def evolves_X(self) -> bool:
        return self.mobility is not None

    @property
    def evolves_eta(self) -> bool:
        return self.energy.grains is not None

    @property
    def conservative(self) -> bool:
        """True when no source terms act, so the energy must not rise."""
        return self.X_source is None and self.eta_source is None and self.kinetics is None

    def log_mobility(self, state):
        return self.mobility.log_mobility(state.X, state.eta)

    @property
    def constant_kinetics(self) -> bool:
        """True when the Cahn-Hilliard operator ``div(M grad .)`` has a constant coefficient,
        so it commutes with Fourier multipliers (integrators may then skip symmetrisation)."""
        return isinstance(self.mobility, ConstantMobility) and self.domain is None

    def driving_forces(self, state, grid: Grid):
        """``(mu, dF/deta)``: variational derivatives of the free energy (autodiff)."""
        return self.energy.derivatives(state.X, state.eta if self.evolves_eta else None, grid, self.psi,
                                       self.face_psi(grid))

    def conserved_rate(self, state, mu, grid: Grid):
        """``div(M(X, eta) grad mu)`` (``div(psi M grad mu)`` with a domain), no source."""
        return cahn_hilliard_rate(mu, self.log_mobility(state), grid, self.psi, self.face_psi(grid))

    def equilibrium_voltage(self, mu):
        """V vs Li/Li+ of the chemical potential ``mu``."""
        return self.energy.chemical.voltage(mu)

    def transformed_conserved_rate(self, X, X_hat, grid: Grid, lam):
        """``T[div(M grad mu)]`` for constant kinetics, from X and its transform
        ``X_hat = T[X]``: ``-M lam (T[f'(X)] + kappa lam X_hat)``. The finite-volume Laplacian
        is diagonal in T with eigenvalues ``-lam``, so this is ``T`` of ``conserved_rate``
        (to round-off) without its stencils: one transform instead of the Laplacians of X and
        mu and the transform of their result."""
        if not self.constant_kinetics:
            raise ValueError("transformed_conserved_rate needs constant kinetics (constant mobility, no domain)")
        f_hat = grid.forward(self.energy.local_chemical_potential(X))
        M = self.mobility.M
        return (-M * lam).astype(f_hat.dtype) * (f_hat + (self.energy.kappa * lam).astype(f_hat.dtype) * X_hat)

    def nonconserved_rate(self, state, force):
        return allen_cahn_rate(force, self.L)

    def sources(self, state, grid: Grid, mu):
        """``(s_U, s_eta)`` at ``state.t``, ``None`` where absent."""
        sX = None if self.X_source is None or not self.evolves_X else self.X_source(state.t)
        if self.kinetics is not None and self.evolves_X:
            j = self.electrochemical_source(state, grid, mu)
            sX = j if sX is None else sX + j
        seta = None if self.eta_source is None or not self.evolves_eta else self.eta_source(state.t)
        return sX, seta

    def rates(self, state, grid: Grid):
        """Explicit right-hand sides ``(dX/dt, deta/dt)``; ``None`` for a frozen field."""
        mu, force = self.driving_forces(state, grid)
        sX, seta = self.sources(state, grid, mu)
        rX = reta = None
        if self.evolves_X:
            rX = self.conserved_rate(state, mu, grid)
            rX = rX if sX is None else rX + sX
            rX = rX if self.domain is None else rX / self.domain.psi
        if self.evolves_eta:
            reta = self.nonconserved_rate(state, force)
            reta = reta if seta is None else reta + seta
        return rX, reta

    def stabilizer_coefficients(self, state):
        """``(A, S)`` of the Cahn-Hilliard stabiliser."""
        A = self.stabilizer_A_scale * jnp.max(jnp.exp(self.log_mobility(state)))
        S = self.stabilizer_S
        if S is None:
            S = 0.5 * jnp.maximum(self.energy.max_chemical_curvature(), 0.0)
        return A, S

    def symbols(self, state, grid: Grid, lam):
        """Linear implicit operators in the Laplacian eigenbasis (``None`` for frozen fields)."""
        sX = seta = None
        if self.evolves_X:
            A, S = self.stabilizer_coefficients(state)
            sX = cahn_hilliard_symbol(A, S, self.energy.kappa, lam)
        if self.evolves_eta:
            n = state.eta.shape[0]
            S_eta = 0.5 * self.energy.grains.max_curvature(n)
            seta = allen_cahn_symbol(self.L, S_eta, self.energy.kappa_eta, lam)
        return sX, seta

    def free_energy(self, state, grid: Grid):
        return self.energy.total(state.X, state.eta if self.evolves_eta else None, grid, self.psi,
                                 self.face_psi(grid))
