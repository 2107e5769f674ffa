"""A Li-Al electrode: a pressed-powder packing between the solid electrolyte and the collector.

Geometry (``phasefield.geometry``, lengths in um): axis 0 runs from the solid-electrolyte (SE)
layer ``0 <= x0 < gap`` through the SE face at ``x0 = gap`` to the current collector at
``x0 = L0`` (no flux: the grid's axis 0 must be no-flux); the other axes are periodic. The
particles are seeded log-normal discs/spheres pressed to a target solid fraction; psi is the
smoothed indicator of their union (width = the Li-Al interface width delta), the active
surface ``2 psi |grad psi_E|`` marks where they touch the SE (``electrolyte_contact``), and
the current density refers to the face area ``prod_{a>0} L_a``.

Initial Li (seed 000 Methods, in-situ prelithiation at Li:Al = x): ``mode = "mixed"`` makes
each particle either Al (alpha, X = ``X_al``) or Li metal (X = 1), chosen so the powder's
Li:Al atom ratio is nearest x; ``mode = "prelithiated"`` gives every particle Li_xAl
of mean ``X = x / (1 + x)``, as alpha and beta at the lever rule in seeded random domains of
correlation length ``domain_size`` (``geometry.two_phase_X``). x = 0 is pure Al.

The model is the smoothed-boundary Cahn-Hilliard of ``phasefield.domain`` with Butler-Volmer
kinetics at the SE contact under a galvanostatic or potentiostatic ``control``, or with
``two_phase`` options the two-phase model of ``lial_particle.lial_two_phase_model`` (X and
a phase field phi, started from X by ``phase_field_of``). That model has no Li-metal phase,
so it takes Al particles and Li_xAl ones, not the Li particles of a mixed powder at x > 0.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np

from phasefield.domain import Domain
from phasefield.energies.functional import FreeEnergy
from phasefield.geometry import assign_li_al, electrolyte_contact, initial_X, pack_particles, rasterize, two_phase_X
from phasefield.geometry.packing import Packing
from phasefield.grid import Grid
from phasefield.models.coupled import PhaseFieldModel
from phasefield.models.two_phase import phase_field_of
from phasefield.problems.lial_particle import lial_two_phase_model
from phasefield.state import State


@dataclasses.dataclass(frozen=True, eq=False)
class Electrode:
    """The built electrode: model, initial state and the geometry behind them.

    Attributes:
        model: ``PhaseFieldModel`` (or ``TwoPhaseModel``) with domain, kinetics and control.
        state: initial ``State``.
        packing: the particle packing.
        labels: per-cell particle index inside the solid (psi > 1/2), -1 elsewhere.
        particle_X: initial Li atom fraction of each particle.
        x_ratio: the powder's Li:Al atom ratio that the assignment achieved.
    """

    model: PhaseFieldModel
    state: State
    packing: Packing
    labels: np.ndarray
    particle_X: np.ndarray
    x_ratio: float


def electrode_packing(grid: Grid, radius_mean: float, radius_std: float, density: float, seed: int,
                      gap: float) -> Packing:
    """A seeded packing filling ``grid``'s box (``phasefield.geometry.pack_particles``)."""
    if grid.bc[0] != "noflux" or any(b != "periodic" for b in grid.bc[1:]):
        raise ValueError(f"an electrode slab needs bc = ('noflux', 'periodic', ...): axis 0 ends at the "
                         f"collector; got {grid.bc}")
    return pack_particles(grid.lengths, radius_mean, radius_std, density, seed, grid.ndim, electrolyte_gap=gap)


def electrode_problem(grid: Grid, packing: Packing, energy, mobility, kinetics, control, x_ratio: float,
                      mode: str = "mixed", seed: int = 0, X_al: float = 0.02, psi_cut: float = 0.0,
                      domain_size: float | None = None, two_phase: dict | None = None,
                      contact_reach: float | None = None, dtype=jnp.float64) -> Electrode:
    """Build the electrode of the module docstring on ``grid`` from ``packing``.

    Args:
        energy: the Li-Al energy (its ``delta`` is the smoothed-boundary width, um).
        mobility, kinetics, control: as for ``PhaseFieldModel``.
        x_ratio: Li:Al atom ratio of the powder (0 = pure Al).
        mode: ``"mixed"`` (Li and Al particles) or ``"prelithiated"`` (Li_xAl particles).
        seed: seed of the random choice of Li particles.
        X_al: Li atom fraction of the Al particles.
        psi_cut: inactive rim below this psi (``Domain``).
        domain_size: correlation length (um) of the alpha/beta domains of prelithiated
            particles (default: twice the interface width).
        two_phase: keyword arguments of ``lial_two_phase_model`` (``L``,
            ``nucleation_overpotential``, ``nucleation_rate``) to build the two-phase model;
            None (default) builds the single-field ``PhaseFieldModel``.
        contact_reach: depth behind the SE face (um) beyond which no current enters
            (``electrolyte_contact``'s ``reach``); None: the full tanh profile.
    """
    width = float(energy.delta)
    if tuple(float(b) for b in packing.box) != tuple(float(v) for v in grid.lengths):
        raise ValueError(f"the packing's box {packing.box} must equal the grid's lengths {grid.lengths}")
    psi, labels = rasterize(packing, grid, width)
    surface = electrolyte_contact(psi, grid, packing.gap, width, reach=contact_reach)
    face_area = float(np.prod(grid.lengths[1:]))
    domain = Domain.create(psi, surface, face_area, psi_cut=psi_cut, dtype=dtype)
    per_particle, achieved = assign_li_al(packing, x_ratio, seed, mode=mode, X_al=X_al)
    X0 = initial_X(packing, labels, psi, per_particle, outside=X_al)
    if mode == "prelithiated":
        size = 2.0 * width if domain_size is None else float(domain_size)
        X0 = two_phase_X(X0, labels, psi, float(energy.Xa), float(energy.Xb), size, grid.spacing, seed=seed)
    X0 = jnp.asarray(X0, dtype=dtype)
    if two_phase is None:
        model = PhaseFieldModel(FreeEnergy(energy, energy.kappa), mobility, domain=domain, kinetics=kinetics,
                                control=control)
        return Electrode(model, State.create(X0, dt=1e-6), packing, labels, per_particle, achieved)
    if np.max(per_particle) > float(energy.Xb) + 0.1:
        raise ValueError(f"the two-phase model has no Li-metal phase: a mixed powder at x = {x_ratio:g} holds "
                         f"Li particles; use mode = \"prelithiated\" (Li_xAl particles) or x = 0")
    model = lial_two_phase_model(energy, mobility, domain, kinetics, control, dtype=dtype, **two_phase)
    state = State.create(X0, eta=phase_field_of(X0, model.energy)[None], dt=1e-6)
    return Electrode(model, state, packing, labels, per_particle, achieved)


__all__ = ["Electrode", "electrode_packing", "electrode_problem"]
