"""Cost of a driven beta front: the single-field Li-Al model against the two-field KKS model.

Both models are integrated by the same dense ROS2 step (Verwer et al. 1999, gamma = 1 + 1/sqrt(2);
exact Jacobian by ``jax.jacfwd``, LU solves, embedded first-order error in the max norm, step
factor ``0.9 (tol/e)^(1/2)`` clipped to [0.2, 2]) on the 1D front of
``phasefield.problems.lial_front`` (40 cells of 25 nm, beta layer of 0.3 um, Li entering the
first cell at 1.04e-3 um/s = 1 mA/cm^2, seed 000 diffusivities), so the step counts compare
the models and not two integrators:

- single field: ``X`` with the shipped three-well energy, ``mu = f'(X) - kappa lap X``, mobility
  ``ln M(X)`` from seed 000's Eq. 1 per phase (``phasefield.mobility.lial_mobility``).
- two field: ``(X, phi)`` with ``phasefield.energies.kks.TwoPhaseEnergy`` built from the same
  energy (same plateau, coexistence points, alpha curvature at Xa and beta branch), a
  phase-field interface of slope width 0.1 um (4 cells), ``ln M = h(phi) ln M_beta + (1 -
  h(phi)) ln M_alpha`` with the single-field model's mobilities at Xb and Xa, and

      dX/dt   = div(M grad mu) + s,            mu = df/dX (closed form)
      dphi/dt = -L [df/dphi - kappa_phi lap phi].

  ``--jacobians`` chooses the two-field model's W: ``full`` (exact), ``frozen`` (the
  mobility held at the step's start, as the shipped ``Rosenbrock2`` does for X, with the X-phi
  coupling kept), ``block`` (the X-phi coupling blocks dropped as well: the block-diagonal W of
  the shipped ``Rosenbrock2``, which solves X and eta apart).

Reported per run: accepted and rejected steps to ``t_end``, wall time, the Li gained against
``flux * t`` and the front position (phi = 1/2, or X halfway between the coexistence points)
against the flux-balance estimate ``0.3 um + flux t / (Xb - Xa)``.

Usage: ``python benchmarks/two_phase_front.py [--t-end 100] [--tols 1e-3,1e-2] [--L 0.01,1]``
writes ``benchmarks/results/two_phase_front.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import phasefield  # noqa: F401  (enables float64)
from phasefield.energies.kks import TwoPhaseEnergy, interpolation
from phasefield.models.cahn_hilliard import cahn_hilliard_rate
from phasefield.problems.lial_front import beta_front
from phasefield.state import State

RESULTS = Path(__file__).resolve().parent / "results"
GAMMA = 1.0 + 1.0 / math.sqrt(2.0)
N, H, FLUX, FRONT, DELTA = 40, 0.025, 1.04e-3, 0.3, 0.1
SETTLE = 20.0  # s: the initial tanh profiles relax before this; steps after it are the front's


def _steady(counts, t_end):
    """Accepted and rejected steps per simulated second after ``SETTLE``."""
    if SETTLE not in counts:
        return None
    (a0, r0), (a1, r1) = counts[SETTLE], counts[t_end]
    return {"accepted_per_s": (a1 - a0) / (t_end - SETTLE), "rejected_per_s": (r1 - r0) / (t_end - SETTLE)}


def ros2(rate, y0, t_end, tol, dt0=1e-6, jacobian=None, marks=(), max_steps=500_000):
    """Adaptive dense ROS2 from ``y0`` to ``t_end``: ``(y, accepted, rejected, counts)`` with
    ``counts[m] = (accepted, rejected)`` when t reached each time in ``marks`` (steps end on
    them). ``jacobian(y)`` gives W's J (default: the exact ``jax.jacfwd(rate)``)."""
    size = y0.size
    jacobian = jax.jacfwd(rate) if jacobian is None else jacobian

    @jax.jit
    def trial(y, dt):
        J = jacobian(y)
        lu = jax.scipy.linalg.lu_factor(jnp.eye(size) - GAMMA * dt * J)
        k1 = jax.scipy.linalg.lu_solve(lu, rate(y))
        k2 = jax.scipy.linalg.lu_solve(lu, rate(y + dt * k1) - 2.0 * k1)
        return y + dt * (1.5 * k1 + 0.5 * k2), 0.5 * dt * jnp.max(jnp.abs(k1 + k2))

    t, y, dt, accepted, rejected, counts = 0.0, y0, dt0, 0, 0, {}
    stops = sorted({*[m for m in marks if 0 < m < t_end], t_end})
    for stop in stops:
        while t < stop * (1 - 1e-12):
            if accepted + rejected >= max_steps:
                raise RuntimeError(f"more than {max_steps} trial steps before t = {t_end}")
            trial_dt = min(dt, stop - t)
            y_new, err = trial(y, trial_dt)
            err = float(err)
            if math.isfinite(err) and err <= tol:
                t, y, accepted = (stop if trial_dt == stop - t else t + trial_dt), y_new, accepted + 1
            else:
                rejected += 1
            factor = 0.9 * math.sqrt(tol / max(err, 1e-300)) if math.isfinite(err) else 0.2
            dt = trial_dt * min(2.0, max(0.2, factor))
        counts[stop] = (accepted, rejected)
    return y, accepted, rejected, counts


