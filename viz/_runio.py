"""Reading a run directory for the inspection scripts in ``viz/`` (never imported by the package).

A run directory (see ``phasefield/batch.py``) holds ``run.json`` (problem, resolved deck,
versions), ``deck.toml``, ``observables.csv`` (one row per output, units in the column names)
and ``fields.pvd`` listing ``fields/step_*.vti`` (cell data on a uniform grid).

Phase cuts. For Li-Al runs the phases are told apart at the midpoints of the two-phase gaps,
the same cuts as ``phasefield.observables.phase_fractions``:

    alpha | beta   at  X = (Xa + Xb) / 2 = (0.0476 + 0.4872) / 2 = 0.2674
    beta  | Li     at  X = (Xc + XLi) / 2 = (0.5 + 1.0) / 2     = 0.75

with Xa = 0.05/1.05, Xb = 0.95/1.95 (alpha/beta coexistence, seed 000), Xc = 0.5 (LiAl) and
XLi = 1 (``phasefield/energies/lial.py``). PFHub benchmark 1 runs (field ``c`` in [0.3, 0.7])
are cut at c = 0.5 and have no third phase.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

XA, XB, XC, XLI = 0.05 / 1.05, 0.95 / 1.95, 0.5, 1.0
LIAL_BETA_CUT = 0.5 * (XA + XB)
LIAL_LI_CUT = 0.5 * (XC + XLI)
PFHUB_CUT = 0.5

# Theoretical capacity per unit Li/Al ratio x: F / (3.6 C/mAh) / M_Al = 96485.33 / 3.6 / 26.9815
# = 993.3 mAh per g of Al (x = 1 is LiAl, the 993 mAh/g usually quoted for Al -> LiAl).
MAH_PER_G_AL_PER_X = 96485.33212 / 3.6 / 26.9815385


class RunDirError(ValueError):
    """A path that is not a run directory, or one that lacks what a script needs."""


@dataclass(frozen=True)
class Phases:
    """Which field to look at and where its phases are cut."""

    field: str                    # scalar cell array: "X" (Li-Al) or "c" (PFHub)
    beta_cut: float               # alpha/beta (or PFHub low/high) midpoint
    li_cut: float | None          # beta/Li-metal midpoint; None where there is no third phase
    vrange: tuple[float, float] | None  # fixed colour range, or None to take the data range
    labels: tuple[str, ...] = ("alpha", "beta", "Li metal")


@dataclass
class Run:
    """What a script needs from a run directory."""

    path: Path
    meta: dict = field(default_factory=dict)
    deck_text: str = ""

    @property
    def problem(self) -> str:
        return str(self.meta.get("problem") or self.meta.get("resolved", {}).get("run", {}).get("problem", ""))

    @property
    def name(self) -> str:
        return self.path.resolve().name

    @property
    def time_unit(self) -> str:
        return str(self.meta.get("time_unit", ""))

    @property
    def resolved(self) -> dict:
        return self.meta.get("resolved", {}) or {}

    @property
    def log_spaced(self) -> bool | None:
        spacing = self.resolved.get("output", {}).get("spacing")
        return None if spacing is None else spacing == "log"

    def phases(self, names=()) -> Phases:
        """Phase cuts for this run's problem; ``names`` are the cell arrays available."""
        if self.problem == "pfhub1" or ("c" in names and "X" not in names):
            return Phases("c", PFHUB_CUT, None, None, ("low c", "high c"))
        return Phases("X", LIAL_BETA_CUT, LIAL_LI_CUT, (0.0, 1.0))

    def steps(self) -> list[tuple[float, Path]]:
        """``(time, file)`` of every snapshot in ``fields.pvd``, in increasing time."""
        pvd = self.path / "fields.pvd"
        if not pvd.is_file():
            raise RunDirError(f"{pvd} not found: this run wrote no VTK fields "
                              f"(add \"vti\" to output.formats in the deck)")
        root = ET.parse(pvd).getroot()
        out = [(float(ds.get("timestep", "0")), self.path / ds.attrib["file"])
               for ds in root.iter("DataSet")]
        out.sort(key=lambda e: e[0])
        if not out:
            raise RunDirError(f"{pvd} lists no snapshots yet")
        return out

    def step(self, index: int = -1) -> tuple[int, float, Path]:
        """Snapshot ``index`` (Python indexing: -1 is the last) as ``(index, time, file)``."""
        steps = self.steps()
        if not -len(steps) <= index < len(steps):
            raise RunDirError(f"--step {index} is out of range: {self.path} has {len(steps)} snapshots "
                              f"(0..{len(steps) - 1}, or -1 for the last)")
        index %= len(steps)
        t, f = steps[index]
        return index, t, f

    def observables(self) -> dict[str, np.ndarray]:
        """Columns of ``observables.csv`` as float arrays, in file order."""
        return read_csv_columns(self.path / "observables.csv")


