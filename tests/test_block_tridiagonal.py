"""The local Jacobian by colouring and its block-tridiagonal LU
(``phasefield.integrators.block_tridiagonal``), and the coupled ROS2 step's ``"direct"``
preconditioner built on them: the probed blocks are the dense Jacobian of a stencil operator
on every kind of grid, the solve inverts them to round-off, the two-phase electrode's rate is
such a stencil once the potential is held (of the faces only: the face-stencil colouring
recovers it with fewer probes), and the block LU with the galvanostatic rank-one update by
Sherman-Morrison is the exact inverse of the stage operator: GMRES converges in one
iteration where the spectral preconditioner needs tens to hundreds."""

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from phasefield._pytree import replace
from phasefield.grid import Grid
from phasefield.integrators import block_tridiagonal as bt
from phasefield.integrators.krylov import gmres
from phasefield.integrators.rosenbrock import GAMMA

GRIDS = [((7, 6), ("noflux", "periodic")), ((5, 4), ("periodic", "periodic")), ((4,), ("noflux",)),
         ((4, 3, 5), ("noflux", "periodic", "noflux")), ((6, 2), ("noflux", "periodic")),
         ((3, 5), ("periodic", "noflux"))]


def _stencil_rate(shape, bc, n_fields=2):
    """A nonlinear rate coupling each cell to its face neighbours and both fields."""
    coef = jax.random.uniform(jax.random.PRNGKey(0), (n_fields, n_fields) + shape)

    def rate(y):
        out = jnp.einsum("fg...,g...->f...", coef, y**2)
        for d in range(len(shape)):
            lap = -2.0 * y
            for s in (1, -1):
                r = jnp.roll(y, s, axis=d + 1)
                if bc[d] == "noflux":  # mirror ghost
                    edge = [slice(None)] * y.ndim
                    edge[d + 1] = 0 if s == 1 else -1
                    r = r.at[tuple(edge)].set(y[tuple(edge)])
                lap = lap + r * (1.0 + 0.1 * r)
            out = out + 1.3 * lap[::-1] + lap
        return out

    return rate


def _dense(blocks, c):
    n_a, m = c.blocks
    A = np.zeros((n_a * m, n_a * m))
    for k in range(n_a):
        A[k * m:(k + 1) * m, k * m:(k + 1) * m] = blocks[1, k]
        if k:
            A[k * m:(k + 1) * m, (k - 1) * m:k * m] = blocks[0, k]
        if k < n_a - 1:
            A[k * m:(k + 1) * m, (k + 1) * m:(k + 2) * m] = blocks[2, k]
    return A


@pytest.mark.parametrize("stencil", bt.STENCILS)
@pytest.mark.parametrize("shape,bc", GRIDS)
def test_colouring_recovers_the_stencil_jacobian_and_block_lu_inverts_it(shape, bc, stencil):
    rate = _stencil_rate(shape, bc)  # face neighbours only: both colourings hold
    y0 = jax.random.normal(jax.random.PRNGKey(1), (2,) + shape)
    c = bt.colouring(2, shape, bc, stencil)
    assert c.axis == bt.block_axis(Grid.create(shape, 1.0, bc))
    _, jvp = jax.linearize(rate, y0)
    blocks = bt.block_jacobian(jvp, c, jnp.float64)
    flat = lambda v: bt.to_blocks(rate(bt.from_blocks(v.reshape(c.blocks), c, y0.shape)), c).ravel()  # noqa: E731
    J = np.array(jax.jacfwd(flat)(bt.to_blocks(y0, c).ravel()))
    m = c.blocks[1]
    if bc[c.axis] == "periodic":  # no no-flux axis: the wrap-around blocks are left out
        J[:m, -m:] = 0.0
        J[-m:, :m] = 0.0
    assert np.max(np.abs(J - _dense(blocks, c))) == 0.0
    if stencil == "box":
        assert c.probes.shape[0] == 2 * np.prod([3 if b == "noflux" else min(p for p in range(3, n + 1) if n % p == 0)
                                                 if n >= 3 else n for n, b in zip(shape, bc)])
    W = jnp.stack([0.3 * blocks[0], jnp.eye(m) + 0.3 * blocks[1], 0.3 * blocks[2]])  # I + 0.3 J
    b = jax.random.normal(jax.random.PRNGKey(2), c.blocks)
    x = bt.solve(bt.factor(bt.stencil_values(jvp, c, jnp.float64), c, 0.3), c, b)
    residual = _dense(W, c) @ np.asarray(x).ravel() - np.asarray(b).ravel()
    assert np.max(np.abs(residual)) < 1e-12 * np.max(np.abs(np.asarray(b)))
    # round trip of the block ordering
    v = jax.random.normal(jax.random.PRNGKey(3), y0.shape)
    assert jnp.array_equal(bt.from_blocks(bt.to_blocks(v, c), c, v.shape), v)


