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


def test_a_mirrored_particle_is_half_of_the_full_one():
    """``geometry.symmetry = "mirror"``: the disc centred on the low wall of axis 1 in half the
    box gives the full disc's psi, active surface, potential, capacity and fields on that half
    (the no-flux wall is the mirror plane), through nucleation and growth of beta at the
    contact (two-phase model, direct solve); the deck refuses a mirror on periodic walls."""
    from phasefield.deck import DeckError
    from phasefield.run import integrate
    from phasefield.setup import build

    deck = DECK.parent / "lial_particle_cycle_2d.toml"
    small = ["geometry.radius=\"0.35 um\"", 'protocol.type="constant"', "integrator.error_tol=1e-2"]
    full = build(load_deck(deck, small + ["grid.shape=[40,32]"]))
    half = build(load_deck(deck, small + ["grid.shape=[40,16]", 'geometry.symmetry="mirror"']))
    fd, hd = full.stepper.integrator.model.domain, half.stepper.integrator.model.domain
    np.testing.assert_allclose(np.asarray(hd.psi), np.asarray(fd.psi)[:, 16:], rtol=0, atol=1e-14)
    np.testing.assert_allclose(np.asarray(hd.surface), np.asarray(fd.surface)[:, 16:], rtol=0, atol=1e-12)
    assert float(hd.face_area) == pytest.approx(float(fd.face_area) / 2, rel=1e-14)
    states = [integrate(sim.stepper, sim.state, [8.0]) for sim in (full, half)]
    rows = [sim.observe(s) for sim, s in zip((full, half), states)]
    assert rows[0]["beta_fraction"] > 0.02  # beta has nucleated at the contact and grown
    for key in ("voltage_V", "capacity_mAh_per_cm2", "beta_fraction", "x_mean_Li_per_Al"):
        assert rows[1][key] == pytest.approx(rows[0][key], rel=1e-7), key
    np.testing.assert_allclose(np.asarray(states[1].X), np.asarray(states[0].X)[:, 16:], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(np.asarray(states[1].eta), np.asarray(states[0].eta)[:, :, 16:], rtol=1e-6, atol=1e-9)
    with pytest.raises(DeckError, match="geometry.symmetry"):
        build(load_deck(deck, small + ['geometry.symmetry="mirror"', 'grid.bc="periodic"']))
    with pytest.raises(DeckError, match="geometry.radius"):  # a mirrored disc needs R across, not 2R
        build(load_deck(deck, small + ["grid.shape=[40,12]", 'geometry.symmetry="mirror"']))
