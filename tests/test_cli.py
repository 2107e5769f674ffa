"""Decks and the command line: every deck in inputs/ validates and runs at a reduced size;
bad input gives a one-line error and exit code 2."""

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from phasefield.cli import EXIT_INPUT, EXIT_OK, main
from phasefield.deck import DeckError, load_deck

INPUTS = sorted(Path(__file__).resolve().parents[1].glob("inputs/*.toml"))
REDUCED = {
    "lial_reaction_2d": ["grid.shape=[32,32]", "initial.radius=\"40 nm\"", "run.t_end=\"0.2 us\"", "output.count=3"],
    "lial_reaction_3d": ["grid.shape=[12,12,12]", "initial.radius=\"15 nm\"", "run.t_end=\"0.05 us\"", "output.count=3"],
    "lial_particle_2d": ["run.t_end=\"0.05 s\"", "output.count=3"],
    "lial_particle_cycle_2d": ["run.t_end=\"0.05 s\"", "output.count=3"],
    "lial_particle_3d": ["grid.shape=[24,10,10]", "geometry.radius=\"0.4 um\"", "run.t_end=\"0.02 s\"",
                         "output.count=3"],
    "lial_gitt_2d": ["run.t_end=\"0.05 s\"", "protocol.pulse=\"0.05 s\"", "output.count=3"],
    "lial_particle_1d": ["run.t_end=\"0.05 s\"", "output.count=3"],
    "lial_gitt_1d": ["run.t_end=\"0.05 s\"", "protocol.pulse=\"0.05 s\"", "output.count=3",
                     "output.formats=[\"csv\", \"vti\"]"],
    "lial_electrode_2d": ["grid.shape=[64,40]", "geometry.radius_mean=\"1 um\"", "geometry.radius_std=\"0.2 um\"",
                          "energy.delta=\"0.75 um\"", "geometry.electrolyte_gap=\"1 um\"", "run.t_end=\"0.05 s\"",
                          "output.count=3"],
    "lial_network_3d": ["grid.shape=[16,16,16]", "grid.spacing=\"0.5 um\"", "geometry.radius_mean=\"1.4 um\"",
                        "geometry.radius_std=\"0.1 um\"", "energy.delta=\"1.5 um\"",
                        "geometry.electrolyte_gap=\"1.5 um\"", "grains.grain_size=\"1.5 um\"",
                        "grains.alpha_layer=\"0.5 um\"", "run.t_end=\"0.01 s\"",
                        "output.count=3"],
    "lial_network_2d": ["grid.shape=[24,24]", "grid.spacing=\"0.5 um\"", "geometry.radius_mean=\"1.4 um\"",
                        "geometry.radius_std=\"0.1 um\"", "energy.delta=\"1.5 um\"",
                        "geometry.electrolyte_gap=\"1.5 um\"", "grains.grain_size=\"1.5 um\"",
                        "grains.alpha_layer=\"0.5 um\"", "run.t_end=\"0.01 s\"", "output.count=3"],
    "lial_electrode_3d": ["grid.shape=[20,16,16]", "grid.spacing=\"0.5 um\"", "geometry.radius_mean=\"1.2 um\"",
                          "geometry.radius_std=\"0.1 um\"", "energy.delta=\"1.5 um\"",
                          "geometry.electrolyte_gap=\"1.5 um\"", "run.t_end=\"0.02 s\"", "output.count=3"],
    "lial_electrode_3d_cycle": ["grid.shape=[20,12,12]", "run.t_end=\"0.02 s\"", "output.count=3"],
    "pfhub1a": ["grid.shape=[40,40]", "run.t_end=20", "output.count=3"],
}


def test_inputs_exist():
    assert len(INPUTS) >= 2


@pytest.mark.parametrize("deck", INPUTS, ids=lambda p: p.stem)
def test_every_input_deck_validates_and_runs_reduced(deck, tmp_path):
    config = load_deck(deck)
    out = tmp_path / "run"
    code = main(["run", str(deck), "--out", str(out), "--quiet", *sum((["--set", s] for s in REDUCED[deck.stem]), [])])
    assert code == EXIT_OK
    rows = list(csv.DictReader((out / "observables.csv").open()))
    assert len(rows) == 4  # initial row + 3 outputs
    time_key = [k for k in rows[0] if k.startswith("t_")][0]
    times = [float(r[time_key]) for r in rows]
    assert times == sorted(times) and times[-1] > 0
    assert (out / "fields.pvd").exists() and len(list((out / "fields").glob("*.vti"))) == 4
    if config.problem in ("lial_particle", "lial_electrode", "lial_network"):  # Li enters at the applied current: capacity = I t
        current = config["electrochemistry"]["current"]  # A/m^2
        for r in rows:
            assert float(r["capacity_mAh_per_cm2"]) == pytest.approx(current * float(r["t_s"]) / 3.6e4, rel=1e-6, abs=1e-15)
    else:  # closed systems conserve the amount
        amount_key = "total_Li_um^d" if config.problem == "lial_reaction" else "mean_c"
        amounts = np.array([float(r[amount_key]) for r in rows])
        np.testing.assert_allclose(amounts, amounts[0], rtol=1e-12)


BAD = {
    "unknown key": ("[run]\nproblem='pfhub1'\nt_end=1\n[grid]\nshape=[8,8]\nspacing=1.0\nspcing=2", "grid.spcing", "did you mean 'spacing'"),
    "missing unit": ("[run]\nproblem='lial_reaction'\nt_end=1e-6\n[grid]\nshape=[8,8]\nspacing='5 nm'\n[initial]\nradius='10 nm'", "run.t_end", "unit"),
    "wrong dimension": ("[run]\nproblem='lial_reaction'\nt_end='1 nm'\n[grid]\nshape=[8,8]\nspacing='5 nm'\n[initial]\nradius='10 nm'", "run.t_end", "length"),
    "negative size": ("[run]\nproblem='pfhub1'\nt_end=1\n[grid]\nshape=[8,8]\nspacing=-1.0", "grid.spacing", "must be >"),
    "missing section": ("[grid]\nshape=[8,8]\nspacing=1.0", "run", "missing"),
    "nan": ("[run]\nproblem='pfhub1'\nt_end=nan\n[grid]\nshape=[8,8]\nspacing=1.0", "run.t_end", "finite"),
    "particle too big": ("[run]\nproblem='lial_reaction'\nt_end='1 us'\n[grid]\nshape=[8,8]\nspacing='5 nm'\n[initial]\nradius='30 nm'", "initial.radius", "fit"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_decks_give_one_line_errors(name, tmp_path, capsys):
    text, key, phrase = BAD[name]
    deck = tmp_path / "bad.toml"
    deck.write_text(text)
    code = main(["run", str(deck), "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == EXIT_INPUT
    assert len(err.splitlines()) == 1 and key in err and phrase in err, err


def test_console_script_reports_info():
    """Smoke test of the installed entry point (quantitative siblings above)."""
    proc = subprocess.run([sys.executable, "-m", "phasefield.cli", "info"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "jax" in proc.stdout


def test_override_syntax_error_is_input_error(tmp_path):
    with pytest.raises(DeckError):
        load_deck(INPUTS[0], ["no_equals_sign"])