@pytest.mark.parametrize("shape,bc,fewest", [((24, 24), ("noflux", "noflux"), 5), ((96, 64), ("noflux", "periodic"), 7),
                                              ((10, 7), ("periodic", "periodic"), 7), ((6, 5, 4), ("noflux",) * 3, 7),
                                              ((12, 14, 7), ("noflux", "periodic", "periodic"), 7), ((9,), ("noflux",), 3)])
def test_cross_colouring_separates_every_pair_of_cells_that_share_a_row(shape, bc, fewest):
    """No two cells within two face steps of each other (both in one row's 5- or 7-point
    stencil, across periodic wraps too) share a colour, with 2 d + 1 colours where the
    pattern fits the grid and a few more where a periodic wrap breaks it (DSatur)."""
    c = bt.colouring(1, shape, bc, "cross")
    colour = np.argmax(c.probes[:, 0], axis=0)  # (grid shape)
    nd = len(shape)
    for d in np.ndindex(*(5,) * nd):
        d = np.array(d) - 2
        if not 0 < np.abs(d).sum() <= 2:
            continue
        other = colour
        valid = np.ones(shape, bool)
        for i in range(nd):
            other = np.roll(other, -d[i], axis=i)
            if bc[i] == "noflux":  # no partner beyond the edge
                idx = np.arange(shape[i]) + d[i]
                inside = (idx >= 0) & (idx < shape[i])
                valid &= inside.reshape([-1 if j == i else 1 for j in range(nd)])
        same_cell = all((bc[i] == "periodic" and d[i] % shape[i] == 0) or d[i] == 0 for i in range(nd))
        if not same_cell:
            assert not np.any(valid & (other == colour)), d
    assert c.probes.shape[0] == fewest


def _electrode(extra=()):
    """The reduced 2D electrode deck (32 x 24 cells of 0.5 um), two-phase, Li_0.5Al particles."""
    from phasefield.deck import load_deck
    from phasefield.setup import build

    root = Path(__file__).resolve().parents[1]
    reduced = ["grid.shape=[32,24]", 'grid.spacing="0.5 um"', 'geometry.radius_std="0.2 um"', "geometry.psi_cut=0.1",
               'model.kind="two_phase"', 'energy.alpha_solution="dilute"', 'model.phase_mobility="0.01 mol/J/s"',
               'model.face_mobility="arithmetic"', 'geometry.contact_reach="1 um"', "initial.x_ratio=0.5",
               'initial.mode="prelithiated"', "integrator.max_change=1", *extra]
    return build(load_deck(root / "inputs/lial_electrode_2d.toml", reduced))


def test_two_phase_electrode_rate_is_a_face_stencil_once_the_potential_is_held():
    """The held model's Jacobian (dense, by forward-mode autodiff) is exactly the probed block
    tridiagonal one; the galvanostatic Jacobian differs from it by rank one (the coupling of
    every surface cell through the solved electrode potential)."""
    sim = _electrode()
    integ, state = sim.stepper.integrator, sim.state
    held = replace(integ, model=integ.model.with_potential_held(state, sim.grid))
    y0 = jnp.concatenate([state.X[None], state.eta])
    c = bt.colouring(2, sim.grid.shape, sim.grid.bc)
    _, jvp = jax.linearize(held._rate(state), y0)
    blocks = bt.block_jacobian(jvp, c, y0.dtype)

    def flat(model):
        rate = replace(integ, model=model)._rate(state)
        return lambda v: bt.to_blocks(rate(bt.from_blocks(v.reshape(c.blocks), c, y0.shape)), c).ravel()

    v0 = bt.to_blocks(y0, c).ravel()
    J_held = np.asarray(jax.jacfwd(flat(held.model))(v0))
    scale = np.max(np.abs(J_held))
    assert np.max(np.abs(J_held - _dense(blocks, c))) <= 1e-12 * scale
    # the model declares a face stencil: its colouring (7 colours on this grid, not 9) gives the same blocks
    stencil = integ.model.jacobian_stencil
    cross = bt.colouring(2, sim.grid.shape, sim.grid.bc, stencil)
    assert stencil == "cross" and cross.probes.shape[0] < c.probes.shape[0]
    assert np.max(np.abs(J_held - _dense(bt.block_jacobian(jvp, cross, y0.dtype), cross))) <= 1e-12 * scale
    s = np.linalg.svd(np.asarray(jax.jacfwd(flat(integ.model))(v0)) - J_held, compute_uv=False)
    assert s[0] > 1e-6 * scale and s[1] < 1e-9 * s[0]


