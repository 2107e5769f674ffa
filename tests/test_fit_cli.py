"""`phasefield fit` end to end (issue: fitting, item 2) and invalid [fit] input.

- The example deck ``inputs/fit/synthetic.toml`` (24 x 24 cells, t = 100, ~420 steps per run):
  synthetic data from a reference run at M = 5, kappa = 2, rho_s = 5 with Gaussian noise;
  L-BFGS from 20-40% away recovers all three within 2%, every Gauss-Newton sigma covers the
  truth within 3 sigma, the residual variance s^2 is of order 1 (the data sigma is the noise),
  the loss decreases monotonically between schedule re-fixes, and the run directory holds the
  trajectory CSV, the fitted curves, the JSON and markdown reports and the plot.
- Each malformed [fit] deck ends with exit code 2 and one line naming the key.
"""

import csv
import json
from pathlib import Path

import pytest

from phasefield.cli import EXIT_INPUT, EXIT_OK, main

DECK = Path(__file__).resolve().parents[1] / "inputs" / "fit" / "synthetic.toml"
REDUCED = []  # the deck is already CI-sized (24 x 24 cells, ~420 steps per run)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    out = tmp_path_factory.mktemp("fit") / "run"
    code = main(["fit", str(DECK), "--out", str(out), "--quiet", *REDUCED])
    return code, out


def test_fit_recovers_three_parameters_with_covering_uncertainties(fitted):
    code, out = fitted
    assert code == EXIT_OK
    report = json.loads((out / "report.json").read_text())
    assert report["stop_reason"] in ("gtol", "ftol")
    assert 0.3 < report["residual_variance_s2"] < 3.0, report["residual_variance_s2"]
    for p in report["parameters"]:
        assert abs(p["relative_error"]) < 0.02, p
        assert abs(p["error_in_sigmas"]) < 3.0, p
        assert 0 < p["sigma"] < 0.02 * p["truth"], p
    rows = list(csv.DictReader((out / "trajectory.csv").open()))
    assert int(rows[-1]["iteration"]) == report["iterations"] and float(rows[-1]["loss"]) == pytest.approx(report["loss_final"])
    assert float(rows[-1]["loss"]) < 1e-3 * float(rows[0]["loss"])
    assert {"mobility.M [model units]", "energy.kappa [model units]", "energy.chemical.W [model units]"} <= set(rows[0])
    fit_rows = list(csv.DictReader((out / "fit.csv").open()))
    assert len(fit_rows) == 40 and {r["observable"] for r in fit_rows} == {"free_energy", "c_variance"}
    md = (out / "report.md").read_text()
    assert "Gauss-Newton" in md and "mobility.M" in md
    assert (out / "fit.png").stat().st_size > 1000
    assert report["memory"]["peak_rss_MiB"] > 0 and report["memory"]["grad_temp_MiB"] > 0


def _bad(tmp_path, old, new, capsys, command="validate"):
    text = DECK.read_text()
    assert text.count(old) == 1, old
    deck = tmp_path / "bad.toml"
    deck.write_text(text.replace(old, new))
    code = main([command, str(deck), "--out", str(tmp_path / "o"), "--quiet"] if command == "fit" else [command, str(deck)])
    err = capsys.readouterr().err.strip()
    return code, err