def load_run(path: str | os.PathLike) -> Run:
    path = Path(path)
    if not path.is_dir():
        raise RunDirError(f"{path} is not a directory; pass a run directory (the --out of 'phasefield run')")
    meta_path = path / "run.json"
    if not meta_path.is_file() and not (path / "observables.csv").is_file():
        raise RunDirError(f"{path} has neither run.json nor observables.csv; is it a run directory? "
                          f"(a sweep directory holds sweep.csv: use viz/compare_sweep.py)")
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    deck = path / "deck.toml"
    return Run(path, meta, deck.read_text(errors="replace") if deck.is_file() else "")


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def read_csv_columns(path: Path) -> dict[str, np.ndarray]:
    """A CSV with a header as ``{column: float array}`` (non-numbers become NaN)."""
    if not Path(path).is_file():
        raise RunDirError(f"{path} not found")
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise RunDirError(f"{path} is empty")
    header, body = rows[0], rows[1:]
    return {name: np.array([_number(r[k]) if k < len(r) else math.nan for r in body])
            for k, name in enumerate(header)}


def read_csv_text(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def time_column(columns) -> str | None:
    """The time column: ``t_<unit>`` as written by the batch runner."""
    return next((c for c in columns if c == "t" or c.startswith("t_")), None)


def looks_log_spaced(t: np.ndarray) -> bool:
    """Positive output times whose successive ratios are about constant and well above 1."""
    t = np.asarray(t, float)
    t = t[np.isfinite(t) & (t > 0)]
    if t.size < 3:
        return False
    r = t[1:] / t[:-1]
    return bool(np.all(r > 1.5) and r.max() / r.min() < 1.5)


# ---------------------------------------------------------------------------- rendering setup
def has_display() -> bool:
    """Whether an interactive window can be opened (X11/Wayland on Linux; assumed elsewhere)."""
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def prepare_headless() -> None:
    """Without a display, give matplotlib its Agg backend (before pyplot is imported).

    PyVista plotters are created with ``off_screen=True``; without a display VTK >= 9.4 then
    falls back to EGL or OSMesa by itself (after a warning about the missing X server). The
    window type is not forced: a forced EGL/OSMesa window that cannot start does not fall back.
    """
    if not has_display():
        os.environ.setdefault("MPLBACKEND", "Agg")


def read_snapshot(path: Path):
    """A ``.vti`` snapshot as a pyvista ImageData (cell data)."""
    import pyvista as pv

    return pv.read(str(path))


def grid_shape(mesh) -> tuple[int, ...]:
    """Cells per axis of an ImageData, dropping the degenerate axes of 1D/2D files."""
    return tuple(int(d) - 1 for d in mesh.dimensions if d > 1)


def cell_array(mesh, name: str) -> np.ndarray:
    """Cell array ``name`` as ``a[i, j, k]`` (scalar) or ``a[m, i, j, k]`` (m components).

    VTK numbers cells with x fastest, so the flat array is the Fortran-order ravel.
    """
    shape = grid_shape(mesh)
    a = np.asarray(mesh.cell_data[name])
    if a.ndim == 1:
        return a.reshape(shape, order="F")
    return np.stack([a[:, m].reshape(shape, order="F") for m in range(a.shape[1])])


def multi_component(mesh, prefix: str = "eta") -> str | None:
    """Name of a multi-component cell array starting with ``prefix`` (grain order parameters)."""
    for name in mesh.cell_data.keys():
        if name.startswith(prefix) and np.asarray(mesh.cell_data[name]).ndim == 2:
            return name
    return None


def scalar_field(mesh, run: Run) -> tuple[str, Phases]:
    names = list(mesh.cell_data.keys())
    phases = run.phases(names)
    if phases.field in names:
        return phases.field, phases
    scalars = [n for n in names if np.asarray(mesh.cell_data[n]).ndim == 1]
    if not scalars:
        raise RunDirError(f"no scalar cell field in the snapshot (found {names})")
    return scalars[0], phases


def window_size(text: str) -> tuple[int, int]:
    """``"900x700"`` -> ``(900, 700)`` (an argparse type)."""
    import argparse

    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if m is None or min(int(m.group(1)), int(m.group(2))) < 16:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT in pixels such as 900x700, got {text!r}")
    return int(m.group(1)), int(m.group(2))


def format_time(t: float, unit: str) -> str:
    if unit == "s":
        for scale, name in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us"), (1e-9, "ns")):
            if abs(t) >= scale or scale == 1e-9:
                return f"{t / scale:.4g} {name}"
    return f"{t:.4g}" + (f" {unit}" if unit and unit != "1" else "")