def test_direct_preconditioner_takes_the_same_step_as_gmres_with_the_spectral_one():
    """From the prelithiated electrode 20 s into its lithiation, over dt = 0.1-10 s: the
    direct preconditioner is the inverse of the galvanostatic stage operator (GMRES converges
    in one iteration; the spectral one needs more at every dt), and both give the same step
    to the GMRES tolerance, Li content at the applied current."""
    from phasefield.run import integrate

    sim = _electrode(['integrator.error_norm="max"'])
    state = integrate(sim.stepper, sim.state, [20.0])
    spectral = replace(sim.stepper.integrator, preconditioner="spectral")
    direct = replace(spectral, preconditioner="direct")
    y0 = jnp.concatenate([state.X[None], state.eta])
    F0, jvp = jax.linearize(spectral._rate(state), y0)

    def iterations(integ):
        @jax.jit
        def count(dt):
            P, _ = integ._preconditioner(state, dt)
            _, info = gmres(lambda v: v - GAMMA * dt * jvp(v), F0, P, rtol=1e-7, restart=100, max_cycles=4)
            return info.iterations, info.converged

        return lambda dt: tuple(x.item() for x in count(dt))

    amount = lambda s: float(sim.grid.integrate(spectral.model.conserved(s)))  # noqa: E731
    count_direct, count_spectral = iterations(direct), iterations(spectral)
    step_spectral, step_direct = jax.jit(spectral.step_with_error), jax.jit(direct.step_with_error)
    for dt in (0.1, 1.0, 10.0):
        n_direct, ok = count_direct(dt)
        n_spectral, _ = count_spectral(dt)
        print(f"dt = {dt} s: GMRES iterations direct {n_direct}, spectral {n_spectral}")
        assert ok and n_direct == 1 and n_spectral > 2, (dt, n_direct, n_spectral)
        a, ea = step_spectral(state, dt)
        b, eb = step_direct(state, dt)
        if np.isfinite(float(ea)):  # to the GMRES tolerance, relative to the step (dt = 10 s overshoots to X ~ -24)
            size = max(1.0, float(jnp.max(jnp.abs(a.X))))
            assert float(jnp.max(jnp.abs(a.X - b.X))) < 1e-5 * size and float(jnp.max(jnp.abs(a.eta - b.eta))) < 1e-5 * size
            assert abs(float(ea) - float(eb)) < 1e-4 * float(ea) + 1e-8
        model = spectral.model  # Li in at I/F over the electrolyte face
        expected = float(model.kinetics.li_flux(model.control.current) * model.domain.face_area) * dt
        assert abs((amount(b) - amount(state)) / expected - 1.0) < 1e-9


def test_rank_one_update_makes_the_held_inverse_exact_under_galvanostatic_control():
    """On the reduced electrode 20 s into its lithiation, dt = 0.1-10 s: the block LU of the
    held-potential operator alone leaves a residual of the galvanostatic stage system (the
    rank-one coupling through the solved potential, 1e-5-1e-4 of a random right-hand side);
    with the Sherman-Morrison update the residual is the LU's own round-off on the held
    operator (1e-11 at dt = 0.1 s to 1e-8 at 10 s), and the checked solve takes it."""
    from phasefield.integrators.rosenbrock import checked_solve
    from phasefield.run import integrate

    sim = _electrode()
    state = integrate(sim.stepper, sim.state, [20.0])
    integ = sim.stepper.integrator
    y0 = jnp.concatenate([state.X[None], state.eta])
    _, jvp = jax.linearize(integ._rate(state), y0)
    held = replace(integ, model=integ.model.with_potential_held(state, sim.grid))
    _, jvp_held = jax.linearize(held._rate(state), y0)
    b = jax.random.normal(jax.random.PRNGKey(4), y0.shape) * integ.model.active

    @jax.jit
    def residuals(dt):
        W = lambda v: v - GAMMA * dt * jvp(v)  # noqa: E731
        W_held = lambda v: v - GAMMA * dt * jvp_held(v)  # noqa: E731
        P, Pt = integ._preconditioner(state, dt)
        P_held, _ = held._preconditioner(state, dt)
        k, (ok, r) = checked_solve(W, P, Pt, b, 1e-7, 10, 1)
        size = jnp.linalg.norm(b)
        return (jnp.linalg.norm(W(P(b)) - b) / size, jnp.linalg.norm(W_held(P_held(b)) - b) / size,
                jnp.linalg.norm(W(P_held(b)) - b) / size, ok, jnp.linalg.norm(r - (b - W(k))) / size)

    for dt in (0.1, 1.0, 10.0):
        exact, lu, held_only, ok, r_err = (float(x) for x in residuals(dt))
        print(f"dt = {dt} s: relative residual {exact:.1e} with the update, {held_only:.1e} without "
              f"({lu:.1e}: the LU on the held operator)")
        assert exact < 1e-7 and exact < 1.5 * lu + 1e-14 and held_only > 1e3 * exact, (exact, lu, held_only)
        assert ok and r_err < 1e-2 * exact, (ok, r_err)


