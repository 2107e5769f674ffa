"""Gradients through whole runs and batched runs (issue item 9).

``jax.grad`` of a scalar observable after 100 steps with respect to the gradient coefficient
kappa and a mobility prefactor equals central finite differences to 1e-5 relative in float64,
for a constant-mobility problem and for the Li-Al variable mobility (symmetrised step).
``jax.vmap`` over 4 parameter sets equals 4 separate runs.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from phasefield._pytree import replace
from phasefield.energies import DoubleWell, FreeEnergy
from phasefield.energies.lial import lial_energy
from phasefield.grid import Grid
from phasefield.integrators import SemiImplicit
from phasefield.mobility import ConstantMobility, lial_mobility
from phasefield.models import PhaseFieldModel
from phasefield.run import run_fixed
from phasefield.state import State

N_STEPS = 100


def _double_well_problem():
    grid = Grid.create((24, 24), 1.0, "periodic")
    X0 = 0.5 + 0.05 * np.random.default_rng(3).standard_normal(grid.shape)
    dw = DoubleWell(jnp.asarray(5.0), jnp.asarray(0.3), jnp.asarray(0.7))

    def build(kappa, prefactor):
        return PhaseFieldModel(FreeEnergy(dw, kappa), ConstantMobility(prefactor))

    return grid, jnp.asarray(X0), build, (2.0, 5.0), 0.5


def _lial_problem():
    energy = lial_energy(delta=0.01)
    grid = Grid.create((96,), 0.002, "noflux")
    x = grid.axis_coordinates(0)
    X0 = 0.27 + 0.2 * np.tanh((x - 0.09) / 0.01) + 0.01 * np.cos(7 * np.pi * x / 0.192)
    mob = lial_mobility()

    def build(kappa, ln_D_beta0):
        return PhaseFieldModel(FreeEnergy(energy, kappa), replace(mob, ln_D_beta0=ln_D_beta0))

    return grid, jnp.asarray(X0), build, (float(energy.kappa), float(mob.ln_D_beta0)), 2e-6


def _observable(build, grid, X0, dt):
    def J(params):
        model = build(*params)
        final = run_fixed(SemiImplicit(model, grid).step, State.create(X0), N_STEPS, dt)
        return grid.integrate((final.X - jnp.mean(X0)) ** 2)

    return J


@pytest.mark.parametrize("problem", [_double_well_problem, _lial_problem])
def test_grad_through_100_steps_matches_central_differences(problem):
    grid, X0, build, p0, dt = problem()
    J = jax.jit(_observable(build, grid, X0, dt))
    params = tuple(jnp.asarray(v) for v in p0)
    grads = jax.grad(J)(params)
    for i, g in enumerate(grads):
        h = 1e-5 * abs(p0[i])
        up = list(params)
        dn = list(params)
        up[i] = params[i] + h
        dn[i] = params[i] - h
        fd = (float(J(tuple(up))) - float(J(tuple(dn)))) / (2 * h)
        assert abs(float(g)) > 0
        assert abs(float(g) - fd) <= 1e-5 * abs(fd), (i, float(g), fd)


def test_vmap_over_four_parameter_sets_equals_separate_runs():
    grid, X0, build, (kappa, M), dt = _double_well_problem()
    kappas = jnp.asarray([1.5, 2.0, 2.5, 3.0])
    Ms = jnp.asarray([5.0, 4.0, 3.0, 6.0])

    def final_X(k, m):
        si = SemiImplicit(build(k, m), grid)
        return run_fixed(si.step, State.create(X0), N_STEPS, dt).X

    batched = jax.jit(jax.vmap(final_X))(kappas, Ms)
    for i in range(4):
        single = jax.jit(final_X)(kappas[i], Ms[i])
        np.testing.assert_allclose(np.asarray(batched[i]), np.asarray(single), rtol=0, atol=1e-13)
