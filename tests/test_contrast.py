"""The physical 1e10 alpha/beta mobility contrast (issue item 7, DESIGN 2.3).

Sharp-interface references:
- an alpha shell of thickness d between beta regions: series resistance R = d / M_alpha;
- a beta channel of width w through alpha: conductance G = w M_beta (per unit depth).

For layered structures the discrete steady state of ``div(M grad u) = 0`` carries no
transverse flux, so the exact discrete resistance is the series sum ``sum h / M_face`` across
layers and the conductance the parallel sum ``sum h M_face`` along them, with the solver's own
face mobilities (geometric means of ``M(X)``). ``d`` and ``w`` are measured between interface
centres (X = (Xa + Xb)/2). The diffuse profiles are the analytic equilibrium of the Li-Al
energy, and in the last test the solver relaxes them under adaptive time stepping.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from phasefield.energies import FreeEnergy
from phasefield.energies.lial import lial_energy
from phasefield.grid import Grid
from phasefield.integrators import AdaptiveController, AdaptiveStepper, SemiImplicit
from phasefield.mobility import lial_mobility
from phasefield.models import PhaseFieldModel
from phasefield.run import integrate, run_fixed
from phasefield.state import State

DELTA = 0.01  # um: interface width
H = DELTA / 8  # um: 8 cells per interface width
BETA = 0.1  # um of beta on each side


def _tanh(energy, s):
    Xa, Xb = float(energy.Xa), float(energy.Xb)
    return Xa + 0.5 * (Xb - Xa) * (1 + np.tanh(2 * s / DELTA))


def _shell(widths):
    energy = lial_energy(delta=DELTA)
    d = widths * DELTA
    length = 2 * BETA + d
    grid = Grid.create((int(round(length / H)),), H, "noflux")
    x = grid.axis_coordinates(0)
    X = _tanh(energy, np.abs(x - length / 2) - d / 2)
    return energy, grid, jnp.asarray(X), d


def shell_resistance_ratio(X, grid, d, mobility, energy):
    """``sum h / M_face`` over the 1D profile divided by ``d / M(Xa)``."""
    M_faces = np.exp(np.asarray(grid.face_mean(mobility.log_mobility(X), 0)))[:-1]
    R = np.sum(grid.spacing[0] / M_faces)
    M_alpha = float(jnp.exp(mobility.log_mobility(energy.Xa)))
    return R / (d / M_alpha)


def channel_conductance_ratio(widths, mobility):
    energy = lial_energy(delta=DELTA)
    w = widths * DELTA
    Ly = w + 2 * BETA
    grid = Grid.create((4, int(round(Ly / H))), H, ("periodic", "noflux"))
    _, y = grid.coordinates()
    X = jnp.asarray(_tanh(energy, w / 2 - np.abs(y - Ly / 2)))
    M_faces = np.exp(np.asarray(grid.face_mean(mobility.log_mobility(X), 0)))
    G = np.sum(M_faces[0]) * H
    M_beta = float(jnp.exp(mobility.log_mobility(energy.Xb)))
    return G / (w * M_beta)


@pytest.mark.parametrize("widths", [4, 5, 8])
def test_log_interpolation_gives_sharp_shell_resistance_and_channel_conductance(widths):
    mob = lial_mobility(interpolation="log")
    energy, grid, X, d = _shell(widths)
    r = shell_resistance_ratio(X, grid, d, mob, energy)
    c = channel_conductance_ratio(widths, mob)
    assert 0.5 < r < 2.0, r
    assert 0.5 < c < 2.0, c


def test_linear_blend_leaks_and_harmonic_blend_chokes():
    """Why log space: at 4 interface widths a linear blend of D makes the shell leak by more
    than two orders of magnitude and a harmonic blend chokes the channel likewise."""
    energy, grid, X, d = _shell(4)
    assert shell_resistance_ratio(X, grid, d, lial_mobility(interpolation="linear"), energy) < 1e-2
    assert channel_conductance_ratio(4, lial_mobility(interpolation="harmonic")) < 1e-2


def test_relaxed_shell_keeps_its_resistance_and_large_steps_stay_bounded():
    """The solver relaxes a 5-width shell with the physical contrast under adaptive dt; the
    resistance stays within a factor 2 of d/M_alpha, and fixed steps at the largest dt the
    controller picked (and 100x beyond) stay bounded, finite and mass conserving."""
    energy, grid, X0, d = _shell(5)
    mob = lial_mobility()
    model = PhaseFieldModel(FreeEnergy(energy, energy.kappa), mob)
    si = SemiImplicit(model, grid)
    stepper = AdaptiveStepper(si, AdaptiveController(error_tol=1e-4, lower=-0.02, upper=1.02))
    largest = []
    state = integrate(
        stepper,
        State.create(X0, dt=1e-9),
        np.geomspace(1e-6, 1e-2, 5),
        callback=lambda s, st: largest.append(float(st.dt_largest)),
    )
    assert abs(float(state.t) - 1e-2) < 1e-12
    r = shell_resistance_ratio(state.X, grid, d, mob, energy)
    assert 0.5 < r < 2.0, r
    dt_max = max(largest)
    mass0 = float(jnp.sum(state.X))
    F0 = float(model.free_energy(state, grid))
    for dt in (dt_max, 100 * dt_max):
        out = jax.jit(lambda s, dt: run_fixed(si.step, s, 200, dt))(state, jnp.asarray(dt))
        Xn = np.asarray(out.X)
        assert np.all(np.isfinite(Xn))
        assert float(energy.Xa) - 0.01 < Xn.min() and Xn.max() < float(energy.Xb) + 0.01
        assert abs(float(jnp.sum(out.X)) - mass0) < 1e-12 * mass0
        assert float(model.free_energy(out, grid)) <= F0 + 1e-9 * abs(F0)
