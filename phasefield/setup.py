"""Build ``(grid, stepper, state, observables)`` from a validated ``RunConfig``.

This is the only place where deck values meet the core's constructors."""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Callable

import jax.numpy as jnp
import numpy as np

from phasefield import observables as obs
from phasefield.deck import DeckError, RunConfig
from phasefield.grid import Grid
from phasefield.integrators import AdaptiveController, AdaptiveStepper, ExponentialRK2, Rosenbrock2, SemiImplicit


@dataclasses.dataclass(frozen=True)
class Simulation:
    """Everything a run needs: ``observe(state) -> dict`` gives one output row (units in keys),
    ``fields(state) -> dict`` the selected field arrays (units in names)."""

    grid: Grid
    stepper: AdaptiveStepper
    state: object
    observe: Callable
    fields: Callable
    output_times: np.ndarray
    time_unit: str
    max_steps_per_output: int
    steps: tuple | None = None  # protocol steps (phasefield.protocol), None: one constant control
    labels: np.ndarray | None = None  # particle labels of particle/electrode problems


def _output_times(t_end: float, n: int, spacing: str, t_first: float) -> np.ndarray:
    if spacing == "linear" or n == 1:
        return np.linspace(t_end / n, t_end, n)
    # float power: the int 10 ** (n - 1) overflows the float division for n > 309
    first = min(t_first, t_end * 10.0 ** -(n - 1))
    if not first > 0.0:
        raise DeckError("output.count", f"{n} log-spaced outputs put the first one at t_end / 10^{n - 1}, "
                        f"which underflows to 0; use fewer outputs or output.spacing = \"linear\"")
    return np.geomspace(first, t_end, n)


def _physical_memory() -> float:
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # not available on this platform: no limit
        return math.inf


def build(config: RunConfig) -> Simulation:
    shape = config["grid"]["shape"]
    cells = math.prod(shape)
    # One float64 field larger than the machine's memory can never run; checked before any
    # allocation because per-axis arrays of a huge grid can exhaust memory without a MemoryError.
    if 8.0 * cells > _physical_memory():
        raise DeckError("grid.shape", f"{list(shape)} has {cells:.3g} cells, so one field needs "
                        f"{8.0 * cells / 2**30:.3g} GiB, more than this machine's "
                        f"{_physical_memory() / 2**30:.3g} GiB; use a smaller grid")
    try:
        return _build(config)
    except MemoryError:  # numpy could not allocate the fields
        raise DeckError("grid.shape", f"not enough memory for a grid of {cells:.3g} cells "
                        f"{list(shape)}; use a smaller grid") from None


def _lial_physics(config: RunConfig, grid: Grid, dtype):
    """The Li-Al energy and mobility from the [material], [energy] and [mobility] sections."""
    from phasefield.energies.lial import lial_energy
    from phasefield.mobility import lial_mobility, with_beta_diffusivity

    mat, en, mo = config["material"], config["energy"], config["mobility"]
    delta = en["delta"] if en["delta"] is not None else 4 * max(grid.spacing)
    if delta < 2 * max(grid.spacing):
        raise DeckError("energy.delta", f"interface width {delta:g} um is under 2 cells of "
                        f"{max(grid.spacing):g} um; use at least 3-4 cells")
    energy = lial_energy(sigma=en["sigma"], delta=delta, V1=en["plateau"],
                         molar_volume=en["molar_volume_cm3"] * 1e-6,
                         dilute_alpha_T=mat["temperature"] if en["alpha_solution"] == "dilute" else 0.0,
                         dtype=dtype)
    mobility = lial_mobility(T=mat["temperature"], D_li=mo["li_diffusivity"] / 1e8,
                             x_va_floor=mo["beta_vacancy_floor"], alpha_scale=mo["alpha_diffusivity_scale"],
                             interpolation=mo["interpolation"], dtype=dtype)
    if mo.get("beta_diffusivity") is not None:  # another B32 phase's Li diffusivity, e.g. LiZn's
        mobility = with_beta_diffusivity(mobility, mo["beta_diffusivity"] / 1e8)
    return energy, mobility


