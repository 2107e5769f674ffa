"""A beta-LiAl front driven into alpha-Al by a Li flux through one face (1D).

The bar ``0 <= x <= n h`` starts with a beta layer of thickness ``front`` (tanh profile of
half-width 50 nm between the coexistence compositions ``X_alpha = 0.0476`` and
``X_beta = 0.4872`` of the Li-Al preset) against alpha; Li enters the first cell at the
constant rate ``flux`` (atom fraction x um/s; 1 mA/cm^2 with a 10 cm^3/mol molar volume is
``I V_m / F = 1.04e-3 um/s``). Physical seed 000 diffusivities: the smallest problem with the
stiff beta branch, the 1e10 mobility contrast and a moving interface, used to compare time
integrators against an independent stiff ODE solver. By flux balance the front advances at
about ``flux / (X_beta - X_alpha)``.
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

X_ALPHA, X_BETA = 0.0476, 0.4872


def beta_front(n: int = 40, spacing: float = 0.025, flux: float = 1.04e-3, front: float = 0.3,
               sigma: float = 0.2, delta: float = 0.1, T: float = 298.15, mobility=None):
    """``(grid, model, state)``; lengths in um, ``flux`` in atom fraction x um/s.

    ``mobility`` overrides the seed 000 Li-Al mobility (e.g. to differentiate with respect
    to its parameters)."""
    grid = Grid.create((n,), spacing, "noflux")
    energy = lial_energy(sigma=sigma, delta=delta)
    source = jnp.zeros(n).at[0].set(flux / spacing)
    mobility = lial_mobility(T) if mobility is None else mobility
    model = PhaseFieldModel(FreeEnergy(energy, energy.kappa), mobility, X_source=lambda t: source)
    x = (np.arange(n) + 0.5) * spacing
    X0 = X_ALPHA + (X_BETA - X_ALPHA) * 0.5 * (1 - np.tanh((x - front) / 0.05))
    return grid, model, State.create(jnp.asarray(X0), dt=1e-6)


__all__ = ["beta_front", "X_ALPHA", "X_BETA"]
