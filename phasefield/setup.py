"""Build ``(grid, stepper, state, observables)`` from a validated ``RunConfig``.

This is the only place where deck values meet the core's constructors."""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax.numpy as jnp
import numpy as np

from phasefield import observables as obs
from phasefield.deck import DeckError, RunConfig
from phasefield.grid import Grid
from phasefield.integrators import AdaptiveController, AdaptiveStepper, SemiImplicit


@dataclasses.dataclass(frozen=True)
class Simulation:
    """Everything a run needs; ``observe(state) -> dict`` gives one output row (units in keys)."""

    grid: Grid
    stepper: AdaptiveStepper
    state: object
    observe: Callable
    output_times: np.ndarray
    time_unit: str


def _output_times(t_end: float, n: int, spacing: str, t_first: float) -> np.ndarray:
    if spacing == "linear" or n == 1:
        return np.linspace(t_end / n, t_end, n)
    return np.geomspace(min(t_first, t_end / 10 ** (n - 1)) if n > 1 else t_end, t_end, n)


def build(config: RunConfig) -> Simulation:
    dtype = jnp.float64 if config["run"]["precision"] == "float64" else jnp.float32
    g = config["grid"]
    integ = config["integrator"]
    run = config["run"]
    if config.problem == "lial_reaction":
        from phasefield.problems.lial_reaction import li_particle_in_al

        grid = Grid.create(g["shape"], g["spacing"], g["bc"])
        m, ini = config["material"], config["initial"]
        try:
            model, state = li_particle_in_al(
                grid, ini["radius"], X_matrix=ini["X_matrix"], sigma=m["sigma"], delta=m["delta"],
                temperature=m["temperature"], alpha_scale=m["alpha_diffusivity_scale"], dtype=dtype,
            )
        except ValueError as err:
            raise DeckError("initial.radius", str(err)) from None
        energy = model.energy.chemical
        unit, bounds = "s", (-0.05, 1.05)

        def observe(s):
            a, b, li = obs.phase_fractions(s.X, energy)
            return {
                "free_energy_J_per_mol_um^d": float(model.free_energy(s, grid)),
                "total_Li_um^d": float(obs.total_amount(s.X, grid)),
                "x_mean_Li_per_Al": float(obs.mean_li_ratio(s.X)),
                "alpha_fraction": float(a), "beta_fraction": float(b), "Li_metal_fraction": float(li),
            }
    else:  # pfhub1
        from phasefield.problems.pfhub1 import pfhub1_problem

        shape = g["shape"]
        if len(shape) != 2 or shape[0] != shape[1]:
            raise DeckError("grid.shape", f"PFHub benchmark 1 needs a square 2D grid such as [200, 200], got {list(shape)}")
        variant = "1a" if g["bc"] == "periodic" else "1b"
        grid, model, state = pfhub1_problem(variant, n=shape[0], spacing=g["spacing"],
                                            sample_at=config["initial"]["sample_at"], dtype=dtype)
        unit, bounds = "1", (-1.0, 2.0)

        def observe(s):
            return {"free_energy": float(model.free_energy(s, grid)), "mean_c": float(jnp.mean(s.X))}

    dt0 = integ["dt_initial"] if integ["dt_initial"] is not None else float(state.dt)
    from phasefield._pytree import replace

    state = replace(state, dt=jnp.asarray(dt0, dtype))
    controller = AdaptiveController(
        error_tol=integ["error_tol"], lower=bounds[0], upper=bounds[1],
        dt_max=integ["dt_max"] if integ["dt_max"] is not None else 1e30,
    )
    stepper = AdaptiveStepper(SemiImplicit(model, grid), controller)
    times = _output_times(run["t_end"], run["outputs"], run["output_spacing"], 100 * dt0)
    return Simulation(grid, stepper, state, observe, times, unit)
