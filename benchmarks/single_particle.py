"""One pure-Al particle lithiated, rested and delithiated with the physical diffusivities
(CPU, float64): the alpha-shell trapping experiment of DESIGN 2.5 on the particle deck.

Protocol (``phasefield.protocol``): +I to the lower cut-off (or ``--t-lith`` s), a rest, then
-I to the upper cut-off (or ``--t-delith`` s). Recorded per output: time, step kind, electrode
potential, Li content and capacity, beta fraction, trapped-Li fraction and the particle's
alpha-shell thickness (``phasefield.observables``); per step: duration, why it ended, steps.
Reversibility = delithiated / lithiated capacity. ``--alpha-scale`` multiplies D_alpha (to
show that the trapping is diffusion-controlled). Rows are appended as the run goes, so a run
cut short still leaves its record.

    python benchmarks/single_particle.py [--alpha-scale 1] [--t-lith 400] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import time
from pathlib import Path

import jax
import numpy as np

import phasefield  # noqa: F401  (float64)
from phasefield import observables as obs
from phasefield.deck import load_deck
from phasefield.protocol import ProtocolStep, run_protocol
from phasefield.setup import build

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deck", default=str(ROOT / "inputs/lial_particle_2d.toml"))
    ap.add_argument("--alpha-scale", type=float, default=1.0)
    ap.add_argument("--current", type=float, default=10.0, help="A/m^2 (10 = 1 mA/cm^2)")
    ap.add_argument("--t-lith", type=float, default=400.0)
    ap.add_argument("--t-rest", type=float, default=10.0)
    ap.add_argument("--t-delith", type=float, default=400.0)
    ap.add_argument("--outputs", type=int, default=40, help="outputs per step")
    ap.add_argument("--scheme", default="rosenbrock", help="integrator.scheme of the deck")
    ap.add_argument("--set", action="append", default=[], help="extra deck override KEY=VALUE (repeatable)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results"))
    args = ap.parse_args(argv)

    cfg = load_deck(args.deck, [f"mobility.alpha_diffusivity_scale={args.alpha_scale}",
                                f'integrator.scheme="{args.scheme}"', *args.set])
    sim = build(cfg)
    stepper, grid = sim.stepper, sim.grid
    model = stepper.integrator.model
    energy, domain = model.energy.chemical, model.domain
    proto = cfg["protocol"]
    steps = (ProtocolStep("current", args.current, args.t_lith, proto["lower_cutoff"], "lithiation"),
             ProtocolStep("rest", 0.0, args.t_rest, None, "rest"),
             ProtocolStep("current", -args.current, args.t_delith, proto["upper_cutoff"], "delithiation"))
    psi = np.asarray(domain.psi)
    labels = np.where(psi >= 0.5, 0, -1)
    face = float(domain.face_area)
    Vm = float(energy.molar_volume)
    U0 = float(grid.integrate(model.conserved(sim.state)))

    tag = f"single_particle_2d_{grid.spacing[0] * 1000:g}nm_alpha{args.alpha_scale:g}"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / f"{tag}.csv"
    columns = ["t_s", "step", "kind", "phi_V", "capacity_mAh_per_cm2", "beta_fraction", "trapped_fraction",
               "shell_thickness_um", "steps", "wall_s"]
    with open(csv_path, "w", newline="") as f:
        csv.writer(f).writerow(columns)
    wall0 = time.perf_counter()

    def record(s, stats, index):
        X = np.asarray(s.X)
        m = steps[index].on(model)
        U = float(grid.integrate(model.conserved(s)))
        _, beta, _ = (float(v) for v in obs.phase_fractions(s.X, energy, domain.psi))
        trapped = obs.trapped_li(X, psi, energy, grid)
        shell = obs.alpha_shell_thickness(X, psi, labels, energy, grid, n_particles=1)[0]
        row = [float(s.t), steps[index].name, steps[index].kind, float(m.electrode_potential(s, grid)),
               float(obs.capacity_mAh_per_cm2(U - U0, face, Vm)), beta, float(trapped.fraction), float(shell),
               int(s.step), time.perf_counter() - wall0]
        with open(csv_path, "a", newline="") as f:
            csv.writer(f).writerow(row)
        print(dict(zip(columns, row)), flush=True)

    state, records = run_protocol(stepper, sim.state, steps, outputs_per_step=args.outputs, callback=record,
                                  max_steps_per_output=200_000)
    lith, delith = (float(q) for q in obs.protocol_capacities_mAh_per_cm2(records, face, Vm))
    X = np.asarray(state.X)
    result = {
        "device": str(jax.devices()[0]), "cpu_count": os.cpu_count(), "python": platform.python_version(),
        "jax": jax.__version__, "dtype": "float64", "deck": str(Path(args.deck).relative_to(ROOT)),
        "grid": {"shape": list(grid.shape), "spacing_um": list(grid.spacing)},
        "scheme": args.scheme, "overrides": args.set, "alpha_diffusivity_scale": args.alpha_scale, "current_A_per_m2": args.current,
        "steps": [{"name": r.name, "t_start_s": r.t_start, "t_end_s": r.t_end, "reason": r.reason,
                   "accepted": r.accepted, "rejected": r.rejected} for r in records],
        "theoretical_mAh_per_cm2": float(obs.theoretical_capacity_mAh_per_cm2(domain.psi, grid, face, Vm)),
        "lithiation_mAh_per_cm2": lith, "delithiation_mAh_per_cm2": delith,
        "reversibility": float(obs.reversibility(lith, delith)) if lith > 0 else None,
        "final_trapped_fraction": float(obs.trapped_li(X, psi, energy, grid).fraction),
        "final_shell_thickness_um": float(obs.alpha_shell_thickness(X, psi, labels, energy, grid, 1)[0]),
        "wall_s": time.perf_counter() - wall0, "load_average": os.getloadavg(),
    }
    (out / f"{tag}.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return state


if __name__ == "__main__":
    main()
