"""Cycling protocols (``phasefield.protocol``): constant current, rest, cut-offs, GITT.

Evidence: (1) over every current step the Li content changes by exactly I A t / F (the
galvanostatic flux balance carried through a sequence of steps, relative error < 1e-6), and
over a rest it does not change (< 1e-9 of the content); (2) a step whose voltage cut-off is
crossed ends before its duration, at a potential beyond the cut-off, and the next step
starts from there; on the following rest the potential relaxes back towards the equilibrium
value (it rises after lithiation); (3) in a GITT sequence the voltage under current lies
below the relaxed voltage of the rest that follows (a positive polarisation), and the
protocol builders produce the sequences they describe.

The particle is Al with a little Li and an artificially fast alpha phase (D_alpha x 1e8), so
Li spreads through the particle during the short steps and no beta forms: the numbers test
the protocol machinery, not the phase change.
"""

import math

import jax.numpy as jnp
import numpy as np
import pytest

from phasefield.constants import FARADAY
from phasefield.electrochem import ButlerVolmer, Galvanostatic
from phasefield.energies.lial import lial_energy
from phasefield.grid import Grid
from phasefield.integrators import AdaptiveController, AdaptiveStepper, SemiImplicit
from phasefield.mobility import lial_mobility
from phasefield.problems.lial_particle import particle_problem
from phasefield.protocol import ProtocolError, ProtocolStep, cycling, gitt, run_protocol

VM = 1.0e-5  # m^3/mol


def _electrode(i0=10.0):
    grid = Grid.create((28, 24), 0.05, "noflux")
    energy = lial_energy(delta=0.2)
    kinetics = ButlerVolmer(*(jnp.asarray(v) for v in (i0, 0.5, 0.5, 298.15, VM)))
    model, state = particle_problem(grid, 0.5, energy, lial_mobility(alpha_scale=1e8), kinetics,
                                    Galvanostatic(jnp.asarray(10.0)), X0=0.02)
    stepper = AdaptiveStepper(SemiImplicit(model, grid), AdaptiveController(error_tol=1e-4, lower=-0.1, upper=1.1))
    return grid, model, stepper, state


def _li_per_second(model, current):
    return current * float(model.domain.face_area) * VM * 1e6 / FARADAY


def test_current_rest_current_keeps_the_flux_balance():
    grid, model, stepper, state = _electrode()
    steps = (ProtocolStep("current", 10.0, 0.5, None, "lithiate"),
             ProtocolStep("rest", 0.0, 0.5, None, "rest"),
             ProtocolStep("current", -10.0, 0.5, None, "delithiate"))
    final, records = run_protocol(stepper, state, steps, outputs_per_step=2)
    assert [r.reason for r in records] == ["duration"] * 3
    assert [r.name for r in records] == ["lithiate", "rest", "delithiate"]
    for rec, step in zip(records, steps):
        assert rec.t_end - rec.t_start == pytest.approx(step.duration, rel=1e-12)
        change = rec.amount_end - rec.amount_start
        expected = _li_per_second(model, step.value) * step.duration
        if step.kind == "rest":
            assert abs(change) <= 1e-9 * rec.amount_start, change
        else:
            assert abs(change - expected) <= 1e-6 * abs(expected), (change, expected)
    # the steps follow each other in time and the Li content back at its start
    assert records[1].t_start == records[0].t_end and records[2].t_start == records[1].t_end
    assert abs(records[2].amount_end - records[0].amount_start) <= 1e-6 * abs(_li_per_second(model, 10.0) * 0.5)
    assert float(final.t) == pytest.approx(1.5, rel=1e-12)


def test_cutoff_ends_a_step_early_and_the_rest_relaxes_the_potential():
    # a slow surface reaction (i0 = 1e-2 of the current density) gives an overpotential of
    # ~0.3 V; as the alpha phase fills, V_eq at the contact and with it phi fall by ~0.1 mV
    # per second, so a cut-off 0.1 mV below the starting potential is reached within the step
    grid, model, stepper, state = _electrode(i0=0.1)
    phi0 = float(model.electrode_potential(state, grid))
    cutoff = phi0 - 1e-4
    phis = []

    steps = (ProtocolStep("current", 10.0, 5.0, cutoff, "lithiate"), ProtocolStep("rest", 0.0, 1.0, None, "rest"))

    def record_phi(s, stats, index):
        phis.append((index, float(s.t), float(steps[index].on(model).electrode_potential(s, grid))))

    _, records = run_protocol(stepper, state, steps, outputs_per_step=5, callback=record_phi)
    lith, rest = records
    assert lith.reason == "cutoff" and 0.0 < lith.t_end < 5.0 and lith.accepted >= 1
    assert rest.reason == "duration" and rest.t_end == pytest.approx(lith.t_end + 1.0, rel=1e-12)
    phi_lith = [p for i, _, p in phis if i == 0]
    phi_rest = [p for i, _, p in phis if i == 1]
    phi_cut = phi_lith[-1]
    assert phi_cut < cutoff  # the step ended beyond its cut-off ...
    assert all(p >= cutoff for p in phi_lith[:-1])  # ... and not before
    assert phi_rest[-1] > phi_cut + 0.1  # at open circuit phi returns towards V_eq
    # only the cut-off stopped it: the amount still follows I t over the shortened step
    expected = _li_per_second(model, 10.0) * (lith.t_end - lith.t_start)
    assert abs((lith.amount_end - lith.amount_start) - expected) <= 1e-6 * expected


