"""One Al (or Li_xAl) particle pressed against the solid electrolyte, cycled by a current.

Geometry (lengths in um): the slab runs along axis 0 from the solid electrolyte (x < gap) to
the current collector (x = L0, no flux). A disc/sphere of radius R is centred at
``x = gap + R`` so that it touches the electrolyte; psi is the smoothed indicator
``psi = [1 - tanh(2 d / w)]/2`` of its signed distance d, with width w. The active surface
is ``2 psi |grad psi|`` on the electrolyte side of the particle, ``x < gap + w``: the contact
patch (DESIGN 2.4). Across the boundary ``int 2 psi |grad psi| dn = int_0^1 2 psi dpsi = 1``, so
it measures the same area as ``|grad psi|``, but the flux it deposits per unit of solid,
``2 |grad psi| j``, stays bounded where psi -> 0: Li lands in the solid, not in the pore. The current density refers to the projected face area (product of the box
lengths across axis 0; in 2D per um of depth).

With ``symmetry = "mirror"`` the centre lies on the low walls of the axes across axis 0
instead of mid-box: the no-flux walls are mirror planes of the problem, so the box holds half
the disc (2D) or a quarter of the sphere (3D) and gives the whole particle's fields, potential
and capacity per unit face area at a half or a quarter of the cells (and, for the direct
linear solve, of the block size across axis 0).

On a 1D grid the particle is planar: a slab of thickness 2R from ``x = gap``, psi = 1 in its
cells and inactive cells outside, with the whole current entering through its first cell
(``surface = 1/h`` there, area 1): the geometry of a thin film or of one particle's path from
the electrolyte contact inward, without the rim cells of a smoothed boundary.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from phasefield.domain import Domain
from phasefield.electrochem import ButlerVolmer, Galvanostatic, Potentiostatic
from phasefield.energies.functional import FreeEnergy
from phasefield.grid import Grid
from phasefield.models.coupled import PhaseFieldModel
from phasefield.state import State


SYMMETRIES = ("full", "mirror")


def particle_domain(grid: Grid, radius: float, gap: float, width: float, psi_cut: float = 0.0,
                    dtype=jnp.float64, symmetry: str = "full") -> Domain:
    """psi, active surface and face area for one particle touching the electrolyte; cells with
    ``psi < psi_cut`` are inactive (``phasefield.domain``). ``symmetry``: ``"full"`` (centred
    across axis 0) or ``"mirror"`` (centred on the low walls across axis 0, which must be
    no-flux: half a disc, a quarter of a sphere; module docstring)."""
    if symmetry not in SYMMETRIES:
        raise ValueError(f"symmetry must be one of {SYMMETRIES}; got {symmetry!r}")
    mirror = symmetry == "mirror" and grid.ndim > 1
    if mirror and any(b != "noflux" for b in grid.bc[1:]):
        raise ValueError("a mirrored particle needs no-flux walls across axis 0 (bc = \"noflux\")")
    coords = grid.coordinates()
    centre = [gap + radius] + [0.0 if mirror else L / 2 for L in grid.lengths[1:]]
    across = radius if mirror else 2 * radius
    if gap + 2 * radius > grid.lengths[0] or across > min(grid.lengths[1:], default=np.inf):
        raise ValueError(
            f"the particle (radius {radius} um after a gap of {gap} um{', mirrored' if mirror else ''}) "
            f"does not fit in the box {grid.lengths} um"
        )
    if grid.ndim == 1:
        x = coords[0]
        psi = ((x > gap) & (x < gap + 2 * radius)).astype(float)
        first = np.argmax(psi)
        surface = np.zeros_like(psi)
        surface[first] = 1.0 / grid.spacing[0]
        return Domain.create(psi, surface, 1.0, psi_cut=max(psi_cut, 0.25), dtype=dtype)
    d = np.sqrt(sum((c - c0) ** 2 for c, c0 in zip(coords, centre))) - radius
    psi = 0.5 * (1.0 - np.tanh(2.0 * d / width))
    # 2D and 3D (1D returned above); a mirror wall takes the reflected cell as its ghost so the
    # gradient there is the full particle's central difference
    pad = [(0, 0)] + [(1 if mirror else 0, 0)] * (grid.ndim - 1)
    grads = np.gradient(np.pad(psi, pad, mode="symmetric"), *grid.spacing)
    grads = [g[tuple(slice(p, None) for p, _ in pad)] for g in grads]
    magnitude = np.sqrt(sum(g**2 for g in grads))
    surface = 2.0 * psi * magnitude * (coords[0] < gap + width)
    face_area = float(np.prod(grid.lengths[1:]))
    return Domain.create(psi, surface, face_area, psi_cut=psi_cut, dtype=dtype)


def particle_problem(grid: Grid, radius: float, energy, mobility, kinetics: ButlerVolmer, control,
                     X0: float = 0.02, gap: float | None = None, psi_cut: float = 0.0,
                     dtype=jnp.float64, symmetry: str = "full"):
    """``(model, state)``: a particle of uniform Li atom fraction ``X0`` under ``control``
    (``symmetry``: ``particle_domain``)."""
    width = float(energy.delta)
    gap = 2 * width if gap is None else gap
    domain = particle_domain(grid, radius, gap, width, psi_cut, dtype, symmetry)
    model = PhaseFieldModel(FreeEnergy(energy, energy.kappa), mobility, domain=domain,
                            kinetics=kinetics, control=control)
    return model, State.create(jnp.full(grid.shape, X0, dtype=dtype), dt=1e-6)


def lial_two_phase_model(energy, mobility, domain: Domain, kinetics: ButlerVolmer, control, L: float = 1.0,
                         nucleation_overpotential: float = 0.01, nucleation_rate: float = 10.0,
                         face_mobility: str = "geometric", dtype=jnp.float64):
    """The two-phase (KKS) model (``phasefield.models.two_phase``) of the ``LiAlEnergy``'s
    phases on ``domain``: a dilute alpha (``TwoPhaseEnergy.from_lial(..., alpha="dilute")`` at
    the mobility's temperature), an interface of the energy's width ``delta``, Allen-Cahn
    mobility ``L`` (mol/(J s)) and nucleation ``nucleation_overpotential`` (V) past the
    plateau, with an onset over half that, at ``nucleation_rate`` (1/s); ``face_mobility``:
    the mean of two cells' mobility on a face (``TwoPhaseModel``)."""
    from phasefield.energies.kks import TwoPhaseEnergy
    from phasefield.models.two_phase import Nucleation, TwoPhaseModel

    kks = TwoPhaseEnergy.from_lial(energy, energy.delta, alpha="dilute", T=float(mobility.T))
    a = lambda v: jnp.asarray(v, dtype=dtype)  # noqa: E731
    nucleation = Nucleation(a(energy.V1), a(nucleation_overpotential), a(nucleation_overpotential / 2),
                            a(nucleation_rate))
    return TwoPhaseModel(kks, mobility, a(L), domain=domain, kinetics=kinetics, control=control,
                         nucleation=nucleation, face_mobility=face_mobility)


def two_phase_particle_problem(grid: Grid, radius: float, energy, mobility, kinetics: ButlerVolmer, control,
                               X0: float = 0.02, gap: float | None = None, psi_cut: float = 0.0,
                               L: float = 1.0, nucleation_overpotential: float = 0.01,
                               nucleation_rate: float = 10.0, face_mobility: str = "geometric",
                               dtype=jnp.float64, symmetry: str = "full"):
    """``(model, state)`` of the same particle with the two-phase model of
    ``lial_two_phase_model``; phi starts from X (``phase_field_of``)."""
    from phasefield.models.two_phase import phase_field_of

    width = float(energy.delta)
    gap = 2 * width if gap is None else gap
    domain = particle_domain(grid, radius, gap, width, psi_cut, dtype, symmetry)
    model = lial_two_phase_model(energy, mobility, domain, kinetics, control, L, nucleation_overpotential,
                                 nucleation_rate, face_mobility, dtype)
    X = jnp.full(grid.shape, X0, dtype=dtype)
    return model, State.create(X, eta=phase_field_of(X, model.energy)[None], dt=1e-6)


__all__ = ["ButlerVolmer", "Galvanostatic", "Potentiostatic", "lial_two_phase_model", "particle_domain",
           "particle_problem", "two_phase_particle_problem"]
