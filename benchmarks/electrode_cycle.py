"""A 2D electrode's lithiation-delithiation cycle at 1 mA/cm^2 with the physical diffusivities,
under a wall-clock limit: how far a cycle gets on this machine and what it costs.

The deck is ``inputs/lial_electrode_2d.toml`` (96 x 64 cells of 250 nm, particles 2 +- 0.4 um,
density 0.7, Butler-Volmer i0 = 1 mA/cm^2) with its cycle protocol (lithiate to 0.01 V,
delithiate to 1.5 V) and the overrides given; ``--model two_phase`` adds the two-phase model
(dilute alpha, ``phase_mobility``, inactive rim psi < 0.1, the arithmetic face mobility that
lets a beta front follow its supply instead of crossing each cell in a burst, and a contact
that ends 1 um behind the electrolyte face so that no current bypasses an alpha layer
through the smoothed contact's tail) with the ROS2 error in the max norm and no per-step
change cap (``integrator.max_change = 1``). ``--wall-max`` is checked at the outputs. Per output: protocol step,
time, electrode potential, capacity, Li per Al, beta fraction of the solid, accepted and
rejected steps, the trapped-Li fraction, alpha-shell thickness, beta percolation and effective
diffusivity, wall time. At the end (or at ``--wall-max``): the lithiated and delithiated
capacity, reversibility, utilisation (Li per Al gained on lithiation; 1 = LiAl) and whether
the cycle completed, and the wall time spent computing the per-output observables
(``observe_wall_s``, included in ``wall_s``).

    python benchmarks/electrode_cycle.py [--model two_phase|single_field] [--x 0]
        [--wall-max 1500] [--outputs 200] [--set KEY=VALUE ...] [--out FILE] [--checkpoint DIR]
        [--resume FILE]

``--checkpoint DIR`` writes the state at every output (``phasefield.io.checkpoint``) for
diagnostics on the states a run passes through. ``--resume FILE`` starts from such a checkpoint
written at the end of a protocol step (a cut-off) and runs the steps after it, e.g. the same
delithiation from one lithiated state under other integrator settings; the rows and the
summary then continue the checkpointed run's (its row is the first).
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
from phasefield.deck import load_deck
from phasefield.io.checkpoint import load_checkpoint, save_checkpoint
from phasefield.protocol import run_protocol
from phasefield.run import SimulationError
from phasefield.setup import build

ROOT = Path(__file__).resolve().parents[1]
TWO_PHASE = ['model.kind="two_phase"', 'energy.alpha_solution="dilute"', "geometry.psi_cut=0.1",
             'model.phase_mobility="0.01 mol/J/s"', 'model.face_mobility="arithmetic"', 'geometry.contact_reach="1 um"',
             'integrator.error_norm="max"', "integrator.max_change=1"]


# per output besides V, capacity, Li per Al and beta: the structure observables (DESIGN 5)
STRUCTURE = ("trapped_Li_fraction", "shell_thickness_um", "beta_percolates", "beta_percolating_share",
             "D_eff_cm2_per_s")


class WallLimit(Exception):
    """Raised from the output callback when the run has used its wall-clock budget."""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deck", default=str(ROOT / "inputs/lial_electrode_2d.toml"))
    ap.add_argument("--model", default="two_phase", choices=("two_phase", "single_field"))
    ap.add_argument("--x", type=float, default=0.0, help="Li:Al ratio (x > 0: prelithiated Li_xAl particles)")
    ap.add_argument("--wall-max", type=float, default=1500.0, help="stop after this wall time (s)")
    ap.add_argument("--outputs", type=int, default=200, help="outputs per protocol step")
    ap.add_argument("--set", action="append", default=[], help="deck override KEY=VALUE (repeatable)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/electrode_cycle.json"))
    ap.add_argument("--checkpoint", default=None, help="write the state at every output into this folder")
    ap.add_argument("--resume", default=None,
                    help="a --checkpoint file written at the end of a protocol step: run the steps after it")
    args = ap.parse_args(argv)

    overrides = [f"initial.x_ratio={args.x}", 'protocol.type="cycle"', 'run.t_end="10 h"']
    if args.x > 0:
        overrides.append('initial.mode="prelithiated"')
    if args.model == "two_phase":
        overrides += TWO_PHASE
    overrides += args.set
    t0 = time.perf_counter()
    sim = build(load_deck(args.deck, overrides))
    record = {"deck": os.path.relpath(args.deck, ROOT), "model": args.model, "x": args.x, "overrides": overrides,
              "grid": list(sim.grid.shape), "integrator": type(sim.stepper.integrator).__name__,
              "preconditioner": getattr(sim.stepper.integrator, "preconditioner", None),
              "machine": f"{platform.machine()} CPU x{os.cpu_count()}, jax {jax.__version__}, float64",
              "wall_max_s": args.wall_max, "rows": [], "steps": []}
    start = sim.observe(sim.state)

    def save():
        Path(args.out).write_text(json.dumps(record, indent=1) + "\n")

    observing = [0.0]  # wall spent in the per-output observables (the slab solve for D_eff, ...)

    def callback(state, stats, index):
        step = sim.steps[index]
        t_obs = time.perf_counter()
        r = sim.observe(state, step)
        observing[0] += time.perf_counter() - t_obs
        row = {"step": index, "kind": step.name or step.kind, "t_s": float(state.t), "V": r["voltage_V"],
               "capacity_mAh_per_cm2": r["capacity_mAh_per_cm2"], "x_Li_per_Al": r["x_mean_Li_per_Al"],
               "beta_fraction": r["beta_fraction"], **{k: r[k] for k in STRUCTURE},
               "accepted": int(stats.accepted), "rejected": int(stats.rejected), "wall_s": time.perf_counter() - t0}
        record["rows"].append(row)
        print(row, flush=True)
        save()
        if args.checkpoint:
            save_checkpoint(args.checkpoint, state, extra=row, keep=100_000)
        if row["wall_s"] > args.wall_max:
            raise WallLimit

    state, records, first = sim.state, [], 0
    if args.resume:
        state, row = load_checkpoint(args.resume, like=sim.state)
        first = row["step"] + 1
        record["resumed_from"] = {"file": args.resume, "t_s": row["t_s"], "step": row["step"]}
        record["rows"].append(row)
        record["steps"] += [{"kind": sim.steps[i].name or sim.steps[i].kind, "reason": "cutoff", "resumed": True}
                            for i in range(first)]
    steps = sim.steps[first:]

    def on_step(rec):
        record["steps"].append({"kind": rec.kind, "t_start": rec.t_start, "t_end": rec.t_end, "reason": rec.reason,
                                "accepted": rec.accepted, "rejected": rec.rejected})

    try:
        state, records = run_protocol(sim.stepper, state, steps, outputs_per_step=args.outputs,
                                      callback=lambda s, stats, i: callback(s, stats, i + first),
                                      max_steps_per_output=10_000_000, on_step=on_step,
                                      dt_restart=float(sim.state.dt))
        record["ended_by"] = "protocol"
    except WallLimit:
        record["ended_by"] = "wall limit"
    except SimulationError as err:  # the record keeps the rows so far and why the run stopped
        record["ended_by"] = f"failed: {err}"
    rows = record["rows"]
    lith = [r for r in rows if r["step"] == 0]
    q_lith = lith[-1]["capacity_mAh_per_cm2"] if lith else 0.0
    q_end = rows[-1]["capacity_mAh_per_cm2"] if rows else 0.0
    record["start"] = {k: float(v) for k, v in start.items()}
    record["summary"] = {
        "lithiated_mAh_per_cm2": q_lith, "delithiated_mAh_per_cm2": q_lith - q_end if len(lith) < len(rows) else 0.0,
        "utilisation_Li_per_Al": (lith[-1]["x_Li_per_Al"] - start["x_mean_Li_per_Al"]) if lith else 0.0,
        "cycle_complete": record["ended_by"] == "protocol" and len(record["steps"]) >= 2
        and all(s["reason"] == "cutoff" for s in record["steps"][:2]),
        "t_end_s": rows[-1]["t_s"] if rows else 0.0, "V_end": rows[-1]["V"] if rows else float("nan"),
        "accepted": sum(r["accepted"] for r in rows), "rejected": sum(r["rejected"] for r in rows),
        "wall_s": time.perf_counter() - t0, "observe_wall_s": observing[0],
    }
    if q_lith > 0 and len(lith) < len(rows):
        record["summary"]["reversibility"] = record["summary"]["delithiated_mAh_per_cm2"] / q_lith
    save()
    print(record["summary"])


if __name__ == "__main__":
    main()
