"""Command line: ``phasefield run DECK``, ``phasefield validate DECK``, ``phasefield info``.

Exit codes: 0 success, 2 invalid input (deck, units, paths), 3 numerical failure, 1 other.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_OTHER, EXIT_INPUT, EXIT_NUMERICAL = 0, 1, 2, 3


def _versions() -> dict:
    import jax
    import numpy as np

    import phasefield

    return {
        "phasefield": phasefield.__version__, "jax": jax.__version__, "numpy": np.__version__,
        "python": platform.python_version(), "devices": [str(d) for d in jax.devices()],
        "x64": bool(jax.config.jax_enable_x64),
    }


def cmd_info(args) -> int:
    for key, value in _versions().items():
        print(f"{key:>10}: {value}")
    return EXIT_OK


def cmd_validate(args) -> int:
    from phasefield.deck import load_deck

    config = load_deck(args.deck, args.set)
    print(f"{args.deck}: valid ({config.problem})")
    return EXIT_OK


def cmd_run(args) -> int:
    import numpy as np

    from phasefield.deck import load_deck
    from phasefield.run import Progress, integrate
    from phasefield.setup import build

    config = load_deck(args.deck, args.set)
    out = Path(args.out or Path("runs") / Path(args.deck).stem)
    out.mkdir(parents=True, exist_ok=True)
    sim = build(config)
    meta = {"deck": str(args.deck), "overrides": args.set, "problem": config.problem,
            "resolved": config.sections, "versions": _versions(), "time_unit": sim.time_unit}
    (out / "run.json").write_text(json.dumps(meta, indent=2, default=str))
    rows = []
    t_end = float(sim.output_times[-1])
    progress = Progress(t_end, unit=sim.time_unit, enabled=not args.quiet)
    start = time.perf_counter()

    def record(state, stats):
        row = {f"t_{sim.time_unit}": float(state.t), f"dt_{sim.time_unit}": float(state.dt),
               "steps": int(state.step), "rejected": int(stats.rejected), **sim.observe(state)}
        rows.append(row)
        progress(state, stats)

    record(sim.state, _zero_stats())
    final = integrate(sim.stepper, sim.state, sim.output_times, callback=record)
    tmp = out / "observables.csv.tmp"
    with tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(out / "observables.csv")
    np.savez(out / "fields_final.npz", X=np.asarray(final.X), t=float(final.t),
             spacing=np.asarray(sim.grid.spacing), shape=np.asarray(sim.grid.shape))
    wall = time.perf_counter() - start
    last = rows[-1]
    summary = ", ".join(f"{k}={v:.6g}" for k, v in last.items() if isinstance(v, float))
    print(f"done in {wall:.1f} s, {int(final.step)} steps: {summary}")
    print(f"outputs in {out}/ (run.json, observables.csv, fields_final.npz)")
    return EXIT_OK


def _zero_stats():
    from types import SimpleNamespace

    return SimpleNamespace(rejected=0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="phasefield", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="run a deck")
    p_run.add_argument("deck")
    p_run.add_argument("--out", help="output directory (default runs/<deck name>)")
    p_run.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                       help="override a deck value, e.g. --set grid.shape=[32,32]")
    p_run.add_argument("--quiet", action="store_true", help="no progress bar")
    p_val = sub.add_parser("validate", help="check a deck without running it")
    p_val.add_argument("deck")
    p_val.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    sub.add_parser("info", help="devices, precision and versions")
    args = parser.parse_args(argv)

    from phasefield.deck import DeckError
    from phasefield.run import SimulationError

    handler = {"run": cmd_run, "validate": cmd_validate, "info": cmd_info}[args.command]
    try:
        return handler(args)
    except DeckError as err:
        print(f"phasefield: invalid input: {err}", file=sys.stderr)
        return EXIT_INPUT
    except SimulationError as err:
        print(f"phasefield: numerical failure: {err}", file=sys.stderr)
        return EXIT_NUMERICAL


if __name__ == "__main__":
    sys.exit(main())
