"""Reversibility of pulverized-grain networks against grain size (issue: networks, item 3).

Each run builds ``inputs/lial_network_2d.toml`` at one of seed 000's measured beta-domain sizes
after the first discharge (pure Al 4.877 um, Li0.25Al 2.783 um, Li0.5Al 2.326 um, Li0.75Al
1.607 um) on the same particle packing (same seed), so only the grain tessellation changes,
and delithiates it at the deck's current to the 1.5 V cut-off (or ``--t-max``). Recorded per
output: voltage, delithiated capacity, beta fraction, mean alpha layer of the grains that hold
beta, steps, wall time. Reversibility = delithiated capacity / Li the network held at the start
(both mAh/cm^2 of the electrolyte face): the network is the discharged (lithiated)
microstructure, so this is the delithiation/lithiation ratio of the cycle it continues.

One JSON per grain size goes to ``<out>/network_reversibility/``; ``--report`` gathers them into
``<out>/network_reversibility.{json,md}``. Runs of different sizes can go in parallel
processes (``--sizes``). Every output also writes a checkpoint of the state and the record so
far under ``--checkpoints`` (default ``runs/network_reversibility/``); ``--resume`` continues
each size from its latest one (same deck and overrides), so a run cut short loses at most one
output interval.

    python benchmarks/network_reversibility.py [--sizes 4.877,1.607] [--set KEY=VALUE ...] [--resume]
    python benchmarks/network_reversibility.py --report
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import jax

import phasefield  # noqa: F401  (float64)
from phasefield.constants import FARADAY
from phasefield.deck import load_deck
from phasefield.io.checkpoint import load_latest_checkpoint, save_checkpoint
from phasefield.run import advance_to
from phasefield.setup import build

ROOT = Path(__file__).resolve().parents[1]
SIZES = {4.877: "pure Al", 2.783: "Li0.25Al", 2.326: "Li0.5Al", 1.607: "Li0.75Al"}  # seed 000, um


def run_one(deck: str, grain_size: float, overrides: list[str], t_max: float, dt_out: float, wall_max: float,
            save=lambda result: None, checkpoints: Path | None = None, resume: bool = False):
    """Delithiate the network of one grain size; ``save(result)`` gets the result so far after
    every output, so a run cut short still leaves its record (``ended_by = "running"``). With
    ``checkpoints`` the state and the rows are saved there after every output; ``resume``
    continues from the latest (wall time and steps then add up over the pieces)."""
    cfg = load_deck(deck, [f'grains.grain_size="{grain_size} um"', *overrides])
    sim = build(cfg)
    stepper, grid = sim.stepper, sim.grid
    model = stepper.integrator.model
    energy = model.energy.chemical
    to_mAh_cm2 = 1e-6 / float(energy.molar_volume) * FARADAY / 3.6e4 / float(model.domain.face_area)
    held = float(grid.integrate(model.conserved(sim.state))) * to_mAh_cm2
    rows, state, wall0, steps, rejected = [], sim.state, time.perf_counter(), 0, 0
    if resume and checkpoints is not None:
        found = load_latest_checkpoint(checkpoints, like=sim.state)
        if found is not None:
            state, extra = found
            if extra["overrides"] != overrides or extra["deck"] != str(deck):
                raise SystemExit(f"{checkpoints} holds a run of {extra['deck']} with {extra['overrides']}")
            rows, steps, rejected = extra["rows"], extra["steps"], extra["rejected"]
            wall0 -= rows[-1]["wall_s"]
            print(grain_size, f"resumed at t = {float(state.t):g} s, step {steps}", flush=True)
    def record(s):
        r = sim.observe(s)
        row = {"t_s": float(s.t), "voltage_V": r["voltage_V"], "capacity_mAh_per_cm2": r["capacity_mAh_per_cm2"],
               "beta_fraction": r["beta_fraction"], "grain_alpha_layer_um": r["grain_alpha_layer_um"],
               "steps": steps, "rejected": rejected, "wall_s": time.perf_counter() - wall0}
        rows.append(row)
        print(grain_size, {k: round(v, 5) if isinstance(v, float) else v for k, v in row.items()}, flush=True)

    def result(reason):
        delith = -rows[-1]["capacity_mAh_per_cm2"]
        return {
            "grain_size_um": grain_size, "composition": SIZES.get(grain_size, ""), "overrides": overrides,
            "grid": {"shape": list(grid.shape), "spacing_um": list(grid.spacing)},
            "li_held_mAh_per_cm2": held, "delithiated_mAh_per_cm2": delith,
            "reversibility": delith / held, "ended_by": reason, "t_end_s": rows[-1]["t_s"],
            "beta_fraction_start": rows[0]["beta_fraction"], "beta_fraction_end": rows[-1]["beta_fraction"],
            "alpha_layer_start_um": rows[0]["grain_alpha_layer_um"],
            "alpha_layer_end_um": rows[-1]["grain_alpha_layer_um"],
            "voltage_end_V": rows[-1]["voltage_V"], "steps": steps, "rejected": rejected,
            "wall_s": time.perf_counter() - wall0, "rows": rows,
        }

    if not rows:
        record(state)
    t, reason = float(state.t), "t_max"
    while t < t_max:
        t = min(t + dt_out, t_max)
        state, stats = advance_to(stepper, state, t, max_steps=200_000)
        steps += int(stats.accepted)
        rejected += int(stats.rejected)
        record(state)
        save(result("running"))
        if checkpoints is not None:
            save_checkpoint(checkpoints, state, extra={"deck": str(deck), "overrides": overrides, "rows": rows,
                                                       "steps": steps, "rejected": rejected}, keep=2)
        if bool(stepper.stopped(state)):
            reason = "cut-off"
            break
        if time.perf_counter() - wall0 > wall_max:
            reason = "wall limit"
            break
    return result(reason)


def report(out: Path):
    runs = sorted((json.loads(p.read_text()) for p in (out / "network_reversibility").glob("*.json")),
                  key=lambda r: -r["grain_size_um"])
    if not runs:
        raise SystemExit(f"no runs under {out / 'network_reversibility'}")
    meta = runs[0]["meta"]
    (out / "network_reversibility.json").write_text(json.dumps(
        {"meta": meta, "runs": [{k: v for k, v in r.items() if k not in ("rows", "meta")} for r in runs]}, indent=1))
    lines = [
        "# Pulverized networks: reversibility against grain size (2D)",
        "",
        f"`python benchmarks/network_reversibility.py` on `{meta['deck']}` (grid {runs[0]['grid']['shape']} cells of "
        f"{runs[0]['grid']['spacing_um'][0] * 1000:g} nm; {meta['device']}, float64, {meta['cpu_count']} cores; "
        f"overrides {runs[0]['overrides'] or 'none'}). Same packing (seed) for every size; only the grains change.",
        "",
        "| grain size (um) | as in seed 000 | Li held (mAh/cm^2) | delithiated (mAh/cm^2) | reversibility | ended by "
        "| t (s) | V end (V) | beta fraction start -> end | alpha layer start -> end (um) | steps (rejected) | wall (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['grain_size_um']} | {r['composition']} | {r['li_held_mAh_per_cm2']:.4f} | "
            f"{r['delithiated_mAh_per_cm2']:.4f} | {r['reversibility']:.3f}{'' if r['ended_by'] == 'cut-off' else ' (so far)'} | {'run stopped before the cut-off' if r['ended_by'] == 'running' else r['ended_by']} | {r['t_end_s']:.0f} | "
            f"{r['voltage_end_V']:.3f} | {r['beta_fraction_start']:.3f} -> {r['beta_fraction_end']:.3f} | "
            f"{r['alpha_layer_start_um']:.3f} -> {r['alpha_layer_end_um']:.3f} | {r['steps']} ({r['rejected']}) | "
            f"{r['wall_s']:.0f} |")
    (out / "network_reversibility.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deck", default=str(ROOT / "inputs/lial_network_2d.toml"))
    ap.add_argument("--sizes", default=",".join(str(s) for s in SIZES), help="grain sizes in um, comma-separated")
    ap.add_argument("--set", action="append", default=[], help="deck override KEY=VALUE (repeatable)")
    ap.add_argument("--t-max", type=float, default=3600.0, help="longest delithiation (s)")
    ap.add_argument("--dt-out", type=float, default=50.0, help="output interval (s)")
    ap.add_argument("--wall-max", type=float, default=3600.0, help="stop a run after this wall time (s)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results"))
    ap.add_argument("--checkpoints", default=str(ROOT / "runs/network_reversibility"),
                    help="directory for the per-size restart files")
    ap.add_argument("--resume", action="store_true", help="continue each size from its latest checkpoint")
    ap.add_argument("--report", action="store_true", help="only gather the per-size JSONs into the report")
    args = ap.parse_args(argv)
    out = Path(args.out)
    if args.report:
        return report(out)
    (out / "network_reversibility").mkdir(parents=True, exist_ok=True)
    meta = {"device": str(jax.devices()[0]), "cpu_count": os.cpu_count(), "python": platform.python_version(),
            "jax": jax.__version__, "deck": os.path.relpath(args.deck, ROOT)}
    for size in (float(s) for s in args.sizes.split(",")):
        path = out / "network_reversibility" / f"grain_{size:g}um.json"

        def save(result):
            result["meta"] = {**meta, "load_average": os.getloadavg()}
            path.write_text(json.dumps(result, indent=1))

        save(run_one(args.deck, size, args.set, args.t_max, args.dt_out, args.wall_max, save,
                     Path(args.checkpoints) / f"grain_{size:g}um", args.resume))
    report(out)


if __name__ == "__main__":
    main()
