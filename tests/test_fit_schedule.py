"""The fixed-schedule approach to adaptive time stepping in fits (phasefield/fit/loss.py).

On a 16 x 16 spinodal problem with the adaptive controller: the recorded schedule reaches every
target time exactly; replaying the recorded steps reproduces the adaptive run's own states
(``phasefield.run.integrate``) at those times to round-off; padding the schedule with dt = 0
steps (the compiled, reusable form) changes neither the loss nor its gradient.
"""

import jax
import numpy as np

from phasefield.deck import parse_deck
from phasefield.fit.loss import FitProblem
from phasefield.fit.params import make_parameter
from phasefield.fit.targets import Target
from phasefield.run import integrate
from phasefield.setup import build


def test_schedule_hits_target_times_replays_the_adaptive_run_and_pads_exactly():
    sim = build(parse_deck({"run": {"problem": "pfhub1", "t_end": 30.0}, "grid": {"shape": [16, 16], "spacing": 1.0},
                            "integrator": {"scheme": "semi-implicit", "error_tol": 1e-3, "dt_initial": 0.01}}))
    model, grid = sim.stepper.integrator.model, sim.stepper.integrator.grid
    params = [make_parameter(n, model, transform="log") for n in ("mobility.M", "energy.kappa")]
    times = np.array([0.5, 3.0, 10.0, 30.0])
    fp = FitProblem(sim.stepper.integrator, sim.stepper.controller, sim.state, "pfhub1", params,
                    [Target("free_energy", times, np.full(4, 60.0))])
    sched = fp.schedule(fp.u0)
    np.testing.assert_allclose(np.cumsum(sched.dt)[sched.step_at - 1], times, rtol=1e-12)
    assert np.all(sched.dt > 0) and sched.n_steps > 20
    energies = []
    integrate(sim.stepper, sim.state, times, callback=lambda s, _: energies.append(float(model.free_energy(s, grid))),
              donate=False)
    L_plain, g_plain = jax.jit(jax.value_and_grad(fp.loss_fn(sched)))(fp.u0)
    L_pad, g_pad = fp.value_and_grad(fp.u0, sched)
    _, r = fp.jacobian(fp.u0, sched)
    np.testing.assert_allclose(fp.prediction_from_residuals(r)[0], energies, rtol=1e-12)
    assert fp.padded(sched)[0].shape[0] > sched.n_steps  # really padded
    np.testing.assert_allclose(float(L_pad), float(L_plain), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(g_pad), np.asarray(g_plain), rtol=1e-11)
