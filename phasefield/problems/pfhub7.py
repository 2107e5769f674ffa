"""PFHub benchmark 7 (method of manufactured solutions, Allen-Cahn), part (a).

Specification: PFHub benchmark 7, "MMS Allen-Cahn" (usnistgov/pfhub,
``benchmarks/benchmark7.ipynb``; Jokisaari et al., Comput. Mater. Sci. 126, 139 (2017) for
the benchmark set). Everything is dimensionless.

Governing equation (benchmark 7 Eq. 1), a single order parameter with L = 1:

    d eta/dt = -[ 4 eta (eta - 1)(eta - 1/2) - kappa lap eta ] + S(x, y, t)

which is ``PhaseFieldModel``'s Allen-Cahn kinetics for the energy
``g(eta) = eta^2 (1 - eta)^2`` (``SingleWell``: ``g'(eta) = 4 eta (eta - 1)(eta - 1/2)``)
with ``kappa_eta = kappa``. Manufactured solution (benchmark 7 Eqs. 2-3):

    eta_sol(x, y, t) = 1/2 [ 1 - tanh( (y - alpha(x, t)) / sqrt(2 kappa) ) ]
    alpha(x, t)      = 1/4 + A1 t sin(B1 x) + A2 sin(B2 x + C2 t)

Parameters of part (a) (benchmark 7, "Parameter values"): kappa = 0.0004, A1 = 0.0075,
B1 = 8 pi, A2 = 0.03, B2 = 22 pi, C2 = 0.0625 pi. Domain [0, 1] x [0, 0.5], periodic in x,
Dirichlet eta = 1 at y = 0 and eta = 0 at y = 0.5; initial condition eta_sol(x, y, 0); the
benchmark stops at t = 8 and reports the discrete L2 error
``sqrt(sum (eta - eta_sol)^2 dx dy)``.

The source ``S = d eta_sol/dt + g'(eta_sol) - kappa lap eta_sol`` is computed pointwise by
automatic differentiation of ``eta_sol`` (``jax.grad`` in t, second derivatives in x and y),
never transcribed.

Boundaries in y. The grid offers periodic and no-flux faces only. eta_sol is not exactly
flat at y = 0 and y = 0.5: the interface lies at alpha in [0.16, 0.34] for t <= 8, so
|y - alpha| / sqrt(2 kappa) >= 5.6 there and the normal slope is at most
|d eta_sol/dy| = sech^2(5.6) / (2 sqrt(2 kappa)) ~ 9e-4 (the value 1 - eta_sol at the wall is
~1e-5). A zero-flux face therefore perturbs the boundary cells by a source error
``kappa |d eta_sol/dy| / h`` (~4e-5 at h = 1/128). That is small against the benchmark's
target errors (1e-4 to 5e-3) but it is a first-order-in-h inconsistency, so by default
(``boundary_flux=True``) the exact wall flux ``kappa d eta_sol/dy`` (again by autodiff) is
added to the source of the first and last rows: the boundary condition becomes the exact
Neumann condition of the manufactured solution, which converges at the same order as the
Dirichlet one. ``boundary_flux=False`` gives the plain no-flux problem, to measure the size
of the difference.
"""

from __future__ import annotations

import functools
from typing import Optional

import jax
import jax.numpy as jnp
import numpy as np

from phasefield._pytree import pytree
from phasefield.energies.functional import FreeEnergy
from phasefield.grid import Grid
from phasefield.models.coupled import PhaseFieldModel
from phasefield.state import State

#: Domain lengths (x, y) of benchmark 7.
LENGTHS = (1.0, 0.5)
#: Stopping time of benchmark 7.
T_END = 8.0


@pytree
class SingleWell:
    """The Allen-Cahn bulk energy of benchmark 7, ``g(eta) = W sum_i eta_i^2 (1 - eta_i)^2``.

    W = 1 gives ``g'(eta) = 4 eta (eta - 1)(eta - 1/2)`` of benchmark 7 Eq. 1. ``W`` is in the
    (dimensionless) energy unit of the problem; ``eta`` has shape ``(n, *spatial)``.
    """

    W: jnp.ndarray

    def density(self, eta):
        return jnp.sum(self.W * eta**2 * (1.0 - eta) ** 2, axis=0)

    def max_curvature(self, n_grains: int):
        """``max g''`` on [0, 1]: ``g'' = W (2 - 12 eta + 12 eta^2)`` peaks at 2 W at eta = 0, 1."""
        return 2.0 * self.W


@pytree
class MMSParameters:
    """Constants of benchmark 7 (all dimensionless)."""

    kappa: jnp.ndarray
    A1: jnp.ndarray
    B1: jnp.ndarray
    A2: jnp.ndarray
    B2: jnp.ndarray
    C2: jnp.ndarray


def pfhub7a_parameters(dtype=jnp.float64) -> MMSParameters:
    """Part (a) values (benchmark 7, "Parameter values")."""
    a = lambda v: jnp.asarray(v, dtype=dtype)  # noqa: E731
    return MMSParameters(
        kappa=a(4e-4), A1=a(0.0075), B1=a(8.0 * np.pi), A2=a(0.03), B2=a(22.0 * np.pi),
        C2=a(0.0625 * np.pi),
    )