def _integrator(config: RunConfig, model, grid: Grid, stiff_default: bool, state=None, nonnegative=False):
    """The [integrator] scheme: ``auto`` is ROS2 for Li-Al physics (stiff beta branch and the
    1e10 mobility contrast, where the stabilised step is inaccurate at any practical
    tolerance; see phasefield/integrators/rosenbrock.py) and the semi-implicit Fourier step
    otherwise; ``etdrk2`` the second-order exponential step for constant-mobility problems
    (phasefield/integrators/exponential.py), holding its multipliers for steps of ``dt_max``
    when the deck sets one (``state`` gives their shapes)."""
    from phasefield.integrators.block_tridiagonal import DIRECT_BLOCK_LIMIT, block_size
    from phasefield.integrators.coupled_rosenbrock import CoupledRosenbrock2
    from phasefield.models.two_phase import TwoPhaseModel

    integ = config["integrator"]
    scheme = integ["scheme"]
    if isinstance(model, TwoPhaseModel):
        if scheme not in ("auto", "rosenbrock"):
            raise DeckError("integrator.scheme", f"the two_phase model runs with \"rosenbrock\" (its coupled X-phi "
                            f"ROS2 step) or \"auto\"; got {scheme!r}")
        preconditioner = integ["preconditioner"]
        if preconditioner == "auto":
            small = block_size(2, grid) <= DIRECT_BLOCK_LIMIT  # two fields, X and phi
            preconditioner = "direct" if small else "spectral"
        return CoupledRosenbrock2(model, grid, rtol=integ["krylov_rtol"], restart=integ["krylov_restart"],
                                  error_norm=integ["error_norm"], preconditioner=preconditioner)
    if integ["preconditioner"] not in ("auto", "spectral"):
        raise DeckError("integrator.preconditioner", f"{integ['preconditioner']!r} is an option of the two_phase "
                        f"model's coupled ROS2 step; this model's steps use the spectral preconditioner")
    if scheme == "auto":
        scheme = "rosenbrock" if stiff_default else "semi-implicit"
    if scheme == "rosenbrock":
        return Rosenbrock2(model, grid, rtol=integ["krylov_rtol"], restart=integ["krylov_restart"],
                           error_norm=integ["error_norm"], nonnegative=nonnegative)
    if integ["error_norm"] != "max":
        raise DeckError("integrator.error_norm", f"the \"rms\" error norm is an option of the ROS2 steps; scheme "
                        f"{scheme!r} measures its error in the max norm")
    if scheme == "etdrk2":
        if model.evolves_X and not model.constant_kinetics:
            raise DeckError("integrator.scheme", "\"etdrk2\" needs a constant mobility and no smoothed-boundary "
                            "domain (it integrates the linear operator exactly in Fourier space); use "
                            "\"rosenbrock\" or \"auto\" for this problem")
        etd = ExponentialRK2(model, grid)
        if integ["dt_max"] is not None and state is not None:
            etd = etd.with_step(integ["dt_max"], state)
        return etd
    return SemiImplicit(model, grid)


# (error_exponent, history_exponent) of each deck step control (phasefield.integrators.adaptive)
STEP_CONTROL = {"I": dict(error_exponent=0.5, history_exponent=0.0),
                "PI": dict(error_exponent=0.35, history_exponent=0.2)}


def _controller(config: RunConfig, bounds, event_tol: float = 0.0) -> AdaptiveController:
    integ = config["integrator"]
    event_tol = integ["event_tol"] if integ.get("event_tol") is not None else event_tol
    return AdaptiveController(error_tol=integ["error_tol"], lower=bounds[0], upper=bounds[1],
                              max_change=integ["max_change"], reject_change=max(0.2, 4 * integ["max_change"]),
                              dt_max=integ["dt_max"] if integ["dt_max"] is not None else 1e30,
                              event_tol=event_tol, **STEP_CONTROL[integ["step_control"]])


