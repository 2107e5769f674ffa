"""Speed of the semi-implicit step: compile time, time per step, cell updates per second,
achieved memory bandwidth, and the fraction of two rooflines measured in the same run.

Cases (``--models``): ``ch_const`` PFHub-1-like Cahn-Hilliard with a constant mobility
(double well, kappa = 2, M = 5, h = 1, dt = 0.05); ``ch_lial`` the Li-Al three-well energy
with the seed 000 Eq. 1 variable mobility (symmetrised step: two transform round trips per
step); ``ch_ac`` the latter plus two Allen-Cahn grains (Moelans grain energy, grain-boundary
mobility term). Every case on every grid (``--grids``, e.g. ``256x256,64x64x64``) and dtype
(``--dtypes``), periodic by default (``--bc``).

Per case:

- compile time: ``jax.jit(run).lower(state).compile()`` of the N-step ``lax.scan``
  (``run_fixed``), timed on its own; the first execution is timed apart as well;
- step time: the median over ``--repeats`` executions of the compiled scan, each ended with
  ``block_until_ready``, divided by N;
- cell updates per second: ``cells * N / time`` (one update = all fields of a cell advanced
  one step);
- bytes per cell per step, two models: (a) ``xla``: XLA's own cost analysis of one compiled
  step ("bytes accessed": every operand and result of every kernel of the optimised program,
  i.e. the arrays read and written per step), divided by the cells; (b) ``nominal``: 400
  bytes per cell per step in float32 for a 3D CH+AC spectral step (DESIGN section 7), doubled
  in float64, given for ``ch_ac`` rows only;
- achieved bandwidth ``bytes / step time`` and its fraction of the machine's copy bandwidth,
  measured in the same run (``jnp`` ``x + 1`` with the input donated, and ``numpy.copyto``, of a 256 MB array, read +
  write counted; the larger is the roofline);
- FFT bound: the time of one transform round trip ``T^-1[c T[a]]`` of one field on the same
  grid and dtype (the ``SemiImplicit._filter`` operation, FFT on periodic axes, DCT-II on
  no-flux ones) measured as a scan like the step; a step needs ``n_rt`` round trips (1 for
  ``ch_const``, 2 for ``ch_lial``, 2 + n_grains for ``ch_ac``), so the FFT-bound time is
  ``n_rt * t_rt`` and the row reports ``step time / FFT-bound time`` (1 = nothing but
  transforms).

``--device gpu`` (for a machine with a GPU; nothing here claims GPU numbers) defaults to 3D
256^3 and 512^3 CH+AC in float32, adds a ``jax.vmap``-ed batch of ``--batch`` (64) 2D 256^2
runs with per-run time and bandwidth, and searches the largest 3D CH+AC float32 grid that
fits by trying growing sizes until the allocation fails. The same parts run on the CPU with
``--batch`` / ``--max-grid`` at small sizes.

Outputs: ``benchmarks/results/perf_<device>.json`` and ``perf_summary.md`` (``--out``).

Usage:
    python benchmarks/perf_suite.py                                   # CPU suite
    python benchmarks/perf_suite.py --grids 64x64 --dtypes float32 --models ch_const
    python benchmarks/perf_suite.py --device gpu                      # later, on a GPU
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Optional

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import phasefield  # noqa: F401  (enables float64)
from phasefield.energies import DoubleWell, FreeEnergy, GrainEnergy
from phasefield.energies.lial import lial_energy
from phasefield.grid import Grid
from phasefield.integrators import SemiImplicit
from phasefield.mobility import ConstantMobility, lial_mobility
from phasefield.models import PhaseFieldModel
from phasefield.run import run_fixed
from phasefield.state import State

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hlo_census import summary as hlo_summary  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
NOMINAL_BYTES_F32 = 400.0  # DESIGN section 7: a 3D CH+AC spectral step, float32, per cell
N_GRAINS = 2


# ----------------------------------------------------------------------------- problems
def problem(model: str, grid: Grid, dtype, seed: int = 0):
    """``(stepper, state, dt)`` for one case; fields are O(1) perturbations so nothing
    overflows during the timed steps."""
    a = lambda v: jnp.asarray(v, dtype=dtype)  # noqa: E731
    rng = np.random.default_rng(seed)
    noise = rng.uniform(-1.0, 1.0, grid.shape)
    if model == "ch_const":
        energy = FreeEnergy(DoubleWell(a(5.0), a(0.3), a(0.7)), kappa=a(2.0))
        m = PhaseFieldModel(energy, ConstantMobility(a(5.0)))
        return SemiImplicit(m, grid), State.create(a(0.5 + 0.05 * noise), dt=0.05), a(0.05)
    if model not in ("ch_lial", "ch_ac"):
        raise ValueError(f"unknown model {model!r}; expected ch_const, ch_lial or ch_ac")
    chem = lial_energy(delta=4 * grid.spacing[0], dtype=dtype)
    X = a(0.3 + 0.05 * noise)  # inside the beta well region, where M varies strongly
    if model == "ch_lial":
        m = PhaseFieldModel(FreeEnergy(chem, chem.kappa), lial_mobility(dtype=dtype))
        return SemiImplicit(m, grid), State.create(X, dt=1e-9), a(1e-9)
    energy = FreeEnergy(chem, chem.kappa, grains=GrainEnergy(a(1.0e3), a(1.5)), kappa_eta=chem.kappa)
    m = PhaseFieldModel(energy, lial_mobility(D_gb=1e-8, dtype=dtype), L=a(1.0))
    x0 = grid.coordinates()[0]
    eta0 = 0.5 * (1.0 + np.tanh((x0 - 0.5 * grid.lengths[0]) / (4 * grid.spacing[0])))
    eta = np.stack([eta0, 1.0 - eta0])
    return SemiImplicit(m, grid), State.create(X, eta=a(eta), dt=1e-9), a(1e-9)


def round_trips(model: str) -> int:
    return {"ch_const": 1, "ch_lial": 2, "ch_ac": 2 + N_GRAINS}[model]


# ----------------------------------------------------------------------------- timing
def _block(tree):
    return jax.tree_util.tree_map(lambda x: x.block_until_ready(), tree)


def time_compiled(fn, args, repeats: int, keep: Optional[list] = None) -> tuple[float, float, list[float]]:
    """``(compile_s, first_call_s, [steady_s...])`` of ``jax.jit(fn)(*args)``; the last
    output is appended to ``keep`` when given."""
    t0 = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    _block(compiled(*args))
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = _block(compiled(*args))
        times.append(time.perf_counter() - t0)
    if keep is not None:
        keep.append(out)
    return compile_s, first, times


def copy_bandwidth(nbytes: int = 256 * 2**20, repeats: int = 5) -> dict:
    """Copy bandwidth (bytes read + written per second) of jnp ``x + 1`` and ``np.copyto``."""
    n = nbytes // 4
    x = jnp.ones((n,), jnp.float32)
    # the input buffer is donated, so the result reuses it: no page faults on fresh memory.
    # ``inner`` adds in one call, so a GPU's launch and host round trip (~0.1 ms, as long as
    # one pass over 256 MB there) is not counted as memory time.
    inner = 20 if jax.default_backend() != "cpu" else 1
    f = jax.jit(lambda v: lax.fori_loop(0, inner, lambda i, w: w + jnp.float32(1.0), v), donate_argnums=0)
    x = f(x).block_until_ready()
    tj = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        x = f(x).block_until_ready()
        tj.append((time.perf_counter() - t0) / inner)
    out = {"bytes": 2 * n * 4, "jax_add_GBps": 2 * n * 4 / min(tj) / 1e9}
    if jax.default_backend() == "cpu":
        src, dst = np.ones(n, np.float32), np.empty(n, np.float32)
        np.copyto(dst, src)
        tn = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            np.copyto(dst, src)
            tn.append(time.perf_counter() - t0)
        out["numpy_copy_GBps"] = 2 * n * 4 / min(tn) / 1e9
    out["roofline_GBps"] = max(v for k, v in out.items() if k.endswith("GBps"))
    return out


def round_trip_time(grid: Grid, dtype, n: int, repeats: int) -> float:
    """Seconds per ``T^-1[c T[a]]`` of one field (median of a scan of n, like the step)."""
    a = jnp.asarray(np.random.default_rng(1).uniform(size=grid.shape), dtype=dtype)
    c = 1.0 / (1.0 + grid.laplacian_eigenvalues(dtype=dtype))

    def run(a):
        def body(v, _):
            hat = grid.forward(v)
            return grid.inverse(hat * c.astype(hat.dtype)), None
        return jax.lax.scan(body, a, None, length=n)[0]

    _, _, times = time_compiled(run, (a,), repeats)
    return statistics.median(times) / n


def steps_for(cells: int, budget_cells: float) -> int:
    return int(max(2, min(50, budget_cells // cells)))


def bytes_per_step(stepper, state, dt) -> tuple[float, str]:
    """``(bytes accessed by one compiled step (XLA cost analysis), its optimised HLO text)``."""
    compiled = jax.jit(stepper.step).lower(state, dt).compile()
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, (list, tuple)) else cost
    return float(cost["bytes accessed"]), compiled.as_text()


def measure_case(model, shape, dtype_name, bc, repeats, budget_cells, bw) -> dict:
    dtype = jnp.dtype(dtype_name)
    grid = Grid.create(shape, 1.0 if model == "ch_const" else 0.01, bc)
    stepper, state, dt = problem(model, grid, dtype)
    cells = int(np.prod(shape))
    n = steps_for(cells, budget_cells)
    run = lambda s: run_fixed(stepper.step, s, n, dt)  # noqa: E731
    kept = []
    compile_s, first_s, times = time_compiled(run, (state,), max(repeats, 1), keep=kept)
    final = kept[0]
    if final.X.dtype != dtype or not bool(jnp.all(jnp.isfinite(final.X))):
        raise RuntimeError(f"{model} {shape} {dtype_name}: dtype {final.X.dtype} or non-finite result")
    step_s = statistics.median(times) / n
    xla_bytes, hlo = bytes_per_step(stepper, state, dt)
    t_rt = round_trip_time(grid, dtype, n, repeats)
    row = {
        "device": jax.devices()[0].device_kind, "platform": jax.default_backend(),
        "model": model, "grid": "x".join(map(str, shape)), "bc": bc, "dtype": dtype_name,
        "cells": cells, "steps": n, "repeats": repeats,
        "compile_s": compile_s, "first_call_s": first_s, "step_s": step_s,
        "step_s_all": [t / n for t in times],
        "cell_updates_per_s": cells / step_s,
        "bytes_per_cell_xla": xla_bytes / cells,
        "bandwidth_GBps_xla": xla_bytes / step_s / 1e9,
        "roofline_fraction_bw": xla_bytes / step_s / 1e9 / bw["roofline_GBps"],
        "fft_round_trip_s": t_rt, "round_trips_per_step": round_trips(model),
        "step_over_fft_bound": step_s / (round_trips(model) * t_rt),
        "hlo_step": hlo_summary(hlo),
    }
    if model == "ch_ac":
        nominal = NOMINAL_BYTES_F32 * dtype.itemsize / 4
        row["bytes_per_cell_nominal"] = nominal
        row["bandwidth_GBps_nominal"] = nominal * cells / step_s / 1e9
        row["roofline_fraction_nominal"] = row["bandwidth_GBps_nominal"] / bw["roofline_GBps"]
    return row


def measure_batch(batch: int, shape, dtype_name, repeats, budget_cells, bw) -> dict:
    """A ``jax.vmap``-ed batch of ``batch`` constant-mobility CH runs on one grid."""
    dtype = jnp.dtype(dtype_name)
    grid = Grid.create(shape, 1.0, "periodic")
    members = [problem("ch_const", grid, dtype, seed=k) for k in range(batch)]
    stepper, _, dt = members[0]
    states = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *[m[1] for m in members])
    cells = int(np.prod(shape))
    n = steps_for(cells * batch, budget_cells)
    run = jax.vmap(lambda s: run_fixed(stepper.step, s, n, dt))
    compile_s, _, times = time_compiled(run, (states,), repeats)
    step_s = statistics.median(times) / n
    xla_bytes, _ = bytes_per_step(stepper, members[0][1], dt)
    return {"model": "ch_const", "batch": batch, "grid": "x".join(map(str, shape)), "dtype": dtype_name,
            "steps": n, "compile_s": compile_s, "batch_step_s": step_s, "per_run_step_s": step_s / batch,
            "cell_updates_per_s": batch * cells / step_s,
            "bandwidth_GBps_xla": batch * xla_bytes / step_s / 1e9,
            "roofline_fraction_bw": batch * xla_bytes / step_s / 1e9 / bw["roofline_GBps"]}


def largest_grid(sizes, dtype_name, model="ch_ac") -> dict:
    """Try cubic grids of growing size until one fails (out of memory); report the last that ran."""
    dtype = jnp.dtype(dtype_name)
    ok, failed, peak = None, None, None
    for n in sizes:
        try:
            grid = Grid.create((n, n, n), 0.01, "periodic")
            stepper, state, dt = problem(model, grid, dtype)
            out = jax.jit(lambda s: run_fixed(stepper.step, s, 2, dt))(state)
            _block(out)
            ok = n
            stats = jax.devices()[0].memory_stats() or {}  # None on some backends (CPU)
            peak = stats.get("peak_bytes_in_use")
            del out, state
        except Exception as exc:  # an allocation failure surfaces as XlaRuntimeError / MemoryError
            failed = {"n": n, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"}
            break
    return {"model": model, "dtype": dtype_name, "largest_n": ok, "first_failure": failed,
            "peak_device_bytes": peak}


def hlo_table(shape=(64, 64)) -> list[dict]:
    """Kernel census (``hlo_census.summary``) of one compiled float64 step per model and
    boundary kind, on ``shape`` (the cases that ``tests/test_hlo.py`` bounds)."""
    rows = []
    for model in ("ch_const", "ch_lial", "ch_ac"):
        for bc in ("periodic", "noflux"):
            grid = Grid.create(shape, 1.0 if model == "ch_const" else 0.01, bc)
            stepper, state, dt = problem(model, grid, jnp.float64)
            text = jax.jit(stepper.step).lower(state, dt).compile().as_text()
            rows.append({"model": model, "bc": bc, "grid": "x".join(map(str, shape)), **hlo_summary(text)})
    return rows


# ----------------------------------------------------------------------------- report
def markdown(result: dict) -> str:
    env = result["environment"]
    bw = result["copy_bandwidth"]
    lines = [
        f"# Step performance ({env['platform']}: {env['device']})", "",
        f"Measured by `benchmarks/perf_suite.py` on {env['date']} with jax {env['jax']}, "
        f"{env['cpu_count']} CPU cores ({env['machine']}; 1-min load average {env['load_average_start']:.1f} at "
        f"the start, {env['load_average_end']:.1f} at the end: other processes shared the cores, so "
        f"times are upper bounds). Copy bandwidth measured in the same run: "
        + ", ".join(f"{k} {v:.2f}" for k, v in bw.items() if k.endswith("GBps")) + " GB/s.", "",
        "Step time: median of the repeats of a jitted `lax.scan` of N steps, per step. "
        "B/cell xla: bytes read + written per step by the compiled program (XLA cost analysis) "
        "per cell; BW: that over the step time; BW frac: BW / copy bandwidth. "
        "step/FFT: step time over (round trips per step x measured time of one FFT/DCT round "
        "trip of one field on the same grid).", "",
        "| device | model | grid | dtype | N | compile s | step ms | Mcell/s | B/cell xla | BW GB/s | "
        "BW frac | RT/step | RT ms | step/FFT |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["cases"]:
        lines.append(
            f"| {r['platform']} | {r['model']} | {r['grid']} | {r['dtype']} | {r['steps']} | {r['compile_s']:.2f} "
            f"| {1e3 * r['step_s']:.2f} | {r['cell_updates_per_s'] / 1e6:.2f} | {r['bytes_per_cell_xla']:.0f} "
            f"| {r['bandwidth_GBps_xla']:.2f} | {r['roofline_fraction_bw']:.2f} | {r['round_trips_per_step']} "
            f"| {1e3 * r['fft_round_trip_s']:.2f} | {r['step_over_fft_bound']:.2f} |")
    ac = [r for r in result["cases"] if "bytes_per_cell_nominal" in r]
    if ac:
        lines += ["", "With the nominal model of DESIGN section 7 (400 B/cell/step in float32, 800 in "
                  "float64) for the CH+AC rows:", "",
                  "| grid | dtype | nominal GB/s | fraction of copy bandwidth |", "|---|---|---|---|"]
        for r in ac:
            lines.append(f"| {r['grid']} | {r['dtype']} | {r['bandwidth_GBps_nominal']:.2f} | "
                         f"{r['roofline_fraction_nominal']:.2f} |")
    if result.get("hlo"):
        lines += ["", "Kernel census of one compiled step (optimised HLO, float64, CPU; "
                  "`benchmarks/hlo_census.py`, bounded by `tests/test_hlo.py`): instructions outside "
                  "fusions. `array copy` counts unfused copies of whole arrays (the scalar copy of dt is "
                  "left out); concat / DUS / transpose are unfused concatenates, dynamic-update-slices "
                  "and transposes.", "",
                  "| model | bc | grid | fusions | fft | array copy | concat | DUS | transpose |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for h in result["hlo"]:
            lines.append(f"| {h['model']} | {h['bc']} | {h['grid']} | {h['fusion']} | {h['fft']} | {h['array_copy']} "
                         f"| {h['concatenate']} | {h['dynamic-update-slice']} | {h['transpose']} |")
        big = [(r["model"], r["grid"], r["dtype"], r["hlo_step"]["concatenate"]) for r in result["cases"]
               if r["hlo_step"]["concatenate"]]
        if big:
            lines += ["", "Unfused concatenates in the timed cases (XLA CPU leaves the `jnp.roll` of the "
                      "minor axis unfused on large grids): "
                      + ", ".join(f"{m} {g} {d}: {n}" for m, g, d, n in big) + "."]
    if result.get("batch"):
        b = result["batch"]
        lines += ["", f"Vmapped batch: {b['batch']} x {b['grid']} {b['dtype']} ch_const: "
                  f"{1e3 * b['batch_step_s']:.2f} ms per batched step, {1e3 * b['per_run_step_s']:.3f} ms per run "
                  f"and step, {b['bandwidth_GBps_xla']:.2f} GB/s ({b['roofline_fraction_bw']:.2f} of copy)."]
    if result.get("largest_grid"):
        g = result["largest_grid"]
        lines += ["", f"Largest 3D {g['model']} {g['dtype']} grid that ran: {g['largest_n']}^3; "
                  f"first failure: {g['first_failure']}"
                  + (f"; peak device memory {g['peak_device_bytes'] / 2**30:.1f} GiB."
                     if g.get("peak_device_bytes") else ".")]
    return "\n".join(lines) + "\n"


def write_summary(path: Path, text: str) -> None:
    """Write the generated summary, keeping a hand-written ``## Notes`` section of an existing file."""
    notes = ""
    if path.exists():
        old = path.read_text()
        if "\n## Notes" in old:
            notes = "\n" + old[old.index("\n## Notes") + 1:]
    path.write_text(text + notes)


