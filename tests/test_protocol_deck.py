"""Protocol decks ([protocol] type = "gitt" / "cycle") through ``phasefield run``.

Evidence: a reduced GITT run on pure Al writes one row per output of every step in order, the
capacity rises by I t over each pulse and stays put (1e-9) over each rest, and the voltage
relaxes upwards after each pulse; a run resumed from a checkpoint in the middle of the
protocol ends with the same observables, bit for bit, as the uninterrupted run; a "cycle"
deck lithiates then delithiates with the capacity going up and back down by I t; protocols
need a galvanostatic control.
"""

import csv
import shutil
from pathlib import Path

import pytest

from phasefield.cli import EXIT_INPUT, EXIT_OK, main
from phasefield.io.checkpoint import list_checkpoints

INPUTS = Path(__file__).resolve().parents[1] / "inputs"
GITT = ["run.t_end=\"0.06 s\"", "protocol.pulse=\"0.02 s\"", "protocol.rest=\"0.01 s\"", "protocol.n_pulses=2",
        "output.count=2", "output.fields=[\"X\"]"]


def _run(deck, out, sets, *extra):
    return main(["run", str(INPUTS / deck), "--out", str(out), "--quiet", *extra,
                 *sum((["--set", s] for s in sets), [])])


def _rows(out):
    return list(csv.DictReader((out / "observables.csv").open()))


def test_gitt_deck_runs_its_steps_and_resumes_exactly(tmp_path):
    ref = tmp_path / "ref"
    assert _run("lial_gitt_2d.toml", ref, GITT) == EXIT_OK
    rows = _rows(ref)
    names = [r["protocol_step"] for r in rows]
    assert names == ["start"] + ["pulse 1"] * 2 + ["relaxation 1"] * 2 + ["pulse 2"] * 2 + ["relaxation 2"] * 2
    t = [float(r["t_s"]) for r in rows]
    assert t == pytest.approx([0, 0.01, 0.02, 0.025, 0.03, 0.04, 0.05, 0.055, 0.06], rel=1e-12, abs=1e-15)
    cap = [float(r["capacity_mAh_per_cm2"]) for r in rows]
    current = 1.0  # A/m^2 = 0.1 mA/cm^2 (the deck)
    for i in (1, 2, 5, 6):  # pulses: I t
        assert cap[i] - cap[i - 1] == pytest.approx(current * (t[i] - t[i - 1]) / 3.6e4, rel=1e-6)
    for i in (3, 4, 7, 8):  # rests: nothing enters or leaves
        assert abs(cap[i] - cap[i - 1]) <= 1e-9 * cap[i]
    V = [float(r["voltage_V"]) for r in rows]
    assert V[4] > V[2] and V[8] > V[6]  # open-circuit voltage above the voltage under current
    # resume from a checkpoint in the middle of the protocol (the third newest of those kept)
    resumed = tmp_path / "resumed"
    shutil.copytree(ref, resumed)
    for _, path in list_checkpoints(resumed / "checkpoints")[:2]:
        path.unlink()
    assert _run("lial_gitt_2d.toml", resumed, GITT, "--resume") == EXIT_OK
    assert (resumed / "observables.csv").read_text() == (ref / "observables.csv").read_text()


def test_cycle_deck_lithiates_then_delithiates(tmp_path):
    out = tmp_path / "cyc"
    sets = ["run.t_end=\"0.04 s\"", "protocol.max_step=\"0.02 s\"", "protocol.rest=\"30 s\"", "output.count=2",
            "output.fields=[\"X\"]"]
    assert _run("lial_particle_cycle_2d.toml", out, sets) == EXIT_OK
    rows = _rows(out)
    assert [r["protocol_step"] for r in rows] == ["start"] + ["lithiation 1"] * 2 + ["rest after lithiation 1"] * 2
    # a 30 s rest is cut by t_end: the run ends at 0.04 s
    cap = [float(r["capacity_mAh_per_cm2"]) for r in rows]
    assert cap[2] == pytest.approx(10.0 * 0.02 / 3.6e4, rel=1e-6) and cap[4] == pytest.approx(cap[2], rel=1e-9)
    out2 = tmp_path / "cyc2"
    sets2 = ["run.t_end=\"0.04 s\"", "protocol.max_step=\"0.02 s\"", "protocol.rest=\"0 s\"", "output.count=2",
             "output.fields=[\"X\"]"]
    assert _run("lial_particle_cycle_2d.toml", out2, sets2) == EXIT_OK
    rows = _rows(out2)
    assert [r["protocol_step"] for r in rows] == ["start"] + ["lithiation 1"] * 2 + ["delithiation 1"] * 2
    cap = [float(r["capacity_mAh_per_cm2"]) for r in rows]
    assert abs(cap[-1]) <= 1e-6 * cap[2]  # back down by I t


def test_protocols_need_a_galvanostatic_current(tmp_path, capsys):
    code = _run("lial_gitt_2d.toml", tmp_path / "x", ["electrochemistry.control=\"potentiostatic\""])
    err = capsys.readouterr().err.strip()
    assert code == EXIT_INPUT and "protocol.type" in err and len(err.splitlines()) == 1