def test_checked_solve_refines_an_inexact_inverse_with_gmres():
    """``checked_solve`` keeps ``P b`` when ``P`` inverts ``W`` and falls back to GMRES from it
    when it does not (converging to the tolerance, or reporting that it did not)."""
    from phasefield.integrators.rosenbrock import checked_solve

    A = jax.random.normal(jax.random.PRNGKey(5), (40, 40)) / 40.0 + jnp.eye(40)
    b = jax.random.normal(jax.random.PRNGKey(6), (40,))
    W = lambda v: A @ v  # noqa: E731
    exact = jnp.linalg.inv(A)
    rough = jnp.linalg.inv(A + 0.05 * jnp.eye(40))
    for P, rtol, cycles, converges in ((exact, 1e-10, 1, True), (rough, 1e-10, 4, True),
                                       (0.01 * jnp.eye(40), 1e-10, 1, False)):
        k, (ok, r) = checked_solve(W, lambda v: P @ v, lambda v: P.T @ v, b, rtol, 3, cycles)
        assert bool(ok) == converges
        assert jnp.allclose(r, b - A @ k, atol=1e-12)
        if converges:
            assert jnp.linalg.norm(b - A @ k) <= rtol * jnp.linalg.norm(b) * 1.0001


def test_direct_preconditioner_is_a_two_phase_option_of_the_deck():
    from phasefield.deck import DeckError, load_deck
    from phasefield.setup import build

    from phasefield.integrators.block_tridiagonal import DIRECT_BLOCK_LIMIT, block_size

    sim = _electrode(['integrator.preconditioner="spectral"'])
    assert sim.stepper.integrator.preconditioner == "spectral"
    # "auto" (the default): direct while a block (X and phi across the 24 periodic cells) is small
    assert block_size(2, sim.grid) == 48 <= DIRECT_BLOCK_LIMIT
    assert _electrode().stepper.integrator.preconditioner == "direct"
    slab3 = lambda n: Grid.create((n, n, n), 0.25, ("noflux", "periodic", "periodic"))  # noqa: E731
    assert block_size(2, slab3(16)) == 512 and block_size(2, slab3(20)) == 800  # 3D: spectral beyond 16^3
    root = Path(__file__).resolve().parents[1]
    with pytest.raises(DeckError, match="integrator.preconditioner"):
        build(load_deck(root / "inputs/lial_electrode_2d.toml", ['integrator.preconditioner="direct"',
                                                                  "grid.shape=[32,24]", 'grid.spacing="0.5 um"',
                                                                  'geometry.radius_std="0.2 um"']))


def test_gradients_through_direct_preconditioned_steps():
    """``jax.grad`` through fixed ROS2 steps of the two-phase film (1D, galvanostatic) with the
    direct preconditioner (implicit differentiation, transposed solve with the transposed block
    LU) equals central differences."""
    from phasefield.electrochem import ButlerVolmer, Galvanostatic
    from phasefield.energies.lial import lial_energy
    from phasefield.integrators.coupled_rosenbrock import CoupledRosenbrock2
    from phasefield.mobility import lial_mobility
    from phasefield.problems.lial_particle import two_phase_particle_problem

    grid = Grid.create((48,), 0.025, "noflux")
    kin = ButlerVolmer(*(jnp.asarray(v) for v in (10.0, 0.5, 0.5, 298.15, 1e-5)))
    model, state = two_phase_particle_problem(grid, 0.5, lial_energy(sigma=0.2, delta=0.1), lial_mobility(), kin,
                                              Galvanostatic(jnp.asarray(10.0)))

    def loss(current, preconditioner):
        m = replace(model, control=Galvanostatic(current))
        integ = CoupledRosenbrock2(m, grid, rtol=1e-12, preconditioner=preconditioner)
        s = state
        for dt in (0.05, 0.5):
            s = integ.step(s, jnp.asarray(dt))
        return jnp.sum(m.domain.psi * s.X**2) + jnp.sum(s.eta**2)

    g_direct = float(jax.jit(jax.grad(loss), static_argnums=1)(jnp.asarray(10.0), "direct"))
    h = 1e-3
    f = jax.jit(loss, static_argnums=1)
    fd = (float(f(jnp.asarray(10.0 + h), "direct")) - float(f(jnp.asarray(10.0 - h), "direct"))) / (2 * h)
    assert g_direct != 0.0
    assert abs(g_direct - fd) < 1e-5 * abs(fd), (g_direct, fd)