def _selected_fields(config: RunConfig, field_makers: dict):
    for name in config["output"]["fields"]:
        if name not in field_makers:
            raise DeckError("output.fields", f"{name!r} is not available for problem {config.problem!r}; "
                            f"choose from {', '.join(field_makers)}")
    selected = {field_makers[n][0]: field_makers[n][1] for n in config["output"]["fields"]}
    return lambda s: {name: np.asarray(make(s)) for name, make in selected.items()}


def _protocol_steps(config: RunConfig):
    """The [protocol] as ``ProtocolStep``s, or ``None`` for ``type = "constant"`` (the
    [electrochemistry] control held until t_end or its cut-off)."""
    from phasefield.protocol import ProtocolError, cycling, gitt

    proto, ec, t_end = config["protocol"], config["electrochemistry"], config["run"]["t_end"]
    if proto["type"] == "constant":
        return None
    if ec["control"] != "galvanostatic" or ec["current"] == 0:
        raise DeckError("protocol.type", f"{proto['type']!r} protocols run at the galvanostatic current; set "
                        f"electrochemistry.control = \"galvanostatic\" with a nonzero current")
    try:
        if proto["type"] == "cycle":
            cap = proto["max_step"] if proto["max_step"] is not None else t_end
            return cycling(ec["current"], proto["lower_cutoff"], proto["upper_cutoff"], proto["n_cycles"], cap,
                           rest=proto["rest"])
        cutoff, back = ((proto["lower_cutoff"], proto["upper_cutoff"]) if ec["current"] > 0
                        else (proto["upper_cutoff"], proto["lower_cutoff"]))
        return gitt(ec["current"], proto["pulse"], proto["rest"], cutoff, proto["n_pulses"],
                    proto["return_pulses"], back)
    except ProtocolError as err:
        raise DeckError("protocol", str(err)) from None


def _kinetics_and_control(config: RunConfig, energy, dtype):
    from phasefield.electrochem import ButlerVolmer, Galvanostatic, Potentiostatic

    ec, proto = config["electrochemistry"], config["protocol"]
    a = lambda v: jnp.asarray(v, dtype=dtype)  # noqa: E731
    kinetics = ButlerVolmer(a(ec["exchange_current"]), a(ec["alpha_a"]), a(ec["alpha_c"]),
                            a(config["material"]["temperature"]), a(float(energy.molar_volume)),
                            a(ec["exchange_current_exponent"]))
    if ec["control"] == "galvanostatic":
        # the cut-off in the direction of the current ends the run (the model's stop event)
        lithiating = ec["current"] > 0
        control = Galvanostatic(a(ec["current"]), v_min=a(proto["lower_cutoff"] if lithiating else -np.inf),
                                v_max=a(np.inf if lithiating else proto["upper_cutoff"]))
    else:
        control = Potentiostatic(a(ec["potential"]))
    return kinetics, control


