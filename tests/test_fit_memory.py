"""Checkpointed replay (issue: fitting, item 3, CI-sized).

Reverse mode through 400 steps of a 16 x 16 spinodal problem: with ``jax.checkpoint`` over
chunks of ceil(sqrt(400)) = 20 steps, XLA's temporary buffers for the compiled gradient are at
least 5x smaller than without checkpointing (stored states: ~N/c + c instead of ~N), and the
loss and gradient are the same to round-off. The full-size measurement (256 x 256, 2000 steps,
peak RSS in a fresh process) is ``benchmarks/fit_memory.py``.
"""

import numpy as np

from phasefield.deck import parse_deck
from phasefield.fit.loss import FitProblem, Schedule
from phasefield.fit.params import make_parameter
from phasefield.fit.targets import Target
from phasefield.setup import build

N = 400


def test_checkpointing_cuts_xla_temporaries_and_keeps_the_gradient():
    sim = build(parse_deck({"run": {"problem": "pfhub1", "t_end": 1.0}, "grid": {"shape": [16, 16], "spacing": 1.0},
                            "integrator": {"scheme": "semi-implicit"}}))
    model = sim.stepper.integrator.model
    params = [make_parameter(n, model, transform="log") for n in ("mobility.M", "energy.kappa", "energy.chemical.W")]
    times = 0.05 * np.arange(40, N + 1, 40)
    target = Target("free_energy", times, np.full(times.size, 50.0))
    sched = Schedule(np.full(N, 0.05), times, np.arange(40, N + 1, 40))
    out = {}
    for chunk in (0, None):
        fp = FitProblem(sim.stepper.integrator, sim.stepper.controller, sim.state, "pfhub1", params, [target],
                        checkpoint_every=chunk, headroom=1.0)
        exe, args = fp.compiled("value_and_grad", fp.u0, sched)
        L, g = exe(*args)
        out[chunk] = (exe.memory_analysis().temp_size_in_bytes, float(L), np.asarray(g))
        assert fp.chunk(sched) == (20 if chunk == 0 else None)
    (t_ck, L_ck, g_ck), (t_full, L_full, g_full) = out[0], out[None]
    print(f"XLA temp: checkpointed {t_ck / 2**20:.2f} MiB, plain {t_full / 2**20:.2f} MiB")
    assert t_ck * 5 < t_full, (t_ck, t_full)
    assert L_ck == L_full
    np.testing.assert_allclose(g_ck, g_full, rtol=1e-12)
    assert np.all(g_ck != 0)
