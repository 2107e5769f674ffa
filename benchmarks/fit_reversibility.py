"""Calibrate D_alpha so that a pure-Al film's simulated reversibility matches the paper's 44%
(seed 000: delithiation/lithiation capacity of pure Al in GITT, as low as 44%).

The reversibility is decided by a voltage cut-off event (the delithiation ends when the
alpha layer at the surface can no longer carry the current), a discontinuous function of the
run, so this calibration brackets and bisects ``mobility.alpha_diffusivity_scale`` in log10
on whole forward runs of a deck's protocol instead of following a gradient. Reversibility
= Li removed by the delithiation steps (negative current) / Li added by the lithiation steps.

    python benchmarks/fit_reversibility.py [--deck inputs/lial_gitt_1d.toml] [--target 0.44]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import jax
import numpy as np

import phasefield  # noqa: F401  (float64)
from phasefield.deck import load_deck
from phasefield.protocol import run_protocol
from phasefield.setup import build

ROOT = Path(__file__).resolve().parents[1]


def reversibility(deck: str, log10_scale: float, overrides=()) -> dict:
    cfg = load_deck(deck, [f"mobility.alpha_diffusivity_scale={10.0 ** log10_scale}", *overrides])
    sim = build(cfg)
    t0 = time.perf_counter()
    # the deck's output count per step, as `phasefield run` uses it: the output times cut
    # steps, and the delithiation outcome depends on the step sequence at the +-0.02 level
    state, records = run_protocol(sim.stepper, sim.state, sim.steps, outputs_per_step=cfg["output"]["count"],
                                  max_steps_per_output=sim.max_steps_per_output)
    gained = sum(r.amount_end - r.amount_start for r, s in zip(records, sim.steps) if s.kind == "current" and s.value > 0)
    lost = sum(r.amount_start - r.amount_end for r, s in zip(records, sim.steps) if s.kind == "current" and s.value < 0)
    D = float(np.exp(sim.stepper.integrator.model.mobility.ln_D_alpha)) / 1e8
    return {"log10_scale": log10_scale, "D_alpha_cm2_s": D, "reversibility": lost / gained,
            "steps": int(state.step), "wall_s": time.perf_counter() - t0}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deck", default=str(ROOT / "inputs/lial_gitt_1d.toml"))
    ap.add_argument("--target", type=float, default=0.44)
    ap.add_argument("--bracket", type=float, nargs=2, default=[0.0, 8.0], help="log10 scales")
    ap.add_argument("--tol", type=float, default=0.02, help="|reversibility - target| to stop")
    ap.add_argument("--max-runs", type=int, default=12)
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results"))
    args = ap.parse_args(argv)
    runs = []

    def probe(s):
        r = reversibility(args.deck, s, args.set)
        runs.append(r)
        print(f"log10 scale {s:6.3f}: D_alpha {r['D_alpha_cm2_s']:.3e} cm^2/s, reversibility "
              f"{r['reversibility']:.4f} ({r['steps']} steps, {r['wall_s']:.1f} s)", flush=True)
        return r["reversibility"] - args.target

    lo, hi = args.bracket
    f_lo, f_hi = probe(lo), probe(hi)
    if f_lo * f_hi > 0:
        raise SystemExit(f"the target {args.target} is not bracketed by log10 scales {lo}, {hi}")
    best = min(runs, key=lambda r: abs(r["reversibility"] - args.target))
    while len(runs) < args.max_runs and abs(best["reversibility"] - args.target) > args.tol:
        mid = 0.5 * (lo + hi)
        f_mid = probe(mid)
        lo, f_lo, hi, f_hi = (mid, f_mid, hi, f_hi) if f_mid * f_lo > 0 else (lo, f_lo, mid, f_mid)
        best = min(runs, key=lambda r: abs(r["reversibility"] - args.target))
    result = {"deck": os.path.relpath(args.deck, ROOT), "overrides": args.set, "target": args.target,
              "bracket_log10_scale": [lo, hi], "best": best, "runs": runs,
              "device": f"{platform.processor() or platform.machine()} CPU, {os.cpu_count()} cores",
              "jax": jax.__version__, "dtype": "float64"}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fit_reversibility.json").write_text(json.dumps(result, indent=1))
    print(f"best: D_alpha x 10^{best['log10_scale']:.3f} = {best['D_alpha_cm2_s']:.3e} cm^2/s -> "
          f"reversibility {best['reversibility']:.4f} (target {args.target})")


if __name__ == "__main__":
    main()
