"""One pure-Al particle lithiated to 0.01 V and delithiated to 1.5 V at 1 mA/cm^2 with the
physical diffusivities, and again with D_alpha raised: the alpha-shell trapping experiment of
DESIGN 2.5 (seed 000) on the two-phase particle decks, 2D and 3D.

The deck's own protocol runs (``inputs/lial_particle_cycle_2d.toml`` by default;
``inputs/lial_particle_3d.toml`` is the sphere) once per ``--alpha-scale`` (a factor on
D_alpha, ``mobility.alpha_diffusivity_scale``). Per output: protocol step, time, electrode
potential, capacity, Li per Al, beta fraction of the solid, where the beta lies (depth below
the electrolyte face of the nearest and of the deepest beta cell of the particle, um), the
trapped-Li fraction, the alpha-shell thickness (``phasefield.observables``), accepted and
rejected steps. Per run: lithiated and delithiated capacity, reversibility, trapped-Li fraction
and shell thickness at the end, how each half cycle ended, steps and wall time.

    python benchmarks/particle_cycle.py [--deck inputs/lial_particle_cycle_2d.toml]
        [--alpha-scale 1,1e4,1e8] [--outputs 20] [--set KEY=VALUE ...] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import jax
import numpy as np

import phasefield  # noqa: F401  (float64)
from phasefield.deck import load_deck
from phasefield.observables.connectivity import SOLID_PSI
from phasefield.protocol import run_protocol
from phasefield.setup import build

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ("voltage_V", "capacity_mAh_per_cm2", "x_mean_Li_per_Al", "beta_fraction", "trapped_Li_fraction",
           "shell_thickness_um")


def beta_depths(X, psi, energy, grid, face: float) -> tuple[float, float]:
    """Depth below the electrolyte face (um, along axis 0 from ``x = face``) of the nearest and
    the deepest cell centre of beta in the solid (psi >= 1/2; beta: X above the mean of the
    energy's alpha and beta compositions ``Xa``, ``Xb``, as ``phase_index`` cuts); NaN without
    beta."""
    beta = (np.asarray(X) >= 0.5 * float(energy.Xa + energy.Xb)) & (np.asarray(psi) >= SOLID_PSI)
    if not beta.any():
        return float("nan"), float("nan")
    depth = grid.coordinates()[0][beta] - face
    return float(depth.min()), float(depth.max())


def electrolyte_face(cfg) -> float:
    """Position (um, along axis 0) of a particle deck's electrolyte face: its gap, by default
    twice the interface width."""
    gap = cfg["geometry"]["electrolyte_gap"]
    return gap if gap is not None else 2 * cfg["energy"]["delta"]


def cycle(deck: str, alpha_scale: float, outputs: int, extra: list[str]) -> dict:
    """Run the deck's protocol at ``alpha_scale`` x D_alpha; the record described above."""
    overrides = [f"mobility.alpha_diffusivity_scale={alpha_scale}", *extra]
    t0 = time.perf_counter()
    cfg = load_deck(deck, overrides)
    sim = build(cfg)
    model = sim.stepper.integrator.model
    energy, domain = model.energy, model.domain
    face = electrolyte_face(cfg)
    rows = []

    def callback(state, stats, index):
        step = sim.steps[index]
        r = sim.observe(state, step)
        near, deep = beta_depths(state.X, domain.psi, energy, sim.grid, face)
        row = {"step": step.name, "t_s": float(state.t), **{k: r[k] for k in COLUMNS},
               "beta_nearest_um": near, "beta_deepest_um": deep,
               "accepted": int(stats.accepted), "rejected": int(stats.rejected), "wall_s": time.perf_counter() - t0}
        rows.append(row)
        print(row, flush=True)

    start = sim.observe(sim.state)
    _, records = run_protocol(sim.stepper, sim.state, sim.steps, outputs_per_step=outputs, callback=callback,
                              max_steps_per_output=10_000_000)
    lith = [r for r in rows if r["step"] == sim.steps[0].name]
    q_lith = lith[-1]["capacity_mAh_per_cm2"]
    q_delith = q_lith - rows[-1]["capacity_mAh_per_cm2"]
    return {
        "alpha_diffusivity_scale": alpha_scale, "overrides": overrides, "start_V": start["voltage_V"],
        "halves": [{"name": r.name, "t_start_s": r.t_start, "t_end_s": r.t_end, "reason": r.reason,
                    "accepted": r.accepted, "rejected": r.rejected} for r in records],
        "lithiated_mAh_per_cm2": q_lith, "delithiated_mAh_per_cm2": q_delith,
        "reversibility": q_delith / q_lith, "lithiated_Li_per_Al": lith[-1]["x_mean_Li_per_Al"],
        "beta_fraction_lithiated": lith[-1]["beta_fraction"],
        "end": {k: rows[-1][k] for k in (*COLUMNS, "beta_nearest_um", "beta_deepest_um")},
        "wall_s": time.perf_counter() - t0, "rows": rows,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deck", default=str(ROOT / "inputs/lial_particle_cycle_2d.toml"))
    ap.add_argument("--alpha-scale", default="1", help="comma-separated factors on D_alpha")
    ap.add_argument("--outputs", type=int, default=20, help="outputs per protocol step")
    ap.add_argument("--set", action="append", default=[], help="deck override KEY=VALUE (repeatable)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/particle_cycle.json"))
    args = ap.parse_args(argv)
    grid = build(load_deck(args.deck, args.set)).grid
    record = {"deck": os.path.relpath(args.deck, ROOT), "overrides": args.set,
              "grid": {"shape": list(grid.shape), "spacing_um": list(grid.spacing)},
              "machine": f"{platform.machine()} CPU x{os.cpu_count()}, jax {jax.__version__}, float64", "runs": []}
    for scale in (float(s) for s in args.alpha_scale.split(",")):
        run = cycle(args.deck, scale, args.outputs, args.set)
        record["runs"].append(run)
        Path(args.out).write_text(json.dumps(record, indent=1) + "\n")
        print({k: v for k, v in run.items() if k != "rows"}, flush=True)


if __name__ == "__main__":
    main()