def test_gitt_polarisation_is_positive_and_builders_describe_their_protocols():
    grid, model, stepper, state = _electrode(i0=1.0)
    steps = gitt(current=10.0, pulse=0.4, rest=0.4, cutoff=0.0, n_pulses=2)
    assert [s.kind for s in steps] == ["current", "rest"] * 2
    assert [s.name for s in steps] == ["pulse 1", "relaxation 1", "pulse 2", "relaxation 2"]
    ends = {}

    def last_phi(s, stats, index):
        ends[index] = float(steps[index].on(model).electrode_potential(s, grid))

    _, records = run_protocol(stepper, state, steps, outputs_per_step=2, callback=last_phi)
    assert [r.reason for r in records] == ["duration"] * 4
    for k in (0, 2):  # polarisation: voltage at the end of a pulse below the relaxed voltage after it
        assert ends[k + 1] - ends[k] > 1e-3, ends
    # the relaxed voltage falls as Li is added (the alpha branch of the energy)
    assert ends[3] < ends[1]

    cyc = cycling(current=-10.0, lower=0.01, upper=1.5, n_cycles=2, max_duration=3600.0, rest=60.0)
    assert [s.kind for s in cyc] == ["current", "rest", "current", "rest"] * 2
    assert [s.value for s in cyc if s.kind == "current"] == [10.0, -10.0, 10.0, -10.0]
    assert [s.cutoff for s in cyc if s.kind == "current"] == [0.01, 1.5, 0.01, 1.5]
    lith = cyc[0].control()
    deli = cyc[2].control()
    assert float(lith.v_min) == 0.01 and math.isinf(float(lith.v_max))
    assert float(deli.v_max) == 1.5 and math.isinf(float(deli.v_min))


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(kind="charge"), "step kind"),
    (dict(kind="current", value=0.0, duration=1.0), "nonzero current"),
    (dict(kind="rest", duration=math.inf), "finite"),
    (dict(kind="rest", duration=1.0, cutoff=0.1), "only current steps"),
    (dict(kind="potential", value=float("nan"), duration=1.0), "finite"),
])
def test_invalid_steps_are_refused_with_a_reason(kwargs, fragment):
    with pytest.raises(ProtocolError, match=fragment):
        ProtocolStep(**kwargs)
    with pytest.raises(ProtocolError, match="lower cut-off"):
        cycling(10.0, 1.5, 0.01, 1, 10.0)
    assert np.isfinite(ProtocolStep("rest", duration=1.0).duration)


def test_gitt_without_rest_is_pulses_only():
    steps = gitt(current=1.0, pulse=10.0, rest=0.0, cutoff=0.01, n_pulses=3)
    assert [s.name for s in steps] == ["pulse 1", "pulse 2", "pulse 3"]


def test_gitt_return_pulses_reverse_the_current_to_the_other_cutoff():
    steps = gitt(current=1.0, pulse=10.0, rest=5.0, cutoff=0.01, n_pulses=2, return_pulses=2, return_cutoff=1.5)
    assert [s.name for s in steps] == ["pulse 1", "relaxation 1", "pulse 2", "relaxation 2", "return pulse 1",
                                       "return relaxation 1", "return pulse 2", "return relaxation 2"]
    assert [s.value for s in steps if s.kind == "current"] == [1.0, 1.0, -1.0, -1.0]
    assert [s.cutoff for s in steps if s.kind == "current"] == [0.01, 0.01, 1.5, 1.5]
    with pytest.raises(ProtocolError, match="cut-off"):
        gitt(current=1.0, pulse=10.0, rest=5.0, cutoff=0.01, n_pulses=1, return_pulses=1)
