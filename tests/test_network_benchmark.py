"""``benchmarks/network_reversibility.py`` continues a delithiation from its checkpoint to the
same result as an uninterrupted run (reduced network of ``test_cli``: 24 x 24 cells of 0.5 um)."""

from pathlib import Path

import pytest
from benchmark_module import load_benchmark
from test_cli import REDUCED as CLI_REDUCED

ROOT = Path(__file__).resolve().parents[1]
# the reduced network of the CLI test, without its run length and output count
REDUCED = [o for o in CLI_REDUCED["lial_network_2d"] if not o.startswith(("run.", "output."))]


def test_resumed_run_matches_an_uninterrupted_one(tmp_path):
    bench = load_benchmark("network_reversibility")
    deck = str(ROOT / "inputs" / "lial_network_2d.toml")
    whole = bench.run_one(deck, 1.5, REDUCED, t_max=0.01, dt_out=0.005, wall_max=600.0,
                          checkpoints=tmp_path / "a")
    first = bench.run_one(deck, 1.5, REDUCED, t_max=0.005, dt_out=0.005, wall_max=600.0,
                          checkpoints=tmp_path / "b")
    assert first["t_end_s"] == pytest.approx(0.005)
    rest = bench.run_one(deck, 1.5, REDUCED, t_max=0.01, dt_out=0.005, wall_max=600.0,
                         checkpoints=tmp_path / "b", resume=True)
    assert whole["ended_by"] == rest["ended_by"] == "t_max"
    assert [r["t_s"] for r in rest["rows"]] == [r["t_s"] for r in whole["rows"]] == pytest.approx([0, 0.005, 0.01])
    assert rest["steps"] == whole["steps"] > first["steps"] > 0
    for key in ("voltage_V", "capacity_mAh_per_cm2", "beta_fraction"):
        assert rest["rows"][-1][key] == whole["rows"][-1][key]
    assert rest["delithiated_mAh_per_cm2"] > 0
    # a checkpoint of another set-up is refused
    with pytest.raises(SystemExit, match="holds a run"):
        bench.run_one(deck, 1.5, [*REDUCED, "electrochemistry.current=\"-2 mA/cm^2\""], t_max=0.03,
                      dt_out=0.005, wall_max=600.0, checkpoints=tmp_path / "b", resume=True)