def _electrode_simulation(config: RunConfig, grid: Grid, model, state, labels, dtype, ensemble: bool,
                          grain_labels=None, energy=None) -> Simulation:
    """Observables, fields, stepper and output times shared by the particle and electrode decks.

    ``observe(state, step=None)``: with a protocol step the voltage is that of the step's
    control. Columns: voltage, capacity (mAh/cm^2 of the electrolyte face), mean x, phase
    fractions of the solid, trapped-Li fraction and mean alpha-shell thickness of the particles
    that hold beta (NaN while none does; ``phasefield.observables``), free energy; an ensemble adds whether beta
    percolates from the electrolyte to the collector, its percolating share, the mean
    equivalent diameter of the beta domains (of at least 2^ndim cells), and the effective Li
    diffusivity of the slab (steady-state solve; cm^2/s). With ``grain_labels`` (a pulverized
    network, grains as built) the mean alpha-layer thickness of the grains that hold beta
    (``obs.grain_alpha_layer``, um) is added. ``energy`` is the Li-Al energy whose phase
    compositions classify the cells (default: the model's)."""
    from phasefield.constants import FARADAY
    from phasefield._pytree import replace

    from phasefield.models.two_phase import TwoPhaseModel

    run, out = config["run"], config["output"]
    two_phase = isinstance(model, TwoPhaseModel)
    energy = model.energy.chemical if energy is None else energy
    domain = model.domain
    psi = np.asarray(domain.psi)
    n_particles = int(labels.max()) + 1
    n_grains = None if grain_labels is None else int(np.max(grain_labels)) + 1
    U0 = float(grid.integrate(model.conserved(state)))
    solid = float(grid.integrate(domain.psi))
    to_mAh_cm2 = 1e-6 / float(energy.molar_volume) * FARADAY / 3.6e4 / float(domain.face_area)

    def observe(s, step=None):
        m = model if step is None else step.on(model, dtype)
        X = np.asarray(s.X)
        U = float(grid.integrate(model.conserved(s)))
        Xm = U / solid
        a_, b_, li = (float(v) for v in obs.phase_fractions(s.X, energy, domain.psi))
        shells = obs.alpha_shell_thickness(X, psi, labels, energy, grid, n_particles)
        beta = (obs.phase_index(X, energy) == 1) & (labels >= 0)
        shells = shells[np.bincount(labels[beta], minlength=n_particles) > 0]  # particles holding beta
        row = {"voltage_V": float(m.electrode_potential(s, grid)), "capacity_mAh_per_cm2": (U - U0) * to_mAh_cm2,
               "x_mean_Li_per_Al": Xm / (1 - Xm), "alpha_fraction": a_, "beta_fraction": b_,
               "Li_metal_fraction": li, "trapped_Li_fraction": float(obs.trapped_li(X, psi, energy, grid).fraction),
               "shell_thickness_um": float(np.nanmean(shells)) if np.isfinite(shells).any() else float("nan")}
        if ensemble:
            perc = obs.beta_percolation(X, psi, energy, grid)
            D = obs.effective_diffusivity(X, model.mobility, grid, psi)
            domains = obs.beta_domain_diameters(X, energy, grid, psi, min_cells=2 ** grid.ndim)
            row.update({"beta_percolates": int(perc.percolates), "beta_percolating_share": float(perc.share),
                        "beta_domain_mean_diameter_um": float(np.mean(domains)) if domains.size else float("nan"),
                        "D_eff_cm2_per_s": float(D.D_eff) / 1e8})
        if grain_labels is not None:
            layers = obs.grain_alpha_layer(X, psi, grain_labels, energy, grid, n_grains)
            row["grain_alpha_layer_um"] = float(np.nanmean(layers)) if np.isfinite(layers).any() else float("nan")
        row["free_energy_J_per_mol_um^d"] = float(model.free_energy(s, grid))
        return row

    fields = _selected_fields(config, {
        "X": ("X", lambda s: s.X),
        "mu": ("mu_J_per_mol", lambda s: model.driving_forces(s, grid)[0]),
        "x_ratio": ("x_Li_per_Al", lambda s: s.X / (1.0 - s.X)),
        "phase": ("phase_0alpha_1beta_2Li", lambda s: obs.phase_labels(s.X, energy)),
        "psi": ("psi", lambda s: domain.psi),
        **({"eta": ("eta", lambda s: s.eta)} if state.eta is not None else {}),
    })
    dt0 = config["integrator"]["dt_initial"] or float(state.dt)
    state = replace(state, dt=jnp.asarray(dt0, dtype))
    # the dilute-alpha entropy term diverges at X = 0: the ROS2 step projects dips below 0 of
    # emptied cells back conservatively and a step that would still empty a cell is retried
    # (the two-phase energy holds X at >= 1e-30 in its split instead)
    dilute = float(energy.T_dilute) > 0 and not two_phase
    lower = 0.0 if dilute else -0.1
    # voltage cut-offs are located to 1 ms unless the deck says otherwise
    stepper = AdaptiveStepper(_integrator(config, model, grid, True, nonnegative=dilute),
                              _controller(config, (lower, 1.1), 1e-3))
    times = _output_times(run["t_end"], out["count"], out["spacing"], 100 * dt0)
    return Simulation(grid, stepper, state, observe, fields, times, "s",
                      config["integrator"]["max_steps_per_output"], _protocol_steps(config), labels)


