"""GITT on pure Al (seed 000 Fig. 1d-e) in the planar film deck ``inputs/lial_gitt_1d.toml``:
0.1 mA/cm^2 pulses of 30 min with 2 h rests, lithiation to 0.01 V, then delithiation to 1.5 V.

Runs the deck with ``phasefield run`` and writes, under ``--out``:
- ``gitt_film.csv``: the voltage history (t, step, voltage, capacity);
- ``gitt_film.json``: per pulse the voltage at its end, the relaxed voltage at the end of the
  following rest, the polarisation (their difference), the capacity passed, wall time;
- ``gitt_film.png``: voltage against time and against capacity.

    python benchmarks/gitt_film.py [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deck", default=str(ROOT / "inputs/lial_gitt_1d.toml"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "phasefield.cli", "run", args.deck, "--out", tmp, "--quiet"], check=True)
        wall = time.perf_counter() - t0
        with open(Path(tmp) / "observables.csv") as fh:
            rows = list(csv.DictReader(fh))
    hist = [{"t_h": float(r["t_s"]) / 3600, "step": r["protocol_step"], "voltage_V": float(r["voltage_V"]),
             "capacity_mAh_cm2": float(r["capacity_mAh_per_cm2"]), "steps": int(r["steps"])} for r in rows]
    with open(out / "gitt_film.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(hist[0]))
        w.writeheader()
        w.writerows(hist)
    pulses = []
    for i, r in enumerate(hist):
        last_of_step = i + 1 == len(hist) or hist[i + 1]["step"] != r["step"]
        if last_of_step and "pulse" in r["step"]:
            rest = [h for h in hist[i + 1:] if h["step"] == r["step"].replace("pulse", "relaxation")]
            relaxed = rest[-1]["voltage_V"] if rest else float("nan")
            pulses.append({"pulse": r["step"], "t_end_h": r["t_h"], "capacity_mAh_cm2": r["capacity_mAh_cm2"],
                           "V_end_of_pulse": r["voltage_V"], "V_relaxed": relaxed,
                           "polarisation_V": relaxed - r["voltage_V"]})
    meta = {"deck": os.path.relpath(args.deck, ROOT), "wall_s": wall, "steps": hist[-1]["steps"], "pulses": pulses,
            "device": f"{platform.processor() or platform.machine()} CPU, {os.cpu_count()} cores", "dtype": "float64"}
    (out / "gitt_film.json").write_text(json.dumps(meta, indent=1))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
    t = [h["t_h"] for h in hist]
    V = [h["voltage_V"] for h in hist]
    q = [h["capacity_mAh_cm2"] for h in hist]
    ax[0].plot(t, V, ".-", ms=2)
    ax[0].set(xlabel="time (h)", ylabel="V vs Li/Li+ (V)", title="GITT, 1 um Al film, 0.1 mA/cm^2")
    ax[1].plot(q, V, ".-", ms=2)
    ax[1].set(xlabel="capacity (mAh/cm^2)", ylabel="V vs Li/Li+ (V)")
    for a in ax:
        a.set_ylim(-0.05, 1.6)
    fig.tight_layout()
    fig.savefig(out / "gitt_film.png", dpi=120)
    for p in pulses:
        print(f"{p['pulse']:>16}: end {p['V_end_of_pulse']:.4f} V, relaxed {p['V_relaxed']:.4f} V, "
              f"polarisation {1e3 * p['polarisation_V']:.1f} mV, capacity {p['capacity_mAh_cm2']:.4f} mAh/cm^2")


if __name__ == "__main__":
    main()