def _crossing(x, u, level):
    """First position where ``u`` (falling along x) crosses ``level``, linearly interpolated."""
    i = int(np.argmax(u < level))
    return float(x[i - 1] + (x[i] - x[i - 1]) * (u[i - 1] - level) / (u[i - 1] - u[i]))


def single_field(t_end, tol):
    grid, model, state = beta_front(n=N, spacing=H, flux=FLUX, front=FRONT)
    source = model.X_source(0.0)

    def rate(X):
        s = State.create(X)
        mu, _ = model.driving_forces(s, grid)
        return model.conserved_rate(s, mu, grid) + source

    start = time.perf_counter()
    X, acc, rej, counts = ros2(rate, state.X, t_end, tol, marks=(SETTLE,))
    wall = time.perf_counter() - start
    e = model.energy.chemical
    X = np.asarray(X)
    x = (np.arange(N) + 0.5) * H
    return {"model": "single field", "tol": tol, "accepted": acc, "rejected": rej, "wall_s": wall,
            "steady": _steady(counts, t_end), "steady": _steady(counts, t_end),
            "li_gain": float(np.sum(X - np.asarray(state.X)) * H),
            "front_um": _crossing(x, X, 0.5 * float(e.Xa + e.Xb)), "X": X.tolist()}


JACOBIANS = {"full": "", "frozen": ", mobility frozen in W", "block": ", block-diagonal W"}


def two_field(t_end, tol, L, jacobian="full"):
    grid, model, state = beta_front(n=N, spacing=H, flux=FLUX, front=FRONT)
    lial = model.energy.chemical
    kks = TwoPhaseEnergy.from_lial(lial, DELTA)
    ln_Ma = model.mobility.log_mobility(lial.Xa)
    ln_Mb = model.mobility.log_mobility(lial.Xb)
    source = model.X_source(0.0)
    x = (np.arange(N) + 0.5) * H
    phi0 = jnp.asarray(0.5 * (1.0 - np.tanh((x - FRONT) / (DELTA / 2))))  # slope width DELTA
    h0 = interpolation(phi0)
    X0 = h0 * kks.Xb + (1.0 - h0) * kks.Xa  # at the plateau potential
    dfdphi = jax.grad(lambda X, p: jnp.sum(kks.density(X, p)), argnums=1)

    def ln_M(phi):
        h = interpolation(phi)
        return h * ln_Mb + (1.0 - h) * ln_Ma

    def rate(y, y_mobility=None):
        X, phi = y[:N], y[N:]
        mu = kks.chemical_potential(X, phi)
        lnM = ln_M(phi if y_mobility is None else y_mobility[N:])
        dX = cahn_hilliard_rate(mu, lnM, grid) + source
        dphi = -L * (dfdphi(X, phi) - kks.kappa_phi * grid.laplacian(phi))
        return jnp.concatenate([dX, dphi])

    mask = jnp.zeros((2 * N, 2 * N)).at[:N, :N].set(1.0).at[N:, N:].set(1.0)
    jac = {
        "full": None,
        "frozen": lambda y: jax.jacfwd(lambda v: rate(v, y))(y),
        "block": lambda y: jax.jacfwd(lambda v: rate(v, y))(y) * mask,
    }[jacobian]

    start = time.perf_counter()
    y, acc, rej, counts = ros2(rate, jnp.concatenate([X0, phi0]), t_end, tol, jacobian=jac, marks=(SETTLE,))
    wall = time.perf_counter() - start
    X, phi = np.asarray(y[:N]), np.asarray(y[N:])
    return {"model": "two field (KKS)" + JACOBIANS[jacobian], "tol": tol, "L": L,
            "accepted": acc, "rejected": rej, "wall_s": wall, "steady": _steady(counts, t_end),
            "li_gain": float(np.sum(X - np.asarray(X0)) * H), "front_um": _crossing(x, phi, 0.5),
            "V_surface": float(kks.voltage(kks.chemical_potential(y[0], y[N]))),
            "X": X.tolist(), "phi": phi.tolist()}


