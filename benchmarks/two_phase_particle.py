"""The 2D particle deck's lithiation with the two-phase (KKS) model: step counts and wall time.

The particle of ``inputs/lial_particle_2d.toml`` (radius 0.5 um, 56 x 48 cells of 25 nm,
interface width 0.1 um, Butler-Volmer i0 = 1 mA/cm^2, 1 mA/cm^2 galvanostatic, seed 000
diffusivities) built with ``two_phase_particle_problem`` (dilute alpha, Allen-Cahn mobility ``--L`` (default 1 mol/(J s)),
nucleation 10 mV past the plateau at 10/s in the solid, inactive rim ``psi < psi_cut``), integrated by
``CoupledRosenbrock2`` under the adaptive controller at ``error_tol``. Per output time:
accepted and rejected steps since the previous output, electrode potential, Li content
against the applied current, beta fraction (phi > 1/2, psi-weighted) and wall time.

    python benchmarks/two_phase_particle.py [--t-out 1,5,10,20,40] [--tol 1e-3] [--psi-cut 0.1]
        [--krylov-rtol 1e-7] [--L 1] [--nucleation-rate 10] [--norm max] [--out FILE]

writes ``benchmarks/results/two_phase_particle.json`` (rows appended as the run goes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import jax
import jax.numpy as jnp

import phasefield  # noqa: F401  (float64)
from phasefield.constants import FARADAY
from phasefield.deck import load_deck
from phasefield.integrators.adaptive import AdaptiveController, AdaptiveStepper
from phasefield.integrators.coupled_rosenbrock import CoupledRosenbrock2
from phasefield.problems.lial_particle import two_phase_particle_problem
from phasefield.run import SimulationError, advance_to
from phasefield.setup import build

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deck", default=str(ROOT / "inputs/lial_particle_2d.toml"))
    ap.add_argument("--t-out", default="1,5,10,20,40")
    ap.add_argument("--tol", type=float, default=1e-3)
    ap.add_argument("--psi-cut", type=float, default=0.1)
    ap.add_argument("--krylov-rtol", type=float, default=1e-7)
    ap.add_argument("--norm", default="max", choices=("max", "rms"), help="error norm of the step")
    ap.add_argument("--L", type=float, default=1.0, help="Allen-Cahn mobility of phi (mol/(J s))")
    ap.add_argument("--nucleation-rate", type=float, default=10.0, help="nucleation rate of phi (1/s)")
    ap.add_argument("--max-change", type=float, default=0.05,
                    help="controller's cap on the largest change of a field per step (1 = off)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/two_phase_particle.json"))
    args = ap.parse_args(argv)

    sim = build(load_deck(args.deck, []))  # the deck's grid, energy, mobility, kinetics and control
    single = sim.stepper.integrator.model
    grid = sim.stepper.integrator.grid
    model, state = two_phase_particle_problem(grid, 0.5, single.energy.chemical, single.mobility, single.kinetics,
                                              single.control, X0=float(sim.state.X.max()), psi_cut=args.psi_cut, L=args.L,
                                              nucleation_rate=args.nucleation_rate)
    state = state.__class__.create(state.X, state.eta, dt=1e-3)
    ctrl = AdaptiveController(error_tol=args.tol, lower=-0.05, upper=1.05, check_energy=False,
                              max_change=args.max_change, reject_change=max(0.2, args.max_change))
    stepper = AdaptiveStepper(CoupledRosenbrock2(model, grid, rtol=args.krylov_rtol, error_norm=args.norm), ctrl)
    current = float(single.control.current)
    flux = current * float(single.kinetics.molar_volume) / FARADAY * 1e6 * float(model.domain.face_area)
    amount = lambda s: float(grid.integrate(model.conserved(s)))  # noqa: E731
    psi = model.domain.psi
    record = {"deck": os.path.relpath(args.deck, ROOT), "grid": list(grid.shape), "error_tol": args.tol,
              "psi_cut": args.psi_cut, "krylov_rtol": args.krylov_rtol, "L": args.L, "nucleation_rate": args.nucleation_rate, "error_norm": args.norm, "max_change": args.max_change, "machine": f"{platform.machine()} CPU x{os.cpu_count()}, "
              f"jax {jax.__version__}, float64", "rows": []}
    U0, t0 = amount(state), time.time()
    for t_out in (float(v) for v in args.t_out.split(",")):
        try:
            state, stats = advance_to(stepper, state, t_out, 200_000)
        except SimulationError as err:
            record["stopped"] = str(err)
            break
        beta = float(grid.integrate(psi * (state.eta[0] > 0.5)) / grid.integrate(psi))
        row = {"t": float(state.t), "accepted": int(stats.accepted), "rejected": int(stats.rejected),
               "V": float(model.electrode_potential(state, grid)),
               "li_gain_over_current": (amount(state) - U0) / (flux * float(state.t)),
               "beta_fraction": beta, "wall_s": time.time() - t0}
        record["rows"].append(row)
        print(row, flush=True)
        Path(args.out).write_text(json.dumps(record, indent=1) + "\n")
    Path(args.out).write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
