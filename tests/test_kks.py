"""The two-phase KKS energy (``phasefield.energies.kks``): its wells are the single-field
Li-Al energy's parabolas, its derivatives by autodiff equal the closed forms, the Li split
between the phases is consistent, the plateau is the coexistence potential, the interface has
the energy it was built for, and a driven front moves at the flux-balance speed."""

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from phasefield.energies.kks import TwoPhaseEnergy, interpolation
from phasefield.energies.lial import lial_energy

ROOT = Path(__file__).resolve().parents[1]
LIAL = lial_energy(sigma=0.2, delta=0.1)
KKS = TwoPhaseEnergy.from_lial(LIAL, delta=0.1)


def test_pure_phases_are_the_single_field_parabolas():
    # beta (phi = 1) is the single-field beta branch exactly
    X = jnp.linspace(float(LIAL.Xb), float(LIAL.Xc), 50)
    np.testing.assert_allclose(KKS.density(X, jnp.ones_like(X)), LIAL.density(X), rtol=1e-12, atol=1e-9)
    # alpha (phi = 0) has the quartic's value, slope and curvature at Xa
    d = [jax.grad, lambda f: jax.grad(jax.grad(f))]
    fa = lambda x: KKS.density(x, 0.0)  # noqa: E731
    for g in [lambda f: f] + d:
        assert abs(float(g(fa)(LIAL.Xa)) - float(g(LIAL.density)(LIAL.Xa))) < 1e-9 * max(1.0, abs(float(g(fa)(LIAL.Xa))))


def test_autodiff_derivatives_equal_the_closed_forms_and_the_split_is_consistent():
    rng = np.random.default_rng(3)
    X = jnp.asarray(rng.uniform(0.0, 0.5, 200))
    phi = jnp.asarray(rng.uniform(0.0, 1.0, 200))
    dfdX, dfdphi = jax.vmap(jax.grad(KKS.density, argnums=(0, 1)))(X, phi)
    mu = KKS.chemical_potential(X, phi)
    np.testing.assert_allclose(dfdX, mu, rtol=1e-10)
    oa, ob = KKS.grand_potentials(mu)
    hp = jax.vmap(jax.grad(interpolation))(phi)
    expected = hp * (ob - oa) + KKS.W * 2 * phi * (1 - phi) * (1 - 2 * phi)
    np.testing.assert_allclose(dfdphi, expected, rtol=1e-8, atol=1e-8 * float(KKS.W))
    # X is h X_beta + (1 - h) X_alpha at the common mu, and each X_p is where f_p' = mu
    Xa_mu, Xb_mu = KKS.phase_compositions(mu)
    h = interpolation(phi)
    np.testing.assert_allclose(h * Xb_mu + (1 - h) * Xa_mu, X, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(jax.vmap(jax.grad(lambda x: KKS.density(x, 1.0)))(Xb_mu), mu, rtol=1e-10)


def test_plateau_is_the_coexistence_potential():
    s1 = float(KKS.s1)
    oa, ob = KKS.grand_potentials(jnp.asarray(s1))
    assert abs(float(oa - ob)) < 1e-9
    assert abs(float(KKS.voltage(s1)) - 0.38) < 1e-12
    # below the plateau (mu > s1: more Li) beta has the lower grand potential, above it alpha
    for dmu, beta_wins in ((+100.0, True), (-100.0, False)):
        oa, ob = KKS.grand_potentials(jnp.asarray(s1 + dmu))
        assert (float(ob) < float(oa)) == beta_wins


@pytest.mark.parametrize("cells_per_width", [4, 8])
def test_interface_energy_and_width(cells_per_width):
    """The tanh profile of slope width delta has excess energy sigma (discrete sum on a grid of
    delta/cells_per_width: within 2% at 4 cells, 0.5% at 8) at the plateau, where the bulk
    term does not depend on phi."""
    delta = 0.1
    h = delta / cells_per_width
    x = (np.arange(400) - 199.5) * h
    phi = jnp.asarray(0.5 * (1 - np.tanh(x / (delta / 2))))
    slope = np.max(np.abs(np.diff(np.asarray(phi)))) / h
    assert abs(1 / slope - delta) < 0.1 * delta  # slope width
    bulk = KKS.W * phi**2 * (1 - phi) ** 2
    grad = 0.5 * KKS.kappa_phi * (jnp.diff(phi) / h) ** 2
    sigma = float(jnp.sum(bulk) * h + jnp.sum(grad) * h)
    tol = 0.02 if cells_per_width == 4 else 0.005
    assert abs(sigma / float(LIAL.sigma_molar) - 1) < tol, sigma / float(LIAL.sigma_molar)


def test_driven_front_keeps_the_flux_balance():
    """1D front of benchmarks/two_phase_front.py for 30 s: the Li gained equals the influx to
    1e-10 and the phi = 1/2 point moves at flux / (Xb - Xa) within half a cell."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import two_phase_front as tpf
    finally:
        sys.path.pop(0)
    r = tpf.two_field(30.0, 1e-3, 0.01)
    assert abs(r["li_gain"] / (tpf.FLUX * 30.0) - 1) < 1e-10
    expected = tpf.FRONT + tpf.FLUX * 30.0 / float(LIAL.Xb - LIAL.Xa)
    assert abs(r["front_um"] - expected) < 0.5 * tpf.H, (r["front_um"], expected)
    assert r["V_surface"] < 0.38  # Li enters beta below the plateau
