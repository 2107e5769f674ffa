"""PFHub benchmark 1 (spinodal decomposition), parts 1a (periodic) and 1b (no-flux).

Runs ``phasefield.problems.pfhub1`` to ``t_end`` with the adaptive semi-implicit integrator
(``AdaptiveStepper(SemiImplicit, AdaptiveController(error_tol))``) in float64 on the CPU,
records the total free energy F, its chemical and gradient parts and the mean of c (the mass
check) at log- and linearly spaced output times, and compares with published PFHub uploads
(``benchmarks/results/pfhub1_published.csv``, each row with its source).

Accuracy of our curve: part 1a is also run at a looser tolerance (``--check-tol``) and, up to
t = 1000, with fixed steps (``--reference-dt``) to show how far F moves with the time step.

Outputs (in ``--out``, default ``benchmarks/results``):
    pfhub1a_energy.csv, pfhub1b_energy.csv    t, F, F_chem, F_grad, mean_c, dt_next, n_steps,
                                              n_rejected (dt_next: the step proposed after t)
    pfhub1a_energy_check.csv                  the same at the check tolerance
    pfhub1_energy.png                         F(t), log t axis, ours and the uploads
    pfhub1_runs.json                          the numbers quoted in pfhub1_summary.md

Usage:
    python benchmarks/pfhub1.py                       # the benchmark (about half an hour on 2 cores)
    python benchmarks/pfhub1.py --t-end 100 --n 64    # a quick look (not the benchmark domain)
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
import jax.numpy as jnp
import numpy as np

import phasefield  # noqa: F401  (float64 on import)
from phasefield.integrators import AdaptiveController, AdaptiveStepper, SemiImplicit
from phasefield.problems.pfhub1 import pfhub1_problem
from phasefield.run import integrate, run_fixed

RESULTS = Path(__file__).resolve().parent / "results"
REPORT_TIMES = (100.0, 1000.0, 10000.0)
SERIES = ("t", "F", "F_chem", "F_grad", "mean_c", "dt_next", "n_steps", "n_rejected")


def output_times(t_end: float, n_log: int = 81, n_lin: int = 100) -> np.ndarray:
    """Log-spaced times from 0.1 plus linearly spaced ones, with the report times, up to t_end."""
    t = np.concatenate([
        np.logspace(-1.0, np.log10(t_end), n_log),
        np.linspace(t_end / n_lin, t_end, n_lin),
        [r for r in REPORT_TIMES if r <= t_end],
    ])
    t = np.unique(np.round(t, 9))
    return t[(t > 0) & (t <= t_end)]


def energy_parts(model, grid):
    """Jitted ``state -> (F, F_chem, F_grad, mean c)``, the discrete energy of the model."""
    energy = model.energy

    @jax.jit
    def parts(state):
        F_chem = grid.integrate(energy.chemical.density(state.X))
        F = model.free_energy(state, grid)
        return F, F_chem, F - F_chem, jnp.mean(state.X)

    return parts


def run_variant(variant: str, tol: float, t_end: float, n: int = 200, times=None, progress=True):
    """Adaptive run of one variant; returns a dict of time series and run statistics.

    Compile time is measured on a separate warm-up call (one truncated step) and excluded
    from ``wall_s``; every timing ends with ``block_until_ready``.
    """
    grid, model, state0 = pfhub1_problem(variant, n=n)
    stepper = AdaptiveStepper(SemiImplicit(model, grid), AdaptiveController(error_tol=tol))
    parts = energy_parts(model, grid)
    times = output_times(t_end) if times is None else np.asarray(times, dtype=float)

    start = time.perf_counter()
    warm = integrate(stepper, state0, [1e-9])
    jax.block_until_ready(parts(warm))
    compile_s = time.perf_counter() - start

    rec = {k: [] for k in SERIES}
    F0, Fc0, Fg0, m0 = (float(v) for v in parts(state0))
    for k, v in zip(SERIES, (0.0, F0, Fc0, Fg0, m0, float(state0.dt), 0, 0)):
        rec[k].append(v)
    dt_lo, dt_hi, n_rej = np.inf, 0.0, 0

    def callback(state, stats):
        nonlocal dt_lo, dt_hi, n_rej
        F, Fc, Fg, m = (float(v) for v in parts(state))
        n_rej += int(stats.rejected)
        dt_hi = max(dt_hi, float(stats.dt_largest))
        # the last step before an output time is cut to land on it; dt_smallest counts it, so
        # the smallest untruncated step is bounded by the proposed step after each output
        dt_lo = min(dt_lo, float(state.dt))
        for k, v in zip(rec, (float(state.t), F, Fc, Fg, m, float(state.dt), int(state.step), n_rej)):
            rec[k].append(v)
        if progress and (float(state.t) in REPORT_TIMES or float(state.t) in (1.0, 10.0)):
            print(f"  {variant} tol={tol:g} t={float(state.t):9.2f} F={F:10.4f} "
                  f"dt={float(state.dt):.3g} steps={int(state.step)} "
                  f"wall={time.perf_counter() - start:.1f}s", flush=True)

    load_before = os.getloadavg()[0]
    start, cpu_start = time.perf_counter(), time.process_time()
    final = integrate(stepper, state0, times, callback=callback)
    jax.block_until_ready(final.X)
    wall_s = time.perf_counter() - start
    cpu_s = time.process_time() - cpu_start
    out = {k: np.asarray(v) for k, v in rec.items()}
    out.update(variant=variant, tol=tol, n=n, t_end=t_end, compile_s=compile_s, wall_s=wall_s,
               cpu_s=cpu_s, load_avg=(load_before, os.getloadavg()[0]),
               steps=int(final.step), rejected=n_rej, dt_min=dt_lo, dt_max=dt_hi)
    return out


def run_fixed_reference(variant: str, dt: float, report=(100.0, 1000.0), n: int = 200):
    """F at the report times with a fixed step ``dt`` (``run_fixed``, one scan per interval)."""
    grid, model, state = pfhub1_problem(variant, n=n)
    si = SemiImplicit(model, grid)
    parts = energy_parts(model, grid)
    values, t_prev = {}, 0.0
    start = time.perf_counter()
    for t_rep in report:
        n_steps = int(round((t_rep - t_prev) / dt))
        state = jax.jit(lambda s, k=n_steps: run_fixed(si.step, s, k, dt))(state)
        values[t_rep] = float(parts(state)[0])
        t_prev = t_rep
    return {"dt": dt, "F": values, "wall_s": time.perf_counter() - start}


def value_at(t, F, t_query, max_gap: float = 0.2):
    """Linear interpolation of a recorded series; NaN outside its range or where the two
    bracketing samples are more than ``max_gap * t_query`` apart (a sparse upload)."""
    t, F = np.asarray(t, float), np.asarray(F, float)
    if t_query < t.min() or t_query > t.max():
        return float("nan")
    exact = np.isclose(t, t_query, rtol=1e-9, atol=0.0)
    if np.any(exact):
        return float(F[exact][0])
    i = np.searchsorted(t, t_query)
    if t[i] - t[i - 1] > max_gap * t_query:
        return float("nan")
    return float(np.interp(t_query, t, F))


def load_published(path: Path) -> dict:
    """``{(upload, variant, energy): (code, t, F, source)}`` from the published-values CSV."""
    series: dict = {}
    with open(path) as fh:
        for row in csv.DictReader(fh):
            key = (row["upload"], row["variant"], row["energy"])
            code, ts, Fs, src = series.get(key, (row["code"], [], [], row["source"]))
            ts.append(float(row["time"]))
            Fs.append(float(row["free_energy"]))
            series[key] = (code, ts, Fs, src)
    return {k: (c, np.asarray(t), np.asarray(F), s) for k, (c, t, F, s) in series.items()}


def write_series(path: Path, rec: dict) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(SERIES)
        for i in range(len(rec["t"])):
            w.writerow([int(rec[k][i]) if k.startswith("n_") else repr(float(rec[k][i]))
                        for k in SERIES])


def plot(runs: dict, published: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    styles = {"MOOSE": ("s", "tab:red"), "PRISMS-PF": ("o", "tab:green"), "FiPy": ("^", "tab:purple"),
              "HiPerC (custom CUDA)": ("D", "tab:brown")}
    for ax, variant in zip(axes, ("1a", "1b")):
        rec = runs.get(variant)
        if rec is not None:
            m = rec["t"] > 0
            ax.plot(rec["t"][m], rec["F"][m], "k-", lw=2,
                    label=f"phasefield (tol {rec['tol']:g})")
            if variant == "1a" and "1a_check" in runs:
                chk = runs["1a_check"]
                mc = chk["t"] > 0
                ax.plot(chk["t"][mc], chk["F"][mc], "k:", lw=1.2,
                        label=f"phasefield (tol {chk['tol']:g})")
            if variant == "1b":
                ax.plot(rec["t"][m], rec["F_chem"][m], color="0.55", lw=1,
                        label="phasefield, chemical part only")
        for (upload, var, kind), (code, t, F, _) in sorted(published.items()):
            if var != variant:
                continue
            marker, color = styles.get(code, ("x", "tab:blue"))
            keep = t > 0
            label = f"{upload} ({code})" + (", chemical only, [0,199]^2" if kind != "total" else "")
            ax.plot(t[keep], F[keep], marker=marker, color=color, ls="--" if kind == "total" else ":",
                    ms=4, lw=1, mfc="none", label=label)
        ax.set_xscale("log")
        ax.set_xlim(0.1, 1.2e4)
        ax.set_xlabel("t")
        ax.set_title(f"PFHub benchmark {variant}: " + ("periodic" if variant == "1a" else "no-flux"))
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="lower left")
    axes[0].set_ylabel("free energy F")
    fig.tight_layout()
    fig.savefig(path, dpi=130)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tol", type=float, default=2.5e-5, help="error_tol of the production runs")
    p.add_argument("--check-tol", type=float, default=1e-4, help="looser tolerance for 1a (0: skip)")
    p.add_argument("--reference-dt", type=float, default=0.00625,
                   help="fixed step of the 1a reference up to t=1000 (0: skip)")
    p.add_argument("--t-end", type=float, default=10000.0)
    p.add_argument("--n", type=int, default=200, help="cells per side (h = 1; 200 is the benchmark)")
    p.add_argument("--variants", nargs="+", default=["1a", "1b"])
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--replot", action="store_true",
                   help="only redo the plot and the published values from the CSVs in --out")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.replot:
        replot(args.out)
        return

    runs = {}
    for variant in args.variants:
        rec = run_variant(variant, args.tol, args.t_end, n=args.n)
        runs[variant] = rec
        write_series(args.out / f"pfhub{variant}_energy.csv", rec)
    if args.check_tol > 0 and "1a" in args.variants:
        runs["1a_check"] = run_variant("1a", args.check_tol, args.t_end, n=args.n)
        write_series(args.out / "pfhub1a_energy_check.csv", runs["1a_check"])
    reference = None
    if args.reference_dt > 0 and "1a" in args.variants:
        report = tuple(t for t in (100.0, 1000.0) if t <= args.t_end)
        reference = run_fixed_reference("1a", args.reference_dt, report, n=args.n)

    published_path = args.out / "pfhub1_published.csv"
    if not published_path.exists():
        published_path = RESULTS / "pfhub1_published.csv"
    published = load_published(published_path)
    plot(runs, published, args.out / "pfhub1_energy.png")

    summary = {
        "device": f"CPU ({jax.devices()[0].device_kind}), {os.cpu_count()} cores visible",
        "platform": platform.platform(),
        "jax": jax.__version__,
        "dtype": str(jnp.zeros(()).dtype),
        "grid": f"{args.n} x {args.n}, h = 1",
        "runs": {},
        "reference_fixed_dt": reference,
        "published": {},
    }
    for name, rec in runs.items():
        summary["runs"][name] = {
            "variant": rec["variant"], "tol": rec["tol"], "steps": rec["steps"],
            "rejected": rec["rejected"], "dt_min": rec["dt_min"], "dt_max": rec["dt_max"],
            "compile_s": rec["compile_s"], "wall_s": rec["wall_s"], "cpu_s": rec["cpu_s"],
            "load_avg_1min_before_after": rec["load_avg"],
            "steps_per_s": rec["steps"] / rec["wall_s"],
            "F0": float(rec["F"][0]),
            "F": {str(t): value_at(rec["t"], rec["F"], t) for t in REPORT_TIMES},
            "F_chem": {str(t): value_at(rec["t"], rec["F_chem"], t) for t in REPORT_TIMES},
            "mean_c_drift": float(np.max(np.abs(rec["mean_c"] - rec["mean_c"][0])) / rec["mean_c"][0]),
            "max_energy_rise": float(np.max(np.diff(rec["F"]))),
        }
    summary["published"] = published_values(published)
    with open(args.out / "pfhub1_runs.json", "w") as fh:
        json.dump(summary, fh, indent=2, default=float)
    print(json.dumps(summary["runs"], indent=2, default=float))


def published_values(published: dict) -> dict:
    """F of each upload at t = 0 and the report times (NaN where it has no nearby sample)."""
    return {upload: {"variant": variant, "code": code, "energy": kind, "source": src,
                     "F": {str(q): value_at(t, F, q) for q in (0.0,) + REPORT_TIMES}}
            for (upload, variant, kind), (code, t, F, src) in published.items()}


def read_series(path: Path) -> dict:
    data = np.genfromtxt(path, delimiter=",", names=True)
    return {k: np.asarray(data[k]) for k in data.dtype.names}


def replot(out: Path) -> None:
    """Redo the plot and the published values of ``pfhub1_runs.json`` from saved outputs."""
    with open(out / "pfhub1_runs.json") as fh:
        summary = json.load(fh)
    runs = {}
    for name, info in summary["runs"].items():
        suffix = "_check" if name.endswith("_check") else ""
        rec = read_series(out / f"pfhub{info['variant']}_energy{suffix}.csv")
        rec.update(tol=info["tol"], variant=info["variant"])
        runs[name] = rec
    published = load_published(out / "pfhub1_published.csv")
    plot(runs, published, out / "pfhub1_energy.png")
    summary["published"] = published_values(published)
    with open(out / "pfhub1_runs.json", "w") as fh:
        json.dump(summary, fh, indent=2, default=float)


if __name__ == "__main__":
    main()