def parse_grids(text: str):
    return [tuple(int(v) for v in g.split("x")) for g in text.split(",") if g]


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    p.add_argument("--grids", default=None, help="comma-separated, e.g. 256x256,64x64x64")
    p.add_argument("--dtypes", default=None, help="comma-separated float32,float64")
    p.add_argument("--models", default=None, help="comma-separated ch_const,ch_lial,ch_ac")
    p.add_argument("--bc", default="periodic", choices=["periodic", "noflux"])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--budget-cells", type=float, default=None,
                   help="cells x steps per timed scan (sets N, between 2 and 50)")
    p.add_argument("--batch", type=int, default=None, help="vmapped batch size of 2D runs (0: none)")
    p.add_argument("--batch-grid", default="256x256")
    p.add_argument("--max-grid", default=None, help="comma-separated cube sizes to try for the largest grid")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--summary", default="perf_summary.md")
    p.add_argument("--copy-mb", type=int, default=256, help="array size for the copy bandwidth")
    p.add_argument("--hlo-grid", default="64x64", help="grid of the HLO census, or 'none'")
    p.add_argument("--report-only", action="store_true",
                   help="re-read perf_<device>.json, add the HLO census, rewrite the summary")
    args = p.parse_args(argv)

    if jax.default_backend() != args.device:
        raise SystemExit(f"--device {args.device} asked but JAX's default backend is {jax.default_backend()} "
                         f"({jax.devices()[0]}); install the matching jaxlib or choose --device "
                         f"{jax.default_backend()}")
    if args.report_only:
        path = args.out / f"perf_{args.device}.json"
        result = json.loads(path.read_text())
        result["hlo"] = hlo_table(parse_grids(args.hlo_grid)[0])
        path.write_text(json.dumps(result, indent=1))
        write_summary(args.out / args.summary, markdown(result))
        return result
    gpu = args.device == "gpu"
    grids = parse_grids(args.grids or ("256x256x256,512x512x512" if gpu else "256x256,512x512,64x64x64,128x128x128"))
    dtypes = (args.dtypes or ("float32" if gpu else "float64,float32")).split(",")
    models = (args.models or ("ch_ac" if gpu else "ch_const,ch_lial,ch_ac")).split(",")
    budget = args.budget_cells or (2e9 if gpu else 1.5e7)
    batch = args.batch if args.batch is not None else (64 if gpu else 0)
    max_grid = args.max_grid or ("256,384,512,640,768,896,1024,1152,1280" if gpu else "")

    env = {"platform": jax.default_backend(), "device": str(jax.devices()[0].device_kind),
           "jax": jax.__version__, "cpu_count": os.cpu_count(), "machine": platform.processor() or platform.machine(),
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "load_average_start": os.getloadavg()[0]}
    bw = copy_bandwidth(args.copy_mb * 2**20)
    print(f"copy bandwidth: {bw}", flush=True)
    result = {"environment": env, "copy_bandwidth": bw, "cases": []}
    for shape in grids:
        for dt in dtypes:
            for model in models:
                row = measure_case(model, shape, dt, args.bc, args.repeats, budget, bw)
                result["cases"].append(row)
                print(f"{row['model']:8s} {row['grid']:>12s} {dt}: compile {row['compile_s']:.2f} s, "
                      f"step {1e3 * row['step_s']:.2f} ms, {row['cell_updates_per_s'] / 1e6:.2f} Mcell/s, "
                      f"{row['bytes_per_cell_xla']:.0f} B/cell, {row['bandwidth_GBps_xla']:.2f} GB/s "
                      f"({row['roofline_fraction_bw']:.2f} of copy), step/FFT {row['step_over_fft_bound']:.2f}",
                      flush=True)
    if batch:
        result["batch"] = measure_batch(batch, parse_grids(args.batch_grid)[0], dtypes[0], args.repeats, budget, bw)
        print(f"batch: {result['batch']}", flush=True)
    if max_grid:
        result["largest_grid"] = largest_grid([int(v) for v in max_grid.split(",")], "float32")
        print(f"largest grid: {result['largest_grid']}", flush=True)
    if args.hlo_grid != "none":
        result["hlo"] = hlo_table(parse_grids(args.hlo_grid)[0])
    env["load_average_end"] = os.getloadavg()[0]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"perf_{args.device}.json").write_text(json.dumps(result, indent=1))
    write_summary(args.out / args.summary, markdown(result))
    return result


if __name__ == "__main__":
    main()
