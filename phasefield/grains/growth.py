"""Curvature-driven grain growth with the multi-order-parameter model, tracked and remapped.

    d eta_i / dt = -L ( dg/d eta_i - kappa_eta lap eta_i ),   g of ``GrainEnergy`` (gamma 1.5)

(Moelans, Blanpain & Wollants, PRB 78, 024113 (2008), Eqs. 3-4). Boundaries move with
``v = L kappa_eta K``; in 2D each grain obeys the von Neumann-Mullins law
``dA/dt = (pi/3) L kappa_eta (n - 6)`` (Mullins, J. Appl. Phys. 27, 900 (1956)), and normal
grain growth is self-similar with ``<A>(t) - <A>(t0) ~ (t - t0)^1``.

In the stabilised semi-implicit step (``SemiImplicit``) every boundary moves slower by the
same factor ``lag = 1 + dt L (S_eta + kappa_eta 0.8 / w^2)``, ``S_eta = m (1 + gamma (N - 1))``
for N fields and ``w = sqrt(2 kappa_eta / m)`` (error budget of
tests/test_allen_cahn_shrinking.py): rates carry ``1/lag``, exponents do not change.
Measured (w = 2 h): the von Neumann-Mullins slope is 11-13 % above ``(pi/3) L kappa_eta / lag``
and vanishes at n = 5.8-5.9 (tests/test_grains_remap.py); the growth exponent of
``benchmarks/grain_growth.py`` is in ``benchmarks/results/grain_growth.md``.

``polycrystal`` builds the start (Voronoi grains, DSatur colouring, smoothed fields);
``evolve_grains`` runs jitted chunks of semi-implicit steps and, between chunks, tracks the
grains and remaps same-field neighbours (``phasefield.grains.remap``), recording the number
of grains and their mean area.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable, Optional

import jax
import jax.numpy as jnp
import numpy as np

from phasefield._pytree import replace
from phasefield.energies import FreeEnergy, GrainEnergy
from phasefield.grains.colouring import colour_grains, order_parameters
from phasefield.grains.remap import GrainMap, coalesced, grain_map, remap, track
from phasefield.grains.voronoi import voronoi_grains
from phasefield.grid import Grid
from phasefield.integrators import SemiImplicit
from phasefield.models import PhaseFieldModel
from phasefield.run import run_fixed
from phasefield.state import State


def grain_growth_model(m: float = 1.0, kappa_eta: float = 1.0, L: float = 1.0, gamma: float = 1.5,
                       dtype=jnp.float64) -> PhaseFieldModel:
    """Allen-Cahn grain model (X frozen). Interface half-width ``w = sqrt(2 kappa_eta / m)``,
    grain-boundary energy ``(sqrt(2)/3) sqrt(kappa_eta m)`` (``GrainEnergy``)."""
    a = lambda v: jnp.asarray(v, dtype=dtype)  # noqa: E731
    energy = FreeEnergy(None, kappa=a(0.0), grains=GrainEnergy(a(m), a(gamma)), kappa_eta=a(kappa_eta))
    return PhaseFieldModel(energy, None, L=a(L))


def polycrystal(grid: Grid, n_fields: int, width: float, grain_size: float | None = None,
                n_grains: int | None = None, seed: int = 0, reach: int = 1, region=None,
                psi: np.ndarray | None = None):
    """``(eta, labels, colours)``: Voronoi grains coloured onto ``n_fields`` order parameters
    (no two grains within ``reach`` cells share one) and their smoothed fields (``width`` =
    interface half-width w, um or grid units)."""
    labels = voronoi_grains(grid, grain_size=grain_size, n_grains=n_grains, seed=seed, region=region)
    colours = colour_grains(labels, grid.bc, n_fields, reach=reach)
    return order_parameters(labels, colours, n_fields, grid, width, psi=psi), labels, colours


@dataclasses.dataclass(frozen=True)
class GrowthRecord:
    """Grain statistics after a chunk.

    Attributes:
        t: model time at the end of the chunk.
        n_grains: grains alive (tracked cores).
        mean_area: the grid's area (volume) over ``n_grains``, in spacing units squared (cubed).
        remaps: grains moved to another field after this chunk (``records[0]``: at the start).
        vanished: ids lost in this chunk (shrunk away or coalesced).
        coalesced: ids lost in this chunk by merging into a same-field core
            (``remap.coalesced``); zero when remapping works.
        appeared: new ids in this chunk (a core that overlaps no previous core of its field).
        wall: seconds since the start of the run, compile time included (``records[0]``:
            the compile time alone).
    """

    t: float
    n_grains: int
    mean_area: float
    remaps: int
    vanished: int
    coalesced: int
    appeared: int
    wall: float


def evolve_grains(model: PhaseFieldModel, grid: Grid, eta0, dt: float, n_chunks: int,
                  steps_per_chunk: int, reach: int, threshold: float = 0.5,
                  on_chunk: Optional[Callable] = None, stop_below: int = 0, remapping: bool = True):
    """Run ``n_chunks`` chunks of ``steps_per_chunk`` fixed steps, tracking and (with
    ``remapping``) remapping between chunks.

    ``reach`` (cells) must exceed twice the interface half-width plus the distance a boundary
    travels in one chunk (``remap.remap``); with ``remapping`` the start is remapped too (it
    may have been coloured with a smaller reach). ``on_chunk(state, gmap, record)`` is called
    after each chunk. Stops early when fewer than ``stop_below`` grains are left. Returns
    ``(state, gmap, records)``; ``records[0]`` describes ``eta0``."""
    integrator = SemiImplicit(model, grid)
    dtv = jnp.asarray(dt, dtype=jnp.float64)
    eta0 = np.asarray(eta0, dtype=np.float64)
    gmap: GrainMap = grain_map(eta0, grid.bc, threshold)
    moves = []
    if remapping:  # the start may have been coloured with a smaller reach
        eta0, gmap, moves = remap(eta0, gmap, grid.bc, reach)
    state = State.create(jnp.zeros(grid.shape, dtype=jnp.float64), eta=jnp.asarray(eta0), dt=dt)
    start = time.perf_counter()
    advance = jax.jit(lambda s: run_fixed(integrator.step, s, steps_per_chunk, dtv)).lower(state).compile()
    total = float(np.prod(grid.lengths))
    records = [GrowthRecord(0.0, gmap.alive.size, total / max(gmap.alive.size, 1), len(moves), 0, 0, 0,
                            time.perf_counter() - start)]
    for _ in range(n_chunks):
        state = advance(state)
        eta = np.asarray(state.eta)
        previous = gmap
        gmap = track(eta, previous, grid.bc, threshold)
        vanished = int(np.count_nonzero((previous.field >= 0) & (gmap.field[:previous.field.size] < 0)))
        merged = coalesced(previous, gmap).size
        appeared = gmap.field.size - previous.field.size
        moves = []
        if remapping:
            eta, gmap, moves = remap(eta, gmap, grid.bc, reach)
            if moves:
                state = replace(state, eta=jnp.asarray(eta))
        n = gmap.alive.size
        rec = GrowthRecord(float(state.t), n, total / max(n, 1), len(moves), vanished, merged, appeared,
                           time.perf_counter() - start)
        records.append(rec)
        if on_chunk is not None:
            on_chunk(state, gmap, rec)
        if n < stop_below:
            break
    return state, gmap, records


def growth_exponent(times, mean_areas, t0: float):
    """Fit ``<A>(t) - <A>(t0) = k (t - t0)^n`` by least squares in log-log over the samples with
    ``t > t0`` (``<A>(t0)`` interpolated); returns ``(n, k)``. Samples where the area has not
    yet risen above ``<A>(t0)`` carry no logarithm and are left out."""
    t = np.asarray(times, dtype=float)
    A = np.asarray(mean_areas, dtype=float)
    A0 = np.interp(t0, t, A)
    use = (t > t0) & (A > A0)
    if use.sum() < 3:
        raise ValueError(f"need at least 3 samples after t0 = {t0} with <A> above <A>(t0) = {A0:.4g} to fit an "
                         f"exponent; got {int(use.sum())}: run longer or choose an earlier t0")
    n, lnk = np.polyfit(np.log(t[use] - t0), np.log(A[use] - A0), 1)
    return float(n), float(np.exp(lnk))
