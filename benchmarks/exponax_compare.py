"""Speed against Exponax on its own turf: constant-mobility periodic Cahn-Hilliard.

Problem (PFHub-1-like, the ``ch_const`` case of ``perf_suite.py``): ``dc/dt = M lap mu``,
``mu = f'(c) - kappa lap c``, ``f = rho (c - c_a)^2 (c_b - c)^2`` with rho = 5, c_a = 0.3,
c_b = 0.7, kappa = 2, M = 5, on an N x N periodic grid of spacing 1, same initial field
(``c = 0.5 + 0.05 U(-1, 1)``), same dt and number of steps.

Exponax (Koehler et al., "APEBench", NeurIPS 2024; package ``exponax`` 0.2.0) solves
``u_t = nu lap(c3 u^3 + c1 u - gamma lap u)`` (its ``stepper.reaction.CahnHilliard``). With
``c = 0.5 + d u``, d = (c_b - c_a)/2 = 0.2: since ``f'(c) = 2 rho (c - c_a)(c_b - c)(c_a + c_b
- 2c) = 4 rho d^3 (u^3 - u)`` (c_a + c_b = 1), ``du/dt = 4 M rho d^2 lap(u^3 - u - kappa/(4 rho
d^2) lap u)``: ``nu = 4 M rho d^2 = 4``, ``gamma = kappa / (4 rho d^2) = 2.5``, c3 = 1, c1 = -1,
domain extent N (spacing 1).

The two codes discretise differently: Exponax is pseudo-spectral (exact Fourier
derivatives, 1/2 dealiasing of the cubic term) with ETDRK of order 2 (its default);
phasefield uses second-order finite volumes with either its first-order stabilised
semi-implicit step or its ETDRK2 step (``--schemes``; the latter is the same time scheme as
Exponax's, so that row compares like with like). So this is a cost-per-step comparison at
equal grid, dt and steps (both stable at the dt used); the script also reports how far apart the two final fields are (the difference of
the two discretisations, for information, not a pass/fail).

Timing: each code's jitted ``lax.scan`` of the steps is compiled (timed apart) and run once
to warm up; then the two are executed alternately ``--repeats`` times, each call ended with
``block_until_ready``, so both see the same load on a shared machine. The ratio reported is
the median over the pairs of (Exponax time / phasefield time), > 1 meaning phasefield is
faster; the ratio of the minima is given too.

Output: ``benchmarks/results/exponax_compare.json`` and a line per case on stdout.

Usage: ``python benchmarks/exponax_compare.py [--n 256] [--steps 200] [--dt 0.01]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import phasefield  # noqa: F401
from phasefield.energies import DoubleWell, FreeEnergy
from phasefield.grid import Grid
from phasefield.integrators import ExponentialRK2, SemiImplicit
from phasefield.mobility import ConstantMobility
from phasefield.models import PhaseFieldModel
from phasefield.run import run_fixed
from phasefield.state import State

RESULTS = Path(__file__).resolve().parent / "results"
RHO, CA, CB, KAPPA, M = 5.0, 0.3, 0.7, 2.0, 5.0


def compiled_run(fn, x):
    """``(compile_s, compiled)``; the first execution (warm-up) is not timed."""
    t0 = time.perf_counter()
    compiled = jax.jit(fn).lower(x).compile()
    compile_s = time.perf_counter() - t0
    jax.block_until_ready(compiled(x))
    return compile_s, compiled


def interleaved(runs, repeats):
    """Time the compiled runs alternately (A, B, A, B, ...) so that both see the same load on
    a shared machine; returns per-run lists of seconds and the last outputs."""
    times, outs = [[] for _ in runs], [None] * len(runs)
    for _ in range(repeats):
        for k, (fn, x) in enumerate(runs):
            t0 = time.perf_counter()
            outs[k] = jax.block_until_ready(fn(x))
            times[k].append(time.perf_counter() - t0)
    return times, outs


def _cast(x, dtype):
    """Exponax builds its operators in the default precision (float64 here, since phasefield
    enables x64); cast them to the dtype of the run so float32 means float32 throughout."""
    if not isinstance(x, jax.Array):
        return x
    if jnp.issubdtype(x.dtype, jnp.complexfloating):
        return x.astype(jnp.complex64 if dtype == jnp.float32 else jnp.complex128)
    if jnp.issubdtype(x.dtype, jnp.floating):
        return x.astype(dtype)
    return x


def compare(n: int, steps: int, dt: float, dtype_name: str, repeats: int, order: int,
            scheme: str = "semi-implicit") -> dict:
    import exponax as ex

    dtype = jnp.dtype(dtype_name)
    a = lambda v: jnp.asarray(v, dtype=dtype)  # noqa: E731
    c0 = 0.5 + 0.05 * np.random.default_rng(0).uniform(-1.0, 1.0, (n, n))

    grid = Grid.create((n, n), 1.0, "periodic")
    energy = FreeEnergy(DoubleWell(a(RHO), a(CA), a(CB)), kappa=a(KAPPA))
    integrator = {"semi-implicit": SemiImplicit, "etdrk2": ExponentialRK2}[scheme]
    si = integrator(PhaseFieldModel(energy, ConstantMobility(a(M))), grid)
    s0 = State.create(a(c0), dt=dt)
    if scheme == "etdrk2":
        si = si.with_step(dt, s0)  # as Exponax, whose steppers hold their coefficients for one dt
    ours_compile, ours = compiled_run(lambda s: run_fixed(si.step, s, steps, a(dt)), s0)

    d = 0.5 * (CB - CA)
    stepper = ex.stepper.reaction.CahnHilliard(
        2, float(n), n, dt, diffusivity=4 * M * RHO * d**2, gamma=KAPPA / (4 * RHO * d**2),
        first_order_coefficient=-1.0, third_order_coefficient=1.0, order=order)
    stepper = jax.tree_util.tree_map(lambda x: _cast(x, dtype), stepper)
    u0 = a(((c0 - 0.5) / d)[None])
    theirs_compile, theirs = compiled_run(lambda u: ex.repeat(stepper, steps)(u), u0)
    (t_ours, t_theirs), (out_ours, out_theirs) = interleaved([(ours, s0), (theirs, u0)], repeats)
    pair_ratios = [b / a_ for a_, b in zip(t_ours, t_theirs)]

    c_ours = np.asarray(out_ours.X)
    c_theirs = 0.5 + d * np.asarray(out_theirs[0])
    if not (np.all(np.isfinite(c_ours)) and np.all(np.isfinite(c_theirs))):
        raise RuntimeError(f"non-finite result at dt={dt}: reduce --dt")
    return {
        "device": jax.devices()[0].device_kind, "platform": jax.default_backend(), "grid": f"{n}x{n}",
        "dtype": dtype_name, "phasefield_scheme": scheme, "dt": dt, "steps": steps, "exponax_order": order, "repeats": repeats,
        "phasefield_compile_s": ours_compile, "exponax_compile_s": theirs_compile,
        "phasefield_step_ms": 1e3 * statistics.median(t_ours) / steps,
        "exponax_step_ms": 1e3 * statistics.median(t_theirs) / steps,
        "phasefield_step_ms_min": 1e3 * min(t_ours) / steps, "exponax_step_ms_min": 1e3 * min(t_theirs) / steps,
        "speed_ratio_exponax_over_phasefield": statistics.median(pair_ratios),
        "speed_ratio_of_minima": min(t_theirs) / min(t_ours),
        "max_abs_difference_c": float(np.max(np.abs(c_ours - c_theirs))),
        "change_of_c": float(np.max(np.abs(c_ours - c0))),
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=256)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--dt", type=float, default=0.01)
    p.add_argument("--dtypes", default="float64,float32")
    p.add_argument("--order", type=int, default=2, help="Exponax ETDRK order (its default 2)")
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--schemes", default="semi-implicit,etdrk2", help="phasefield time schemes to time")
    p.add_argument("--out", type=Path, default=RESULTS / "exponax_compare.json")
    args = p.parse_args(argv)
    import exponax

    rows = []
    for dt_name, scheme in ((d, s) for d in args.dtypes.split(",") for s in args.schemes.split(",")):
        r = compare(args.n, args.steps, args.dt, dt_name, args.repeats, args.order, scheme)
        rows.append(r)
        print(f"{r['grid']} {dt_name} {scheme} dt={r['dt']} x{r['steps']}: phasefield {r['phasefield_step_ms']:.3f} ms/step, "
              f"exponax {r['exponax_step_ms']:.3f} ms/step, ratio {r['speed_ratio_exponax_over_phasefield']:.2f} "
              f"(of minima {r['speed_ratio_of_minima']:.2f}); "
              f"max|dc| {r['max_abs_difference_c']:.2e} (change {r['change_of_c']:.2e})", flush=True)
    env = {"jax": jax.__version__, "exponax": exponax.__version__ if hasattr(exponax, "__version__") else "0.2.0",
           "cpu_count": os.cpu_count(), "load_average": os.getloadavg()[0],
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"environment": env, "cases": rows}, indent=1))
    return rows


if __name__ == "__main__":
    main()
