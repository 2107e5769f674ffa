"""Validation ladder step 1: units and material numbers (DESIGN 6.1, issue item 1)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from phasefield.constants import FARADAY
from phasefield.energies.lial import lial_energy
from phasefield.materials import ALPHA_AL
from phasefield.mobility import lial_mobility, tracer_diffusivity


def test_eq1_alpha_al_matches_paper():
    """Seed 000 Eq. 1 with the alpha-Al parameters: 2.6e-17 cm^2/s at room temperature."""
    p = ALPHA_AL
    for T in (298.0, 298.15):
        D = float(tracer_diffusivity(p.g, p.r, p.f, p.nu, p.x_va, p.E, T))
        assert abs(D / 2.6e-17 - 1) < 0.05, D


@pytest.mark.parametrize("x", [0.95, 0.96, 0.97, 0.98, 0.99])
def test_eq1_beta_lial_in_published_range(x):
    """Beta-LiAl with x_va = 1 - x: between 1e-7 and 1e-6 cm^2/s for 0.95 <= x <= 0.99."""
    mob = lial_mobility(T=298.15)
    X = jnp.asarray(x / (1 + x))
    D_cm2 = float(jnp.exp(mob.log_diffusivity(X))) / 1e8
    assert 1e-7 <= D_cm2 <= 1e-6, D_cm2


def test_alpha_beta_contrast_is_ten_orders():
    mob = lial_mobility()
    Da = float(jnp.exp(mob.log_diffusivity(jnp.asarray(0.02))))
    Db = float(jnp.exp(mob.log_diffusivity(jnp.asarray(0.96 / 1.96))))
    assert 4e9 <= Db / Da <= 4e10


def _lower_hull(x, y):
    """Lower convex hull (monotone chain) of points sorted by x; returns hull indices."""
    hull = []
    for i in range(len(x)):
        while len(hull) >= 2:
            i0, i1 = hull[-2], hull[-1]
            cross = (x[i1] - x[i0]) * (y[i] - y[i0]) - (y[i1] - y[i0]) * (x[i] - x[i0])
            if cross <= 0:
                hull.pop()
            else:
                break
        hull.append(i)
    return np.array(hull)


def test_lial_plateau_and_coexistence_from_convex_hull():
    """The common tangents found numerically from f(X) give the chosen plateau (0.38 V,
    seed 003 Table 1) within 10 mV and the seed 000 coexistence compositions
    (x = 0.05 and 0.95 in Li_xAl, i.e. X = 0.0476 and 0.4872) within 0.01."""
    energy = lial_energy(sigma=0.2, delta=0.05)
    X = np.linspace(0.0, 1.0, 40001)
    f = np.asarray(jax.vmap(energy.density)(jnp.asarray(X)))
    hull = _lower_hull(X, f)
    gaps = np.diff(X[hull])
    segments = [(X[hull[i]], X[hull[i + 1]]) for i in np.argsort(gaps)[::-1][:2]]
    segments.sort()
    (a1, b1), (a2, b2) = segments
    slope1 = (np.interp(b1, X, f) - np.interp(a1, X, f)) / (b1 - a1)
    slope2 = (np.interp(b2, X, f) - np.interp(a2, X, f)) / (b2 - a2)
    V1, V2 = -slope1 / FARADAY, -slope2 / FARADAY
    assert abs(V1 - 0.38) < 0.010, V1
    assert abs(V2 - 0.0) < 0.010, V2
    assert abs(a1 - 0.05 / 1.05) < 0.01 and abs(b1 - 0.95 / 1.95) < 0.01, (a1, b1)
    assert abs(a2 - 0.5) < 0.01 and abs(b2 - 1.0) < 0.01, (a2, b2)


def test_lial_beta_branch_is_stiff_and_li_metal_at_zero_volts():
    energy = lial_energy()
    d2f = jax.grad(jax.grad(energy.density))
    d1f = jax.grad(energy.density)
    # stiff single-phase beta: 0.38 V across 0.487 < X < 0.5
    assert float(d2f(jnp.asarray(0.493))) > 1e6
    assert abs(float(energy.voltage(d1f(jnp.asarray(1.0))))) < 1e-9
    assert abs(float(energy.voltage(d1f(energy.Xa))) - 0.38) < 1e-9
