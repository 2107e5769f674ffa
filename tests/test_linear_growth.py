"""Cahn-Hilliard linear stability: growth rates of small sinusoidal perturbations.

Linearising ``dX/dt = M lap(f'(X) - kappa lap X)`` about a uniform ``c0`` gives, for
``X = c0 + A(t) cos(k x)`` (Cahn, Acta Metall. 9, 795 (1961), Eq. 9),

    A(t) = A0 exp(sigma(k) t),   sigma(k) = -M k^2 (f''(c0) + kappa k^2),

unstable for ``0 < k < sqrt(-f''(c0)/kappa)`` inside the spinodal (``f''(c0) < 0``).

Setup: ``f = W X^2 (1 - X)^2`` with W = 1, c0 = 1/2 (f'' = -1, f''' = 0, so quadratic mode
coupling vanishes), kappa = M = 1, periodic box ``L = 16 pi`` so k = n/8. Three unstable
modes k = 3/8, 1/2, 3/4 (the fastest mode is k = 1/sqrt(2)) and one stable k = 5/4, each
seeded alone with amplitude 1e-6 and followed for 5 e-folds; the amplitude is the
projection on cos(k x) and the rate a least-squares line through log|A(t)|.

Residual discretisation errors (all computed below and printed), the tolerance is 2 %:
- space: the finite-volume Laplacian has the symbol ``lam = (4/h^2) sin^2(k h/2) = k^2 (1 -
  (k h)^2/12 + ...)``; with N = 512 cells (h = 0.098) this shifts sigma by at most 0.014 %
  for the unstable modes and 0.47 % for k = 5/4 (near the neutral k = 1 the relative
  error is amplified by (-f'' - 2 kappa lam)/(-f'' - kappa lam)).
- time: the stabilised semi-implicit step multiplies A by ``G = 1 + dt sigma_h / (1 + dt
  A_s (S lam + kappa lam^2))`` (``A_s``, ``S`` the stabiliser), i.e. a rate ``ln(G)/dt =
  sigma_h (1 - dt (A_s (S lam + kappa lam^2) + sigma_h/2) + ...)``; with dt = 1e-3 this is
  at most 0.14 % for the unstable modes and 0.46 % for k = 5/4.
The measured rate must also equal the fully discrete ``ln(G)/dt`` to 1e-6: the solver does
exactly what its scheme says, and the remaining gap to the continuum is the one above.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from phasefield.energies import DoubleWell, FreeEnergy
from phasefield.grid import Grid
from phasefield.integrators import SemiImplicit
from phasefield.mobility import ConstantMobility
from phasefield.models import PhaseFieldModel
from phasefield.run import run_fixed
from phasefield.state import State

W, KAPPA, M, C0 = 1.0, 1.0, 1.0, 0.5
FPP = 2.0 * W * ((C0 - 0.0) ** 2 + (1.0 - C0) ** 2 - 4.0 * (C0 - 0.0) * (1.0 - C0))  # f''(c0) = -1
N_CELLS, BOX = 512, 16.0 * np.pi
DT, CHUNK_TIME = 1e-3, 0.5
A0, E_FOLDS = 1e-6, 5.0
TOL = 0.02


def _f64(v):
    return jnp.asarray(v, dtype=jnp.float64)


@functools.lru_cache(maxsize=1)
def _setup():
    grid = Grid.create((N_CELLS,), BOX / N_CELLS, "periodic")
    energy = FreeEnergy(DoubleWell(_f64(W), _f64(0.0), _f64(1.0)), kappa=_f64(KAPPA))
    model = PhaseFieldModel(energy, ConstantMobility(_f64(M)))
    integrator = SemiImplicit(model, grid)
    n_steps = int(round(CHUNK_TIME / DT))
    advance = jax.jit(lambda s: run_fixed(integrator.step, s, n_steps, _f64(DT)))
    return grid, model, advance


def _continuum_rate(k):
    return -M * k**2 * (FPP + KAPPA * k**2)


def test_spinodal_curvature():
    """The setup's f''(c0) (by autodiff of the well) is the value used in the formula."""
    well = DoubleWell(_f64(W), _f64(0.0), _f64(1.0))
    assert float(jax.grad(jax.grad(well.density))(_f64(C0))) == pytest.approx(FPP, rel=1e-12)
    assert FPP < 0.0


@pytest.mark.parametrize("n", [3, 4, 6, 10])  # k = n/8: three unstable, one stable
def test_growth_rate(n):
    grid, model, advance = _setup()
    h = grid.spacing[0]
    x = grid.axis_coordinates(0)
    k = 2.0 * np.pi * n / BOX
    mode = np.cos(k * x)
    sigma = _continuum_rate(k)
    assert (sigma > 0) == (n < 8)

    state = State.create(_f64(C0 + A0 * mode), dt=DT)
    t_end = E_FOLDS / abs(sigma)
    times, amps = [0.0], [A0]
    while times[-1] < t_end:
        state = advance(state)
        times.append(float(state.t))
        amps.append(2.0 / N_CELLS * float(np.dot(mode, np.asarray(state.X) - C0)))
    amps = np.asarray(amps)
    assert np.all(amps > 0.0) and np.max(amps) < 1e-3  # stayed linear, no sign change
    measured = np.polyfit(np.asarray(times), np.log(amps), 1)[0]

    lam = (4.0 / h**2) * np.sin(0.5 * k * h) ** 2
    sigma_h = -M * lam * (FPP + KAPPA * lam)
    A_s, S = (float(c) for c in model.stabilizer_coefficients(state))
    growth = 1.0 + DT * sigma_h / (1.0 + DT * A_s * (S * lam + KAPPA * lam**2))
    sigma_discrete = np.log(growth) / DT

    rel = measured / sigma - 1.0
    print(f"k = {k:.4f}: sigma = {measured:+.6f} (continuum {sigma:+.6f}, rel {rel:+.2e}; "
          f"space {sigma_h / sigma - 1:+.2e}, space+time {sigma_discrete / sigma - 1:+.2e})")
    assert abs(rel) < TOL
    assert abs(measured / sigma_discrete - 1.0) < 1e-6
