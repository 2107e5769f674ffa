"""Buffer donation at the chunk boundary of the adaptive run loop (``phasefield.run``).

Each output interval is one jitted ``while_loop``; the loop owns the states it produces, so
it donates the input state of every interval. Evidence that the buffers are reused, not
copied: (1) the compiled interval declares ``input_output_alias`` for every leaf of the
state (X, t, dt, step), (2) after a donated call the input arrays are deleted (on the CPU
backend, which honours donation) and no "donated buffers were not usable" warning is raised,
(3) results are bitwise equal to the undonated loop, and the caller's initial state survives.
"""

import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from phasefield import run
from phasefield.energies import DoubleWell, FreeEnergy
from phasefield.grid import Grid
from phasefield.integrators import AdaptiveController, AdaptiveStepper, SemiImplicit
from phasefield.mobility import ConstantMobility
from phasefield.models import PhaseFieldModel
from phasefield.state import State


def _f64(v):
    return jnp.asarray(v, dtype=jnp.float64)


def _problem(n=32):
    """A small PFHub 1a-like periodic Cahn-Hilliard problem with an adaptive stepper."""
    grid = Grid.create((n, n), 1.0, "periodic")
    energy = FreeEnergy(DoubleWell(_f64(5.0), _f64(0.3), _f64(0.7)), kappa=_f64(2.0))
    model = PhaseFieldModel(energy, ConstantMobility(_f64(5.0)))
    X0 = 0.5 + 0.05 * np.random.default_rng(3).uniform(-1.0, 1.0, grid.shape)
    stepper = AdaptiveStepper(SemiImplicit(model, grid), AdaptiveController(error_tol=1e-3))
    return stepper, State.create(_f64(X0), dt=0.01)


def test_compiled_interval_aliases_every_state_buffer():
    stepper, state = _problem()
    text = run._ADVANCE[True].lower(stepper, state, _f64(1.0), 1000).compile().as_text()
    header = next(line for line in text.splitlines() if line.startswith("HloModule"))
    aliases = re.findall(r"\{[\d,\s]*\}: \((\d+), \{[\d,\s]*\}, (?:may|must)-alias\)", header)
    n_leaves = len(jax.tree_util.tree_leaves(state))  # X, t, dt, step (eta is None)
    assert len(aliases) == n_leaves, header
    plain = run._ADVANCE[False].lower(stepper, state, _f64(1.0), 1000).compile().as_text()
    assert "input_output_alias" not in next(line for line in plain.splitlines() if line.startswith("HloModule"))


def test_donated_interval_consumes_its_input_without_warnings():
    stepper, state = _problem()
    owned = run.owned_copy(state)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Some donated buffers were not usable" would raise
        out, _ = run.advance_to(stepper, owned, 2.0, donate=True)
    assert all(leaf.is_deleted() for leaf in jax.tree_util.tree_leaves(owned))
    assert not any(leaf.is_deleted() for leaf in jax.tree_util.tree_leaves(state))
    assert float(out.t) == 2.0


def test_integrate_with_donation_equals_without_and_keeps_the_initial_state():
    stepper, state = _problem()
    times = [1.0, 5.0, 20.0]
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        donated = run.integrate(stepper, state, times, callback=lambda s, st: seen.append(float(jnp.mean(s.X))))
    plain = run.integrate(stepper, state, times, donate=False)
    assert not state.X.is_deleted()
    np.testing.assert_array_equal(np.asarray(donated.X), np.asarray(plain.X))
    assert int(donated.step) == int(plain.step) > len(times)
    # the run moved the field (not a no-op) and conserved the mean to round-off
    assert float(jnp.max(jnp.abs(donated.X - state.X))) > 1e-3
    np.testing.assert_allclose(seen, float(jnp.mean(state.X)), rtol=0, atol=1e-14)