def interface_position(p: MMSParameters, x, t):
    """``alpha(x, t) = 1/4 + A1 t sin(B1 x) + A2 sin(B2 x + C2 t)`` (benchmark 7 Eq. 3)."""
    return 0.25 + p.A1 * t * jnp.sin(p.B1 * x) + p.A2 * jnp.sin(p.B2 * x + p.C2 * t)


def exact_solution(p: MMSParameters, x, y, t):
    """``eta_sol(x, y, t)`` (benchmark 7 Eq. 2); broadcasts over ``x``, ``y``."""
    return 0.5 * (1.0 - jnp.tanh((y - interface_position(p, x, t)) / jnp.sqrt(2.0 * p.kappa)))


def _source_point(p: MMSParameters, well: SingleWell, x, y, t):
    """``S = d_t eta + g'(eta) - kappa (d_xx + d_yy) eta`` at one point, all by autodiff."""
    eta = exact_solution(p, x, y, t)
    eta_t = jax.grad(exact_solution, argnums=3)(p, x, y, t)
    eta_xx = jax.grad(jax.grad(exact_solution, argnums=1), argnums=1)(p, x, y, t)
    eta_yy = jax.grad(jax.grad(exact_solution, argnums=2), argnums=2)(p, x, y, t)
    g1 = jax.grad(lambda e: well.density(e[None]))(eta)
    return eta_t + g1 - p.kappa * (eta_xx + eta_yy)


@functools.partial(jax.jit, static_argnums=(2, 4))
def source_field(p: MMSParameters, well: SingleWell, grid: Grid, t, boundary_flux: bool = True):
    """The source on the cell centres of ``grid`` at time ``t``, shape ``(1, nx, ny)``.

    With ``boundary_flux`` the exact wall fluxes are added to the boundary rows (module
    docstring): ``-kappa d_y eta_sol(x, 0) / h`` in the first row and
    ``+kappa d_y eta_sol(x, L_y) / h`` in the last, the face fluxes that the no-flux
    discrete Laplacian leaves out.
    """
    x, y = (jnp.asarray(c) for c in grid.coordinates())
    t = jnp.asarray(t, dtype=x.dtype)
    point = jax.vmap(lambda xi, yi: _source_point(p, well, xi, yi, t))
    S = point(x.ravel(), y.ravel()).reshape(grid.shape)
    if boundary_flux:
        xs = jnp.asarray(grid.axis_coordinates(0))
        Ly, h = grid.lengths[1], grid.spacing[1]
        slope = jax.vmap(jax.grad(exact_solution, argnums=2), in_axes=(None, 0, None, None))
        S = S.at[:, 0].add(-p.kappa * slope(p, xs, jnp.zeros((), xs.dtype), t) / h)
        S = S.at[:, -1].add(p.kappa * slope(p, xs, jnp.asarray(Ly, xs.dtype), t) / h)
    return S[None]


@functools.partial(jax.jit, static_argnums=2)
def l2_error(eta, p: MMSParameters, grid: Grid, t):
    """Benchmark 7 L2 error ``sqrt(sum (eta - eta_sol)^2 dx dy)`` of a field of grid.shape."""
    x, y = (jnp.asarray(c) for c in grid.coordinates())
    err = eta - exact_solution(p, x, y, jnp.asarray(t, dtype=x.dtype))
    return jnp.sqrt(grid.integrate(err**2))


def pfhub7_problem(
    n: int,
    params: Optional[MMSParameters] = None,
    boundary_flux: bool = True,
    dt: float = 1e-3,
):
    """``(grid, model, state)`` for benchmark 7 with ``n`` cells along y (``2n`` along x).

    Cells are square, ``h = 0.5 / n``; x is periodic, y has no-flux faces (plus the exact
    wall flux in the source when ``boundary_flux``). The state starts from ``eta_sol(t = 0)``
    with one order parameter; ``X`` is a frozen zero field. ``dt`` only seeds ``State.dt``.
    """
    if n < 2:
        raise ValueError(f"need at least 2 cells along y; got n={n}")
    p = pfhub7a_parameters() if params is None else params
    h = LENGTHS[1] / n
    grid = Grid.create((2 * n, n), h, ("periodic", "noflux"))
    well = SingleWell(jnp.asarray(1.0, dtype=p.kappa.dtype))
    energy = FreeEnergy(None, kappa=jnp.zeros_like(p.kappa), grains=well, kappa_eta=p.kappa)

    def eta_source(t):
        return source_field(p, well, grid, t, boundary_flux)

    model = PhaseFieldModel(energy, mobility=None, L=jnp.ones_like(p.kappa), eta_source=eta_source)
    x, y = grid.coordinates()
    eta0 = jax.jit(exact_solution)(p, x, y, jnp.zeros((), p.kappa.dtype))
    state = State.create(jnp.zeros(grid.shape, p.kappa.dtype), eta=eta0[None], dt=dt)
    return grid, model, state
