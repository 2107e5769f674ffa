"""Plots of a run's ``observables.csv`` (matplotlib).

    python viz/plots.py RUN_DIR [--out plots.png]

Panels:

* every observable against time, one panel each (``t_<unit>`` column; the time axis is
  logarithmic when the outputs are log-spaced, per ``run.json`` ``output.spacing`` or, without
  it, when successive output times have a constant ratio; the t = 0 row is then left out);
* phase fractions (columns ``*_fraction``) together;
* voltage against capacity when a voltage column exists (a name starting with ``voltage``,
  ``potential`` or ``phi`` and ending in ``_V``): capacity from a ``capacity*`` column, else
  from the mean Li/Al ratio ``x`` as ``x F / (3.6 M_Al) = 993.3 x`` mAh/g(Al);
* sizes against time when size columns exist (names containing ``size``, ``radius`` or
  ``diameter``);
* with ``--sizes [beta|beta+Li|Li]``, the histogram of domain sizes (equivalent diameters of
  connected regions of that phase) in the last field snapshot.

Writes ``RUN_DIR/plots.png`` by default.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _runio as rio  # noqa: E402

BOOKKEEPING = ("steps", "rejected")
VOLTAGE = re.compile(r"^(voltage|potential|phi).*_V$")
SIZE = re.compile(r"(size|radius|diameter)")


def _label(name: str) -> str:
    """``beta_fraction`` -> ``beta fraction``, ``t_s`` -> ``t (s)``; other unit suffixes stay."""
    if name.startswith("t_") and "_" not in name[2:]:
        return "t" if name[2:] == "1" else f"t ({name[2:]})"  # "1": dimensionless (PFHub)
    return name.replace("_", " ")


def time_axis(run: rio.Run, obs: dict) -> tuple[str, np.ndarray, bool]:
    """(time column, times, log axis?)."""
    tcol = rio.time_column(obs)
    if tcol is None:
        raise rio.RunDirError(f"{run.path / 'observables.csv'} has no time column (t_<unit>)")
    t = obs[tcol]
    log = run.log_spaced if run.log_spaced is not None else rio.looks_log_spaced(t)
    return tcol, t, bool(log and np.count_nonzero(t > 0) >= 2)


def series_columns(obs: dict, tcol: str) -> list[str]:
    return [c for c in obs if c != tcol and not c.startswith("dt_") and c not in BOOKKEEPING
            and np.isfinite(obs[c]).any()]


def fraction_columns(obs: dict) -> list[str]:
    return [c for c in obs if c.endswith("_fraction")]


def voltage_capacity(obs: dict):
    """(capacity, voltage, capacity label, voltage label) or None."""
    v = next((c for c in obs if VOLTAGE.match(c)), None)
    if v is None:
        return None
    cap = next((c for c in obs if c.startswith("capacity")), None)
    if cap is not None:
        return obs[cap], obs[v], _label(cap), _label(v)
    if "x_mean_Li_per_Al" in obs:
        return obs["x_mean_Li_per_Al"] * rio.MAH_PER_G_AL_PER_X, obs[v], "capacity (mAh/g Al, from x)", _label(v)
    return None


def _time_plot(ax, t, y, log, tcol, **kw):
    keep = t > 0 if log else np.isfinite(t)
    ax.plot(t[keep], y[keep], marker="o", ms=3, **kw)
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(_label(tcol))


def draw_phase_fractions(ax, run, obs) -> bool:
    cols = fraction_columns(obs)
    if not cols:
        return False
    tcol, t, log = time_axis(run, obs)
    for c in cols:
        _time_plot(ax, t, obs[c], log, tcol, label=c.removesuffix("_fraction"))
    ax.set_ylabel("volume fraction")
    ax.set_title("phase fractions", fontsize=9)
    ax.legend(fontsize=7)
    return True


def draw_series(axes, run, obs, columns) -> None:
    tcol, t, log = time_axis(run, obs)
    for ax, c in zip(axes, columns):
        _time_plot(ax, t, obs[c], log, tcol)
        y = obs[c][np.isfinite(obs[c])]
        if y.size and y.min() > 0 and y.max() / y.min() > 1e3:
            ax.set_yscale("log")
        ax.set_title(_label(c), fontsize=9)
        ax.tick_params(labelsize=7)


def draw_voltage(ax, obs) -> bool:
    vc = voltage_capacity(obs)
    if vc is None:
        return False
    cap, v, cl, vl = vc
    ax.plot(cap, v, marker="o", ms=3)
    ax.set_xlabel(cl)
    ax.set_ylabel(vl)
    ax.set_title("voltage against capacity", fontsize=9)
    return True


def draw_sizes(ax, run, obs) -> bool:
    cols = [c for c in obs if SIZE.search(c) and np.isfinite(obs[c]).any()]
    if not cols:
        return False
    tcol, t, log = time_axis(run, obs)
    for c in cols:
        _time_plot(ax, t, obs[c], log, tcol, label=_label(c))
    ax.set_title("sizes", fontsize=9)
    ax.legend(fontsize=7)
    return True


def draw_domain_sizes(ax, run: rio.Run, phase: str = "beta", index: int = -1) -> bool:
    """Histogram of the equivalent diameters of the ``phase`` domains in snapshot ``index``
    (``view3d.domain_sizes``); needs fields.pvd and pyvista. False if there are no domains."""
    import view3d

    index, t, path = run.step(index)
    d = view3d.domain_sizes(rio.read_snapshot(path), run, phase)
    if d.size == 0:
        return False
    unit = " (um)" if run.problem.startswith("lial") else ""
    ax.hist(d, bins=np.linspace(0.0, 1.1 * d.max(), min(20, max(5, d.size)) + 1), color="#2b6cb0",
            edgecolor="black")
    ax.set_xlabel(f"equivalent diameter{unit}")
    ax.set_ylabel("domains")
    ax.set_title(f"{phase} domains at t = {rio.format_time(t, run.time_unit)}: {d.size}, "
                 f"median {np.median(d):.3g}", fontsize=9)
    return True


def make_figure(run: rio.Run, sizes: str | None = None):
    """The plots page of a run as a matplotlib Figure; ``sizes`` (a phase, e.g. "beta") adds
    the domain-size histogram of the last snapshot."""
    import matplotlib.pyplot as plt

    obs = run.observables()
    tcol, _, _ = time_axis(run, obs)
    fractions = fraction_columns(obs)
    size_cols = [c for c in obs if SIZE.search(c)]
    wanted = []
    if fractions:
        wanted.append(draw_phase_fractions)
    if voltage_capacity(obs) is not None:
        wanted.append(lambda ax, r, o: draw_voltage(ax, o))
    if size_cols:
        wanted.append(draw_sizes)
    if sizes:
        wanted.append(lambda ax, r, o: draw_domain_sizes(ax, r, sizes) or ax.set_title("no domains"))
    cols = [c for c in series_columns(obs, tcol) if c not in fractions and c not in size_cols]
    n = len(cols) + len(wanted)
    ncol = min(3, max(n, 1))
    nrow = max(1, math.ceil(n / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.0 * nrow), squeeze=False)
    flat = list(axes.ravel())
    for ax, draw in zip(flat, wanted):
        draw(ax, run, obs)
    draw_series(flat[len(wanted):], run, obs, cols)
    for ax in flat[n:]:
        ax.set_visible(False)
    fig.suptitle(f"{run.name}: observables", fontsize=11)
    fig.tight_layout()
    return fig


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--out", help="PNG path (default RUN_DIR/plots.png)")
    ap.add_argument("--show", action="store_true", help="open a window instead of writing a file")
    ap.add_argument("--sizes", nargs="?", const="beta", choices=("beta", "beta+Li", "Li"),
                    help="add the domain-size histogram of the last snapshot (needs pyvista)")
    args = ap.parse_args(argv)
    import matplotlib

    if not (args.show and rio.has_display()):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        run = rio.load_run(args.run_dir)
        fig = make_figure(run, args.sizes)
    except (rio.RunDirError, OSError) as err:
        print(f"plots: {err}", file=sys.stderr)
        return 2
    if args.show and rio.has_display():
        plt.show()
        return 0
    out = Path(args.out) if args.out else run.path / "plots.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
