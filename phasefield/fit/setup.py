"""Build a fit from a validated deck: the deck's simulation, the [fit] parameters with their
values converted to internal units, the targets (CSV data or a synthetic reference run with
noise), and the optimiser options.

Every problem with the deck's [fit] section is reported as ``DeckError`` naming the key
(``fit.parameters[1].name``, ``fit.targets[0].csv``, ...), like the rest of the deck.

Synthetic reference data: the targets without ``csv`` are computed by an adaptive run at the
parameter values of ``[fit.reference]`` (values not named there keep the deck's), and
Gaussian noise of standard deviation ``noise`` (observable unit; seed ``fit.seed``) is added.
A target's ``sigma`` defaults to its ``noise`` when that is positive, else to 1.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from phasefield._pytree import replace
from phasefield.deck import DeckError, RunConfig
from phasefield.fit.loss import FitProblem
from phasefield.fit.optimize import Options
from phasefield.fit.params import FitParameterError, apply_values, check_distinct, lookup, make_parameter
from phasefield.fit.targets import Target, TargetError, observable, read_csv_target
from phasefield.units import UnitError, parse_quantity


@dataclasses.dataclass
class FitSetup:
    """``problem`` (``FitProblem`` holding the data), ``options``, the reference values
    ``truth`` ({name: internal value}, or None for CSV data), the simulation ``sim`` and the
    time unit."""

    problem: FitProblem
    options: Options
    truth: dict | None
    sim: object
    time_unit: str
    plot: bool


def _value(path: str, raw, dimension: str) -> float:
    try:
        return parse_quantity(raw, dimension)
    except UnitError as err:
        raise DeckError(path, str(err)) from None


def _parameters(fit: dict, model) -> list:
    params = []
    for i, entry in enumerate(fit["parameters"]):
        path = f"fit.parameters[{i}]"
        try:
            spec = lookup(entry["name"], model)
        except FitParameterError as err:
            raise DeckError(f"{path}.name", str(err)) from None
        conv = {k: None if entry[k] is None else _value(f"{path}.{k}", entry[k], spec.dimension)
                for k in ("initial", "lower", "upper", "scale")}
        try:
            params.append(make_parameter(entry["name"], model, conv["initial"], entry["transform"],
                                         conv["lower"], conv["upper"],
                                         1.0 if conv["scale"] is None else conv["scale"]))
        except FitParameterError as err:
            msg = str(err)
            key = ("scale" if "scale" in msg else "lower" if "lower <" in msg else "initial")
            raise DeckError(f"{path}.{key}", msg) from None
        try:
            check_distinct(params)
        except FitParameterError as err:
            raise DeckError(f"{path}.name", str(err)) from None
    return params


def _reference_values(fit: dict, model) -> dict:
    values = {}
    for name, raw in (fit["reference"] or {}).items():
        path = f"fit.reference.{name}"
        try:
            spec = lookup(name, model)
        except FitParameterError as err:
            raise DeckError(path, str(err)) from None
        values[name] = _value(path, raw, spec.dimension)
    return values


def _targets(fit: dict, config: RunConfig, t_end: float, unit: str) -> list:
    base = Path(config.source).parent if config.source and not config.source.startswith("<") else Path(".")
    targets = []
    for i, entry in enumerate(fit["targets"]):
        path = f"fit.targets[{i}]"
        try:
            observable(config.problem, entry["observable"])
        except TargetError as err:
            raise DeckError(f"{path}.observable", str(err)) from None
        if entry["csv"] is not None:
            csv = Path(entry["csv"])
            csv = csv if csv.is_absolute() else base / csv
            try:
                target = read_csv_target(csv, entry["observable"], entry["time_column"] or f"t_{unit}",
                                         entry["column"], entry["sigma"], entry["weight"])
            except TargetError as err:
                raise DeckError(f"{path}.csv", str(err)) from None
        else:
            times = (np.asarray(entry["times"], float) if entry["times"] is not None
                     else np.linspace(t_end / entry["count"], t_end, entry["count"]))
            sigma = entry["sigma"] if entry["sigma"] is not None else (entry["noise"] or None)
            try:
                target = Target(entry["observable"], times, np.zeros_like(times), sigma, entry["weight"],
                                source="reference run")
            except TargetError as err:
                raise DeckError(f"{path}.times", str(err)) from None
        targets.append(target)
    return targets


def build_fit(config: RunConfig, make_data: bool = True) -> FitSetup:
    """The fit of a deck with a [fit] section. With ``make_data`` the synthetic reference
    data are computed (an adaptive run); otherwise they stay zero (validation only)."""
    from phasefield.setup import build

    fit = config.sections.get("fit")
    if fit is None:
        raise DeckError("fit", "missing [fit] section: `phasefield fit` needs [[fit.parameters]] and "
                        "[[fit.targets]] (README, Fitting)")
    sim = build(config)
    integ, controller, state = sim.stepper.integrator, sim.stepper.controller, sim.state
    model = integ.model
    params = _parameters(fit, model)
    reference = _reference_values(fit, model)
    for prm in params:
        if prm.name in reference:
            try:
                prm.to_unconstrained(reference[prm.name])
            except (ValueError, ZeroDivisionError):
                raise DeckError(f"fit.reference.{prm.name}", f"{reference[prm.name]:g} is outside the range of "
                                f"its {prm.transform} transform (lower={prm.lower}, upper={prm.upper})") from None
    targets = _targets(fit, config, config["run"]["t_end"], sim.time_unit)
    chunk = fit["checkpoint_every"] if fit["checkpoint"] else None
    problem = FitProblem(integ, controller, state, config.problem, params, targets, chunk, fit["max_steps"])
    options = Options(fit["optimizer"], fit["max_iterations"], fit["learning_rate"], fit["gtol"],
                      fit["ftol"], fit["refix_every"], fit["refix_rtol"])
    synthetic = [i for i, e in enumerate(fit["targets"]) if e["csv"] is None]
    if synthetic and make_data:
        problem.set_data(reference_data(problem, reference, [fit["targets"][i]["noise"] for i in range(len(targets))],
                                        synthetic, fit["seed"]))
    return FitSetup(problem, options, reference or None, sim, sim.time_unit, fit["plot"])


def reference_data(problem: FitProblem, reference: dict, noise: list, which: list, seed: int) -> list:
    """Target values from an adaptive run at ``reference`` values plus Gaussian noise for the
    targets listed in ``which`` (the others keep their data). The run reuses ``problem``'s
    compiled Jacobian program when every reference value is a fitted parameter."""
    fitted = {p.name: p for p in problem.params}
    others = {k: v for k, v in reference.items() if k not in fitted}
    ref = problem
    if others:
        model = apply_values(problem.integrator.model, others)
        ref = FitProblem(replace(problem.integrator, model=model), problem.controller, problem.state,
                         problem.problem, problem.params, problem.targets, problem.checkpoint_every,
                         problem.max_steps)
    u_ref = np.asarray([p.to_unconstrained(reference.get(p.name, p.initial)) for p in problem.params], float)
    sched = ref.schedule(u_ref)
    _, r = ref.jacobian(u_ref, sched)
    clean = ref.prediction_from_residuals(r)
    rng = np.random.default_rng(seed)
    out = []
    for i, t in enumerate(problem.targets):
        if i in which:
            out.append(clean[i] + noise[i] * rng.standard_normal(clean[i].shape))
        else:
            out.append(t.values)
    return out
