"""``benchmarks/electrode_cycle.py --resume`` continues a cycle from the state checkpointed at
the end of its first protocol step to the same end as the uninterrupted run (a reduced 2D
electrode: 24 x 16 cells of 0.5 um, each half cycle capped at 20 s)."""

import json
from pathlib import Path

import pytest
from benchmark_module import load_benchmark

ROOT = Path(__file__).resolve().parents[1]
REDUCED = ["grid.shape=[24,16]", 'grid.spacing="0.5 um"', 'energy.delta="1.5 um"', 'geometry.radius_mean="1 um"',
           'geometry.radius_std="0.1 um"', "geometry.density=0.55", 'geometry.electrolyte_gap="1.5 um"',
           'protocol.max_step="20 s"', "integrator.error_tol=1e-2"]


def test_resumed_delithiation_matches_the_uninterrupted_cycle(tmp_path):
    bench = load_benchmark("electrode_cycle")
    args = ["--deck", str(ROOT / "inputs" / "lial_electrode_2d.toml"), "--x", "0.5", "--outputs", "2",
            *[a for o in REDUCED for a in ("--set", o)]]
    bench.main([*args, "--checkpoint", str(tmp_path / "ck"), "--out", str(tmp_path / "whole.json")])
    whole = json.loads((tmp_path / "whole.json").read_text())
    assert whole["ended_by"] == "protocol" and [s["reason"] for s in whole["steps"]] == ["duration", "duration"]
    # the checkpoint written at the last output of the lithiation
    from phasefield.io.checkpoint import list_checkpoints, load_checkpoint
    ends = [p for _, p in list_checkpoints(tmp_path / "ck") if load_checkpoint(p)[1]["step"] == 0]
    last = max(ends, key=lambda p: load_checkpoint(p)[1]["t_s"])
    bench.main([*args, "--resume", str(last), "--out", str(tmp_path / "rest.json")])
    rest = json.loads((tmp_path / "rest.json").read_text())
    assert rest["resumed_from"]["t_s"] == pytest.approx(20.0)
    assert [r["t_s"] for r in rest["rows"]] == [r["t_s"] for r in whole["rows"][1:]]
    for key in ("V", "capacity_mAh_per_cm2", "beta_fraction", "x_Li_per_Al"):
        assert rest["rows"][-1][key] == whole["rows"][-1][key]
    assert rest["summary"]["lithiated_mAh_per_cm2"] == whole["summary"]["lithiated_mAh_per_cm2"] > 0
    assert rest["summary"]["reversibility"] == whole["summary"]["reversibility"] > 0
    assert rest["steps"][1]["accepted"] == whole["steps"][1]["accepted"] > 0
