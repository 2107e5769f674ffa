"""The alpha/beta electrode model with the phase as its own field (Kim-Kim-Suzuki form).

Fields: the Li atom fraction X and the phase field phi (0 alpha-Al, 1 beta-LiAl), carried as
``state.eta[0]``. With the energy ``phasefield.energies.kks.TwoPhaseEnergy`` and the
smoothed-boundary weight psi (DESIGN 2.4),

    F = int psi [ f(X, phi) + kappa_phi/2 |grad phi|^2 ] dV
    psi dX/dt  = div(psi M grad mu) + surface * j,        mu = df/dX
    dphi/dt    = -L [ df/dphi - (kappa_phi / psi) div(psi grad phi) ]

(the driving forces by autodiff of the discrete F, as in ``FreeEnergy``). The mobility is the
lattice-gas form of seed 000 Eq. 1 (``phasefield.mobility``) evaluated in each phase at its
own composition and blended in log space with the interpolation function,

    ln M = h(phi) ln M_beta(X_beta) + (1 - h(phi)) ln M_alpha(X_alpha),
    M_p  = D*_p(X_p) X_p (1 - X_p) / (R T),

so a cell that is all alpha carries alpha's mobility whatever its Li content, and the beta
vacancy dependence of ``D*`` acts through X_beta. On a face the mobility is the geometric
mean of the two cells' (``face_mobility="geometric"``) or their arithmetic mean
(``"arithmetic"``). The choice matters only where the cells beside a face differ by orders
of magnitude, which is at a front: with a four-cell interface, ln M changes by ~6 (of the
~26 between the phases) from cell to cell across it, and the geometric mean makes each
face into alpha a barrier that Li crosses only as the cell beyond it turns to beta. A front
that beta feeds then advances one cell at a time, each cell taking the whole current in a
burst, and the electrode potential dips by up to ~0.1 V before the next row of cells gives
way (benchmarks/results/electrode_cycle.md); with the arithmetic mean the cell ahead of the
front fills from beta at beta's rate and the front follows the supply. Faces between two
alpha cells keep alpha's mobility either way, so an alpha layer of two or more cells still
blocks Li; one of a single cell does not (tests/test_two_phase.py). The Allen-Cahn mobility ``L`` (mol/(J s))
sets the interface kinetics; it is chosen large enough that the fronts are diffusion
controlled (the single-field model has no interface kinetics at all).

Nucleation: ``h'(0) = h'(1) = 0``, so a uniform alpha (phi = 0) stays alpha however
supersaturated, and beta likewise. A new phase therefore appears through a source in the phi
equation where the local equilibrium potential ``V = -mu/F`` is more than a nucleation
overpotential ``dV_n`` past the plateau ``V1`` (``Nucleation``):

    s_phi = r [ (1 - phi) p((V1 - dV_n - V)/w) - phi p((V - V1 - dV_n)/w) ]

with the smooth step p of ``phasefield.mobility`` over a width w (V) and a rate r (1/s):
beta appears in alpha charged below ``V1 - dV_n``, alpha in beta drained above ``V1 +
dV_n``; near the plateau the source is zero and the phase field evolves by its energy
alone. With a domain the source acts in the solid (psi >= 1/2) only: seeded in the diffuse
rim, where the surface flux changes X by O(1/psi), a nucleus forms cell by cell at small
steps; from the solid it grows into the rim by its energy. (The single-field model nucleates at its alpha spinodal, about 1 mV below V1 for the
default interface; ``dV_n`` is an input of this model.)

Why it exists: in the single-field model the interface width follows from the stiff beta
branch and each cell ahead of a front changes phase as a separate burst; here the interface
is resolved over ``delta`` by phi (benchmarks/results/two_phase_front.md).
The electrochemistry and the domain are those of ``PhaseFieldModel``
(``phasefield.models.electrode``).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from phasefield._pytree import pytree, static
from phasefield.constants import R_GAS
from phasefield.energies.kks import TwoPhaseEnergy
from phasefield.grid import Grid
from phasefield.mobility import LiAlMobility, smooth_step
from phasefield.models.cahn_hilliard import cahn_hilliard_rate
from phasefield.models.electrode import ElectrodeMethods


@pytree
class Nucleation:
    """Phase-field source where a phase is driven past the plateau (module docstring).

    Attributes:
        V1: plateau potential (V vs Li/Li+).
        overpotential: ``dV_n`` (V).
        width: ``w`` (V) of the smooth onset.
        rate: ``r`` (1/s).
    """

    V1: jnp.ndarray
    overpotential: jnp.ndarray
    width: jnp.ndarray
    rate: jnp.ndarray

    def source(self, phi, V):
        """``s_phi`` (1/s) at phase field phi and local equilibrium potential V."""
        beta = (1.0 - phi) * smooth_step((self.V1 - self.overpotential - V) / self.width)
        alpha = phi * smooth_step((V - self.V1 - self.overpotential) / self.width)
        return self.rate * (beta - alpha)


@pytree
class TwoPhaseModel(ElectrodeMethods):
    """X and phi of an alpha/beta electrode (module docstring).

    Attributes:
        energy: the two-phase energy.
        mobility: ``LiAlMobility`` whose per-phase diffusivities are used.
        L: Allen-Cahn mobility of phi (mol / (J s)).
        domain, kinetics, control: as for ``PhaseFieldModel``.
        nucleation: ``Nucleation`` or ``None`` (no new phase appears).
        face_mobility: ``"geometric"`` or ``"arithmetic"``, the mean of two cells' mobility
            on the face between them (module docstring).
    """

    energy: TwoPhaseEnergy
    mobility: LiAlMobility
    L: jnp.ndarray
    domain: Any = None
    kinetics: Any = None
    control: Any = None
    nucleation: Any = None
    face_mobility: str = static("geometric")

    evolves_X = True
    evolves_eta = True
    constant_kinetics = False
    # the rates couple a cell only to the cells sharing a face with it (fluxes through faces,
    # the face-difference gradient of phi, local sources): the Jacobian's probes need only
    # the colours of that cross (phasefield.integrators.block_tridiagonal)
    jacobian_stencil = "cross"

    @property
    def conservative(self) -> bool:
        return self.kinetics is None

    # -- energy ----------------------------------------------------------------------------
    def free_energy(self, state, grid: Grid):
        """Discrete ``F`` (J/mol x volume)."""
        return self._total(state.X, state.eta[0], grid)

    def _total(self, X, phi, grid: Grid):
        density = self.energy.density(X, phi)
        if self.domain is None:
            return grid.integrate(density) + 0.5 * self.energy.kappa_phi * grid.squared_gradient_sum(phi)
        gradient = grid.cell_volume * sum(jnp.sum(w * grid.face_gradient(phi, d) ** 2)
                                          for d, w in enumerate(self.face_psi(grid)))
        return grid.integrate(self.domain.psi * density) + 0.5 * self.energy.kappa_phi * gradient

    def driving_forces(self, state, grid: Grid):
        """``(mu, dF/dphi)`` per unit ``psi dV`` (autodiff), ``dF/dphi`` with a leading axis
        of one like ``state.eta``."""
        dX, dphi = jax.grad(self._total, argnums=(0, 1))(state.X, state.eta[0], grid)
        inv = 1.0 / grid.cell_volume if self.domain is None else 1.0 / (grid.cell_volume * self.domain.psi)
        return dX * inv, (dphi * inv)[None]

    def equilibrium_voltage(self, mu):
        return self.energy.voltage(mu)

    # -- kinetics --------------------------------------------------------------------------
    def log_mobility(self, state, mu=None):
        """``ln M`` (module docstring), M in um^2 mol / (J s)."""
        if mu is None:
            mu = self.energy.chemical_potential(state.X, state.eta[0])
        m = self.mobility
        X_alpha, X_beta = self.energy.phase_compositions(mu)
        h = self.energy.phase_weight(state.eta[0])
        lnRT = jnp.log(R_GAS * m.T)

        def site(x):
            return jnp.log(jnp.maximum(x * (1.0 - x), m.site_floor))

        ln_alpha = m.ln_D_alpha + site(X_alpha) - lnRT
        ln_beta = m.ln_D_beta(X_beta) + site(X_beta) - lnRT
        return h * ln_beta + (1.0 - h) * ln_alpha

    def conserved_rate(self, state, mu, grid: Grid):
        """``div(psi M grad mu)`` (no source)."""
        return cahn_hilliard_rate(mu, self.log_mobility(state, mu), grid, self.psi, self.face_psi(grid),
                                  face=self.face_mobility)

    def source_linearisation(self, state, mu):
        """``(d s_phi/d phi, d s_phi/d mu)`` per cell (1/s and mol/(J s)) at fixed mu and at
        fixed phi: the nucleation source's local Jacobian, which a preconditioner of the phi
        block needs beside the energy's (``-d s_phi/d phi`` is ``r`` where a phase is driven
        past its overpotential and 0 near the plateau; both are 0 without nucleation)."""
        if self.nucleation is None:
            return jnp.zeros_like(state.X), jnp.zeros_like(state.X)
        phi = state.eta[0]
        source = lambda p, m: self.nucleation.source(p, self.equilibrium_voltage(m))
        _, d_phi = jax.jvp(lambda p: source(p, mu), (phi,), (jnp.ones_like(phi),))
        _, d_mu = jax.jvp(lambda m: source(phi, m), (mu,), (jnp.ones_like(mu),))
        if self.domain is not None:
            keep = jnp.where(self.domain.psi >= 0.5, self.domain.active, 0.0)
            d_phi, d_mu = d_phi * keep, d_mu * keep
        return d_phi, d_mu

    def rates(self, state, grid: Grid):
        """``(dX/dt, dphi/dt)``, the second with a leading axis of one."""
        mu, force = self.driving_forces(state, grid)
        rX = self.conserved_rate(state, mu, grid)
        if self.kinetics is not None:
            rX = rX + self.electrochemical_source(state, grid, mu)
        rphi = -self.L * force
        if self.nucleation is not None:
            s_phi = self.nucleation.source(state.eta, self.equilibrium_voltage(mu))
            if self.domain is not None:  # in the solid only: the diffuse rim changes phase by growth
                s_phi = jnp.where(self.domain.psi >= 0.5, s_phi, 0.0)
            rphi = rphi + s_phi
        if self.domain is not None:
            rX = rX / self.domain.psi
            rphi = rphi * self.domain.active
        return rX, rphi


def phase_field_of(X, energy: TwoPhaseEnergy):
    """A starting phi for a composition field: ``(X - Xa)/(Xb - Xa)`` clipped to [0, 1]."""
    return jnp.clip((X - energy.Xa) / (energy.Xb - energy.Xa), 0.0, 1.0)


__all__ = ["Nucleation", "TwoPhaseModel", "phase_field_of"]
