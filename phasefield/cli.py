"""Command line: ``phasefield run|validate|sweep|info``.

Exit codes: 0 success, 2 invalid input (deck, units, options, paths), 3 numerical failure
(step size collapsed, step budget exhausted), 1 anything else.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_OTHER, EXIT_INPUT, EXIT_NUMERICAL = 0, 1, 2, 3


def cmd_info(args) -> int:
    from phasefield.batch import _versions

    for key, value in _versions().items():
        print(f"{key:>10}: {value}")
    return EXIT_OK


def cmd_validate(args) -> int:
    from phasefield.deck import load_deck
    from phasefield.setup import build

    config = load_deck(args.deck, args.set)
    sim = build(config)  # geometry and field choices are checked too
    print(f"{args.deck}: valid ({config.problem}, grid {list(sim.grid.shape)}, "
          f"{len(sim.output_times)} outputs to t={sim.output_times[-1]:g} {sim.time_unit})")
    return EXIT_OK


def cmd_run(args) -> int:
    from phasefield.batch import run_deck
    from phasefield.deck import load_deck

    config = load_deck(args.deck, args.set)
    out = Path(args.out or Path("runs") / Path(args.deck).stem)
    final, rows = run_deck(config, out, resume=args.resume, progress=not args.quiet,
                           deck_text=Path(args.deck).read_text(), overrides=args.set)
    summary = ", ".join(f"{k}={v:.6g}" for k, v in rows[-1].items() if isinstance(v, float))
    print(f"done: {int(final.step)} steps; {summary}")
    print(f"outputs in {out}/ (observables.csv, fields.pvd, run.json, run.log)")
    return EXIT_OK


def cmd_sweep(args) -> int:
    from phasefield.sweep import run_sweep

    out = Path(args.out or Path("runs") / (Path(args.deck).stem + "_sweep"))
    mode, summary = run_sweep(args.deck, args.param, out, args.set, progress=not args.quiet)
    print(f"sweep of {len(summary)} members ({mode}); summary in {out}/sweep.csv")
    return EXIT_OK


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="phasefield", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    overrides = dict(action="append", default=[], metavar="SECTION.KEY=VALUE",
                     help="override a deck value, e.g. --set grid.shape=[32,32]")
    p_run = sub.add_parser("run", help="run a deck")
    p_run.add_argument("deck")
    p_run.add_argument("--out", help="output directory (default runs/<deck name>)")
    p_run.add_argument("--resume", action="store_true", help="continue from the newest valid checkpoint in --out")
    p_run.add_argument("--set", **overrides)
    p_run.add_argument("--quiet", action="store_true", help="no progress bar")
    p_val = sub.add_parser("validate", help="check a deck without running it")
    p_val.add_argument("deck")
    p_val.add_argument("--set", **overrides)
    p_sw = sub.add_parser("sweep", help="run a deck for several values of one key (vmapped when shapes allow)")
    p_sw.add_argument("deck")
    p_sw.add_argument("--param", required=True, metavar="SECTION.KEY=V1,V2,...")
    p_sw.add_argument("--out")
    p_sw.add_argument("--set", **overrides)
    p_sw.add_argument("--quiet", action="store_true")
    sub.add_parser("info", help="devices, precision and versions")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse prints its own one-line usage error
        return EXIT_INPUT if exc.code else EXIT_OK

    from phasefield.deck import DeckError
    from phasefield.run import SimulationError

    handler = {"run": cmd_run, "validate": cmd_validate, "sweep": cmd_sweep, "info": cmd_info}[args.command]
    try:
        return handler(args)
    except DeckError as err:
        print(f"phasefield: invalid input: {err}", file=sys.stderr)
        return EXIT_INPUT
    except (FileNotFoundError, FileExistsError, PermissionError, NotADirectoryError, IsADirectoryError) as err:
        print(f"phasefield: invalid input: {err}", file=sys.stderr)
        return EXIT_INPUT
    except SimulationError as err:
        print(f"phasefield: numerical failure: {err}", file=sys.stderr)
        return EXIT_NUMERICAL


if __name__ == "__main__":
    sys.exit(main())
