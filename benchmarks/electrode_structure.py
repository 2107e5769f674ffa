"""Structure of as-built Li_xAl electrodes: beta fraction, beta percolation from the
electrolyte face to the collector, and the slab's effective Li diffusivity against x, for
Li-Al and for the same structure with B32 LiZn's Li diffusivity (seed 001).

Each electrode is the packing of the shipped 2D and 3D electrode decks with prelithiated
particles (``initial.mode = "prelithiated"``: alpha and beta at the lever rule in seeded
random domains, ``geometry.two_phase_X``), evaluated at t = 0 with the observables of the
electrode CSV (``phasefield.observables``). LiZn: the beta branch of the Li-Al mobility
scaled so that D*(x = 0.95) = ``materials.D_LIZN`` = 1e-14 cm^2/s (seed 001: 1e-15 to 1e-13);
alpha and everything else unchanged. No time stepping: these are the starting structures that
the paper's in-situ prelithiation aims at, not cycled electrodes.

    python benchmarks/electrode_structure.py [--seeds 3] [--out benchmarks/results]
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
from phasefield import observables as obs
from phasefield.deck import load_deck
from phasefield.materials import D_LIZN
from phasefield.mobility import with_beta_diffusivity
from phasefield.setup import build

ROOT = Path(__file__).resolve().parents[1]
DECKS = {"2D": ROOT / "inputs/lial_electrode_2d.toml", "3D": ROOT / "inputs/lial_electrode_3d.toml"}
X_RATIOS = (0.0, 0.25, 0.5, 0.75)


def one(dim: str, x: float, seed: int) -> dict:
    cfg = load_deck(DECKS[dim], [f"initial.x_ratio={x}", 'initial.mode="prelithiated"', f"run.seed={seed}"])
    sim = build(cfg)
    model, grid, state = sim.stepper.integrator.model, sim.grid, sim.state
    row = sim.observe(state)
    psi = np.asarray(model.domain.psi)
    zn = obs.effective_diffusivity(np.asarray(state.X), with_beta_diffusivity(model.mobility, D_LIZN), grid, psi)
    return {"dim": dim, "x": x, "seed": seed, "beta_fraction": row["beta_fraction"],
            "beta_percolates": row["beta_percolates"], "beta_percolating_share": row["beta_percolating_share"],
            "beta_domain_mean_diameter_um": row["beta_domain_mean_diameter_um"],
            "D_eff_LiAl_cm2_per_s": row["D_eff_cm2_per_s"], "D_eff_LiZn_cm2_per_s": float(zn.D_eff) / 1e8}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results"))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = []
    for dim in DECKS:
        for x in X_RATIOS:
            for seed in range(1, args.seeds + 1):
                rows.append(one(dim, x, seed))
                print({k: (round(v, 4) if isinstance(v, float) and abs(v) > 1e-3 else v) for k, v in rows[-1].items()},
                      flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result = {"device": str(jax.devices()[0]), "cpu_count": os.cpu_count(), "python": platform.python_version(),
              "jax": jax.__version__, "dtype": "float64", "decks": {k: str(v.relative_to(ROOT)) for k, v in DECKS.items()},
              "D_LiZn_cm2_per_s": D_LIZN, "rows": rows, "wall_s": time.perf_counter() - t0}
    (out / "electrode_structure.json").write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