def _rate(r):
    s = r.get("steady")
    return "-" if s is None else f"{s['accepted_per_s']:.3g} ({s['rejected_per_s']:.3g})"


def report(res: dict) -> str:
    env, t_end = res["environment"], res["t_end"]
    lines = [
        "# Driven beta front: single-field vs two-field (KKS) Li-Al model, same ROS2 step",
        "",
        f"`python benchmarks/two_phase_front.py` ({env['date']}, {env['cpu_count']} CPU cores, "
        f"float64, jax {env['jax']}). 1D front of `phasefield/problems/lial_front.py`: 40 cells "
        f"of 25 nm, Li in at 1.04e-3 um/s (1 mA/cm^2) to t = {t_end:g} s; both models on the same dense "
        "ROS2 step with exact Jacobian and max-norm error (see the script's docstring). "
        f"Flux balance: Li gain {res['expected_li_gain']:.6f} um, front at "
        f"{res['expected_front_um']:.3f} um. The first 20 s include the relaxation of the initial "
        "tanh profiles; the column after t = 20 s is the moving front alone. What the numbers mean "
        "for the 2D electrodes: `single_particle.md`.",
        "",
        "| model | L (mol/(J s)) | error_tol | accepted | rejected | accepted (rejected) per s after t = 20 s "
        "| wall (s) | Li gain (um) | front (um) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in res["runs"]:
        lines.append(f"| {r['model']} | {r.get('L', '-')} | {r['tol']:g} | {r['accepted']:,} | {r['rejected']:,} | "
                     f"{_rate(r)} | {r['wall_s']:.1f} | {r['li_gain']:.6f} | {r['front_um']:.3f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--t-end", type=float, default=100.0)
    p.add_argument("--tols", default="1e-3,1e-2")
    p.add_argument("--L", default="0.01,1", help="phase-field mobilities (mol/(J s)), comma-separated")
    p.add_argument("--jacobians", default="full,frozen,block", help=f"two-field W variants: {', '.join(JACOBIANS)}")
    p.add_argument("--skip-single", action="store_true")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    tols = [float(v) for v in args.tols.split(",")]
    runs = []
    for tol in tols:
        if not args.skip_single:
            runs.append(single_field(args.t_end, tol))
            print(runs[-1]["model"], tol, runs[-1]["accepted"], runs[-1]["rejected"], flush=True)
        for L in (float(v) for v in args.L.split(",")):
            for jacobian in args.jacobians.split(","):
                runs.append(two_field(args.t_end, tol, L, jacobian))
                print(runs[-1]["model"], tol, L, runs[-1]["accepted"], runs[-1]["rejected"], flush=True)
    lial = beta_front()[1].energy.chemical
    res = {
        "environment": {"jax": jax.__version__, "cpu_count": os.cpu_count(),
                        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())},
        "t_end": args.t_end, "expected_li_gain": FLUX * args.t_end,
        "expected_front_um": FRONT + FLUX * args.t_end / float(lial.Xb - lial.Xa),
        "runs": runs,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "two_phase_front.json").write_text(json.dumps(res, indent=1))
    (args.out / "two_phase_front.md").write_text(report(res))
    return res


if __name__ == "__main__":
    main()
