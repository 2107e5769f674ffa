"""Parameter sweeps: one deck, one key, several values.

When every member has the same grid, output times and pytree structure (only array leaves
differ, e.g. a temperature, an interface energy or a diffusivity scale), the members are
stacked and advanced together by one ``jax.vmap``-ed, jitted adaptive loop: each member keeps
its own step size, finished members idle. Otherwise (a changed grid shape, say) they run one
after another. Each member gets ``member_<k>/observables.csv``; ``sweep.csv`` collects the
final row of every member beside its parameter value.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from phasefield.batch import _atomic_write_text, _csv_text, run_deck
from phasefield.deck import DeckError, load_deck
from phasefield.run import SimulationError
from phasefield.setup import build


def parse_param(spec: str) -> tuple[str, list[str]]:
    """``"section.key=v1,v2,..."`` -> (key, [v1, v2, ...]) (values kept as TOML text)."""
    if "=" not in spec:
        raise DeckError("--param", f"expected section.key=v1,v2,..., got {spec!r}")
    key, values = spec.split("=", 1)
    items = [v.strip() for v in _split_top_level(values) if v.strip()]
    if "." not in key or len(items) < 1:
        raise DeckError("--param", f"expected section.key=v1,v2,... with at least one value, got {spec!r}")
    return key.strip(), items


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets and quotes (so [32,32] stays one value)."""
    parts, depth, quote, cur = [], 0, None, ""
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        cur += ch
    parts.append(cur)
    return parts


def _vmappable(sims) -> bool:
    first = sims[0]
    same = all(
        s.grid == first.grid
        and np.array_equal(s.output_times, first.output_times)
        and jax.tree_util.tree_structure((s.stepper, s.state)) == jax.tree_util.tree_structure((first.stepper, first.state))
        for s in sims
    )
    if not same:
        return False
    shapes = lambda s: [np.shape(x) for x in jax.tree_util.tree_leaves((s.stepper, s.state))]  # noqa: E731
    return all(shapes(s) == shapes(first) for s in sims)


def run_sweep(deck: str, param: str, out: Path, overrides: list[str] | None = None, progress: bool = True):
    """Run the sweep; returns ``(mode, rows)`` with mode "vmap" or "sequential"."""
    key, values = parse_param(param)
    overrides = list(overrides or [])
    configs = [load_deck(deck, overrides + [f"{key}={v}"]) for v in values]
    sims = [build(c) for c in configs]
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DeckError("--out", f"{out} exists and is not a directory; give a directory path")
    out.mkdir(parents=True, exist_ok=True)
    finals = []
    if len(sims) > 1 and _vmappable(sims):
        mode = "vmap"
        stack = lambda *xs: jnp.stack([jnp.asarray(x) for x in xs])  # noqa: E731
        stepper = jax.tree_util.tree_map(stack, *[s.stepper for s in sims])
        state = jax.tree_util.tree_map(stack, *[s.state for s in sims])
        max_steps = sims[0].max_steps_per_output
        advance = jax.jit(jax.vmap(lambda st, s, t: st.advance(s, t, max_steps), in_axes=(0, 0, None)))
        unit = sims[0].time_unit
        member = lambda tree, k: jax.tree_util.tree_map(lambda x: x[k], tree)  # noqa: E731
        rows = [[] for _ in sims]

        def record(st, rejected):
            for k, sim in enumerate(sims):
                s = member(st, k)
                rows[k].append({f"t_{unit}": float(s.t), f"dt_{unit}": float(s.dt), "steps": int(s.step),
                                "rejected": int(rejected[k]), **sim.observe(s)})

        record(state, np.zeros(len(sims), int))
        for t_out in sims[0].output_times:
            state, stats = advance(stepper, state, jnp.asarray(t_out, state.X.dtype))
            failed = np.asarray(stats.failed) | (np.asarray(state.t) < t_out * (1 - 1e-9))
            if failed.any():
                bad = [values[k] for k in np.flatnonzero(failed)]
                raise SimulationError(f"sweep members {key}={', '.join(bad)} failed near t={t_out:.6g}: "
                                      f"time step collapsed or max_steps_per_output reached")
            record(state, np.asarray(stats.rejected))
            if progress:
                print(f"t={t_out:.4g} {unit}: {len(sims)} members, steps {np.asarray(state.step).tolist()}", flush=True)
        for k in range(len(sims)):
            d = out / f"member_{k}"
            d.mkdir(exist_ok=True)
            _atomic_write_text(d / "observables.csv", _csv_text(rows[k]))
            finals.append(rows[k][-1])
    else:
        mode = "sequential"
        for k, c in enumerate(configs):
            _, rows_k = run_deck(c, out / f"member_{k}", progress=progress)
            finals.append(rows_k[-1])
    summary = [{key: v, **row} for v, row in zip(values, finals)]
    _atomic_write_text(out / "sweep.csv", _csv_text(summary))
    _atomic_write_text(out / "sweep.json", json.dumps({"deck": deck, "param": key, "values": values,
                                                       "mode": mode, "overrides": overrides}, indent=2))
    return mode, summary
