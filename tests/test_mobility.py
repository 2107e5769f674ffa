"""Mobility: log-space interpolation limits, lattice-gas factor, grain-boundary term."""

import jax.numpy as jnp
import numpy as np

from phasefield.constants import R_GAS
from phasefield.mobility import GrainBoundaryTerm, lial_mobility


def test_interpolation_reaches_pure_phase_values():
    mob = lial_mobility()
    lnD = lambda X: float(mob.log_diffusivity(jnp.asarray(X)))  # noqa: E731
    assert lnD(0.0) == lnD(float(mob.Xa)) == float(mob.ln_D_alpha)
    assert abs(lnD(float(mob.Xb)) - float(mob.ln_D_beta(mob.Xb))) < 1e-12
    assert abs(lnD(1.0) - float(mob.ln_D_li)) < 1e-12
    X = jnp.linspace(float(mob.Xa), float(mob.Xb), 200)
    assert np.all(np.diff(np.asarray(mob.log_diffusivity(X))) >= -1e-12)  # monotone across the gap


def test_lattice_gas_mobility():
    mob = lial_mobility(T=300.0)
    X = jnp.asarray(0.49)
    M = float(jnp.exp(mob.log_mobility(X)))
    D = float(jnp.exp(mob.log_diffusivity(X)))
    assert abs(M - D * 0.49 * 0.51 / (R_GAS * 300.0)) < 1e-12 * M


def test_grain_boundary_weight_and_enhancement():
    gb = GrainBoundaryTerm(jnp.asarray(1.0))
    centre = jnp.asarray([[0.5], [0.5]])
    bulk = jnp.asarray([[1.0], [0.0]])
    assert abs(float(gb.weight(centre)[0]) - 1.0) < 1e-12
    assert float(gb.weight(bulk)[0]) == 0.0
    D_gb = 1e-10  # cm^2/s, inside alpha-Al
    mob = lial_mobility(D_gb=D_gb)
    X = jnp.asarray([0.03])
    plain = float(jnp.exp(mob.log_mobility(X, bulk)[0]))
    boundary = float(jnp.exp(mob.log_mobility(X, centre)[0]))
    expected = D_gb * 1e8 * 0.03 * 0.97 / (R_GAS * 298.15)
    assert abs(boundary - plain - expected) < 1e-6 * expected
    assert boundary / plain > 1e6  # D_gb >> D_alpha
