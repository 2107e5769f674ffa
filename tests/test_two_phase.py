"""The two-phase electrode model (``phasefield.models.two_phase``) with its dilute alpha
phase and nucleation, integrated by the coupled ROS2 step
(``phasefield.integrators.coupled_rosenbrock``): the energy's derivatives and split, Li
conservation under a galvanostatic current, second order in time, and a beta front that
nucleates at the contact and moves at the flux-balance speed."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from phasefield.constants import FARADAY, R_GAS
from phasefield.electrochem import ButlerVolmer, Galvanostatic
from phasefield.energies.kks import TwoPhaseEnergy, interpolation
from phasefield.energies.lial import lial_energy
from phasefield.grid import Grid
from phasefield.integrators.adaptive import AdaptiveController, AdaptiveStepper
from phasefield.integrators.coupled_rosenbrock import CoupledRosenbrock2
from phasefield.integrators.rosenbrock import FLOOR_SHARE
from phasefield.mobility import lial_mobility
from phasefield.problems.lial_particle import two_phase_particle_problem
from phasefield.run import advance_to
from phasefield._pytree import replace

LIAL = lial_energy(sigma=0.2, delta=0.1)
KKS = TwoPhaseEnergy.from_lial(LIAL, 0.1, alpha="dilute")
FLUX = 10.0 * 1e-5 / FARADAY * 1e6  # 1 mA/cm^2 as Li atom fraction x um / s


def test_dilute_alpha_derivatives_split_and_potential():
    rng = np.random.default_rng(1)
    X = jnp.asarray(np.concatenate([rng.uniform(0.0, 0.5, 300), 10 ** rng.uniform(-25, -1, 300)]))
    phi = jnp.asarray(np.concatenate([rng.uniform(0.0, 1.0, 300), 10 ** rng.uniform(-9, 0, 300)]))
    mu = KKS.chemical_potential(X, phi)
    dfdX, dfdphi = jax.vmap(jax.grad(KKS.density, argnums=(0, 1)))(X, phi)
    np.testing.assert_allclose(dfdX, mu, rtol=1e-12)
    oa, ob = KKS.grand_potentials(mu)
    hp = jax.vmap(jax.grad(interpolation))(phi)
    np.testing.assert_allclose(dfdphi, hp * (ob - oa) + KKS.W * 2 * phi * (1 - phi) * (1 - 2 * phi),
                               rtol=1e-8, atol=1e-8 * float(KKS.W))
    X_alpha, X_beta = KKS.phase_compositions(mu)
    h = interpolation(phi)
    np.testing.assert_allclose(h * X_beta + (1 - h) * X_alpha, X, rtol=1e-9, atol=1e-16)
    # alpha is Henry's law through the coexistence point; 1.5 V at X = Xa exp(-F (1.5 - V1) / RT)
    RT = R_GAS * 298.15
    X15 = float(KKS.Xa) * np.exp(-FARADAY * (1.5 - 0.38) / RT)
    assert abs(float(KKS.voltage(KKS.chemical_potential(jnp.asarray(X15), 0.0))) - 1.5) < 1e-9
    oa, ob = KKS.grand_potentials(KKS.s1)
    assert abs(float(oa - ob)) < 1e-9 * abs(float(oa))


def test_supersaturated_dilute_alpha_is_bounded_and_never_wins_over_beta():
    """Above the coexistence point the dilute alpha is Henry's law's tangent parabola: X_alpha,
    dX_alpha/dmu and f'' are continuous at Xa, beta's grand potential stays below alpha's for
    every potential from the plateau down to 0 V vs Li/Li+ (Henry's law continued gives alpha
    the lower one from ~90 mV past the plateau), and a cell part alpha, part beta holds at
    most h Xb + (1 - h) Xa + O(d) Li at a cut-off of 0.01 V."""
    RT = float(KKS.RT)
    s1, Xa, Xb = float(KKS.s1), float(KKS.Xa), float(KKS.Xb)
    for eps in (1e-6, -1e-6):
        mu = jnp.asarray(s1 + eps * RT)
        (xa, _), chi = KKS.phase_compositions(mu), KKS.susceptibility(jnp.asarray(0.0), mu)
        assert float(xa) == pytest.approx(Xa * (1 + eps), rel=1e-9)
        assert float(chi) == pytest.approx(Xa / RT, rel=2e-6)
    f2 = jax.grad(jax.grad(lambda x: KKS.density(x, 0.0)))
    assert float(f2(jnp.asarray(Xa * (1 + 1e-7)))) == pytest.approx(float(f2(jnp.asarray(Xa * (1 - 1e-7)))), rel=1e-5)
    d = jnp.linspace(1.0, FARADAY * 0.38, 400)  # plateau (0.38 V) to 0 V
    oa, ob = KKS.grand_potentials(s1 + d)
    assert bool(jnp.all(ob < oa))
    henry = -s1 * Xa - RT * (Xa * jnp.exp(d / RT) - Xa)  # Henry's law continued
    assert float(d[jnp.argmax(ob > henry)]) < FARADAY * 0.1
    # a rim cell two-thirds beta at the 0.01 V cut-off: X follows from mu and stays below Xb
    mu = jnp.asarray(s1 + FARADAY * 0.37)
    h = float(interpolation(jnp.asarray(0.7)))
    xa, xb = KKS.phase_compositions(mu)
    assert h * float(xb) + (1 - h) * float(xa) < 0.55
    X = jnp.asarray([0.3, 0.5, 0.6])
    np.testing.assert_allclose(KKS.phase_compositions(KKS.chemical_potential(X, jnp.asarray(0.7)))[1] * h
                               + KKS.phase_compositions(KKS.chemical_potential(X, jnp.asarray(0.7)))[0] * (1 - h),
                               X, rtol=1e-12)


def _slab(current=10.0, n=48):
    """A 1 um film (1D particle) from x = 0.2 um, Li entering its first cell."""
    grid = Grid.create((n,), 0.025, "noflux")
    kin = ButlerVolmer(*(jnp.asarray(v) for v in (10.0, 0.5, 0.5, 298.15, 1e-5)))
    model, state = two_phase_particle_problem(grid, 0.5, LIAL, lial_mobility(), kin,
                                              Galvanostatic(jnp.asarray(current)))
    return grid, model, state


def _stepper(model, grid, tol=1e-3):
    ctrl = AdaptiveController(error_tol=tol, lower=-0.05, upper=1.05, check_energy=False)
    return AdaptiveStepper(CoupledRosenbrock2(model, grid), ctrl)


def test_galvanostatic_li_content_rises_at_the_applied_current():
    grid, model, state = _slab()
    amount = lambda s: float(grid.integrate(model.conserved(s)))  # noqa: E731
    U0 = amount(state)
    step = jax.jit(CoupledRosenbrock2(model, grid).step)
    s = state
    for dt in (1e-3, 0.1, 1.0, 2.0):  # from the start to steps of seconds
        s = step(s, jnp.asarray(dt))
    gained = amount(s) - U0
    assert abs(gained / (FLUX * float(s.t)) - 1.0) < 1e-10


def test_second_order_in_time():
    grid, model, state = _slab()
    stepper = _stepper(model, grid)
    state, _ = advance_to(stepper, state, 2.0, 10_000)  # past the start-up transient
    step = jax.jit(CoupledRosenbrock2(model, grid, rtol=1e-12).step)

    def run(n, T=0.4):
        s = state
        for _ in range(n):
            s = step(s, jnp.asarray(T / n))
        return jnp.concatenate([s.X, s.eta[0]])

    ref = run(64)
    errors = [float(jnp.max(jnp.abs(run(n) - ref))) for n in (4, 8, 16)]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders > 1.7), (errors, orders)


def test_beta_nucleates_at_the_contact_and_its_front_moves_at_the_flux_balance_speed():
    """Both face means of the mobility: the front converts alpha at the flux-balance speed,
    and with the arithmetic mean it does so without the potential swings of a front that
    crosses each cell as a burst (the geometric mean's barrier at faces into alpha)."""
    swing = {}
    for face in ("geometric", "arithmetic"):
        grid, model, state = _slab()
        model = replace(model, face_mobility=face)
        stepper = _stepper(model, grid)
        x = grid.axis_coordinates(0)
        first = int(np.argmax(np.asarray(model.domain.psi) > 0.5))
        fronts, V = {}, []
        for t in np.arange(60.0, 121.0, 2.0):
            state, stats = advance_to(stepper, state, float(t), 50_000)
            V.append(float(model.electrode_potential(state, grid)))
            if t in (60.0, 120.0):
                phi = np.asarray(state.eta[0])
                beyond = np.nonzero(phi[first:] < 0.5)[0][0] + first  # first alpha cell past the beta layer
                i = beyond - 1
                fronts[t] = x[i] + (phi[i] - 0.5) / (phi[i] - phi[beyond]) * (x[beyond] - x[i])
                # beta at the contact, alpha (X ~ 0.02) ahead of the front
                assert phi[first] > 0.99 and phi[-1] < 1e-6 and abs(float(state.X[-1]) - 0.02) < 1e-3
        # the front converts X0 = 0.02 alpha into beta at ~Xb: speed flux / (Xb - X0) within 5 %
        speed = (fronts[120.0] - fronts[60.0]) / 60.0
        assert abs(speed / (FLUX / (float(LIAL.Xb) - 0.02)) - 1.0) < 0.05, (face, speed)
        swing[face] = np.ptp(V)
    # measured: 5.4 mV (geometric) and 0.46 mV (arithmetic) over 60-120 s, sampled every second
    assert swing["geometric"] > 2e-3 and swing["arithmetic"] < swing["geometric"] / 5, swing


def test_face_mobility_means_at_a_front_and_across_an_alpha_layer():
    """The mobility on a face from the cells' ln M: the geometric mean exp(<ln M>) and the
    arithmetic mean (M_i + M_i+1)/2, formed in log space (float32 keeps it). Across an
    alpha layer between two beta regions (phi 0/1 cells, the same mu drop) the layer's
    conductance, the faces in series, is alpha's for a layer of two or more cells with
    either mean; a single alpha cell is crossed at beta's rate by the arithmetic mean."""
    from phasefield.models.cahn_hilliard import face_mobilities

    grid = Grid.create((4,), 0.25, "noflux")
    lnM = jnp.log(jnp.array([1e-10, 1.0, 1e-10, 1e-10]))
    geo, = face_mobilities(lnM, grid)
    ari, = face_mobilities(lnM, grid, "arithmetic")
    np.testing.assert_allclose(np.asarray(geo)[:3], [1e-5, 1e-5, 1e-10], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(ari)[:3], [0.5 + 5e-11, 0.5 + 5e-11, 1e-10], rtol=1e-12)
    ari32, = face_mobilities(lnM.astype(jnp.float32), grid, "arithmetic")
    np.testing.assert_allclose(np.asarray(ari32)[:3], [0.5, 0.5, 1e-10], rtol=1e-5)
    with np.testing.assert_raises(ValueError):
        face_mobilities(lnM, grid, "harmonic")

    grid, model, state = _slab()
    n = grid.shape[0]
    conductance = {}
    for face in ("geometric", "arithmetic"):
        m = replace(model, face_mobility=face, domain=None, kinetics=None, control=None)
        for width in (1, 2, 3):
            phi = np.ones(n)
            phi[20:20 + width] = 0.0
            s = replace(state, X=jnp.asarray(np.where(phi > 0, 0.5, 1e-3)), eta=jnp.asarray(phi)[None])
            M = face_mobilities(m.log_mobility(s), grid, face)[0]
            faces = np.asarray(M)[18:20 + width + 1]  # beta | layer | beta, the faces in series
            conductance[face, width] = 1.0 / np.sum(1.0 / faces)
    M_beta = float(np.exp(m.log_mobility(replace(state, X=jnp.full(n, 0.5), eta=jnp.ones((1, n))))[0]))
    M_alpha = float(np.exp(m.log_mobility(replace(state, X=jnp.full(n, 1e-3), eta=jnp.zeros((1, n))))[0]))
    assert M_beta / M_alpha > 1e8
    for width in (2, 3):  # alpha's faces in series hold the layer at alpha's conductance
        for face in ("geometric", "arithmetic"):
            assert conductance[face, width] < 2 * M_alpha, (face, width)
    assert conductance["geometric", 1] < 1e-3 * M_beta  # one cell still throttles at the geometric mean
    assert conductance["arithmetic", 1] > 0.1 * M_beta  # ... and leaks at the arithmetic mean


def test_particle_deck_runs_the_two_phase_model():
    """``[model] kind = "two_phase"`` on the 1D particle deck: the coupled step, the capacity at
    the applied current after 60 s of lithiation, and beta at the contact."""
    from pathlib import Path

    import pytest

    from phasefield.deck import DeckError, load_deck
    from phasefield.run import integrate
    from phasefield.setup import build

    deck = Path(__file__).resolve().parents[1] / "inputs/lial_particle_1d.toml"
    sim = build(load_deck(deck, ['model.kind="two_phase"', 'run.t_end="60 s"', 'protocol.type="constant"']))
    assert isinstance(sim.stepper.integrator, CoupledRosenbrock2)
    state = integrate(sim.stepper, sim.state, [60.0])
    row = sim.observe(state)
    assert abs(row["capacity_mAh_per_cm2"] / (1.0 * 60.0 / 3600.0) - 1.0) < 1e-9  # 1 mA/cm^2 for 60 s
    assert row["beta_fraction"] > 0.1 and float(state.eta[0].max()) > 0.99
    with pytest.raises(DeckError, match="energy.alpha_solution"):
        build(load_deck(deck, ['model.kind="two_phase"', 'energy.alpha_solution="quartic"']))
    with pytest.raises(DeckError, match="integrator.scheme"):
        build(load_deck(deck, ['model.kind="two_phase"', 'integrator.scheme="semi-implicit"']))


def test_rms_error_norm_is_the_root_mean_square_over_active_cells():
    grid, model, state = _slab()
    steps = {n: jax.jit(CoupledRosenbrock2(model, grid, error_norm=n).step_with_error) for n in ("max", "rms")}
    s = steps["max"](state, jnp.asarray(0.1))[0]  # past the start so both fields move
    (_, e_max), (_, e_rms) = steps["max"](s, jnp.asarray(0.5)), steps["rms"](s, jnp.asarray(0.5))
    # the rms over the n active cells (the larger of X's and phi's) lies between the max
    # (errors equal everywhere) and max / sqrt(n) (all the error in one cell); a sum instead
    # of a mean, or a norm over inactive cells too, leaves this window
    active = np.asarray(model.active) > 0
    assert 0.0 < float(e_rms) <= float(e_max)
    assert float(e_rms) >= float(e_max) / np.sqrt(active.sum()) * (1 - 1e-12)


def test_electrode_deck_runs_the_two_phase_model():
    """``[model] kind = "two_phase"`` on a reduced 2D electrode deck (pure Al, 32 x 24 cells of
    0.5 um): the coupled step with the deck's rms error norm and no change cap, the capacity at the applied
    current after 5 s, phi started from X; a mixed Li + Al powder (no Li-metal phase in the
    model) and the rms norm with a non-ROS2 scheme are deck errors."""
    from pathlib import Path

    import pytest

    from phasefield.deck import DeckError, load_deck
    from phasefield.run import integrate
    from phasefield.setup import build

    root = Path(__file__).resolve().parents[1]
    deck = root / "inputs/lial_electrode_2d.toml"
    reduced = ["grid.shape=[32,24]", 'grid.spacing="0.5 um"', 'geometry.radius_std="0.2 um"', "geometry.psi_cut=0.1",
               'model.kind="two_phase"', 'energy.alpha_solution="dilute"', 'model.phase_mobility="0.01 mol/J/s"',
               'integrator.error_norm="rms"', "integrator.max_change=1", 'run.t_end="5 s"']
    sim = build(load_deck(deck, ["initial.x_ratio=0", *reduced]))
    integ = sim.stepper.integrator
    assert isinstance(integ, CoupledRosenbrock2) and integ.error_norm == "rms"
    assert sim.stepper.controller.max_change == 1.0 and sim.stepper.controller.reject_change == 4.0
    assert float(jnp.max(jnp.abs(sim.state.eta[0]))) == 0.0  # pure Al: alpha everywhere
    state = integrate(sim.stepper, sim.state, [5.0])
    row = sim.observe(state)
    assert abs(row["capacity_mAh_per_cm2"] / (1.0 * 5.0 / 3600.0) - 1.0) < 1e-9  # 1 mA/cm^2 for 5 s
    assert np.isfinite(row["D_eff_cm2_per_s"]) and row["voltage_V"] < 0.38
    # the face mean and the contact's reach from the deck: no current source deeper than
    # 1 um behind the electrolyte face (at 2 um) with it, a tail there without it
    reach = build(load_deck(deck, ["initial.x_ratio=0", *reduced, 'model.face_mobility="arithmetic"',
                                   'geometry.contact_reach="1 um"']))
    assert reach.stepper.integrator.model.face_mobility == "arithmetic"
    deep = sim.grid.axis_coordinates(0) > 2.0 + 1.0
    assert float(jnp.max(reach.stepper.integrator.model.domain.surface[deep])) == 0.0
    assert float(jnp.max(integ.model.domain.surface[deep])) > 1e-4
    with pytest.raises(DeckError, match="initial.mode.*Li-metal phase"):
        build(load_deck(deck, ["initial.x_ratio=0.5", 'initial.mode="mixed"', *reduced]))
    with pytest.raises(DeckError, match="integrator.error_norm"):
        build(load_deck(root / "inputs/lial_reaction_2d.toml", ['integrator.scheme="semi-implicit"',
                                                                'integrator.error_norm="rms"']))


def test_the_nucleation_source_linearisation_and_its_place_in_the_preconditioner(monkeypatch):
    """``source_linearisation`` is the nucleation source's local Jacobian (checked against
    central differences), and the coupled step's phi preconditioner inverts it: in a beta
    layer driven past the overpotential, ``P W`` returns a unit change of phi to within 5 %
    (with the source left out of ``P``, three times it)."""
    from phasefield._pytree import replace
    from phasefield.integrators.rosenbrock import GAMMA
    from phasefield.models.two_phase import TwoPhaseModel

    grid, model, state = _slab()
    state, _ = advance_to(_stepper(model, grid), state, 30.0, 50_000)
    phi = state.eta[0]
    mu = model.energy.chemical_potential(state.X, phi)
    d_phi, d_mu = model.source_linearisation(state, mu)
    source = lambda p, m: model.nucleation.source(p, model.equilibrium_voltage(m))  # noqa: E731
    keep = np.asarray(model.domain.psi >= 0.5) * np.asarray(model.domain.active)
    hp, hm = 1e-6, 1e-3  # J/mol for mu: V moves by 1e-8 V against a smooth step 10 mV wide
    fd_phi = (source(phi + hp, mu) - source(phi - hp, mu)) / (2 * hp) * keep
    fd_mu = (source(phi, mu + hm) - source(phi, mu - hm)) / (2 * hm) * keep
    np.testing.assert_allclose(d_phi, fd_phi, rtol=1e-6, atol=1e-6 * float(model.nucleation.rate))
    np.testing.assert_allclose(d_mu, fd_mu, rtol=1e-5, atol=1e-12)
    driven = keep * (np.asarray(-d_phi) > 0.5 * float(model.nucleation.rate))
    assert driven.sum() >= 3  # the beta layer: its source relaxes phi at the full rate r

    # the phi block of the preconditioner inverts W's local part in a driven beta cell: P W
    # applied to a unit change of phi over the layer gives it back (without the source: three times it)
    # the electrode decks' interface kinetics (L 2 W ~ 0.5 /s, against r = 10 /s)
    model = replace(model, L=jnp.asarray(0.01))
    integrator = CoupledRosenbrock2(model, grid)
    y0 = jnp.concatenate([state.X[None], state.eta])
    _, jvp = jax.linearize(integrator._rate(state), y0)
    dt = 2.0
    cells = np.nonzero(driven)[0]
    cell = int(cells[len(cells) // 2])
    assert driven[cell - 1] and driven[cell + 1]  # inside the layer: the gradient term of a
    unit = jnp.zeros_like(y0).at[1].set(jnp.asarray(driven))  # change uniform over it vanishes

    def returned():
        P, _ = integrator._preconditioner(state, dt)
        return float(P(unit - GAMMA * dt * jvp(unit))[1, cell])

    assert abs(returned() - 1.0) < 0.05, returned()
    zeros = lambda self, state, mu: (jnp.zeros_like(state.X), jnp.zeros_like(state.X))  # noqa: E731
    monkeypatch.setattr(TwoPhaseModel, "source_linearisation", zeros)
    assert returned() > 2.0, returned()  # the source's relaxation missing from P


def test_a_drained_surface_cell_stays_nonnegative_and_the_current_balance_holds():
    """Delithiation drains a surface cell at a rate ~ X^(1/2) (Butler-Volmer on the dilute
    alpha), which the linearly implicit stages overshoot below X = 0 once it is stiff (at the
    end of a 2D electrode's delithiation this sent the solved potential to ~8 V and the step
    collapsed 7 mV short of the 1.5 V cut-off). The stage is evaluated where the cell keeps a
    share of its content and the step projects it back conservatively, so the cell stays
    positive and the Li content still falls at exactly I/F."""
    grid, model, state = _slab(current=-10.0)
    first = int(np.argmax(np.asarray(model.psi) > 0.5))  # the surface cell
    amount = lambda s: float(grid.integrate(model.conserved(s)))  # noqa: E731
    step = jax.jit(CoupledRosenbrock2(model, grid).step_with_error)
    for X_surface in (1e-17, 1e-12):
        s = replace(state, X=state.X.at[first].set(X_surface))
        for dt in (1e-6, 1e-3, 0.1):
            trial, err = step(s, jnp.asarray(dt))
            assert np.isfinite(float(err)) and float(err) < 1e-3
            assert float(jnp.min(trial.X)) > 0.0
            assert float(trial.X[first]) >= 0.999 * FLOOR_SHARE * X_surface
            assert abs((amount(trial) - amount(s)) / (-FLUX * dt) - 1.0) < 1e-6


def test_a_trace_of_beta_in_a_drained_cell_keeps_its_potential_finite_and_a_rest_runs():
    """A drained surface cell that keeps a trace of beta (phi = 0.02, h = 8e-5) and less Li
    than h Xb: with beta's parabola continued, its equilibrium potential was ~13 V past the
    plateau and at open circuit it exchanged ~1e54 A/m^2 with the other surface cells (the
    rest after a particle's delithiation collapsed at its first step). Beta drains as an
    ideal solution more than 0.5 V past the plateau (``phasefield.energies.kks``), so the
    cell sits at 0.94 V, states within 0.5 V of the plateau are unchanged, and the rest
    runs, conserving Li."""
    d_s = -FARADAY * 0.5
    d = jnp.linspace(d_s, 0.0, 101)
    X_alpha, X_beta = KKS.phase_compositions(KKS.s1 + d)
    np.testing.assert_allclose(X_beta, KKS.Xb + d / KKS.B, rtol=1e-14)  # the parabola above d_s
    oa, ob = KKS.grand_potentials(KKS.s1 + d)
    np.testing.assert_allclose(ob, -KKS.s1 * KKS.Xa - d * KKS.Xb - 0.5 * d**2 / KKS.B, rtol=1e-14)
    # continuous at d_s, X_beta = -d omega_beta / d mu below it
    below = KKS.s1 + d_s * (1 + jnp.asarray([1e-9, 1e-3, 0.1, 1.0]))
    np.testing.assert_allclose(KKS.phase_compositions(below)[1][0], X_beta[0], rtol=1e-7)
    np.testing.assert_allclose(KKS.grand_potentials(below)[1][0], ob[0], rtol=1e-7)
    np.testing.assert_allclose(jax.vmap(jax.grad(lambda m: KKS.grand_potentials(m)[1]))(below),
                               -KKS.phase_compositions(below)[1], rtol=1e-10)
    # the drained cell with a trace of beta: V from both phases' ideal laws
    phi, X = jnp.asarray(0.02), jnp.asarray(3.8e-6)
    h = float(interpolation(phi))
    RT = R_GAS * 298.15
    X_s = float(KKS.Xb) + d_s / float(KKS.B)
    expected = 0.38 - RT / FARADAY * np.log(3.8e-6 / (h * X_s * np.exp(-d_s / RT) + (1 - h) * float(KKS.Xa)))
    V = float(KKS.voltage(KKS.chemical_potential(X, phi)))
    assert abs(V - expected) < 1e-9 and 0.9 < V < 1.0
    # a rest from a beta disc whose surface cells are drained, some with a trace of beta
    grid = Grid.create((24, 24), 0.05, "noflux")
    kin = ButlerVolmer(*(jnp.asarray(v) for v in (10.0, 0.5, 0.5, 298.15, 1e-5)))
    model, state = two_phase_particle_problem(grid, 0.4, LIAL, lial_mobility(), kin, Galvanostatic(jnp.asarray(0.0)),
                                              psi_cut=0.1, face_mobility="arithmetic")
    surface = np.asarray(model.domain.surface) > 0
    trace = surface & (np.add.outer(np.arange(24), np.arange(24)) % 2 == 0)
    X0 = jnp.where(surface, jnp.where(trace, 3.8e-6, 1e-9), 0.48)
    phi0 = jnp.where(surface, jnp.where(trace, 0.02, 0.0), 1.0)
    s = replace(state, X=X0, eta=phi0[None], dt=jnp.asarray(1e-9))
    V_eq = model.equilibrium_voltage(model.driving_forces(s, grid)[0])
    assert surface.sum() >= 2 and float(jnp.max(jnp.where(surface, V_eq, 0.0))) < 1.0
    amount = lambda st: float(grid.integrate(model.conserved(st)))  # noqa: E731
    rested, stats = advance_to(_stepper(model, grid), s, 1.0, 100_000)
    assert not bool(stats.failed) and float(rested.t) == pytest.approx(1.0)
    assert abs(amount(rested) / amount(s) - 1.0) < 1e-10
    # the drained cells took Li back from the beta behind them
    assert float(jnp.min(jnp.where(surface, rested.X, 1.0))) > 1e-6
