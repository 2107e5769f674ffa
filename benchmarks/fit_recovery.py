"""Recovery of known parameters by `phasefield fit` (issue: fitting, item 2, full size).

Runs the example deck ``inputs/fit/synthetic.toml`` at a larger size than the CI test (grid,
end time and number of data points below) for each optimiser, and records the recovered
values, their Gauss-Newton sigmas, the error in sigmas, the iterations, evaluations and wall
time (compilation included) in benchmarks/results/fit_recovery.json and .md.

    python benchmarks/fit_recovery.py [--n 32] [--t-end 150] [--count 30] [--optimizers lbfgs adam]
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--t-end", type=float, default=150.0)
    ap.add_argument("--count", type=int, default=30)
    ap.add_argument("--optimizers", nargs="+", default=["lbfgs"])
    args = ap.parse_args()
    import jax

    jax.config.update("jax_enable_x64", True)
    from phasefield.cli import main as cli

    runs = []
    for opt in args.optimizers:
        out = Path(tempfile.mkdtemp()) / "fit"
        sets = [f"grid.shape=[{args.n},{args.n}]", f"run.t_end={args.t_end}", f"fit.optimizer=\"{opt}\"",
                f"fit.targets=[{{observable='free_energy', count={args.count}, noise=0.01}}, "
                f"{{observable='c_variance', count={args.count}, noise=2e-4}}]"]
        if opt == "adam":
            sets += ["fit.learning_rate=0.02", "fit.max_iterations=300"]
        t0 = time.perf_counter()
        code = cli(["fit", str(ROOT / "inputs" / "fit" / "synthetic.toml"), "--out", str(out), "--quiet",
                    *sum((["--set", s] for s in sets), [])])
        wall = time.perf_counter() - t0
        report = json.loads((out / "report.json").read_text())
        runs.append({"optimizer": opt, "exit_code": code, "grid": [args.n, args.n], "t_end": args.t_end,
                     "data_per_target": args.count, "wall_s_with_compile": wall, **report})
        print(json.dumps(runs[-1]["parameters"]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    meta = {"python": platform.python_version(), "jax": jax.__version__, "device": str(jax.devices()[0]),
            "dtype": "float64"}
    (RESULTS / "fit_recovery.json").write_text(json.dumps({"meta": meta, "runs": runs}, indent=2))
    lines = ["# Fit recovery (synthetic spinodal data, `inputs/fit/synthetic.toml`)", "",
             "Reference run at M = 5, kappa = 2, rho_s = 5; Gaussian noise 0.01 on the free energy and 2e-4 "
             "on the composition variance; start at M = 7, kappa = 1.5, rho_s = 6. Float64, CPU.", ""]
    for r in runs:
        lines += [f"## {r['optimizer']}: {r['grid'][0]}x{r['grid'][1]}, t_end {r['t_end']:g}, "
                  f"{r['n_data']} data, {r['schedule_steps']} steps per run", "",
                  f"Stopped by `{r['stop_reason']}` after {r['iterations']} iterations ({r['evaluations']} "
                  f"evaluations); loss {r['loss_initial']:.4g} -> {r['loss_final']:.4g}; s^2 = "
                  f"{r['residual_variance_s2']:.3f}; wall {r['wall_s_with_compile']:.0f} s with compilation; "
                  f"peak RSS {r['memory']['peak_rss_MiB']:.0f} MiB.", "",
                  "| parameter | truth | fitted | sigma | rel. error | error / sigma |", "|---|---|---|---|---|---|"]
        for p in r["parameters"]:
            lines.append(f"| {p['name']} | {p['truth']:g} | {p['final']:.5f} | {p['sigma']:.4f} | "
                         f"{p['relative_error']:+.3%} | {p['error_in_sigmas']:+.2f} |")
        lines.append("")
    (RESULTS / "fit_recovery.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
