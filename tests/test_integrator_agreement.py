"""The spectral semi-implicit and the explicit finite-difference integrators agree on a
Cahn-Hilliard problem whose mobility varies by four orders of magnitude across the interface.

Both integrators discretise the same semi-discrete system (the finite-volume rates of
``PhaseFieldModel``; the semi-implicit step adds only the stabiliser, inverted exactly in the
DCT/FFT eigenbasis of the same operator), so both converge to the same solution as dt -> 0,
each at first order (forward Euler; stabilised semi-implicit Euler, Zhu et al., PRE 60, 3564
(1999)). Their difference therefore shrinks like dt, and each one's error against a
Richardson-extrapolated fine-dt explicit reference shrinks like dt too. Orders are fitted
with ``np.polyfit`` on log-log data and held to 1 +- 0.2.

Setup (dimensionless): 1D, 64 cells, h = 1, periodic or no-flux; ``f = X^2 (1 - X)^2``,
kappa = 2 (interface width 4 cells); ``ln M`` rises smoothly from ln 1e-4 at X = 0 to 0 at
X = 1, so the stiff explicit limit is set by the Li-rich side, dt < 2 / (max M (2 lam + kappa
lam^2)) = 0.05 with lam <= 4; all runs use dt <= 0.032. The initial state has too-sharp
interfaces, so X changes by ~0.4 by t = 20, in the fast and in the slow phase alike.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from phasefield._pytree import pytree
from phasefield.energies import DoubleWell, FreeEnergy
from phasefield.grid import Grid
from phasefield.integrators import ExplicitEuler, SemiImplicit
from phasefield.models import PhaseFieldModel
from phasefield.run import run_fixed
from phasefield.state import State

T_END = 10.0
CHUNK = 1250  # steps per compiled run_fixed call; every dt below is T_END / (CHUNK * m)
DTS = np.array([0.008, 0.004, 0.002, 0.001])
DT_REF = 2.5e-4
ORDER_TOL = 0.2


@pytree
class SmoothStepMobility:
    """``ln M(X) = ln M_low + (ln M_high - ln M_low) s(X)``, ``s = u^2 (3 - 2u)``,
    ``u = clip(X, 0, 1)``: a concentration-dependent mobility contrast across the interface."""

    ln_M_low: jnp.ndarray
    ln_M_high: jnp.ndarray

    def log_mobility(self, X, eta=None):
        u = jnp.clip(X, 0.0, 1.0)
        return self.ln_M_low + (self.ln_M_high - self.ln_M_low) * u**2 * (3.0 - 2.0 * u)


def _problem(bc):
    grid = Grid.create((64,), 1.0, bc)
    energy = FreeEnergy(
        DoubleWell(jnp.asarray(1.0), jnp.asarray(0.0), jnp.asarray(1.0)), kappa=jnp.asarray(2.0)
    )
    mobility = SmoothStepMobility(jnp.log(jnp.asarray(1e-4)), jnp.asarray(0.0))
    model = PhaseFieldModel(energy, mobility)
    x = grid.axis_coordinates(0) / grid.lengths[0]
    # a Li-rich band inside the domain and one at x = L (wrapping for periodic, at the wall
    # for no-flux), plus a ripple so that no symmetry hides a boundary error
    rich = ((x > 0.25) & (x < 0.6)) | (x > 0.85)
    X0 = np.where(rich, 0.85, 0.15) + 0.05 * np.sin(6.0 * np.pi * x)
    return grid, model, State.create(jnp.asarray(X0))


def _runner(integrator):
    """``state, dt -> X(T_END)``: one compiled ``run_fixed`` chunk reused for every dt."""
    chunk = jax.jit(lambda s, dt: run_fixed(integrator.step, s, CHUNK, dt))

    def run(state, dt):
        n_chunks = int(round(T_END / (dt * CHUNK)))
        assert abs(n_chunks * CHUNK * dt - T_END) < 1e-9 * T_END
        dt = jnp.asarray(dt, dtype=state.X.dtype)
        for _ in range(n_chunks):
            state = chunk(state, dt)
        return state.X

    return run


def _order(dts, values):
    return np.polyfit(np.log(dts), np.log(values), 1)[0]


@pytest.mark.parametrize("bc", ["periodic", "noflux"])
def test_semi_implicit_and_explicit_agree_at_first_order(bc):
    grid, model, state = _problem(bc)
    semi, explicit = _runner(SemiImplicit(model, grid)), _runner(ExplicitEuler(model, grid))

    # Richardson extrapolation of forward Euler: error O(DT_REF^2)
    fine, half = explicit(state, DT_REF), explicit(state, DT_REF / 2)
    ref = 2.0 * half - fine
    change = float(jnp.max(jnp.abs(ref - state.X)))
    lnM = model.mobility.log_mobility(ref)
    assert change > 0.3  # the run is not a near-equilibrium no-op
    assert float(jnp.max(lnM) - jnp.min(lnM)) > np.log(1e3)  # contrast > 1e3 across the interface

    diff, err_si, err_ee = [], [], []
    mass0 = float(jnp.sum(state.X))
    for dt in DTS:
        X_si, X_ee = semi(state, float(dt)), explicit(state, float(dt))
        diff.append(float(jnp.max(jnp.abs(X_si - X_ee))))
        err_si.append(float(jnp.max(jnp.abs(X_si - ref))))
        err_ee.append(float(jnp.max(jnp.abs(X_ee - ref))))
        for X in (X_si, X_ee):  # conservative finite volumes: mass to round-off
            assert abs(float(jnp.sum(X)) - mass0) < 1e-11 * mass0
    diff, err_si, err_ee = map(np.array, (diff, err_si, err_ee))

    for name, values in (("SI - EE", diff), ("SI - ref", err_si), ("EE - ref", err_ee)):
        order = _order(DTS, values)
        assert abs(order - 1.0) <= ORDER_TOL, f"{bc}: order of max|{name}| is {order:.3f}: {values}"
    # at the smallest dt the two integrators agree to 1% of the evolution (and to 2e-3)
    assert diff[-1] < min(0.01 * change, 2e-3), (diff, change)
