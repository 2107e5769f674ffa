"""A one-page summary of a run: ``report.png`` and ``report.html`` (which embeds the PNG and
adds the deck, the final observables and the versions as text).

    python viz/report.py RUN_DIR [--out-dir DIR]

The page holds: field images (2D runs: the first, middle and last snapshots with the phase
contours; 3D runs: the last snapshot rendered whole and clipped at x = L_x/2, and its
mid-plane section z = L_z/2), the plots of ``viz/plots.py`` that matter most (phase fractions,
free energy, the conserved amount, voltage against capacity when present, the beta domain
sizes of the last snapshot), the deck, the
final row of ``observables.csv`` and the versions that produced and rendered the run.
"""

from __future__ import annotations

import argparse
import html
import json
import platform
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _runio as rio  # noqa: E402
import plots  # noqa: E402
import view3d  # noqa: E402

DECK_LINES = 32


def _renderer_versions() -> dict:
    out = {"python (viz)": platform.python_version()}
    for mod in ("matplotlib", "pyvista", "vtk"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - a missing renderer is reported, not fatal
            out[mod] = "not installed"
    return out


def final_row(run: rio.Run) -> list[tuple[str, str]]:
    path = run.path / "observables.csv"
    if not path.is_file():
        return []
    header, rows = rio.read_csv_text(path)
    return list(zip(header, rows[-1])) if rows else []


def versions(run: rio.Run) -> dict:
    v = dict(run.meta.get("versions", {}))
    if isinstance(v.get("devices"), list):
        v["devices"] = ", ".join(v["devices"])
    v.update(_renderer_versions())
    return v


def _field_panels(fig, spec, run: rio.Run) -> None:
    """Top row: three field images."""
    steps = run.steps()
    last = rio.read_snapshot(steps[-1][1])
    axes = [fig.add_subplot(spec[k]) for k in range(3)]
    if len(rio.grid_shape(last)) == 3:
        t = steps[-1][0]
        title = view3d.snapshot_title(run, len(steps) - 1, t)
        for ax, clip in zip(axes[:2], (None, "x")):
            try:
                p = view3d.render_3d(last, run, title if clip is None else "clipped at x = Lx/2",
                                     clip=clip, window_size=(640, 520))
                ax.imshow(p.screenshot(return_img=True))
                p.close()
            except Exception as err:  # noqa: BLE001 - no OpenGL: the section below still shows the field
                ax.text(0.5, 0.5, f"3D render unavailable:\n{err}", ha="center", va="center", fontsize=7,
                        wrap=True)
            ax.set_axis_off()
        field, ph = rio.scalar_field(last, run)
        a = rio.cell_array(last, field)
        k = a.shape[2] // 2
        name = rio.multi_component(last)
        grains = np.argmax(rio.cell_array(last, name), axis=0)[:, :, k] if name else None
        psi = rio.cell_array(last, "psi")[:, :, k] if "psi" in last.cell_data.keys() else None
        view3d.draw_array(axes[2], a[:, :, k], last.spacing[:2], last.origin[:2], field, ph, run,
                          f"section z = {last.origin[2] + (k + 0.5) * last.spacing[2]:.4g}", grains=grains,
                          psi=psi)
    else:
        picks = sorted({0, len(steps) // 2, len(steps) - 1})
        while len(picks) < 3:
            picks.append(picks[-1])
        meshes = [rio.read_snapshot(steps[i][1]) for i in picks]
        field, ph = rio.scalar_field(last, run)
        values = [np.asarray(m.cell_data[field]) for m in meshes]
        clim = ph.vrange or (min(float(v.min()) for v in values), max(float(v.max()) for v in values))
        for ax, i, mesh in zip(axes, picks, meshes):
            view3d.draw_2d(ax, mesh, run, view3d.snapshot_title(run, i, steps[i][0]), clim=clim)


def _plot_panels(fig, spec, run: rio.Run) -> None:
    """Middle row: phase fractions, voltage against capacity, free energy, conserved amount
    (the first three that exist), and the beta domain sizes of the last snapshot."""
    obs = run.observables()
    tcol, _, _ = plots.time_axis(run, obs)
    draws = []
    if plots.fraction_columns(obs):
        draws.append(lambda ax: plots.draw_phase_fractions(ax, run, obs))
    if plots.voltage_capacity(obs) is not None:
        draws.append(lambda ax: plots.draw_voltage(ax, obs))
    series = [c for c in plots.series_columns(obs, tcol) if c not in plots.fraction_columns(obs)]
    series.sort(key=lambda c: (not c.startswith("free_energy"), not c.startswith(("total", "mean")), ))
    for c in series:
        draws.append(lambda ax, c=c: plots.draw_series([ax], run, obs, [c]))
    draws = draws[:3]
    if (run.path / "fields.pvd").is_file():
        draws.append(lambda ax: plots.draw_domain_sizes(ax, run, "beta") or ax.set_axis_off())
    for k, draw in enumerate(draws[:4]):
        draw(fig.add_subplot(spec[k]))


def _text_panels(fig, spec, run: rio.Run) -> None:
    """Bottom row: the deck, the final observables, versions."""
    # comment-only lines are left to the HTML page, which has the deck verbatim
    deck = [line for line in run.deck_text.rstrip().splitlines() if not line.lstrip().startswith("#")]
    deck = deck or ["(no deck.toml)"]
    if run.meta.get("overrides"):
        deck += ["", "# overrides:"] + [f"#   --set {o}" for o in run.meta["overrides"]]
    if len(deck) > DECK_LINES:
        deck = deck[:DECK_LINES - 1] + [f"... ({len(deck) - DECK_LINES + 1} more lines in deck.toml)"]
    ax = fig.add_subplot(spec[0])
    ax.set_axis_off()
    ax.set_title("deck", fontsize=10, loc="left")
    ax.text(0, 1, "\n".join(line[:80] for line in deck), va="top", family="monospace", fontsize=6.5,
            transform=ax.transAxes)
    ax = fig.add_subplot(spec[1])
    ax.set_axis_off()
    ax.set_title("final observables", fontsize=10, loc="left")
    rows = final_row(run)
    if rows:
        table = ax.table(cellText=[[k, _fmt(v)] for k, v in rows], colLabels=["column", "value"],
                         loc="upper left", cellLoc="left", colWidths=[0.68, 0.32])
        table.auto_set_font_size(False)
        table.set_fontsize(7)
    ax = fig.add_subplot(spec[2])
    ax.set_axis_off()
    ax.set_title("versions", fontsize=10, loc="left")
    text = "\n".join(f"{k}: {v}" for k, v in versions(run).items())
    ax.text(0, 1, text, va="top", family="monospace", fontsize=7, transform=ax.transAxes, wrap=True)


def _fmt(value: str) -> str:
    try:
        return f"{float(value):.6g}"
    except ValueError:
        return value


def make_report(run: rio.Run, out_dir: Path) -> tuple[Path, Path]:
    """Write ``report.png`` and ``report.html`` into ``out_dir``; returns both paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    fig = plt.figure(figsize=(15, 15), dpi=90)
    grid = fig.add_gridspec(3, 3, height_ratios=[1.35, 0.75, 1.0], hspace=0.22, wspace=0.22,
                            left=0.05, right=0.98, top=0.95, bottom=0.02)
    problem = run.problem or "unknown problem"
    fig.suptitle(f"{run.name}  ({problem}; deck {run.meta.get('deck', '?')}; started {run.meta.get('started', '?')})",
                 fontsize=13)
    has_fields = (run.path / "fields.pvd").is_file()
    if has_fields:
        _field_panels(fig, [grid[0, k] for k in range(3)], run)
    else:
        ax = fig.add_subplot(grid[0, :])
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no fields.pvd: this run wrote no field snapshots", ha="center")
    middle = grid[1, :].subgridspec(1, 4, wspace=0.3)
    _plot_panels(fig, [middle[0, k] for k in range(4)], run)
    _text_panels(fig, [grid[2, k] for k in range(3)], run)
    png = out_dir / "report.png"
    fig.savefig(png)
    plt.close(fig)
    page = out_dir / "report.html"
    page.write_text(html_page(run, png.name))
    return png, page


def html_page(run: rio.Run, png_name: str) -> str:
    esc = html.escape
    rows = "".join(f"<tr><td>{esc(k)}</td><td>{esc(_fmt(v))}</td></tr>" for k, v in final_row(run))
    vers = "".join(f"<tr><td>{esc(str(k))}</td><td>{esc(str(v))}</td></tr>" for k, v in versions(run).items())
    overrides = run.meta.get("overrides") or []
    over = (f"<p>Overrides: <code>{esc(' '.join('--set ' + o for o in overrides))}</code></p>" if overrides else "")
    resolved = json.dumps(run.resolved, indent=1)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(run.name)}: run report</title>
<style>body{{font-family:sans-serif;max-width:1400px;margin:1em auto}}
td{{padding:0 1em 0 0;font-family:monospace}} pre{{background:#f4f4f4;padding:.5em;overflow-x:auto}}</style>
</head><body>
<h1>{esc(run.name)}</h1>
<p>Problem <code>{esc(run.problem)}</code>, deck <code>{esc(str(run.meta.get('deck', '?')))}</code>,
started {esc(str(run.meta.get('started', '?')))}.</p>{over}
<img src="{esc(png_name)}" alt="report of {esc(run.name)}" style="max-width:100%">
<h2>Final observables</h2><table>{rows}</table>
<h2>Deck</h2><pre>{esc(run.deck_text)}</pre>
<details><summary>Resolved deck (internal units)</summary><pre>{esc(resolved)}</pre></details>
<h2>Versions</h2><table>{vers}</table>
</body></html>
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--out-dir", help="where report.png/report.html go (default RUN_DIR)")
    args = ap.parse_args(argv)
    rio.prepare_headless()
    try:
        run = rio.load_run(args.run_dir)
        png, page = make_report(run, Path(args.out_dir) if args.out_dir else run.path)
    except (rio.RunDirError, OSError) as err:
        print(f"report: {err}", file=sys.stderr)
        return 2
    print(png)
    print(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
