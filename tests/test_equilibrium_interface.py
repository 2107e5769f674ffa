"""Flat 1D interfaces relaxed by Cahn-Hilliard against the analytic equilibrium.

For a quartic well ``f(X) = W (X - Xa)^2 (Xb - X)^2`` (plus any tangent line) with gradient
coefficient ``kappa``, the flat equilibrium interface and its energy per area are
(``phasefield/energies/double_well.py``; Cahn & Hilliard, J. Chem. Phys. 28, 258 (1958))

    X(x)  = Xa + dX/2 [1 + tanh(2 (x - x0) / delta)],   delta = 4 sqrt(kappa / (2 W)) / dX
    sigma = int [f(X) - T(X) + kappa/2 (dX/dx)^2] dx = sqrt(2 kappa W) dX^3 / 6

with ``dX = Xb - Xa`` and ``T`` the common tangent of the two wells (zero for the symmetric
double well, ``T1(X) = s1 (X - Xa)`` for the Li-Al alpha/beta pair).

The tests start from a sharp step, relax with the stabilised semi-implicit Cahn-Hilliard
scheme until the discrete free energy stops changing (a fixed point of that scheme has a
uniform chemical potential whatever dt is), locate ``x0`` from the conserved amount of X and
compare. Tolerances (1 % on the profile, the width and the energy) are the product's
acceptance criteria. With ``h = delta / 10`` the second-order finite-volume error of the
discrete equilibrium is about 0.13 % in the energy and 0.33 % in the fitted width (it scales
as ``(h/delta)^2``), so the 1 % bounds test the solver, not the resolution.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from phasefield.constants import FARADAY
from phasefield.energies import DoubleWell, FreeEnergy
from phasefield.energies.lial import lial_energy
from phasefield.grid import Grid
from phasefield.integrators import SemiImplicit
from phasefield.mobility import ConstantMobility
from phasefield.models import PhaseFieldModel
from phasefield.run import run_fixed
from phasefield.state import State

CELLS_PER_DELTA = 10
DOMAIN_IN_DELTAS = 24  # tails decay as exp(-4 |x - x0| / delta): e^-48 at the walls
TOL = 0.01


def _f64(v):
    return jnp.asarray(v, dtype=jnp.float64)


def _relax(model, grid, X0, dt, steps_per_chunk=1000, max_chunks=50):
    """Fixed-dt semi-implicit steps in jitted chunks until F changes by < 1e-13 relative."""
    integrator = SemiImplicit(model, grid)
    advance = jax.jit(lambda s: run_fixed(integrator.step, s, steps_per_chunk, _f64(dt)))
    state = State.create(_f64(X0))
    F_old = float(model.free_energy(state, grid))
    for _ in range(max_chunks):
        state = advance(state)
        F = float(model.free_energy(state, grid))
        if abs(F - F_old) <= 1e-13 * abs(F):
            return state, F
        F_old = F
    raise AssertionError(
        f"free energy still changing after {max_chunks} chunks: dF = {F - F_old:.3e}"
    )


def _step_profile(grid, Xa, Xb):
    """A sharp step placed off the cell faces, so the centre has to be found, not assumed."""
    x = grid.axis_coordinates(0)
    return np.where(x < 0.5 * grid.lengths[0] + 0.3 * grid.spacing[0], Xa, Xb)


def _compare_profile(grid, X, Xa, Xb, delta):
    """``(max |X - tanh profile| / dX, fitted delta / delta - 1)``.

    The centre comes from the conserved amount: for an antisymmetric profile in [0, L] with
    Xb on the right, ``int (X - Xa) dx = dX (L - x0)``. The width is fitted independently by
    least squares of ``artanh(2 (X - Xa)/dX - 1) = 2 (x - x0) / delta`` on the cells inside
    the interface."""
    x = grid.axis_coordinates(0)
    dX = Xb - Xa
    x0 = grid.lengths[0] - float(grid.integrate(_f64(X - Xa))) / dX
    analytic = Xa + 0.5 * dX * (1.0 + np.tanh(2.0 * (x - x0) / delta))
    deviation = np.max(np.abs(X - analytic)) / dX
    u = 2.0 * (X - Xa) / dX - 1.0
    inside = np.abs(u) < 0.9
    slope, _ = np.polyfit(x[inside], np.arctanh(u[inside]), 1)
    return deviation, (2.0 / slope) / delta - 1.0


def test_double_well_interface_profile_and_energy():
    Xa, Xb, sigma_in, delta_in = 0.3, 0.7, 1.0, 1.0
    well, kappa = DoubleWell.from_interface(_f64(sigma_in), _f64(delta_in), _f64(Xa), _f64(Xb))
    W, k = float(well.W), float(kappa)
    dX = Xb - Xa
    delta = 4.0 * np.sqrt(k / (2.0 * W)) / dX
    sigma = np.sqrt(2.0 * k * W) * dX**3 / 6.0

    h = delta / CELLS_PER_DELTA
    grid = Grid.create((DOMAIN_IN_DELTAS * CELLS_PER_DELTA,), h, "noflux")
    model = PhaseFieldModel(FreeEnergy(well, kappa=kappa), ConstantMobility(_f64(1.0)))
    state, F = _relax(model, grid, _step_profile(grid, Xa, Xb), dt=10.0)
    X = np.asarray(state.X)

    deviation, width_error = _compare_profile(grid, X, Xa, Xb, delta)
    # Both wells sit at f = 0, so the common tangent is zero and F is the excess energy.
    energy_error = F / sigma - 1.0
    print(f"double well: profile dev/dX = {deviation:.2e}, delta fit {width_error:+.2e}, "
          f"sigma {energy_error:+.2e}")
    assert deviation < TOL
    assert abs(width_error) < TOL
    assert abs(energy_error) < TOL


def test_lial_alpha_beta_interface_profile_and_energy():
    """Li-Al preset in um and J/mol: sigma = 0.2 J/m^2 -> sigma_molar = 2 J um/mol (Vm = 1e-5
    m^3/mol), delta = 0.05 um, h = 5 nm. The mobility only sets the time scale."""
    energy = lial_energy(sigma=0.2, delta=0.05)
    Xa, Xb = float(energy.Xa), float(energy.Xb)
    delta = float(energy.delta)
    sigma = float(energy.sigma_molar)
    s1 = -FARADAY * float(energy.V1)  # alpha/beta common-tangent slope (J/mol)

    h = delta / CELLS_PER_DELTA
    grid = Grid.create((DOMAIN_IN_DELTAS * CELLS_PER_DELTA,), h, "noflux")
    model = PhaseFieldModel(FreeEnergy(energy, kappa=energy.kappa), ConstantMobility(_f64(1e-3)))
    state, F = _relax(model, grid, _step_profile(grid, Xa, Xb), dt=1.0)
    X = np.asarray(state.X)

    deviation, width_error = _compare_profile(grid, X, Xa, Xb, delta)
    # int [f - T1 + kappa/2 |grad X|^2] dx = F - s1 int (X - Xa) dx
    excess = F - s1 * float(grid.integrate(_f64(X - Xa)))
    energy_error = excess / sigma - 1.0
    # At equilibrium the potential is the alpha/beta plateau everywhere.
    mu = np.asarray(model.energy.chemical_potential(state.X, grid))
    plateau_error = np.max(np.abs(-mu / FARADAY - float(energy.V1)))
    print(f"Li-Al alpha/beta: profile dev/dX = {deviation:.2e}, delta fit {width_error:+.2e}, "
          f"sigma {energy_error:+.2e}, |V - V1| = {plateau_error:.1e} V")
    assert deviation < TOL
    assert abs(width_error) < TOL
    assert abs(energy_error) < TOL
    assert plateau_error < 1e-6
