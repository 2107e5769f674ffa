"""Gradients of the fit loss through 1000 steps with the Butler-Volmer flux (issue: fitting, item 1).

A 2D alpha-Al particle (20 x 14 cells) against the solid electrolyte is lithiated at constant
current (galvanostatic: the electrode potential is solved every step) with the semi-implicit
step, whose replay is deterministic (no Krylov tolerance). A static two-grain structure with a
grain-boundary mobility term crosses the particle, and the initial Li fraction X = 0.06 lies
just above the alpha edge Xa = 0.048, so the beta terms of the mobility interpolation act too.
The loss compares the electrode potential at 10 times with fixed data. On that fixed 1000-step
schedule, ``jax.grad`` of the loss with respect to every kind of fittable parameter (log-space
diffusivities, migration energies, interface energy and width, plateau, exchange current,
transfer coefficients through the logit transform, grain-boundary diffusivity, and a model leaf
by its path) equals central
finite differences to 1e-5 relative (float64). FD step: h = 1e-4 in the unconstrained variable
(a relative change of 1e-4 for log transforms, 1e-4 eV for migration energies): the truncation
error h^2 L'''/6 is ~1e-9 relative, the rounding error eps L / h ~1e-12 of L.

Two parameters that write the same model leaf are refused.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from phasefield._pytree import replace
from phasefield.deck import parse_deck
from phasefield.fit.loss import FitProblem, Schedule
from phasefield.fit.params import make_parameter
from phasefield.fit.targets import Target
from phasefield.mobility import GrainBoundaryTerm
from phasefield.setup import build

DECK = {
    "run": {"problem": "lial_particle", "t_end": "1 s"},
    "grid": {"shape": [20, 14], "spacing": "25 nm", "bc": "noflux"},
    "energy": {"delta": "75 nm"},
    "mobility": {"alpha_diffusivity_scale": 1e8},
    "geometry": {"radius": "150 nm"},
    "initial": {"X": 0.06},
    "electrochemistry": {"control": "galvanostatic", "current": "1 mA/cm^2"},
    "integrator": {"scheme": "semi-implicit", "dt_initial": "1 ms", "dt_max": "1 ms"},
}
# (name, transform): one of every kind of fittable parameter
PARAMETERS = [
    ("kinetics.i0", None), ("kinetics.alpha_a", None), ("kinetics.alpha_c", None),
    ("energy.sigma", None), ("energy.delta", None), ("energy.V1", None),
    ("mobility.D_alpha", None), ("mobility.E_beta", None),
    ("mobility.gb.D_gb", None), ("energy.chemical.molar_volume", "log"),
]
N_STEPS, TIMES = 1000, np.linspace(0.1, 1.0, 10)


def _problem():
    sim = build(parse_deck(DECK))
    integ, state = sim.stepper.integrator, sim.state
    grid = integ.grid
    # a static vertical grain boundary through the particle, width 50 nm, D_gb = 1e-9 cm^2/s
    y = grid.axis_coordinates(1)[None, :] * jnp.ones(grid.shape)
    eta0 = 0.5 * (1.0 + jnp.tanh((y - grid.lengths[1] / 2) / 0.025))
    state = replace(state, eta=jnp.stack([eta0, 1.0 - eta0]))
    mob = replace(integ.model.mobility, gb=GrainBoundaryTerm(jnp.asarray(0.1)))
    integ = replace(integ, model=replace(integ.model, mobility=mob))
    params = [make_parameter(n, integ.model, transform=t) for n, t in PARAMETERS]
    target = Target("voltage_V", TIMES, np.full(TIMES.size, 0.34), sigma=1e-3)
    return FitProblem(integ, sim.stepper.controller, state, "lial_particle", params, [target])


@pytest.fixture(scope="module")
def problem():
    return _problem()


def test_grad_through_1000_steps_with_butler_volmer_matches_central_differences(problem):
    sched = Schedule(np.full(N_STEPS, 1e-3), TIMES, np.arange(100, N_STEPS + 1, 100))
    L = jax.jit(problem.loss_fn(sched))
    u0 = problem.u0
    value, grad = jax.jit(jax.value_and_grad(problem.loss_fn(sched)))(u0)
    assert float(value) == pytest.approx(float(L(u0)), rel=1e-12)
    assert problem.chunk(sched) == 32  # checkpointed in chunks of ceil(sqrt(1000)) steps
    h = 1e-4
    errors = {}
    for i, p in enumerate(problem.params):
        e = np.zeros(u0.shape)
        e[i] = h
        fd = (float(L(u0 + e)) - float(L(u0 - e))) / (2 * h)
        g = float(grad[i])
        assert g != 0.0, p.name
        errors[p.name] = abs(g - fd) / abs(fd)
    print({k: f"{v:.1e}" for k, v in errors.items()})
    assert max(errors.values()) <= 1e-5, errors


def test_two_parameters_on_one_leaf_are_refused(problem):
    from phasefield.fit.params import FitParameterError

    model = problem.integrator.model
    both = [make_parameter("mobility.E_beta", model), make_parameter("mobility.ln_D_beta0", model)]
    with pytest.raises(FitParameterError, match="both set the model leaf mobility.ln_D_beta0"):
        FitProblem(problem.integrator, problem.controller, problem.state, "lial_particle", both, problem.targets)
