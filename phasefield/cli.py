"""Command line: ``phasefield run|validate|sweep|fit|info``.

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
    if "fit" in config.sections:
        from phasefield.fit.setup import build_fit

        build_fit(config, make_data=False)  # parameter names, units, observables, data files
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


def cmd_fit(args) -> int:
    import resource

    import numpy as np

    from phasefield.deck import DeckError, load_deck
    from phasefield.fit.optimize import optimize
    from phasefield.fit.report import write_all
    from phasefield.fit.setup import build_fit
    from phasefield.fit.uncertainty import gauss_newton

    config = load_deck(args.deck, args.set)
    out = Path(args.out or Path("runs") / (Path(args.deck).stem + "_fit"))
    if out.exists() and not out.is_dir():
        raise DeckError("--out", f"{out} exists and is not a directory; give a directory path")
    setup = build_fit(config)
    problem = setup.problem
    names = ", ".join(p.name for p in problem.params)

    def progress(it):
        if not args.quiet:
            values = " ".join(f"{v:.5g}" for v in it.p)
            print(f"iter {it.iteration:3d}  loss {it.loss:.6e}  |g|max {it.grad_max:.2e}  [{values}]  "
                  f"{it.n_steps} steps  {it.wall_s:.1f} s", file=sys.stderr, flush=True)

    if not args.quiet:
        print(f"fitting {names} to {problem.data.size} data ({setup.options.optimizer})", file=sys.stderr)
    result = optimize(problem, setup.options, progress)
    J, r = problem.jacobian(result.u, result.schedule)
    unc = gauss_newton(problem.params, result.u, J, r)
    exe, _ = problem.compiled("value_and_grad", result.u, result.schedule)
    mem = exe.memory_analysis()
    memory = {"peak_rss_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
              "grad_temp_MiB": (getattr(mem, "temp_size_in_bytes", 0) or 0) / 2**20}
    report = write_all(out, setup, result, unc, problem.prediction_from_residuals(r), memory)
    for row in report["parameters"]:
        print(f"{row['name']} = {row['final']:.6g} +- {row['sigma']:.2g} {row['unit']}"
              + (f"  (truth {row['truth']:.6g})" if "truth" in row else ""))
    print(f"stopped by {result.stop_reason} after {report['iterations']} iterations; loss "
          f"{report['loss_final']:.6g}; peak RSS {memory['peak_rss_MiB']:.0f} MiB")
    print(f"outputs in {out}/ (trajectory.csv, fit.csv, report.json, report.md{', fit.png' if setup.plot else ''})")
    return EXIT_OK if np.isfinite(report["loss_final"]) else EXIT_NUMERICAL


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
    p_fit = sub.add_parser("fit", help="fit deck parameters to data ([fit] section)")
    p_fit.add_argument("deck")
    p_fit.add_argument("--out", help="output directory (default runs/<deck name>_fit)")
    p_fit.add_argument("--set", **overrides)
    p_fit.add_argument("--quiet", action="store_true", help="no progress lines")
    sub.add_parser("info", help="devices, precision and versions")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse prints its own one-line usage error
        return EXIT_INPUT if exc.code else EXIT_OK

    from phasefield.deck import DeckError
    from phasefield.run import SimulationError

    handler = {"run": cmd_run, "validate": cmd_validate, "sweep": cmd_sweep, "fit": cmd_fit,
               "info": cmd_info}[args.command]
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