def _two_phase_options(config: RunConfig) -> dict | None:
    """The [model] section as keyword arguments of ``lial_two_phase_model``; None for the
    single-field model."""
    mo = config["model"]
    if mo["kind"] != "two_phase":
        return None
    if config["energy"]["alpha_solution"] != "dilute":
        raise DeckError("energy.alpha_solution", "the two_phase model's alpha is the dilute solution; "
                        "set alpha_solution = \"dilute\"")
    return {"L": mo["phase_mobility"], "nucleation_overpotential": mo["nucleation_overpotential"],
            "nucleation_rate": mo["nucleation_rate"], "face_mobility": mo["face_mobility"]}


def _build_particle(config: RunConfig, dtype) -> Simulation:
    """A Li-Al particle against the solid electrolyte under Butler-Volmer kinetics."""
    from phasefield.problems.lial_particle import particle_problem, two_phase_particle_problem

    g, geo = config["grid"], config["geometry"]
    if g["bc"] == "slab":
        raise DeckError("grid.bc", "'slab' is for the lial_electrode problem; a particle box is \"noflux\"")
    if geo["symmetry"] == "mirror" and g["bc"] != "noflux":
        raise DeckError("geometry.symmetry", "a mirrored particle lies on the box walls, which must be "
                        f"mirror planes: set grid.bc = \"noflux\", got {g['bc']!r}")
    grid = Grid.create(g["shape"], g["spacing"], g["bc"])
    energy, mobility = _lial_physics(config, grid, dtype)
    kinetics, control = _kinetics_and_control(config, energy, dtype)
    two_phase = _two_phase_options(config)
    try:
        if two_phase is not None:
            model, state = two_phase_particle_problem(
                grid, geo["radius"], energy, mobility, kinetics, control, X0=config["initial"]["X"],
                gap=geo["electrolyte_gap"], psi_cut=geo["psi_cut"], dtype=dtype, symmetry=geo["symmetry"],
                **two_phase)
        else:
            model, state = particle_problem(grid, geo["radius"], energy, mobility, kinetics, control,
                                            X0=config["initial"]["X"], gap=geo["electrolyte_gap"],
                                            psi_cut=geo["psi_cut"], dtype=dtype, symmetry=geo["symmetry"])
    except ValueError as err:
        raise DeckError("geometry.radius", str(err)) from None
    labels = np.where(np.asarray(model.domain.psi) >= 0.5, 0, -1)
    return _electrode_simulation(config, grid, model, state, labels, dtype, ensemble=False, energy=energy)


def _build_electrode(config: RunConfig, dtype) -> Simulation:
    """A packed-particle Li-Al electrode slab (``phasefield.problems.lial_electrode``)."""
    grid, model, state, labels, energy = _electrode_parts(config, dtype)
    return _electrode_simulation(config, grid, model, state, labels, dtype, ensemble=True, energy=energy)


