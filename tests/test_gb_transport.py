"""Grain-boundary transport (``phasefield.problems.gb_diffusion``): Li reaches the core of a
pure-Al polycrystal faster than that of a single crystal, by a factor that grows with the
grain-boundary diffusivity.

Evidence on a 32 x 32 box of 2 um (20 grains of 0.5 um, grains held fixed): the time for the
far half to take up 20% of its final Li is the same (to 1e-9) for the single crystal and for
the polycrystal without a grain-boundary term, so the grains alone change nothing; with
D_gb / D_alpha = 1e2 and 1e3 it falls by factors > 5 and > 50, the larger ratio faster.
"""

import pytest

from phasefield.integrators import AdaptiveController, AdaptiveStepper, Rosenbrock2
from phasefield.problems.gb_diffusion import final_uptake, gb_diffusion_problem, time_to_reach

N = 32


def _t20(grain_size, ratio):
    grid, model, state = gb_diffusion_problem(n=N, grain_size=grain_size, gb_ratio=ratio)
    stepper = AdaptiveStepper(Rosenbrock2(model, grid), AdaptiveController(error_tol=1e-4))
    return time_to_reach(stepper, state, grid, 0.2, final_uptake(N), 2e4, n_out=60)


def test_grain_boundaries_speed_up_uptake_by_a_factor_growing_with_D_gb():
    single = _t20(None, 0.0)
    assert 100.0 < single < 2e4  # diffusion over ~1 um at D_chem ~ 2e-4 um^2/s
    assert _t20(0.5, 0.0) == pytest.approx(single, rel=1e-9)
    f2 = single / _t20(0.5, 1e2)
    f3 = single / _t20(0.5, 1e3)
    assert f2 > 5.0 and f3 > 50.0 and f3 > 3.0 * f2, (f2, f3)
