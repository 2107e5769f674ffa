"""A pure-Al particle as a planar film (``inputs/lial_particle_1d.toml``) lithiated, rested,
delithiated and rested with the physical seed 000 diffusivities: the beta front on
lithiation, the alpha shell and the Li it traps on delithiation, and a sweep of D_alpha that
shows the trapping is diffusion-controlled (DESIGN 2.5; CPU, float64).

For each ``alpha_diffusivity_scale`` the deck's cycle protocol is run to its cut-offs and
recorded per output: time, step, electrode potential, capacity, the beta front (depth of the
beta layer grown from the electrolyte face, cells with X >= (Xa + Xb)/2 contiguous with the
face) and the alpha shell (depth from the face to the first such cell). Per run: lithiated
and delithiated capacity, reversibility = delithiated / lithiated, shell thickness and the Li
left in the film at the delithiation cut-off, accepted/rejected steps and wall time.

    python benchmarks/film_cycle.py [--scales 1 1e2 1e4 1e6] [--out benchmarks/results]
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
from phasefield.constants import FARADAY
from phasefield.deck import load_deck
from phasefield.protocol import run_protocol
from phasefield.setup import build

ROOT = Path(__file__).resolve().parents[1]


def film_profile(X, active, energy):
    """``(front, shell)`` in cells: the beta layer grown from the electrolyte face (first
    active cell) and the non-beta layer in front of the first beta cell."""
    cut = 0.5 * (float(energy.Xa) + float(energy.Xb))
    x = np.asarray(X)[np.asarray(active) > 0]
    core = x >= cut
    front = int(np.argmin(core)) if not core.all() else core.size
    shell = int(np.argmax(core)) if core.any() else core.size
    return front, shell


def run(deck: str, scale: float, overrides=()):
    cfg = load_deck(deck, [f"mobility.alpha_diffusivity_scale={scale}", *overrides])
    sim = build(cfg)
    stepper, grid = sim.stepper, sim.grid
    model = stepper.integrator.model
    energy, domain = model.energy.chemical, model.domain
    h = grid.spacing[0]
    to_mAh = 1e-6 / float(energy.molar_volume) * FARADAY / 3.6e4 / float(domain.face_area)
    rows = []
    t0 = time.perf_counter()
    U_start = float(grid.integrate(model.conserved(sim.state)))

    def record(state, stats, index):
        m = sim.steps[index].on(model)
        front, shell = film_profile(state.X, domain.active, energy)
        U = float(grid.integrate(model.conserved(state)))
        rows.append({"alpha_scale": scale, "t_s": float(state.t), "step": sim.steps[index].name,
                     "voltage_V": float(m.electrode_potential(state, grid)),
                     "capacity_mAh_cm2": (U - U_start) * to_mAh,
                     "beta_front_um": front * h, "alpha_shell_um": shell * h,
                     "steps": int(state.step), "wall_s": time.perf_counter() - t0})

    state, records = run_protocol(stepper, sim.state, sim.steps, outputs_per_step=20, callback=record,
                                  max_steps_per_output=sim.max_steps_per_output)
    wall = time.perf_counter() - t0
    by = {r.name: r for r in records}
    lith, delith = by["lithiation 1"], by["delithiation 1"]
    q_lith = (lith.amount_end - lith.amount_start) * to_mAh
    q_delith = (delith.amount_start - delith.amount_end) * to_mAh
    cut = [r for r in rows if r["step"] == "delithiation 1"][-1]
    X_end = np.asarray(state.X)[np.asarray(domain.active) > 0]
    summary = {
        "alpha_scale": scale,
        "D_alpha_cm2_s": float(np.exp(model.mobility.ln_D_alpha)) / 1e8,
        "lithiated_mAh_cm2": q_lith, "lithiation_end": lith.reason, "lithiation_s": lith.t_end - lith.t_start,
        "delithiated_mAh_cm2": q_delith, "delithiation_end": delith.reason,
        "delithiation_s": delith.t_end - delith.t_start,
        "reversibility": q_delith / q_lith,
        "voltage_at_cutoff_V": cut["voltage_V"],
        "shell_at_cutoff_um": cut["alpha_shell_um"],
        "li_left_fraction": 1.0 - q_delith / (q_lith + U_start * to_mAh),
        "x_end_profile": [float(v) for v in X_end],
        "steps": int(state.step), "rejected": int(sum(r.rejected for r in records)), "wall_s": wall,
    }
    return summary, rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deck", default=str(ROOT / "inputs/lial_particle_1d.toml"))
    ap.add_argument("--scales", type=float, nargs="+", default=[1.0, 1e2, 1e4, 1e6])
    ap.add_argument("--set", action="append", default=[], help="extra deck override KEY=VALUE")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summaries, all_rows = [], []
    for s in args.scales:
        summary, rows = run(args.deck, s, args.set)
        summaries.append(summary)
        all_rows += rows
        print(f"D_alpha x {s:g}: lithiated {summary['lithiated_mAh_cm2']:.4f} mAh/cm^2 ({summary['lithiation_end']}), "
              f"delithiated {summary['delithiated_mAh_cm2']:.4f} ({summary['delithiation_end']}), "
              f"reversibility {summary['reversibility']:.3f}, shell {summary['shell_at_cutoff_um']:.3f} um, "
              f"{summary['steps']} steps, {summary['wall_s']:.1f} s", flush=True)
    with open(out / "film_cycle.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(all_rows[0]))
        w.writeheader()
        w.writerows(all_rows)
    meta = {"deck": os.path.relpath(args.deck, ROOT), "overrides": args.set, "runs": summaries,
            "device": f"{platform.processor() or platform.machine()} CPU, {os.cpu_count()} cores",
            "jax": jax.__version__, "dtype": "float64"}
    (out / "film_cycle.json").write_text(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
