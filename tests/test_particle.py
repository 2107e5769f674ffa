"""A Li-Al particle against the solid electrolyte, from a deck: the capacity follows the
applied current exactly (flux balance through the whole run loop), and a voltage cut-off
ends the run early."""

import csv
from pathlib import Path

import numpy as np
import pytest

from phasefield.batch import run_deck
from phasefield.deck import load_deck

DECK = Path(__file__).resolve().parents[1] / "inputs" / "lial_particle_2d.toml"
SMALL = ["grid.shape=[40,32]", "geometry.radius=\"0.35 um\"", "output.count=3"]


def _rows(out):
    return list(csv.DictReader((out / "observables.csv").open()))


def test_capacity_equals_current_times_time(tmp_path):
    config = load_deck(DECK, SMALL + ["run.t_end=\"2 s\"", "output.formats=[\"csv\",\"npz\"]"])
    final, rows = run_deck(config, tmp_path, progress=False)
    fields = np.load(tmp_path / "fields" / "step_00003.npz")
    pores = fields["psi"] < 1e-3  # Li lands in the solid, not in the pores beside the contact
    assert np.max(np.abs(fields["X"][pores] - 0.02)) < 1e-3
    assert fields["X"][fields["psi"] > 0.9].max() > 0.03
    for row in rows:
        expected = 10.0 * row["t_s"] / 3.6 / 1e4  # 1 mA/cm^2 = 10 A/m^2; C/m^2 -> mAh/cm^2
        assert row["capacity_mAh_per_cm2"] == pytest.approx(expected, rel=1e-6, abs=1e-15)
    assert rows[-1]["voltage_V"] < 0.38  # cathodic overpotential during lithiation


def test_lower_cutoff_stops_the_run(tmp_path):
    config = load_deck(DECK, SMALL + ["run.t_end=\"10 s\"", "electrochemistry.exchange_current=\"1e-3 mA/cm^2\""])
    final, rows = run_deck(config, tmp_path, progress=False)
    assert float(final.t) < 10.0
    assert rows[-1]["voltage_V"] < 0.01
    assert "stop event" in (tmp_path / "run.log").read_text()
    assert len(_rows(tmp_path)) == len(rows)