def _electrode_parts(config: RunConfig, dtype, initial: dict | None = None):
    """``(grid, model, state, labels, energy)`` of the electrode slab (``energy``: the Li-Al
    energy); ``initial`` replaces the deck's [initial] section."""
    from phasefield.geometry import PackingError
    from phasefield.problems.lial_electrode import electrode_packing, electrode_problem

    g, geo, run = config["grid"], config["geometry"], config["run"]
    ini = config["initial"] if initial is None else initial
    if g["bc"] != "slab":
        raise DeckError("grid.bc", f"an electrode is a slab with no-flux ends along axis 0 and periodic sides; "
                        f"set bc = \"slab\", got {g['bc']!r}")
    if len(g["shape"]) < 2:
        raise DeckError("grid.shape", f"an electrode needs a 2D or 3D grid; got {list(g['shape'])}")
    grid = Grid.create(g["shape"], g["spacing"], ("noflux",) + ("periodic",) * (len(g["shape"]) - 1))
    energy, mobility = _lial_physics(config, grid, dtype)
    kinetics, control = _kinetics_and_control(config, energy, dtype)
    gap = geo["electrolyte_gap"] if geo["electrolyte_gap"] is not None else 2 * float(energy.delta)
    two_phase = _two_phase_options(config) if "model" in config.sections else None
    if two_phase is not None and ini["mode"] == "mixed" and ini["x_ratio"] > 0:
        raise DeckError("initial.mode", f"the two_phase model has no Li-metal phase, so a mixed Li + Al powder "
                        f"(x_ratio = {ini['x_ratio']:g}) cannot start; use mode = \"prelithiated\" or x_ratio = 0")
    try:
        packing = electrode_packing(grid, geo["radius_mean"], geo["radius_std"], geo["density"], run["seed"], gap)
        e = electrode_problem(grid, packing, energy, mobility, kinetics, control, ini["x_ratio"], mode=ini["mode"],
                              seed=run["seed"], X_al=ini["X_al"], psi_cut=geo["psi_cut"],
                              contact_reach=geo["contact_reach"],
                              domain_size=ini.get("domain_size"), two_phase=two_phase, dtype=dtype)
    except (PackingError, ValueError) as err:
        raise DeckError("geometry", str(err)) from None
    return grid, e.model, e.state, e.labels, energy


def _build_network(config: RunConfig, dtype) -> Simulation:
    """A pulverized electrode: the packing of ``_build_electrode`` cut into grains, each a beta
    domain in an alpha layer (``phasefield.grains.pulverize``), with the grain energy of
    ``GrainEnergy`` (gamma 1.5; barrier m and kappa_eta from the grain-boundary energy and a
    boundary half-width of one cell: sigma_gb = (sqrt 2 / 3) sqrt(kappa_eta m), w = sqrt(2
    kappa_eta / m)) and the grain-boundary mobility term of ``LiAlMobility``. Allen-Cahn mobility
    ``grains.mobility`` (mol/(J s)); 0 keeps the grains fixed."""
    from phasefield._pytree import replace
    from phasefield.energies import FreeEnergy, GrainEnergy
    from phasefield.grains.pulverize import pulverize
    from phasefield.mobility import GrainBoundaryTerm
    from phasefield.state import State

    # the particles' Li is replaced by the network's beta grains and alpha layers below
    grid, model, state_el, labels, _ = _electrode_parts(
        config, dtype, initial={"x_ratio": 0.0, "mode": "prelithiated", "X_al": 0.02})
    gr = config["grains"]
    energy = model.energy.chemical
    psi = np.asarray(model.domain.psi)
    try:
        net = pulverize(grid, np.asarray(state_el.X), psi, gr["grain_size"], gr["n_fields"], min(grid.spacing),
                        seed=config["run"]["seed"], particle_labels=labels, alpha_layer=gr["alpha_layer"],
                        X_alpha=float(energy.Xa), X_beta=float(energy.Xb))
    except ValueError as err:
        raise DeckError("grains", str(err)) from None
    a = lambda v: jnp.asarray(v, dtype=dtype)  # noqa: E731
    sigma_m = gr["gb_energy"] * float(energy.molar_volume) * 1e6  # J um / mol
    w = min(grid.spacing)
    product = (3.0 * sigma_m / math.sqrt(2.0)) ** 2  # kappa_eta m
    kappa_eta = math.sqrt(product * w * w / 2.0)
    grains = GrainEnergy(a(product / kappa_eta), a(1.5))
    fe = FreeEnergy(energy, energy.kappa, grains=grains, kappa_eta=a(kappa_eta))
    mobility = replace(model.mobility, gb=GrainBoundaryTerm(a(gr["gb_diffusivity"])))
    model = replace(model, energy=fe, mobility=mobility, L=a(gr["mobility"]))
    state = State.create(jnp.asarray(net.X, dtype=dtype), eta=jnp.asarray(net.eta, dtype=dtype), dt=float(state_el.dt))
    return _electrode_simulation(config, grid, model, state, labels, dtype, ensemble=True, grain_labels=net.labels)


