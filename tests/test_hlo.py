"""Kernel census of one compiled semi-implicit step (optimised HLO, CPU, float64).

Every instruction that XLA leaves outside a fusion is a separate pass over memory; the
stencils of ``phasefield.grid`` (``jnp.roll``, differences, the no-flux concatenates) must be
fused into their consumers, not materialised (on 64 x 64 they all are; on 256 x 256 XLA
CPU keeps the rolls along the minor axis as standalone concatenates, bounded separately). The census (``benchmarks/hlo_census.py``) of
``jax.jit(si.step).lower(...).compile().as_text()`` counts fusions, FFTs, and unfused
copies / transposes / concatenates / dynamic-update-slices; the bounds below are what the
code met when they were written (2D 64 x 64, jax 0.10.2, CPU), recorded in
``benchmarks/results/perf_summary.md``, so a change that adds materialised copies fails:

    case                    fusions  fft  array copies  unfused concat/DUS/transpose
    constant M, periodic       18     2        0                 0
    constant M, no-flux        25     4        0                 0
    Li-Al M(X), periodic       23     4        0                 0
    Li-Al M(X), no-flux        40     8        0                 0

(no-flux: the DCT-II of ``phasefield.dct`` is one 1D real FFT per no-flux axis and direction,
so a 2D round trip counts 4 FFT instructions, each a real transform of one axis; the
reorderings and twiddles are fused. The DCT of ``jax.scipy.fft`` used before took a full
complex 2D FFT plus per-axis inverse transforms: 43 / 62 fusions, 3 / 6 FFTs and 1 / 3
materialised constant broadcasts, and a 512^2 float64 round trip took 5.1x as long (76 ms vs 15 ms, same process, 2-core CPU). The scalar copy of
``dt`` in every case is not counted.) A fusion count may move by a few with XLA versions;
the bounds allow 25 %.
"""

import importlib.util
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from phasefield.energies import DoubleWell, FreeEnergy
from phasefield.energies.lial import lial_energy
from phasefield.grid import Grid
from phasefield.integrators import SemiImplicit
from phasefield.mobility import ConstantMobility, lial_mobility
from phasefield.models import PhaseFieldModel
from phasefield.state import State

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("hlo_census", ROOT / "benchmarks" / "hlo_census.py")
hlo_census = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hlo_census)

# (model, bc): (fusions, ffts, array copies) met by the code (module docstring)
MEASURED = {
    ("const", "periodic"): (18, 2, 0),
    ("const", "noflux"): (25, 4, 0),
    ("lial", "periodic"): (23, 4, 0),
    ("lial", "noflux"): (40, 8, 0),
}


def _f64(v):
    return jnp.asarray(v, dtype=jnp.float64)


def step_hlo(model: str, bc: str, n: int = 64) -> str:
    grid = Grid.create((n, n), 1.0 if model == "const" else 0.01, bc)
    noise = np.random.default_rng(0).uniform(-1.0, 1.0, grid.shape)
    if model == "const":
        energy = FreeEnergy(DoubleWell(_f64(5.0), _f64(0.3), _f64(0.7)), kappa=_f64(2.0))
        m = PhaseFieldModel(energy, ConstantMobility(_f64(5.0)))
        state, dt = State.create(_f64(0.5 + 0.05 * noise)), _f64(0.05)
    else:
        chem = lial_energy(delta=0.04)
        m = PhaseFieldModel(FreeEnergy(chem, chem.kappa), lial_mobility())
        state, dt = State.create(_f64(0.3 + 0.05 * noise)), _f64(1e-9)
    si = SemiImplicit(m, grid)
    return jax.jit(si.step).lower(state, dt).compile().as_text()


