"""The alpha-shell trapping experiment in a planar Al film (inputs/lial_particle_1d.toml, cut
to 0.4 um): dilute-alpha energy, composition-dependent exchange current, and a full
lithiation/delithiation cycle with the physical diffusivities to both cut-offs."""

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import phasefield  # noqa: F401
from phasefield.constants import FARADAY, R_GAS
from phasefield.electrochem import ButlerVolmer
from phasefield.energies.lial import lial_energy
from phasefield.grid import Grid
from phasefield.problems.lial_particle import particle_domain
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.film_cycle import run  # noqa: E402  (the benchmark's runner, on a cut-down deck)

T = 298.15


def test_dilute_alpha_is_c2_at_xa_and_ideal_as_x_goes_to_zero():
    quartic, dilute = lial_energy(delta=0.1), lial_energy(delta=0.1, dilute_alpha_T=T)
    f, f0 = dilute.density, quartic.density
    d1, d2 = jax.grad(f), jax.grad(jax.grad(f))
    Xa = float(dilute.Xa)
    # the added term vanishes like (Xa - X)^3 below Xa: f, mu and f'' are continuous there
    term = lambda x: float(f(x) - f0(x))  # noqa: E731
    assert term(Xa - 2e-3) / term(Xa - 1e-3) == pytest.approx(8.0, rel=0.02)
    for g in (d1, d2):
        assert float(g(Xa - 1e-9)) == pytest.approx(float(g(Xa + 1e-9)), rel=1e-5)
    X = jnp.array([0.1, 0.3, 0.49, 0.6])  # unchanged above Xa
    np.testing.assert_allclose(jax.vmap(f)(X), jax.vmap(f0)(X), rtol=0, atol=0)
    # V = -mu/F gains (RT/F) ln(X1/X2) between two dilute compositions
    V = lambda x: -float(d1(x)) / FARADAY  # noqa: E731
    assert V(1e-8) - V(1e-6) == pytest.approx(R_GAS * T / FARADAY * np.log(100.0), rel=1e-3)
    assert V(1e-12) > 0.9 > V(1e-3) > 0.44  # the quartic alone stays at 0.381 V
    assert -float(jax.grad(f0)(1e-12)) / FARADAY < 0.382
    assert float(f(0.01)) >= float(f0(0.01))  # the added term is >= 0


def test_exchange_current_scales_with_surface_composition():
    bv = ButlerVolmer(jnp.asarray(10.0), jnp.asarray(0.5), jnp.asarray(0.5), jnp.asarray(T), jnp.asarray(1e-5),
                      jnp.asarray(0.5))
    const = ButlerVolmer(jnp.asarray(10.0), jnp.asarray(0.5), jnp.asarray(0.5), jnp.asarray(T), jnp.asarray(1e-5))
    for X in (0.5, 0.1, 1e-6):
        ratio = float(bv.current(0.3, 0.38, X)) / float(const.current(0.3, 0.38, X))
        assert ratio == pytest.approx(np.sqrt(4 * X * (1 - X)), rel=1e-12)
    assert float(const.current(0.3, 0.38)) == float(const.current(0.3, 0.38, 0.01))


def test_planar_particle_domain():
    grid = Grid.create((17,), 0.025, "noflux")
    d = particle_domain(grid, 0.2, 0.025, 0.1)
    active = np.asarray(d.active)
    np.testing.assert_array_equal(active, [0] + [1] * 16)
    assert float(jnp.sum(d.surface) * grid.cell_volume) == pytest.approx(1.0)
    assert np.flatnonzero(np.asarray(d.surface)).tolist() == [1]
    with pytest.raises(ValueError, match="does not fit"):
        particle_domain(grid, 0.25, 0.025, 0.1)


@pytest.fixture(scope="module")
def cycles():
    small = ["grid.shape=[17]", "geometry.radius=0.2 um", "protocol.rest=5 s"]
    return {s: run(str(ROOT / "inputs/lial_particle_1d.toml"), s, small) for s in (1.0, 1e8)}


