"""Li metal reacting with Al: a Li particle (X = 1) embedded in an Al matrix.

The papers' electrodes are made by pressing Li and Al powders together (in-situ
prelithiation, seed 000 Methods); the Li-Al energy makes Li + Al unstable against
alpha + beta (the beta/Li tangent lies at 0 V, the alpha/beta tangent at 0.38 V), so a beta
layer forms at the contact and Li drains from the particle through it. This is the smallest
problem that exercises the three wells and the 1e10 mobility contrast together.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from phasefield.energies.functional import FreeEnergy
from phasefield.energies.lial import lial_energy
from phasefield.grid import Grid
from phasefield.mobility import lial_mobility
from phasefield.models.coupled import PhaseFieldModel
from phasefield.state import State


def li_particle_in_al(
    grid: Grid,
    radius: float,
    X_matrix: float = 0.02,
    energy=None,
    mobility=None,
    noise: float = 0.0,
    seed: int = 0,
    dtype=jnp.float64,
):
    """``(model, state)`` for a Li disc/sphere of ``radius`` (um) centred in ``grid``.

    ``energy`` defaults to the Li-Al preset with an interface width of 4 cells, ``mobility``
    to the seed 000 Eq. 1 preset at 298.15 K. The initial profile is a tanh of the energy's
    width ``delta``; ``noise`` adds uniform random perturbations of that amplitude (seeded).
    """
    if radius <= 0 or 2 * radius >= min(grid.lengths):
        raise ValueError(
            f"radius must be positive and the particle must fit in the box; got radius={radius} um "
            f"for a box of {grid.lengths} um"
        )
    if energy is None:
        energy = lial_energy(delta=4 * max(grid.spacing), dtype=dtype)
    if mobility is None:
        mobility = lial_mobility(dtype=dtype)
    model = PhaseFieldModel(FreeEnergy(energy, energy.kappa), mobility)
    coords = grid.coordinates()
    r = np.sqrt(sum((c - L / 2) ** 2 for c, L in zip(coords, grid.lengths)))
    delta = float(energy.delta)
    X = X_matrix + (1.0 - X_matrix) * 0.5 * (1.0 - np.tanh(2.0 * (r - radius) / delta))
    if noise > 0:
        X = X + noise * np.random.default_rng(seed).uniform(-1.0, 1.0, grid.shape)
    return model, State.create(jnp.asarray(X, dtype=dtype), dt=1e-10)
