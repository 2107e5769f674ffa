"""Stabilised semi-implicit step vs linearly implicit ROS2 on Li-Al problems (CPU, float64).

1. A beta-LiAl front fed by a surface Li flux in 1D (40 cells of 25 nm, physical seed 000
   diffusivities, 20 s): max |X - X_ref| against scipy's Radau IIA with the exact Jacobian
   (rtol 1e-10), accepted steps and wall time, under the same adaptive controller.
2. The README deck (inputs/lial_reaction_2d.toml, 64^2, Li particle in Al, 20 us): free energy
   at t_end, steps and wall time per scheme and tolerance.

    python benchmarks/stiff_integrators.py [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from scipy.integrate import solve_ivp

import phasefield  # noqa: F401  (float64)
from phasefield._pytree import replace
from phasefield.deck import load_deck
from phasefield.integrators import AdaptiveController, AdaptiveStepper, Rosenbrock2, SemiImplicit
from phasefield.problems import lial_front
from phasefield.setup import build

ROOT = Path(__file__).resolve().parents[1]


def beta_front(n=40, spacing=0.025, flux=1.04e-3, t_end=20.0, max_steps=3_000_000):
    grid, model, state = lial_front.beta_front(n, spacing, flux)
    X0 = np.asarray(state.X)
    rate = jax.jit(lambda X: model.rates(replace(state, X=X), grid)[0])
    jac = jax.jit(jax.jacfwd(lambda X: model.rates(replace(state, X=X), grid)[0]))
    t0 = time.perf_counter()
    ref = solve_ivp(lambda t, y: np.asarray(rate(jnp.asarray(y))), (0.0, t_end), X0, method="Radau",
                    rtol=1e-10, atol=1e-12, jac=lambda t, y: np.asarray(jac(jnp.asarray(y))))
    rows = [{"scheme": "radau (scipy, reference)", "tol": 1e-10, "steps": int(ref.t.size - 1),
             "wall_s": time.perf_counter() - t0, "max_error": 0.0, "t_reached": float(ref.t[-1])}]
    X_ref = ref.y[:, -1]
    for name, integrator, tols in (("rosenbrock", Rosenbrock2(model, grid), (1e-3, 1e-4, 1e-5)),
                                   ("semi-implicit", SemiImplicit(model, grid), (1e-3, 1e-4))):
        for tol in tols:
            stepper = AdaptiveStepper(integrator, AdaptiveController(error_tol=tol))
            run = jax.jit(lambda s: stepper.advance(s, t_end, max_steps))
            run(state)[0].X.block_until_ready()  # compile
            t0 = time.perf_counter()
            out, stats = run(state)
            out.X.block_until_ready()
            rows.append({"scheme": name, "tol": tol, "steps": int(stats.accepted), "rejected": int(stats.rejected),
                         "wall_s": time.perf_counter() - t0, "t_reached": float(out.t),
                         "max_error": float(np.max(np.abs(np.asarray(out.X) - X_ref)))})
            print(rows[-1], flush=True)
    return rows


def readme_deck():
    rows = []
    for scheme, tols in (("rosenbrock", (1e-3, 1e-4, 1e-5)), ("semi-implicit", (1e-3, 1e-5))):
        for tol in tols:
            cfg = load_deck(ROOT / "inputs/lial_reaction_2d.toml",
                            [f"integrator.scheme={scheme}", f"integrator.error_tol={tol}"])
            sim = build(cfg)
            t_end = float(sim.output_times[-1])
            run = jax.jit(lambda s: sim.stepper.advance(s, t_end, 10_000_000))
            run(sim.state)[0].X.block_until_ready()
            t0 = time.perf_counter()
            out, stats = run(sim.state)
            out.X.block_until_ready()
            rows.append({"scheme": scheme, "tol": tol, "steps": int(stats.accepted), "rejected": int(stats.rejected),
                         "wall_s": time.perf_counter() - t0, "t_end_s": t_end,
                         "free_energy": float(sim.observe(out)["free_energy_J_per_mol_um^d"])})
            print(rows[-1], flush=True)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results"))
    args = ap.parse_args(argv)
    result = {"device": str(jax.devices()[0]), "cpu": platform.processor() or platform.machine(),
              "cpu_count": os.cpu_count(), "load_average": os.getloadavg(), "python": sys.version.split()[0],
              "jax": jax.__version__, "dtype": "float64",
              "grids": {"beta_front_1d": "40 cells x 25 nm, no-flux", "readme_deck": "64 x 64 x 5 nm, periodic"},
              "beta_front_1d": beta_front(), "readme_deck": readme_deck()}
    result["load_average_after"] = os.getloadavg()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "stiff_integrators.json").write_text(json.dumps(result, indent=1))
    print(f"wrote {out / 'stiff_integrators.json'}")


if __name__ == "__main__":
    main()