def _build(config: RunConfig) -> Simulation:
    dtype = jnp.float64 if config["run"]["precision"] == "float64" else jnp.float32
    g = config["grid"]
    integ = config["integrator"]
    run = config["run"]
    if config.problem == "lial_particle":
        return _build_particle(config, dtype)
    if config.problem == "lial_electrode":
        return _build_electrode(config, dtype)
    if config.problem == "lial_network":
        return _build_network(config, dtype)
    if g["bc"] == "slab":
        raise DeckError("grid.bc", "'slab' is for the lial_electrode problem; use \"periodic\" or \"noflux\"")
    if config.problem == "lial_reaction":
        from phasefield.problems.lial_reaction import li_particle_in_al

        grid = Grid.create(g["shape"], g["spacing"], g["bc"])
        ini = config["initial"]
        energy, mobility = _lial_physics(config, grid, dtype)
        try:
            model, state = li_particle_in_al(grid, ini["radius"], X_matrix=ini["X_matrix"], energy=energy,
                                             mobility=mobility, noise=ini["noise"], seed=run["seed"], dtype=dtype)
        except ValueError as err:
            raise DeckError("initial.radius", str(err)) from None
        unit, bounds = "s", (-0.05, 1.05)
        field_makers = {
            "X": ("X", lambda s: s.X),
            "mu": ("mu_J_per_mol", lambda s: model.energy.chemical_potential(s.X, grid)),
            "x_ratio": ("x_Li_per_Al", lambda s: s.X / (1.0 - s.X)),
            "phase": ("phase_0alpha_1beta_2Li", lambda s: obs.phase_labels(s.X, energy)),
        }

        def observe(s):
            a, b, li = obs.phase_fractions(s.X, energy)
            return {
                "free_energy_J_per_mol_um^d": float(model.free_energy(s, grid)),
                "total_Li_um^d": float(obs.total_amount(s.X, grid)),
                "x_mean_Li_per_Al": float(obs.mean_li_ratio(s.X)),
                "alpha_fraction": float(a), "beta_fraction": float(b), "Li_metal_fraction": float(li),
            }
    else:  # pfhub1
        from phasefield.problems.pfhub1 import pfhub1_problem

        shape = g["shape"]
        if len(shape) != 2 or shape[0] != shape[1]:
            raise DeckError("grid.shape", f"PFHub benchmark 1 needs a square 2D grid such as [200, 200], got {list(shape)}")
        variant = "1a" if g["bc"] == "periodic" else "1b"
        grid, model, state = pfhub1_problem(variant, n=shape[0], spacing=g["spacing"],
                                            sample_at=config["initial"]["sample_at"], dtype=dtype)
        unit, bounds = "1", (-1.0, 2.0)
        field_makers = {
            "X": ("c", lambda s: s.X),
            "mu": ("mu", lambda s: model.energy.chemical_potential(s.X, grid)),
        }

        def observe(s):
            return {"free_energy": float(model.free_energy(s, grid)), "mean_c": float(jnp.mean(s.X))}

    dt0 = integ["dt_initial"] if integ["dt_initial"] is not None else float(state.dt)
    from phasefield._pytree import replace

    state = replace(state, dt=jnp.asarray(dt0, dtype))
    stepper = AdaptiveStepper(_integrator(config, model, grid, config.problem != "pfhub1", state), _controller(config, bounds))
    out = config["output"]
    times = _output_times(run["t_end"], out["count"], out["spacing"], 100 * dt0)
    fields = _selected_fields(config, field_makers)
    return Simulation(grid, stepper, state, observe, fields, times, unit, integ["max_steps_per_output"])
