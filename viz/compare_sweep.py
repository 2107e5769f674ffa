"""Final observables of a sweep against the swept parameter (matplotlib).

    python viz/compare_sweep.py SWEEP_DIR [--out sweep.png]

``SWEEP_DIR/sweep.csv`` (written by ``phasefield sweep``) has the parameter in its first
column (``section.key``, values as given on the command line, e.g. ``1e4`` or ``"20 nm"``)
and the final row of every member's observables after it. A value with a unit is plotted
by its number, the unit goes into the axis label; the parameter axis is logarithmic when the
values are positive and span more than a factor 100; non-numeric values are plotted as
categories. Writes ``SWEEP_DIR/sweep.png`` by default.
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

NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*)$")
SKIP = ("steps", "rejected")


def parse_values(texts: list[str]) -> tuple[np.ndarray | None, str]:
    """Numbers (and a common unit) from TOML value texts; ``(None, "")`` if not numeric."""
    values, units = [], set()
    for text in texts:
        m = NUMBER.match(text.strip().strip("\"'"))
        if m is None:
            return None, ""
        values.append(float(m.group(1)))
        units.add(m.group(2).strip())
    if len(units) > 1:
        return None, ""
    return np.array(values), units.pop() if units else ""


def make_figure(sweep_dir: Path):
    import matplotlib.pyplot as plt

    path = Path(sweep_dir) / "sweep.csv"
    if not path.is_file():
        raise rio.RunDirError(f"{path} not found; pass the --out directory of 'phasefield sweep'")
    header, rows = rio.read_csv_text(path)
    if not rows:
        raise rio.RunDirError(f"{path} has no members")
    key = header[0]
    texts = [r[0] for r in rows]
    x, unit = parse_values(texts)
    columns = rio.read_csv_columns(path)
    cols = [c for c in header[1:] if not c.startswith(("t_", "dt_")) and c not in SKIP
            and np.isfinite(columns[c]).any()]
    ncol = min(3, max(len(cols), 1))
    nrow = max(1, math.ceil(len(cols) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.0 * nrow), squeeze=False)
    flat = list(axes.ravel())
    positions = x if x is not None else np.arange(len(texts), dtype=float)
    order = np.argsort(positions, kind="stable")
    log = x is not None and bool(np.all(x > 0)) and x.max() / x.min() > 100
    for ax, c in zip(flat, cols):
        ax.plot(positions[order], columns[c][order], marker="o")
        if log:
            ax.set_xscale("log")
        if x is None:
            ax.set_xticks(positions, texts, rotation=30, fontsize=7)
        ax.set_title(c.replace("_", " "), fontsize=9)
        ax.set_xlabel(key + (f" ({unit})" if unit else ""), fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in flat[len(cols):]:
        ax.set_visible(False)
    fig.suptitle(f"{Path(sweep_dir).resolve().name}: final values against {key}", fontsize=11)
    fig.tight_layout()
    return fig


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sweep_dir")
    ap.add_argument("--out", help="PNG path (default SWEEP_DIR/sweep.png)")
    args = ap.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        fig = make_figure(Path(args.sweep_dir))
    except (rio.RunDirError, OSError) as err:
        print(f"compare_sweep: {err}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else Path(args.sweep_dir) / "sweep.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
