"""Li uptake of a pure-Al polycrystal through its grain boundaries (DESIGN 2.5).

A square of alpha-Al (no-flux box of side ``L``) holds a thin Li-rich layer along its
``x0 = 0`` face (``X = X_src`` over ``source_cells`` cells, ``X = X_bulk`` elsewhere, both in
the alpha phase of the Li-Al energy). Li diffuses into the bulk with the seed 000 alpha
mobility (scaled by ``alpha_scale``) and, in a polycrystal, also along the grain boundaries
with the mobility term ``M_gb = D_gb X (1 - X) / (R T) 16 sum eta_i^2 eta_j^2``
(``phasefield.mobility.GrainBoundaryTerm``). The grains are Voronoi grains of mean size
``grain_size`` coloured onto a few order parameters (``phasefield.grains``) and held fixed
(Allen-Cahn mobility L = 0), so only the transport differs between a single crystal
(one order parameter equal to 1) and the polycrystal.

``core_uptake`` is the Li (atom fraction x um^2 per um of depth) gained by the far half of
the box, ``x0 > L / 2``: how much Li has reached the core. Its final value is half the excess
of the source layer.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from phasefield.constants import CM2_PER_S_TO_UM2_PER_S
from phasefield.energies import FreeEnergy, GrainEnergy
from phasefield.energies.lial import lial_energy
from phasefield.grains.growth import polycrystal
from phasefield.grid import Grid
from phasefield.materials import ALPHA_AL
from phasefield.mobility import lial_mobility, tracer_diffusivity
from phasefield.models.coupled import PhaseFieldModel
from phasefield.state import State



def gb_diffusion_problem(n: int = 64, length: float = 2.0, grain_size: float | None = 0.5, D_alpha: float = 1e-2,
                         gb_ratio: float = 0.0, n_fields: int = 6, source_cells: int = 4, X_src: float = 0.045,
                         X_bulk: float = 0.005, seed: int = 2, dtype=jnp.float64):
    """``(grid, model, state)``.

    Args:
        n: cells per side; length: box side (um).
        grain_size: mean grain size (um); ``None`` for a single crystal.
        D_alpha: alpha-Al Li tracer diffusivity (um^2/s); the seed 000 value is 2.5e-9 um^2/s,
            raised here so that the uptake happens in seconds (only ratios are reported).
        gb_ratio: D_gb / D_alpha (0: no grain-boundary term).
        n_fields: order parameters carrying the grains.
    """
    a = lambda v: jnp.asarray(v, dtype=dtype)  # noqa: E731
    grid = Grid.create((n, n), length / n, "noflux")
    h = grid.spacing[0]
    energy = lial_energy(delta=4 * h, dtype=dtype)
    p = ALPHA_AL
    D_seed = float(tracer_diffusivity(p.g, p.r, p.f, p.nu, p.x_va, p.E, 298.15)) * CM2_PER_S_TO_UM2_PER_S
    D_gb = gb_ratio * D_alpha / CM2_PER_S_TO_UM2_PER_S if gb_ratio > 0 else None
    mobility = lial_mobility(alpha_scale=D_alpha / D_seed, D_gb=D_gb, dtype=dtype)
    if grain_size is None:
        eta = np.zeros((n_fields, n, n))
        eta[0] = 1.0
    else:
        eta, _, _ = polycrystal(grid, n_fields, width=1.5 * h, grain_size=grain_size, seed=seed)
    fe = FreeEnergy(energy, energy.kappa, grains=GrainEnergy(a(1.0), a(1.5)), kappa_eta=a(1e-3))
    model = PhaseFieldModel(fe, mobility, L=a(0.0))
    x = grid.coordinates()[0]
    X0 = np.where(x < source_cells * h, X_src, X_bulk)
    return grid, model, State.create(jnp.asarray(X0, dtype=dtype), eta=jnp.asarray(eta, dtype=dtype), dt=1e-3)


def final_uptake(n: int = 64, length: float = 2.0, source_cells: int = 4, X_src: float = 0.045,
                 X_bulk: float = 0.005) -> float:
    """The core's uptake at equilibrium: half the excess Li of the source layer."""
    return 0.5 * (X_src - X_bulk) * source_cells * (length / n) * length


def time_to_reach(stepper, state, grid: Grid, fraction: float, final: float, t_max: float, n_out: int = 40):
    """First time (s, log-interpolated between ``n_out`` log-spaced outputs up to ``t_max``) at
    which ``core_uptake`` reaches ``fraction * final``; ``inf`` if not reached by ``t_max``."""
    from phasefield.run import advance_to

    times = np.geomspace(t_max * 1e-6, t_max, n_out)
    s, prev = state, (0.0, 0.0)
    for t in times:
        s, _ = advance_to(stepper, s, float(t))
        u = core_uptake(s, state, grid)
        if u >= fraction * final:
            t0, u0 = prev
            if t0 <= 0.0:
                return float(t)
            w = (fraction * final - u0) / (u - u0)
            return float(np.exp(np.log(t0) + w * (np.log(t) - np.log(t0))))
        prev = (float(t), u)
    return float("inf")


def core_uptake(state, state0, grid: Grid):
    """Li gained by the far half of the box (``x0 > L/2``) since ``state0``."""
    far = grid.coordinates()[0] > 0.5 * grid.lengths[0]
    return float(np.sum((np.asarray(state.X) - np.asarray(state0.X))[far]) * grid.cell_volume)


__all__ = ["core_uptake", "final_uptake", "gb_diffusion_problem", "time_to_reach"]
