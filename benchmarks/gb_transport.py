"""Li uptake of a pure-Al polycrystal vs a single crystal (CPU, float64): the time for the far
half of a 2 um box to take up 20% (and 50%) of its final Li from a Li-rich face layer, for
grain-boundary diffusivities D_gb / D_alpha = 10 .. 1e4 (``phasefield.problems.gb_diffusion``;
grains of 0.5 um held fixed; D_alpha raised to 1e-2 um^2/s so that times are seconds; only
the ratios to the single crystal are reported as the result).

    python benchmarks/gb_transport.py [--n 64] [--out benchmarks/results]
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
from phasefield.integrators import AdaptiveController, AdaptiveStepper, Rosenbrock2
from phasefield.problems.gb_diffusion import final_uptake, gb_diffusion_problem, time_to_reach

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results"))
    args = ap.parse_args(argv)
    final = final_uptake(args.n)
    rows = []
    for grain_size, ratio in [(None, 0.0), (0.5, 0.0), (0.5, 1e1), (0.5, 1e2), (0.5, 1e3), (0.5, 1e4)]:
        grid, model, state = gb_diffusion_problem(n=args.n, grain_size=grain_size, gb_ratio=ratio)
        stepper = AdaptiveStepper(Rosenbrock2(model, grid), AdaptiveController(error_tol=1e-4))
        t0 = time.perf_counter()
        t20 = time_to_reach(stepper, state, grid, 0.2, final, 2e4, n_out=80)
        t50 = time_to_reach(stepper, state, grid, 0.5, final, 2e4, n_out=80)
        rows.append({"crystal": "single" if grain_size is None else f"poly {grain_size} um",
                     "D_gb_over_D_alpha": ratio, "t20_s": t20, "t50_s": t50, "wall_s": time.perf_counter() - t0})
        print(rows[-1], flush=True)
    single = rows[0]
    for r in rows:
        r["speed_up_t20"] = single["t20_s"] / r["t20_s"]
        r["speed_up_t50"] = single["t50_s"] / r["t50_s"]
    result = {"device": str(jax.devices()[0]), "cpu_count": os.cpu_count(), "python": platform.python_version(),
              "jax": jax.__version__, "dtype": "float64", "grid": f"{args.n} x {args.n}, 2 um box, no-flux",
              "D_alpha_um2_per_s": 1e-2, "grain_size_um": 0.5, "rows": rows}
    out = Path(args.out)
    (out / "gb_transport.json").write_text(json.dumps(result, indent=1))
    lines = ["# Grain-boundary transport: Li uptake of the core, polycrystal vs single crystal", "",
             f"`python benchmarks/gb_transport.py` ({result['grid']}, float64, {result['device']}; grains of "
             "0.5 um held fixed; D_alpha = 1e-2 um^2/s). t20 / t50: time for the far half of the box to take "
             "up 20% / 50% of its final Li from a Li-rich layer at the opposite face.", "",
             "| crystal | D_gb / D_alpha | t20 (s) | t50 (s) | speed-up t20 | speed-up t50 |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['crystal']} | {r['D_gb_over_D_alpha']:g} | {r['t20_s']:.4g} | {r['t50_s']:.4g} | "
                     f"{r['speed_up_t20']:.3g} | {r['speed_up_t50']:.3g} |")
    (out / "gb_transport.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
