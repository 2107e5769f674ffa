"""A batch run from a validated deck: output directory, observables, fields, checkpoints,
exact restart.

Layout of a run directory::

    run.json            resolved deck (internal units), overrides, versions, devices
    deck.toml           the deck as given
    run.log             one line per output: time, dt, steps, rejections, wall time
    observables.csv     one row per output time, units in the header
    fields.pvd          time collection of fields/*.vti (ParaView, PyVista)
    fields/             field snapshots (.vti; .npz if asked)
    checkpoints/        atomic checkpoints for --resume

Every file is written atomically (temporary file, then rename), so a killed run never leaves
a half-written output; ``--resume`` continues from the newest valid checkpoint and, because
each output interval is the same jitted computation from the same state, reaches the same
final state bit for bit as an uninterrupted run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from phasefield.deck import DeckError, RunConfig
from phasefield.io.checkpoint import load_latest_checkpoint, save_checkpoint
from phasefield.io.vtk import PvdCollection, write_vti
from phasefield.run import Progress, advance_to, owned_copy
from phasefield.setup import build


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _csv_text(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _versions() -> dict:
    import platform

    import jax

    import phasefield

    return {
        "phasefield": phasefield.__version__, "jax": jax.__version__, "numpy": np.__version__,
        "python": platform.python_version(), "devices": [str(d) for d in jax.devices()],
        "backend": jax.default_backend(), "x64": bool(jax.config.jax_enable_x64),
    }


def _run_steps(sim, config: RunConfig, state, resumed, rows, row_for, write_outputs, log, bar, out: Path):
    """The protocol path of ``run_deck``: each step of ``sim.steps`` (``phasefield.protocol``)
    runs under its own control through ``output.count`` equally spaced outputs of its
    duration, ends early at its cut-off, and the run ends at ``run.t_end``. Checkpoints hold
    the step, its start time and the next output within it, so ``--resume`` continues exactly."""
    from phasefield._pytree import replace

    unit, t_end = sim.time_unit, float(sim.output_times[-1])
    count, every = config["output"]["count"], config["output"]["checkpoint_every"]
    model = sim.stepper.integrator.model
    dtype = state.X.dtype
    k0, j0, t0 = 0, 0, float(state.t)
    if resumed is not None:
        k0, j0, t0 = int(resumed["step_index"]), int(resumed["next_output"]), float(resumed["step_t0"])
    index = len(rows)  # the next snapshot number (row 0 is the initial state)
    n_out = 0
    for k in range(k0, len(sim.steps)):
        step = sim.steps[k]
        if k > k0:
            t0, j0 = float(state.t), 0
        if t0 >= t_end * (1 - 1e-12):
            break
        duration = min(step.duration, t_end - t0)
        stepper = replace(sim.stepper, integrator=replace(sim.stepper.integrator, model=step.on(model, dtype)))
        if j0 == 0:  # the control jumps: restart the step size (phasefield.protocol)
            state = replace(state, dt=jnp.minimum(state.dt, sim.state.dt))
        cutoff = False
        for j in range(j0, count):
            t_out = t0 + duration * (j + 1) / count
            state, stats = advance_to(stepper, state, t_out, sim.max_steps_per_output, donate=True)
            rows.append(row_for(state, stats.rejected, step))
            write_outputs(state, index)
            index += 1
            n_out += 1
            cutoff = float(state.t) < t_out * (1 - 1e-9)
            log.write(f"{step.name}: t={float(state.t):.6g} {unit} dt={float(state.dt):.4g} steps={int(state.step)} "
                      f"rejected={int(stats.rejected)}" + (" (cut-off)" if cutoff else "") + "\n")
            log.flush()
            bar(state, stats)
            last = cutoff or j + 1 == count
            nxt = (k + 1, 0, float(state.t)) if last else (k, j + 1, t0)
            if every and (n_out % every == 0 or last):
                save_checkpoint(out / "checkpoints", state,
                                extra={"step_index": nxt[0], "next_output": nxt[1], "step_t0": nxt[2],
                                       "columns": list(rows[-1]), "rows": [list(r.values()) for r in rows]})
            if cutoff:
                break
    return state


def run_deck(config: RunConfig, out: Path, resume: bool = False, progress: bool = True,
             deck_text: str | None = None, overrides: list[str] | None = None):
    """Run ``config`` into ``out``; returns the final state."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DeckError("--out", f"{out} exists and is not a directory; give a directory path")
    sim = build(config)
    resolved = json.loads(json.dumps(config.sections, default=list))
    meta_path = out / "run.json"
    if resume and meta_path.exists():
        previous = json.loads(meta_path.read_text()).get("resolved")
        if previous != resolved:
            changed = sorted(f"{sec}.{key}" for sec in resolved for key in resolved[sec]
                             if (previous or {}).get(sec, {}).get(key) != resolved[sec][key])
            raise DeckError("--resume", f"the deck differs from the one that started {out} "
                            f"(changed: {', '.join(changed) or 'sections'}); use a new --out or drop --resume")
    out.mkdir(parents=True, exist_ok=True)
    (out / "fields").mkdir(exist_ok=True)
    formats = config["output"]["formats"]
    every = config["output"]["checkpoint_every"]
    unit = sim.time_unit

    state, start_index, rows, found = sim.state, 0, [], None
    if resume:
        found = load_latest_checkpoint(out / "checkpoints", like=sim.state)
        if found is not None:
            state, extra = found
            start_index = int(extra["next_output"])
            rows = [dict(zip(extra["columns"], values)) for values in extra["rows"]]
    if not rows:
        meta = {"deck": config.source, "overrides": overrides or [], "problem": config.problem,
                "resolved": resolved, "time_unit": unit, "versions": _versions(),
                "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
        _atomic_write_text(meta_path, json.dumps(meta, indent=2))
        if deck_text is not None:
            _atomic_write_text(out / "deck.toml", deck_text)
    pvd = PvdCollection(out / "fields.pvd")
    pvd.truncate_after(float(state.t))

    def row_for(s, rejected, step=None):
        head = {f"t_{unit}": float(s.t), f"dt_{unit}": float(s.dt), "steps": int(s.step), "rejected": int(rejected)}
        if sim.steps is None:
            return {**head, **sim.observe(s)}
        return {**head, "protocol_step": "start" if step is None else step.name, **sim.observe(s, step)}

    def write_outputs(s, index):
        _atomic_write_text(out / "observables.csv", _csv_text(rows))
        fields = sim.fields(s)
        if "vti" in formats:
            name = f"fields/step_{index:05d}.vti"
            write_vti(out / name, sim.grid, fields, time=float(s.t))
            pvd.add(float(s.t), out / name)
        if "npz" in formats:
            tmp = out / "fields" / f".step_{index:05d}.npz.tmp.npz"
            np.savez(tmp, t=float(s.t), **fields)
            os.replace(tmp, out / "fields" / f"step_{index:05d}.npz")

    log = open(out / "run.log", "a")
    bar = Progress(float(sim.output_times[-1]), unit=unit, enabled=progress)
    wall0 = time.perf_counter()
    if not rows:
        rows.append(row_for(state, 0))
        write_outputs(state, 0)
    state = owned_copy(state)  # each interval donates its input buffers to the next (run.py)
    if sim.steps is not None:
        state = _run_steps(sim, config, state, extra if resume and found is not None else None, rows, row_for,
                           write_outputs, log, bar, out)
        log.close()
        return state, rows
    for i in range(start_index, len(sim.output_times)):
        t_out = float(sim.output_times[i])
        state, stats = advance_to(sim.stepper, state, t_out, sim.max_steps_per_output, donate=True)
        rows.append(row_for(state, stats.rejected))
        write_outputs(state, i + 1)
        wall = time.perf_counter() - wall0
        log.write(f"t={float(state.t):.6g} {unit} dt={float(state.dt):.4g} steps={int(state.step)} "
                  f"rejected={int(stats.rejected)} wall={wall:.2f}s\n")
        log.flush()
        bar(state, stats)
        stopped = float(state.t) < t_out * (1 - 1e-9)  # the stepper's stop event (a cut-off)
        if every and ((i + 1) % every == 0 or i + 1 == len(sim.output_times) or stopped):
            extra = {"next_output": len(sim.output_times) if stopped else i + 1,
                     "columns": list(rows[0]), "rows": [list(r.values()) for r in rows]}
            save_checkpoint(out / "checkpoints", state, extra=extra)
        if stopped:
            log.write(f"stop event (cut-off) at t={float(state.t):.6g} {unit}\n")
            break
    log.close()
    return state, rows
