"""Chemical potentials by autodiff against hand-derived forms (STYLE 3)."""

import jax
import jax.numpy as jnp
import numpy as np

from phasefield.energies import DoubleWell, FreeEnergy, GrainEnergy
from phasefield.energies.lial import lial_energy
from phasefield.grid import Grid


def _hand_lial_mu(e, X):
    """Derivative of the piecewise Li-Al energy written out by hand."""
    Xa, Xb, Xc, XLi = (float(v) for v in (e.Xa, e.Xb, e.Xc, e.XLi))
    s1, s2, B, W1, W2 = (float(v) for v in (e.s1, e.s2, e.beta_stiffness, e.W1, e.W2))
    low = s1 + 2 * W1 * (X - Xa) * (X - Xb) * (2 * X - Xa - Xb)
    mid = s1 + B * (X - Xb)
    high = s2 + 2 * W2 * (X - Xc) * (X - XLi) * (2 * X - Xc - XLi)
    return np.where(X <= Xb, low, np.where(X <= Xc, mid, high))


def test_lial_chemical_potential_autodiff_equals_hand_derived():
    e = lial_energy(sigma=0.3, delta=0.02)
    X = np.linspace(-0.03, 1.03, 1001)
    auto = np.asarray(jax.vmap(jax.grad(e.density))(jnp.asarray(X)))
    np.testing.assert_allclose(auto, _hand_lial_mu(e, X), rtol=1e-12, atol=1e-9)


def test_lial_energy_is_c1_at_branch_joins():
    e = lial_energy()
    mu = jax.grad(e.density)
    for Xj in (e.Xb, e.Xc):
        eps = 1e-9
        left, right = float(mu(Xj - eps)), float(mu(Xj + eps))
        assert abs(left - right) < 1e-3 * abs(float(e.s1)), (left, right)


def test_free_energy_variational_derivative_is_f_prime_minus_kappa_laplacian():
    """mu = dF/dX / dV by autodiff of the discrete energy equals f'(X) - kappa lap_h X."""
    rng = np.random.default_rng(1)
    for bc in ("periodic", "noflux", ("periodic", "noflux")):
        g = Grid.create((12, 10), (0.3, 0.5), bc)
        dw = DoubleWell(jnp.asarray(3.0), jnp.asarray(0.2), jnp.asarray(0.8))
        F = FreeEnergy(dw, jnp.asarray(0.7))
        X = jnp.asarray(rng.uniform(0, 1, g.shape))
        mu = F.chemical_potential(X, g)
        hand = 2 * 3.0 * (X - 0.2) * (0.8 - X) * (0.8 + 0.2 - 2 * X) - 0.7 * g.laplacian(X)
        np.testing.assert_allclose(np.asarray(mu), np.asarray(hand), rtol=1e-11, atol=1e-11)


def test_grain_driving_force_matches_moelans_form():
    g = Grid.create((9, 11), 0.5, "periodic")
    rng = np.random.default_rng(2)
    eta = jnp.asarray(rng.uniform(0, 1, (3, *g.shape)))
    m, gamma, k = 2.0, 1.5, 0.4
    F = FreeEnergy(None, jnp.asarray(0.0), GrainEnergy(jnp.asarray(m), jnp.asarray(gamma)), jnp.asarray(k))
    _, force = F.derivatives(jnp.zeros(g.shape), eta, g)
    others = jnp.sum(eta**2, axis=0, keepdims=True) - eta**2
    hand = m * (eta**3 - eta + 2 * gamma * eta * others) - k * jax.vmap(g.laplacian)(eta)
    np.testing.assert_allclose(np.asarray(force), np.asarray(hand), rtol=1e-11, atol=1e-11)
