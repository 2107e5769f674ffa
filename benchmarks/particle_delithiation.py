"""One particle's delithiation from one lithiated state, under several integrator settings and
nucleation overpotentials: how far the moment alpha closes the electrolyte contact (and so
the reversibility) depends on the step sequence and on the model's alpha nucleation.

The deck (``inputs/lial_particle_cycle_2d.toml`` by default) is lithiated once to its 0.01 V
cut-off at its own settings; that state is saved (``--lithiated``, reused when present) and
each variant below delithiates it to the 1.5 V cut-off:

- ``tol1e-3_out84`` / ``tol1e-3_out40``: the deck's ``error_tol = 1e-3`` with the half
  cycle's 7 minutes cut into 84 or 40 output intervals (other output times truncate other
  steps: a different step sequence);
- ``tol3e-4_out84`` / ``tol3e-4_out40``: the same at ``error_tol = 3e-4``;
- ``dVn<v>``: the nucleation overpotential of alpha in beta (and of beta in alpha),
  ``model.nucleation_overpotential``, at 5, 20 and 40 mV instead of the deck's 10 mV (84
  outputs, 1e-3).

Per variant: the time the contact closed (first output at which the nearest beta lies more
than 20 nm below the face, i.e. behind the first cell), the end time and potential, the
delithiated capacity and reversibility, steps and wall time.

    python benchmarks/particle_delithiation.py [--deck ...] [--only NAME,...] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import jax
import phasefield  # noqa: F401  (float64)
from phasefield._pytree import replace
from phasefield.deck import load_deck
from phasefield.io.checkpoint import load_checkpoint, save_checkpoint
from phasefield.protocol import run_protocol
from phasefield.setup import build

from particle_cycle import beta_depths, electrolyte_face

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = {
    "tol1e-3_out84": (84, []),
    "tol1e-3_out40": (40, []),
    "tol3e-4_out84": (84, ["integrator.error_tol=3e-4"]),
    "tol3e-4_out40": (40, ["integrator.error_tol=3e-4"]),
    "dVn5mV": (84, ['model.nucleation_overpotential="5 mV"']),
    "dVn20mV": (84, ['model.nucleation_overpotential="20 mV"']),
    "dVn40mV": (84, ['model.nucleation_overpotential="40 mV"']),
}
CLOSED_UM = 0.02  # the contact counts as closed once the nearest beta lies deeper than this


def lithiated_state(deck: str, path: Path):
    """The deck's state at its lithiation cut-off, computed once and kept in ``path``."""
    sim = build(load_deck(deck))
    if not path.exists():
        state, _ = run_protocol(sim.stepper, sim.state, sim.steps[:1], outputs_per_step=10,
                                max_steps_per_output=10_000_000)
        with tempfile.TemporaryDirectory() as tmp:
            shutil.move(save_checkpoint(tmp, state, extra={"t_s": float(state.t)}), path)
    return load_checkpoint(path, like=sim.state)[0]


def delithiate(deck: str, lithiated, outputs: int, overrides: list[str]) -> dict:
    cfg = load_deck(deck, overrides)
    sim = build(cfg)
    model = sim.stepper.integrator.model
    face = electrolyte_face(cfg)
    state = replace(sim.state, X=lithiated.X, eta=lithiated.eta, t=lithiated.t, dt=lithiated.dt,
                    step=lithiated.step)
    q0 = sim.observe(state, sim.steps[0])["capacity_mAh_per_cm2"]
    rows = []
    t0 = time.perf_counter()

    def callback(s, stats, index):
        r = sim.observe(s, sim.steps[1])
        near, _ = beta_depths(s.X, model.domain.psi, model.energy, sim.grid, face)
        rows.append({"t_s": float(s.t), "V": r["voltage_V"], "capacity_mAh_per_cm2": r["capacity_mAh_per_cm2"],
                     "beta_nearest_um": near, "accepted": int(stats.accepted), "rejected": int(stats.rejected)})

    _, records = run_protocol(sim.stepper, state, sim.steps[1:2], outputs_per_step=outputs, callback=callback,
                              max_steps_per_output=10_000_000, dt_restart=float(sim.state.dt))
    closed = next((r["t_s"] for r in rows if r["beta_nearest_um"] > CLOSED_UM), None)
    q1 = rows[-1]["capacity_mAh_per_cm2"]
    return {"outputs": outputs, "overrides": overrides, "t_start_s": float(lithiated.t),
            "contact_closed_by_s": closed, "t_end_s": rows[-1]["t_s"], "V_end": rows[-1]["V"],
            "reason": records[0].reason, "lithiated_mAh_per_cm2": q0, "delithiated_mAh_per_cm2": q0 - q1,
            "reversibility": (q0 - q1) / q0, "accepted": sum(r["accepted"] for r in rows),
            "rejected": sum(r["rejected"] for r in rows), "wall_s": time.perf_counter() - t0, "rows": rows}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deck", default=str(ROOT / "inputs/lial_particle_cycle_2d.toml"))
    ap.add_argument("--lithiated", default=None, help="the lithiated state (.npz), written if missing")
    ap.add_argument("--only", default=None, help="comma-separated variant names")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/particle_delithiation.json"))
    args = ap.parse_args(argv)
    lith_path = Path(args.lithiated or Path(args.out).with_suffix("").as_posix() + "_lithiated.npz")
    t0 = time.perf_counter()
    lithiated = lithiated_state(args.deck, lith_path)
    grid = build(load_deck(args.deck)).grid
    record = {"deck": os.path.relpath(args.deck, ROOT), "lithiated": os.path.relpath(lith_path, ROOT),
              "grid": {"shape": list(grid.shape), "spacing_um": list(grid.spacing)},
              "lithiation_wall_s": time.perf_counter() - t0,
              "machine": f"{platform.machine()} CPU x{os.cpu_count()}, jax {jax.__version__}, float64",
              "variants": {}}
    names = args.only.split(",") if args.only else list(VARIANTS)
    for name in names:
        outputs, overrides = VARIANTS[name]
        run = delithiate(args.deck, lithiated, outputs, overrides)
        record["variants"][name] = run
        Path(args.out).write_text(json.dumps(record, indent=1) + "\n")
        print(name, {k: v for k, v in run.items() if k != "rows"}, flush=True)


if __name__ == "__main__":
    main()