BAD_FIT = {
    "unknown-key": ('optimizer = "lbfgs"', 'optimiser = "lbfgs"', "fit.optimiser", "did you mean 'optimizer'?"),
    "unknown-optimizer": ('optimizer = "lbfgs"', 'optimizer = "bfgs"', "fit.optimizer", "not one of lbfgs, adam"),
    "negative-gtol": ("gtol = 1e-4", "gtol = -1.0", "fit.gtol", "must be >= 0"),
    "bool-checkpoint": ("checkpoint = true", "checkpoint = 1", "fit.checkpoint", "true or false"),
    "unknown-parameter": ('name = "mobility.M"', 'name = "mobility.Q"', "fit.parameters[0].name", "no 'Q'"),
    "duplicate-parameter": ('name = "energy.kappa"', 'name = "mobility.M"', "fit.parameters[1].name", "fitted twice"),
    "unknown-transform": ('initial = 1.5\ntransform = "log"', 'initial = 1.5\ntransform = "logarithm"',
                          "fit.parameters[1].transform", "not one of identity, log, logit"),
    "log-of-negative": ("initial = 7.0", "initial = -7.0", "fit.parameters[0].initial", "positive initial value"),
    "logit-without-bounds": ('initial = 6.0\ntransform = "log"', 'initial = 6.0\ntransform = "logit"',
                             "fit.parameters[2].lower", "lower < upper"),
    "unit-on-model-leaf": ("initial = 7.0", 'initial = "7 um"', "fit.parameters[0].initial", "expected a plain number"),
    "unknown-observable": ('observable = "c_variance"', 'observable = "beta_fraction"', "fit.targets[1].observable",
                           "gradient is zero almost everywhere"),
    "misspelt-observable": ('observable = "c_variance"', 'observable = "c_varience"', "fit.targets[1].observable",
                            "unknown observable"),
    "target-without-times": ("count = 20                 # times", "weight = 1.0  #", "fit.targets[0].times",
                             "exactly one of times"),
    "zero-sigma": ("noise = 2e-4", "noise = 2e-4\nsigma = 0.0", "fit.targets[1].sigma", "must be > 0"),
    "missing-csv": ("count = 20\nnoise = 2e-4", 'csv = "no_such_file.csv"', "fit.targets[1].csv", "cannot read target data"),
    "missing-reference": ('[fit.reference]\n"mobility.M" = 5.0\n"energy.kappa" = 2.0\n"energy.chemical.W" = 5.0\n', "",
                          "fit.reference", "required"),
    "reference-out-of-range": ('"mobility.M" = 5.0', '"mobility.M" = -5.0', "fit.reference.mobility.M", "outside the range"),
    "no-fit-section": ("[fit]\n", "[fitt]\n", "fitt", "unknown section"),
}


@pytest.mark.parametrize("name", list(BAD_FIT))
def test_bad_fit_decks_give_one_line_errors(name, tmp_path, capsys):
    old, new, key, hint = BAD_FIT[name]
    code, err = _bad(tmp_path, old, new, capsys)
    assert "Traceback" not in err and code == EXIT_INPUT, (code, err)
    assert len(err.splitlines()) == 1 and key in err and hint in err, err
    assert err.startswith("phasefield: invalid input:")


def test_fit_command_reports_bad_input_before_running(tmp_path, capsys):
    code, err = _bad(tmp_path, 'name = "mobility.M"', 'name = "mobility.Q"', capsys, command="fit")
    assert code == EXIT_INPUT and "fit.parameters[0].name" in err and not (tmp_path / "o").exists()
    deck = Path(__file__).resolve().parents[1] / "inputs" / "pfhub1a.toml"
    assert main(["fit", str(deck), "--out", str(tmp_path / "p")]) == EXIT_INPUT
    assert "fit: missing [fit] section" in capsys.readouterr().err


def test_csv_targets_are_read_with_their_times_and_sigma(tmp_path, capsys):
    from phasefield.deck import load_deck
    from phasefield.fit.setup import build_fit

    (tmp_path / "data.csv").write_text("t_1,free_energy,other\n10,4.5,0\n50,2.4,0\n100,2.3,0\n")
    text = DECK.read_text()
    start = text.index("[[fit.targets]]")
    deck = tmp_path / "csv.toml"
    deck.write_text(text[:start] + '[[fit.targets]]\nobservable = "free_energy"\ncsv = "data.csv"\nsigma = 0.02\n')
    assert main(["validate", str(deck)]) == EXIT_OK
    setup = build_fit(load_deck(deck))
    (target,) = setup.problem.targets
    assert list(target.times) == [10.0, 50.0, 100.0] and list(target.values) == [4.5, 2.4, 2.3]
    assert target.scale == pytest.approx(1 / 0.02) and setup.truth is None
    (tmp_path / "data.csv").write_text("t_1,free_energy\n10,4.5\n5,2.4\n")
    code = main(["validate", str(deck)])
    err = capsys.readouterr().err
    assert code == EXIT_INPUT and "fit.targets[0].csv" in err and "strictly increasing" in err
