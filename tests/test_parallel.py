"""Multi-device execution (``phasefield.parallel``) on 4 simulated CPU devices.

``--xla_force_host_platform_device_count=4`` must be set before JAX is imported, so the runs
happen in a subprocess (a script written to a temporary directory) that prints its
measurements as JSON; the assertions are made here. Checks, in float64:

- the process sees 4 devices;
- an ensemble of 8 PFHub-1-like Cahn-Hilliard problems (32 x 32 periodic, each member with
  its own kappa and M, 300 fixed steps of ``run_fixed`` under ``jax.vmap``), split over the
  4 devices with ``shard_ensemble``, equals the single-device batch to 1e-12, and its output
  is split over 4 devices;
- one 64 x 64 grid and one 16^3 grid, periodic and no-flux, split in slabs along axis 0 with
  ``shard_grid`` and advanced by ``jax.jit(run_fixed(si.step, ...))`` for 100 steps, equal
  the single-device run to 1e-12, and their outputs are still split over 4 devices. The
  64 x 64 no-flux case is Cahn-Hilliard plus two Allen-Cahn grains, so ``eta`` (shape
  ``(2, 64, 64)``, split along its first spatial axis) is checked as well.

The single-device reference is the same jitted function on an unsharded input (device 0);
the sharded program differs only by the partitioner's communication and reduction order, so
1e-12 (about 1e4 ulp of O(1) fields) is generous for round-off and far below any
discretisation effect.
"""

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json
    import jax
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_numpy_dtype_promotion", "strict")
    import jax.numpy as jnp
    import numpy as np
    import phasefield
    from phasefield import parallel
    from phasefield.energies import DoubleWell, FreeEnergy, GrainEnergy
    from phasefield.grid import Grid
    from phasefield.integrators import SemiImplicit
    from phasefield.mobility import ConstantMobility
    from phasefield.models import PhaseFieldModel
    from phasefield.run import run_fixed
    from phasefield.state import State

    f64 = lambda v: jnp.asarray(v, dtype=jnp.float64)

    def stepper(shape, bc, kappa, M):
        grid = Grid.create(shape, 1.0, bc)
        energy = FreeEnergy(DoubleWell(f64(5.0), f64(0.3), f64(0.7)), kappa=f64(kappa))
        return SemiImplicit(PhaseFieldModel(energy, ConstantMobility(f64(M))), grid)

    def initial(shape, seed):
        rng = np.random.default_rng(seed)
        return State.create(f64(0.5 + 0.05 * rng.uniform(-1.0, 1.0, shape)), dt=0.05)

    out = {"n_devices": len(jax.devices())}

    # ensemble: 8 members, each with its own kappa and M
    kappas, Ms = np.linspace(1.0, 3.0, 8), np.linspace(3.0, 6.0, 8)
    stack = lambda *xs: jnp.stack(xs)
    sis = jax.tree_util.tree_map(stack, *[stepper((32, 32), "periodic", k, m) for k, m in zip(kappas, Ms)])
    states = jax.tree_util.tree_map(stack, *[initial((32, 32), k) for k in range(8)])
    run = jax.jit(jax.vmap(lambda si, s: run_fixed(si.step, s, 300, f64(0.05))))
    ref = run(sis, states)
    mesh = parallel.make_mesh(parallel.ENSEMBLE)
    got = run(parallel.shard_ensemble(sis, mesh), parallel.shard_ensemble(states, mesh))
    out["ensemble"] = {"err": float(jnp.max(jnp.abs(got.X - ref.X))),
                       "change": float(jnp.max(jnp.abs(ref.X - states.X))),
                       "devices": parallel.devices_spanned(got.X), "split": parallel.is_split(got.X),
                       "spec": str(got.X.sharding.spec)}

    def with_grains(shape, seed):
        # CH + two Allen-Cahn grains (Moelans energy), a planar boundary plus noise
        grid = Grid.create(shape, 1.0, "noflux")
        energy = FreeEnergy(DoubleWell(f64(5.0), f64(0.3), f64(0.7)), kappa=f64(2.0),
                            grains=GrainEnergy(f64(1.0), f64(1.5)), kappa_eta=f64(1.0))
        si = SemiImplicit(PhaseFieldModel(energy, ConstantMobility(f64(5.0)), L=f64(1.0)), grid)
        rng = np.random.default_rng(seed)
        e0 = 0.5 * (1.0 + np.tanh((grid.coordinates()[0] - 0.5 * shape[0]) / 3.0))
        e0 = e0 + 0.05 * rng.uniform(-1.0, 1.0, shape)
        s = initial(shape, seed)
        return si, State.create(s.X, eta=f64(np.stack([e0, 1.0 - e0])), dt=0.05)

    # one grid split in slabs along axis 0
    mesh = parallel.make_mesh(parallel.GRID)
    for shape in [(64, 64), (16, 16, 16)]:
        for bc in ["periodic", "noflux"]:
            if len(shape) == 2 and bc == "noflux":
                si, s0 = with_grains(shape, 1)
            else:
                si, s0 = stepper(shape, bc, 2.0, 5.0), initial(shape, 1)
            run = jax.jit(lambda s: run_fixed(si.step, s, 100, f64(0.05)))
            ref = run(s0)
            got = run(parallel.shard_grid(s0, mesh, axis=0))
            fields = [(got.X, ref.X, s0.X)] + ([] if s0.eta is None else [(got.eta, ref.eta, s0.eta)])
            out[f"{len(shape)}d-{bc}"] = {
                "err": max(float(jnp.max(jnp.abs(g - r))) for g, r, _ in fields),
                "change": min(float(jnp.max(jnp.abs(r - i))) for _, r, i in fields),
                "devices": min(parallel.devices_spanned(g) for g, _, _ in fields),
                "split": all(parallel.is_split(g) for g, _, _ in fields),
                "spec": [str(g.sharding.spec) for g, _, _ in fields]}
    print("RESULT " + json.dumps(out))
    """
)


def test_sharded_ensemble_and_grid_equal_single_device(tmp_path):
    script = tmp_path / "parallel_check.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    out = json.loads(line[len("RESULT "):])
    assert out["n_devices"] == 4
    for case in ["ensemble", "2d-periodic", "2d-noflux", "3d-periodic", "3d-noflux"]:
        r = out[case]
        assert r["change"] > 1e-3, (case, r)  # the runs did evolve, so equality means something
        assert r["err"] <= 1e-12, (case, r)
        assert r["devices"] == 4 and r["split"], (case, r)
