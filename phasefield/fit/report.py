"""Outputs of ``phasefield fit`` in a run directory (every file written atomically):

    trajectory.csv   one row per accepted iteration: loss, max |dL/du|, schedule steps,
                     evaluations, wall time, then each parameter in physical units
    fit.csv          the data and the fitted model at every target time, with residuals
    report.json      final values, Gauss-Newton sigmas (physical units), correlations, truth
                     (synthetic data), loss, stop reason, memory (peak RSS, XLA buffers)
    report.md        the same in a short table
    fit.png          loss curve, parameter paths and data vs model (needs matplotlib;
                     skipped with a note in report.md when it is not installed)
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path

import numpy as np


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _label(p) -> str:
    return f"{p.name} [{p.unit}]"


def trajectory_csv(path: Path, params, history) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["iteration", "loss", "grad_max", "n_steps", "evaluations", "wall_s", *[_label(p) for p in params]])
    for it in history:
        w.writerow([it.iteration, repr(it.loss), repr(it.grad_max), it.n_steps, it.evaluations,
                    f"{it.wall_s:.3f}", *[repr(float(v)) for v in it.p]])
    _write(path, buf.getvalue())


def fit_csv(path: Path, problem, predictions, time_unit: str) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["observable", f"t_{time_unit}", "data", "model", "residual"])
    for t, y in zip(problem.targets, predictions):
        for ti, d, m in zip(t.times, t.values, y):
            w.writerow([t.observable, repr(float(ti)), repr(float(d)), repr(float(m)), repr(float(t.scale * (m - d)))])
    _write(path, buf.getvalue())


def summary(setup, result, unc, memory: dict) -> dict:
    problem = setup.problem
    first, last = result.history[0], result.history[-1]
    rows = []
    for i, p in enumerate(problem.params):
        row = {"name": p.name, "unit": p.unit, "transform": p.transform, "initial": p.initial,
               "final": float(last.p[i]), "sigma": float(unc.sigma_p[i]),
               "relative_sigma": float(unc.sigma_p[i] / abs(last.p[i])) if last.p[i] else math.inf}
        if setup.truth and p.name in setup.truth:
            truth = setup.truth[p.name]
            row.update(truth=truth, relative_error=(float(last.p[i]) - truth) / truth if truth else math.nan,
                       error_in_sigmas=(float(last.p[i]) - truth) / float(unc.sigma_p[i]) if unc.sigma_p[i] else math.inf)
        rows.append(row)
    return {
        "problem": problem.problem, "optimizer": setup.options.optimizer, "stop_reason": result.stop_reason,
        "iterations": last.iteration, "evaluations": result.evaluations, "wall_s": last.wall_s,
        "loss_initial": first.loss, "loss_final": last.loss, "n_data": int(problem.data.size),
        "residual_variance_s2": unc.s2, "dof": unc.dof, "condition_JTJ": unc.condition,
        "schedule_steps": result.schedule.n_steps, "checkpoint_every": problem.chunk(result.schedule),
        "parameters": rows, "correlation": np.where(np.isfinite(unc.corr), unc.corr, 0.0).tolist(),
        "memory": memory,
    }


def markdown(report: dict, plot_note: str) -> str:
    lines = [f"# Fit report ({report['problem']})", "",
             f"{report['optimizer']} stopped by `{report['stop_reason']}` after {report['iterations']} iterations "
             f"({report['evaluations']} loss+gradient evaluations, {report['wall_s']:.1f} s); loss "
             f"{report['loss_initial']:.6g} -> {report['loss_final']:.6g} on {report['n_data']} data, "
             f"{report['schedule_steps']} steps per run (checkpoint chunk {report['checkpoint_every']}).", "",
             "Uncertainties: Gauss-Newton, C = s^2 (J^T J)^-1 with s^2 = "
             f"{report['residual_variance_s2']:.4g} ({report['dof']} dof), mapped through each transform; "
             f"cond(J^T J) = {report['condition_JTJ']:.3g}.", ""]
    has_truth = any("truth" in r for r in report["parameters"])
    head = "| parameter | unit | initial | final | sigma | rel. sigma |" + (" truth | error / sigma |" if has_truth else "")
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    for r in report["parameters"]:
        row = (f"| {r['name']} | {r['unit']} | {r['initial']:.6g} | {r['final']:.6g} | {r['sigma']:.3g} | "
               f"{r['relative_sigma']:.2%} |")
        if has_truth:
            row += (f" {r['truth']:.6g} | {r['error_in_sigmas']:+.2f} |" if "truth" in r else " | |")
        lines.append(row)
    mem = report["memory"]
    lines += ["", f"Memory: peak RSS {mem['peak_rss_MiB']:.0f} MiB; XLA temporary buffers of the compiled "
              f"gradient {mem['grad_temp_MiB']:.1f} MiB.", "", plot_note, ""]
    return "\n".join(lines)


def plot(path: Path, problem, history, predictions, time_unit: str) -> str:
    """``fit.png``; returns a line for the report."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "No plot: matplotlib is not installed (pip install matplotlib)."
    n_t = len(problem.targets)
    fig, axes = plt.subplots(1, 2 + n_t, figsize=(4.2 * (2 + n_t), 3.6))
    it = [h.iteration for h in history]
    axes[0].semilogy(it, [max(h.loss, 1e-300) for h in history], "o-")
    axes[0].set(xlabel="iteration", ylabel="loss", title="loss")
    for i, p in enumerate(problem.params):
        vals = np.array([h.p[i] for h in history])
        axes[1].plot(it, vals / vals[0], label=p.name)
    axes[1].set(xlabel="iteration", ylabel="p / p_initial", title="parameters")
    axes[1].legend(fontsize=7)
    for ax, t, y in zip(axes[2:], problem.targets, predictions):
        ax.plot(t.times, t.values, "k.", label="data")
        ax.plot(t.times, y, "r-", label="fit")
        ax.set(xlabel=f"t ({time_unit})", title=t.observable)
        ax.legend(fontsize=7)
    fig.tight_layout()
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)
    return f"Plot: {path.name}."


def write_all(out: Path, setup, result, unc, predictions, memory: dict) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    problem = setup.problem
    trajectory_csv(out / "trajectory.csv", problem.params, result.history)
    fit_csv(out / "fit.csv", problem, predictions, setup.time_unit)
    report = summary(setup, result, unc, memory)
    note = plot(out / "fit.png", problem, result.history, predictions, setup.time_unit) if setup.plot else "No plot (fit.plot = false)."
    _write(out / "report.json", json.dumps(report, indent=2))
    _write(out / "report.md", markdown(report, note))
    return report