@pytest.mark.parametrize("model,bc", list(MEASURED))
def test_step_has_no_materialised_stencil_copies(model, bc):
    counts = hlo_census.summary(step_hlo(model, bc))
    fusions, ffts, copies = MEASURED[(model, bc)]
    # no unfused stencil data movement at all
    assert counts["concatenate"] == 0, counts
    assert counts["dynamic-update-slice"] == 0, counts
    assert counts["transpose"] == 0, counts
    assert counts["slice"] == 0 and counts["pad"] == 0 and counts["reverse"] == 0, counts
    # no more full-array copies, transforms or kernels than the current code
    assert counts["array_copy"] <= copies, counts
    assert counts["fft"] <= ffts, counts
    assert counts["fusion"] <= int(1.25 * fusions), counts
    assert counts["fusion"] > 0 and counts["fft"] > 0, counts  # the census parsed the module


# 256 x 256: XLA CPU keeps the rolls along the minor axis as standalone (parallel)
# concatenates on large arrays, one per distinct roll of a field; these are the counts met
@pytest.mark.parametrize("model,concats", [("const", 3), ("lial", 4)])
def test_large_grid_unfused_rolls_bounded(model, concats):
    counts = hlo_census.summary(step_hlo(model, "periodic", n=256))
    assert counts["concatenate"] <= concats, counts
    assert counts["array_copy"] == 0 and counts["transpose"] == 0, counts
    assert counts["dynamic-update-slice"] == 0, counts


SYNTHETIC = """HloModule m

%fused_computation (p0: f64[8,8]) -> f64[8,8] {
  %p0 = f64[8,8]{1,0} parameter(0)
  %s0 = f64[1,8]{1,0} slice(%p0), slice={[7:8], [0:8]}
  %s1 = f64[7,8]{1,0} slice(%p0), slice={[0:7], [0:8]}
  ROOT %c = f64[8,8]{1,0} concatenate(%s0, %s1), dimensions={0}
}

ENTRY %main (x: f64[8,8], t: f64[]) -> (f64[8,8], f64[8,8], f64[]) {
  %x = f64[8,8]{1,0} parameter(0)
  %t = f64[] parameter(1)
  %roll_fusion = f64[8,8]{1,0} fusion(%x), kind=kLoop, calls=%fused_computation
  %copy.1 = f64[8,8]{0,1} copy(%roll_fusion)
  %transpose.2 = f64[8,8]{1,0} transpose(%x), dimensions={1,0}
  %copy.2 = f64[] copy(%t)
  ROOT %tuple = (f64[8,8]{1,0}, f64[8,8]{0,1}, f64[]) tuple(%transpose.2, %copy.1, %copy.2)
}
"""


def test_census_counts_only_instructions_outside_fusions():
    """The census on a hand-written module: the slices and concatenate inside the fused
    computation are not counted; the unfused array copy, transpose and scalar copy are."""
    c = hlo_census.summary(SYNTHETIC)
    assert c["fusion"] == 1 and c["concatenate"] == 0 and c["slice"] == 0, c
    assert c["copy"] == 2 and c["array_copy"] == 1 and c["transpose"] == 1, c
    assert c["unfused_movement"] == 3, c


def test_perf_suite_smoke(tmp_path):
    """Smoke test of ``benchmarks/perf_suite.py`` at a reduced size (its quantitative sibling
    is the census test above; the suite's numbers are timings, not pass/fail)."""
    spec = importlib.util.spec_from_file_location("perf_suite", ROOT / "benchmarks" / "perf_suite.py")
    suite = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(suite)
    backend = jax.default_backend()  # the suite refuses a device JAX does not run on
    result = suite.main(["--device", backend, "--grids", "16x16", "--dtypes", "float64", "--models", "ch_const,ch_ac",
                         "--repeats", "1", "--copy-mb", "8", "--hlo-grid", "none", "--batch", "2",
                         "--batch-grid", "16x16", "--max-grid", "8", "--out", str(tmp_path)])
    assert (tmp_path / f"perf_{backend}.json").exists() and (tmp_path / "perf_summary.md").exists()
    for row in result["cases"]:
        assert row["step_s"] > 0 and row["bytes_per_cell_xla"] > 8 * 2  # reads X, writes X at least
    assert result["batch"]["per_run_step_s"] > 0