def test_lithiation_grows_beta_from_the_electrolyte_face_inward(cycles):
    summary, rows = cycles[1.0]
    lith = [r for r in rows if r["step"] == "lithiation 1"]
    fronts = [r["beta_front_um"] for r in lith]
    assert fronts[0] > 0  # beta starts at the face ...
    assert all(b >= a for a, b in zip(fronts, fronts[1:]))  # ... and its front only moves inward
    assert fronts[-1] == pytest.approx(0.4)  # the whole film is beta at the 0.01 V cut-off
    assert all(r["alpha_shell_um"] == 0 for r in lith)  # no alpha between the face and the beta
    assert summary["lithiation_end"] == "cutoff"
    # Li0.95Al..LiAl: the film took X ~ 0.47-0.5 of Li, 0.4 um at 1/(Vm) mol/m^3
    full = 0.4e-6 * 0.5 / 1e-5 * FARADAY / 3.6e4
    assert 0.9 * full < summary["lithiated_mAh_cm2"] < 1.05 * full


def test_delithiation_stops_at_the_cutoff_behind_an_alpha_shell(cycles):
    summary, rows = cycles[1.0]
    assert summary["delithiation_end"] == "cutoff"
    assert summary["voltage_at_cutoff_V"] >= 1.5
    assert summary["shell_at_cutoff_um"] >= 0.05  # >= 2 cells of alpha at the face
    profile = np.asarray(summary["x_end_profile"])
    assert profile[0] < 1e-3 and profile[-1] > 0.4  # depleted face, beta left at the back
    assert summary["reversibility"] < 0.6
    assert summary["li_left_fraction"] > 0.4


def test_trapping_is_diffusion_controlled(cycles):
    # D_alpha x 1e8 (2.5e-9 cm^2/s): Li crosses the alpha layer (sqrt(D t) ~ 1 um in 100 s)
    # and the film empties; the same numerics with the physical D_alpha keep most of it
    slow, fast = cycles[1.0][0], cycles[1e8][0]
    assert slow["li_left_fraction"] > 0.5
    assert fast["li_left_fraction"] < 0.05
    assert fast["reversibility"] > 0.95


def test_deck_keys_reach_the_model():
    from phasefield.deck import load_deck
    from phasefield.setup import build

    sim = build(load_deck(ROOT / "inputs/lial_gitt_1d.toml"))
    model = sim.stepper.integrator.model
    assert float(model.energy.chemical.T_dilute) == pytest.approx(298.15)
    assert float(model.kinetics.gamma) == 0.5
    assert sim.stepper.controller.lower == 0.0  # the dilute term diverges at X = 0
    names = [s.name for s in sim.steps]
    assert names[:2] == ["pulse 1", "relaxation 1"] and names[8:10] == ["return pulse 1", "return relaxation 1"]
    assert [s.cutoff for s in sim.steps if s.kind == "current"] == [0.01] * 4 + [1.5] * 4
    default = build(load_deck(ROOT / "inputs/lial_particle_2d.toml"))  # neither key set
    assert float(default.stepper.integrator.model.energy.chemical.T_dilute) == 0.0
    assert float(default.stepper.integrator.model.kinetics.gamma) == 0.0


def test_a_pulse_after_a_long_rest_stops_at_its_cutoff_whatever_the_output_count():
    """After a long rest the adaptive dt is large; the pulse that follows must still end at its
    cut-off, not one step past it (the step restart and the event location), and where it
    ends must not depend on how many outputs the step writes."""
    from phasefield.deck import load_deck
    from phasefield.protocol import ProtocolStep, run_protocol
    from phasefield.setup import build

    ends = []
    for outputs in (1, 8):
        sim = build(load_deck(ROOT / "inputs/lial_particle_1d.toml", ["grid.shape=[9]", "geometry.radius=0.1 um"]))
        steps = (ProtocolStep("rest", 0.0, 7200.0, None, "rest"),
                 ProtocolStep("current", 10.0, 3600.0, 0.01, "lithiation"))
        state, rec = run_protocol(sim.stepper, sim.state, steps, outputs_per_step=outputs,
                                  max_steps_per_output=sim.max_steps_per_output)
        assert rec[1].reason == "cutoff"
        phi = float(steps[1].on(sim.stepper.integrator.model).electrode_potential(state, sim.grid))
        assert -0.05 < phi < 0.01  # just past the 0.01 V cut-off, not a whole step beyond it
        ends.append(rec[1].t_end - rec[1].t_start)
    assert ends[0] == pytest.approx(ends[1], rel=1e-3)
