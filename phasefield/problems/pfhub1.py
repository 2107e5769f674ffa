"""PFHub benchmark 1 (spinodal decomposition), parts (a) and (b).

Specification: PFHub benchmark 1, "Spinodal Decomposition" (usnistgov/pfhub,
``benchmarks/benchmark1.ipynb``; Jokisaari, Voorhees, Guyer, Warren & Heinonen,
Comput. Mater. Sci. 126, 139 (2017), Sec. 3). Everything is dimensionless.

Free energy and kinetics (benchmark 1, "Free energy and dynamics"):

    F = int [ f_chem(c) + kappa/2 |grad c|^2 ] dV,   f_chem = rho_s (c - c_alpha)^2 (c_beta - c)^2
    dc/dt = div( M grad( f_chem'(c) - kappa lap c ) )

with rho_s = 5, c_alpha = 0.3, c_beta = 0.7, kappa = 2, M = 5 ("Parameter values"), i.e.
``DoubleWell(W=rho_s, Xa=c_alpha, Xb=c_beta)`` with ``ConstantMobility(M)``; the conserved
field ``c`` is ``State.X``.

Initial condition for (a), (b) and (c) ("Initial conditions"), with c0 = 0.5, epsilon = 0.01:

    c(x, y) = c0 + epsilon [ cos(0.105 x) cos(0.11 y) + (cos(0.13 x) cos(0.087 y))^2
                             + cos(0.025 x - 0.15 y) cos(0.07 x - 0.02 y) ]

Domains: (a) the square [0, 200]^2 with periodic boundaries, (b) the same square with no-flux
boundaries. The cosines are not 200-periodic, so in (a) the initial field jumps across the
periodic boundary; that is part of the benchmark.

Sampling convention. The specification gives ``c`` as a function on the continuous square
whose corner is the origin. Our grid is cell-centred (``Grid``: cell ``i`` covers
``[i h, (i + 1) h]``), so by default the formula is evaluated at the cell centres
``x_i = (i + 1/2) h``, as a cell-centred finite-volume code (e.g. FiPy's ``mesh.x``) does.
Node-based finite-element uploads (MOOSE, PRISMS-PF) evaluate it at mesh nodes ``x = i h``
starting at the origin; ``sample_at="nodes"`` reproduces that sampling on our cells (the
field is then shifted by h/2 against the cells), to measure how much the convention matters.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from phasefield.energies.double_well import DoubleWell
from phasefield.energies.functional import FreeEnergy
from phasefield.grid import Grid
from phasefield.mobility import ConstantMobility
from phasefield.models.coupled import PhaseFieldModel
from phasefield.state import State

#: Variants offered here: (a) periodic square, (b) no-flux square.
VARIANTS = {"1a": "periodic", "1b": "noflux"}
#: Side of the benchmark square (length unit of the problem).
LENGTH = 200.0
#: Benchmark parameter values (benchmark 1, "Parameter values" and "Initial conditions").
RHO_S, C_ALPHA, C_BETA, KAPPA, MOBILITY = 5.0, 0.3, 0.7, 2.0, 5.0
C0, EPSILON = 0.5, 0.01


def initial_composition(x, y, c0: float = C0, epsilon: float = EPSILON):
    """Benchmark 1 initial ``c(x, y)`` (module docstring); numpy in, numpy out, broadcasting."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return c0 + epsilon * (
        np.cos(0.105 * x) * np.cos(0.11 * y)
        + (np.cos(0.13 * x) * np.cos(0.087 * y)) ** 2
        + np.cos(0.025 * x - 0.15 * y) * np.cos(0.07 * x - 0.02 * y)
    )


def pfhub1_energy(dtype=jnp.float64) -> FreeEnergy:
    """``F`` of benchmark 1: ``DoubleWell(rho_s, c_alpha, c_beta)`` and ``kappa = 2``."""
    a = lambda v: jnp.asarray(v, dtype=dtype)  # noqa: E731
    return FreeEnergy(DoubleWell(a(RHO_S), a(C_ALPHA), a(C_BETA)), kappa=a(KAPPA))


def pfhub1_problem(
    variant: str = "1a",
    n: int = 200,
    spacing: float = 1.0,
    sample_at: str = "centres",
    dt: float = 0.01,
    dtype=jnp.float64,
):
    """``(grid, model, state)`` for benchmark 1 part ``variant`` ("1a" or "1b").

    Args:
        variant: "1a" (periodic square) or "1b" (no-flux square).
        n: cells per side; the benchmark's square is ``n * spacing = 200`` (the default).
            Smaller ``n`` at ``spacing = 1`` gives a smaller square with the same resolution,
            for fast tests; it is not the benchmark.
        spacing: cell size h (the interface width of the benchmark is about 4.5).
        sample_at: "centres" (default, ``x = (i + 1/2) h``) or "nodes" (``x = i h``); see the
            module docstring.
        dt: seeds ``State.dt`` (the first trial step of an adaptive run).
        dtype: floating dtype of the parameters and the field.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {sorted(VARIANTS)}; got {variant!r}")
    if sample_at not in ("centres", "nodes"):
        raise ValueError(f"sample_at must be 'centres' or 'nodes'; got {sample_at!r}")
    grid = Grid.create((n, n), spacing, VARIANTS[variant])
    energy = pfhub1_energy(dtype)
    model = PhaseFieldModel(energy, ConstantMobility(jnp.asarray(MOBILITY, dtype=dtype)))
    x, y = grid.coordinates()
    if sample_at == "nodes":
        x, y = x - 0.5 * spacing, y - 0.5 * spacing
    c = jnp.asarray(initial_composition(x, y), dtype=dtype)
    return grid, model, State.create(c, dt=dt)
