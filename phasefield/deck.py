"""TOML input decks -> typed, validated run configuration.

A deck names a ``problem`` and gives its sections. Every key is checked against the
problem's schema before any computation: unknown keys (with the closest known key as a
suggestion), missing sections, wrong types, non-finite numbers, wrong or missing units and
out-of-range values raise ``DeckError`` with the key path. The core never sees the dict:
the result is a ``RunConfig`` of frozen dataclasses and floats in internal units.

Layout (see ``inputs/`` for complete decks):

    [run]         problem, t_end, precision ("float64"|"float32"), seed
    [grid]        shape, spacing, bc ("periodic"|"noflux")
    [material]    preset and its conditions (temperature)      } problem-specific
    [energy]      interface energy and width, plateau           }
    [mobility]    diffusivity scales and interpolation          }
    [initial]     initial condition                             }
    [integrator]  error_tol, dt_initial, dt_max, max_steps_per_output
    [output]      count, spacing ("log"|"linear"), fields, formats, checkpoint_every
    [fit]         optional: parameter fitting (``phasefield fit``); see ``FIT_KEYS``
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
from pathlib import Path
from typing import Any

from phasefield.units import UnitError, parse_quantity


class DeckError(ValueError):
    """An invalid deck; ``key`` is the dotted path of the offending entry."""

    def __init__(self, key: str, message: str):
        # a quoted TOML key may be empty or hold a newline; repr keeps the report visible, on one line
        super().__init__(f"{key if key and key.isprintable() else repr(key)}: {message}")
        self.key = key


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()


@dataclasses.dataclass(frozen=True)
class Field:
    """Schema of one deck key: its dimension (for units), default, and allowed range."""

    dimension: str = "dimensionless"
    default: Any = None
    kind: str = "number"  # number | int | str | int_list | str_list
    choices: tuple = ()
    minimum: float | None = None
    exclusive_minimum: bool = True
    maximum: float | None = None


_LENGTH_UNITS = {"lial_reaction": "length", "lial_particle": "length", "lial_electrode": "length",
                 "lial_network": "length", "pfhub1": "dimensionless"}
_TIME_UNITS = {"lial_reaction": "time", "lial_particle": "time", "lial_electrode": "time", "lial_network": "time",
               "pfhub1": "dimensionless"}
FIELDS = ("X", "mu", "x_ratio", "phase", "psi", "eta")

PROBLEM_SECTIONS: dict[str, dict[str, dict[str, Field]]] = {
    "lial_reaction": {
        "material": {
            "preset": Field(kind="str", default="Li-Al", choices=("Li-Al",)),
            "temperature": Field("temperature", "298.15 K", minimum=0.0),
        },
        "energy": {
            "sigma": Field("energy_per_area", "0.2 J/m^2", minimum=0.0),
            "delta": Field("length", None, minimum=0.0),
            "plateau": Field("potential", "0.38 V", minimum=0.0),
            "molar_volume_cm3": Field(default=10.0, minimum=0.0),
            "alpha_solution": Field(kind="str", default="quartic", choices=("quartic", "dilute")),
        },
        "mobility": {
            "alpha_diffusivity_scale": Field(default=1.0, minimum=0.0),
            "beta_vacancy_floor": Field(default=1e-4, minimum=0.0, maximum=1.0),
            "li_diffusivity": Field("diffusivity", "1.6e-10 cm^2/s", minimum=0.0),
            "beta_diffusivity": Field("diffusivity", None, minimum=0.0),
            "interpolation": Field(kind="str", default="log", choices=("log", "linear", "harmonic")),
        },
        "initial": {
            "radius": Field("length", REQUIRED, minimum=0.0),
            "X_matrix": Field(default=0.02, minimum=0.0, exclusive_minimum=False, maximum=0.5),
            "noise": Field(default=0.0, minimum=0.0, exclusive_minimum=False, maximum=0.1),
        },
    },
    "lial_particle": {},  # filled below: the Li-Al physics sections plus geometry and electrochemistry
    "lial_electrode": {},  # filled below: the same, with a packed-particle geometry
    "lial_network": {},  # filled below: a pulverized electrode (grains with alpha layers)
    "pfhub1": {
        "initial": {"sample_at": Field(default="centres", kind="str", choices=("centres", "nodes"))},
    },
}


PROBLEM_SECTIONS["lial_particle"] = {
    "material": PROBLEM_SECTIONS["lial_reaction"]["material"],
    "energy": PROBLEM_SECTIONS["lial_reaction"]["energy"],
    "mobility": PROBLEM_SECTIONS["lial_reaction"]["mobility"],
    "geometry": {
        "radius": Field("length", REQUIRED, minimum=0.0),
        "electrolyte_gap": Field("length", None, minimum=0.0),
        "psi_cut": Field(default=0.0, minimum=0.0, exclusive_minimum=False, maximum=0.5),
        # "mirror": centred on the low walls across axis 0, half a disc / a quarter of a sphere
        "symmetry": Field(kind="str", default="full", choices=("full", "mirror")),
    },
    # kind "single_field": X alone with the three-well energy; "two_phase": X and a phase field
    # (phasefield.models.two_phase) with the Allen-Cahn mobility, nucleation overpotential and
    # rate below, and the mean of two cells' mobility on a face (two_phase only)
    "model": {
        "kind": Field(kind="str", default="single_field", choices=("single_field", "two_phase")),
        "phase_mobility": Field("phase_mobility", "1 mol/J/s", minimum=0.0),
        "nucleation_overpotential": Field("potential", "10 mV", minimum=0.0),
        "nucleation_rate": Field("rate", "10 1/s", minimum=0.0, exclusive_minimum=False),
        "face_mobility": Field(kind="str", default="geometric", choices=("geometric", "arithmetic")),
    },
    "initial": {
        "X": Field(default=0.02, minimum=0.0, exclusive_minimum=False, maximum=1.0),
    },
    "electrochemistry": {
        "exchange_current": Field("current_density", "1 mA/cm^2", minimum=0.0),
        "exchange_current_exponent": Field(default=0.0, minimum=0.0, exclusive_minimum=False, maximum=1.0),
        "alpha_a": Field(default=0.5, minimum=0.0, maximum=1.0),
        "alpha_c": Field(default=0.5, minimum=0.0, maximum=1.0),
        "control": Field(kind="str", default="galvanostatic", choices=("galvanostatic", "potentiostatic")),
        "current": Field("current_density", "1 mA/cm^2"),
        "potential": Field("potential", "0.1 V"),
    },
    # type "constant": the [electrochemistry] control until t_end or the cut-off in its direction;
    # "cycle": n_cycles x (lithiate at |current| to lower_cutoff, delithiate to upper_cutoff),
    # each half capped at max_step (default t_end) and followed by a rest of `rest`;
    # "gitt": n_pulses x (current for `pulse`, rest for `rest`), a pulse ending at its cut-off,
    # then return_pulses x the same at -current to the other cut-off.
    # The run ends at t_end in every case (phasefield.protocol).
    "protocol": {
        "lower_cutoff": Field("potential", "0.01 V"),
        "upper_cutoff": Field("potential", "1.5 V"),
        "type": Field(kind="str", default="constant", choices=("constant", "cycle", "gitt")),
        "n_cycles": Field(default=1, kind="int", minimum=1, exclusive_minimum=False, maximum=100_000),
        "max_step": Field("time", None, minimum=0.0),
        "rest": Field("time", "0 s", minimum=0.0, exclusive_minimum=False),
        "pulse": Field("time", "30 min", minimum=0.0),
        "n_pulses": Field(default=10, kind="int", minimum=1, exclusive_minimum=False, maximum=100_000),
        "return_pulses": Field(default=0, kind="int", minimum=0, exclusive_minimum=False, maximum=100_000),
    },
}

PROBLEM_SECTIONS["lial_electrode"] = {
    **{k: PROBLEM_SECTIONS["lial_particle"][k] for k in ("material", "energy", "mobility", "model",
                                                         "electrochemistry", "protocol")},
    "geometry": {
        "radius_mean": Field("length", REQUIRED, minimum=0.0),
        "radius_std": Field("length", "0 um", minimum=0.0, exclusive_minimum=False),
        "density": Field(default=0.7, minimum=0.0, maximum=0.9),
        "electrolyte_gap": Field("length", None, minimum=0.0),
        "psi_cut": Field(default=0.0, minimum=0.0, exclusive_minimum=False, maximum=0.45),
        # no current enters more than this far behind the SE face (default: the full profile)
        "contact_reach": Field("length", None, minimum=0.0),
    },
    "initial": {
        "x_ratio": Field(default=0.0, minimum=0.0, exclusive_minimum=False, maximum=100.0),
        "mode": Field(kind="str", default="mixed", choices=("mixed", "prelithiated")),
        "X_al": Field(default=0.02, minimum=0.0, exclusive_minimum=False, maximum=0.05),
        "domain_size": Field("length", None, minimum=0.0),
    },
}


PROBLEM_SECTIONS["lial_network"] = {
    **{k: PROBLEM_SECTIONS["lial_electrode"][k] for k in ("material", "energy", "mobility", "electrochemistry",
                                                          "protocol", "geometry")},
    # the packed particles are cut into Voronoi grains (phasefield.grains.pulverize): each a beta
    # domain in an alpha layer, carried by n_fields order parameters, with grain-boundary transport
    "grains": {
        "grain_size": Field("length", REQUIRED, minimum=0.0),
        "alpha_layer": Field("length", "0.25 um", minimum=0.0),
        "n_fields": Field(default=8, kind="int", minimum=2, exclusive_minimum=False, maximum=64),
        "gb_diffusivity": Field("diffusivity", "1e-12 cm^2/s", minimum=0.0, exclusive_minimum=False),
        "gb_energy": Field("energy_per_area", "0.3 J/m^2", minimum=0.0),
        "mobility": Field(default=0.0, minimum=0.0, exclusive_minimum=False),
    },
}


def _common_sections(problem: str) -> dict[str, dict[str, Field]]:
    length, time = _LENGTH_UNITS[problem], _TIME_UNITS[problem]
    return {
        "run": {
            "problem": Field(kind="str", default=REQUIRED, choices=tuple(PROBLEM_SECTIONS)),
            "t_end": Field(time, REQUIRED, minimum=0.0),
            "precision": Field(default="float64", kind="str", choices=("float64", "float32")),
            "seed": Field(default=0, kind="int", minimum=0, exclusive_minimum=False),
        },
        "grid": {
            "shape": Field(kind="int_list", default=REQUIRED),
            "spacing": Field(length, REQUIRED, minimum=0.0),
            "bc": Field(default="periodic", kind="str", choices=("periodic", "noflux", "slab")),
        },
        "integrator": {
            "scheme": Field(default="auto", kind="str", choices=("auto", "semi-implicit", "rosenbrock", "etdrk2")),
            "error_tol": Field(default=1e-3, minimum=0.0),
            # the norm of the ROS2 error estimate: "max" over cells, or "rms" over the active
            # cells (phasefield.integrators.rosenbrock)
            "error_norm": Field(default="max", kind="str", choices=("max", "rms")),
            # the largest change of any field in one step that the controller aims at (and 4x
            # that, at least 0.2, it rejects); 1 leaves the step to the error estimate alone
            "max_change": Field(default=0.05, minimum=0.0),
            "krylov_rtol": Field(default=1e-7, minimum=0.0),
            "krylov_restart": Field(default=100, kind="int", minimum=1, exclusive_minimum=False, maximum=10_000),
            # the two-phase ROS2 step's GMRES preconditioner: "spectral" (constant-coefficient
            # inverse, blended cell by cell), "direct" (block-tridiagonal LU of the local
            # Jacobian; phasefield/integrators/block_tridiagonal.py) or "auto": direct where its
            # blocks have at most DIRECT_BLOCK_LIMIT unknowns (2D grids up to 256 cells across)
            "preconditioner": Field(default="auto", kind="str", choices=("auto", "spectral", "direct")),
            "dt_initial": Field(time, None, minimum=0.0),
            "dt_max": Field(time, None, minimum=0.0),
            "max_steps_per_output": Field(default=10_000_000, kind="int", minimum=1, exclusive_minimum=False),
            # a step that crosses a voltage cut-off is retried with halved dt down to this step
            "event_tol": Field(time, None, minimum=0.0),
            # the step-size control after an accepted step: "I", dt ~ (tol/e)^(1/2), or "PI",
            # (tol/e_n)^0.35 (e_{n-1}/tol)^0.2, which also follows the trend of the estimate
            # (phasefield/integrators/adaptive.py)
            "step_control": Field(default="I", kind="str", choices=("I", "PI")),
        },
        "output": {
            "count": Field(default=10, kind="int", minimum=1, exclusive_minimum=False, maximum=1_000_000),
            "spacing": Field(default="log", kind="str", choices=("log", "linear")),
            "fields": Field(default=["X"], kind="str_list", choices=FIELDS),
            "formats": Field(default=["csv", "vti"], kind="str_list", choices=("csv", "vti", "npz")),
            "checkpoint_every": Field(default=1, kind="int", minimum=0, exclusive_minimum=False),
        },
    }


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """A validated deck: ``sections[name][key]`` holds values in internal units."""

    problem: str
    sections: dict
    source: str

    def __getitem__(self, section: str) -> dict:
        return self.sections[section]


def _suggest(name: str, known) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(sorted(known))}"


def _check(path: str, value: Any, spec: Field) -> Any:
    if spec.kind == "str":
        if not isinstance(value, str):
            raise DeckError(path, f"expected a string, got {value!r}")
        if spec.choices and value not in spec.choices:
            raise DeckError(path, f"{value!r} is not one of {', '.join(spec.choices)}" + _suggest(value, spec.choices))
        return value
    if spec.kind == "str_list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise DeckError(path, f"expected a list of strings such as {list(spec.choices[:2])}, got {value!r}")
        for v in value:
            if v not in spec.choices:
                raise DeckError(path, f"{v!r} is not one of {', '.join(spec.choices)}" + _suggest(v, spec.choices))
        if len(set(value)) != len(value):
            raise DeckError(path, f"duplicate entries in {value!r}")
        return tuple(value)
    if spec.kind == "int_list":
        if not isinstance(value, list) or not value or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise DeckError(path, f"expected a list of integers such as [64, 64], got {value!r}")
        if not 1 <= len(value) <= 3 or any(not 2 <= v < 2**63 for v in value):
            raise DeckError(path, f"expected 1 to 3 axes of at least 2 cells, got {value!r}")
        return tuple(value)
    if spec.kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise DeckError(path, f"expected an integer, got {value!r}")
        if not -(2**63) <= value < 2**63:  # TOML integers are 64-bit; also keeps float() finite
            raise DeckError(path, "expected a 64-bit integer, got one beyond +-2^63")
        number = float(value)
    else:
        try:
            number = parse_quantity(value, spec.dimension)
        except UnitError as err:
            raise DeckError(path, str(err)) from None
    if not math.isfinite(number):
        raise DeckError(path, f"must be finite, got {value!r}")
    if spec.minimum is not None:
        bad = number <= spec.minimum if spec.exclusive_minimum else number < spec.minimum
        if bad:
            rel = ">" if spec.exclusive_minimum else ">="
            raise DeckError(path, f"must be {rel} {spec.minimum:g}, got {value!r}")
    if spec.maximum is not None and number > spec.maximum:
        raise DeckError(path, f"must be <= {spec.maximum:g}, got {value!r}")
    return int(value) if spec.kind == "int" else number


def parse_deck(data: dict, source: str = "<deck>") -> RunConfig:
    """Validate a deck already read from TOML."""
    run = data.get("run")
    if not isinstance(run, dict):
        raise DeckError("run", "missing [run] section (it names the problem and t_end)")
    problem = run.get("problem")
    if not isinstance(problem, str) or problem not in PROBLEM_SECTIONS:
        raise DeckError("run.problem", f"expected one of {', '.join(PROBLEM_SECTIONS)}, got {problem!r}")
    schema = {**_common_sections(problem), **PROBLEM_SECTIONS[problem]}
    for name in data:
        if name == "fit":
            continue
        if name not in schema:
            raise DeckError(name, "unknown section" + _suggest(name, schema))
    sections = {}
    for name, fields in schema.items():
        given = data.get(name, {})
        if not isinstance(given, dict):
            raise DeckError(name, f"expected a [{name}] table, got {given!r}")
        for key in given:
            if key not in fields:
                raise DeckError(f"{name}.{key}", "unknown key" + _suggest(key, fields))
        values = {}
        for key, spec in fields.items():
            path = f"{name}.{key}"
            if key in given:
                values[key] = _check(path, given[key], spec)
            elif spec.default is REQUIRED:
                raise DeckError(path, "required but missing")
            else:
                values[key] = None if spec.default is None else _check(path, spec.default, spec)
        sections[name] = values
    if "fit" in data:
        sections["fit"] = parse_fit(data["fit"], problem)
    return RunConfig(problem, sections, source)


# ------------------------------------------------------------------ [fit]
#: keys of the [fit] section. Parameter values (``initial``, ``lower``, ``upper``, ``scale``,
#: reference values) carry the unit of their parameter and are converted where the parameter
#: is known (``phasefield.fit.setup``); everything else is checked here.
FIT_KEYS: dict[str, Field] = {
    "optimizer": Field(kind="str", default="lbfgs", choices=("lbfgs", "adam")),
    "max_iterations": Field(default=50, kind="int", minimum=0, exclusive_minimum=False, maximum=100_000),
    "learning_rate": Field(default=None, minimum=0.0),
    "gtol": Field(default=1e-6, minimum=0.0, exclusive_minimum=False),
    "ftol": Field(default=1e-9, minimum=0.0, exclusive_minimum=False),
    "refix_every": Field(default=5, kind="int", minimum=1, exclusive_minimum=False),
    "refix_rtol": Field(default=1e-3, minimum=0.0, exclusive_minimum=False),
    "checkpoint_every": Field(default=0, kind="int", minimum=0, exclusive_minimum=False),
    "max_steps": Field(default=100_000, kind="int", minimum=1, exclusive_minimum=False, maximum=10_000_000),
    "seed": Field(default=0, kind="int", minimum=0, exclusive_minimum=False),
}
FIT_BOOL_KEYS = {"checkpoint": True, "plot": True}
FIT_PARAMETER_KEYS = {"name", "initial", "transform", "lower", "upper", "scale"}
FIT_TARGET_KEYS: dict[str, Field] = {
    "observable": Field(kind="str", default=REQUIRED),
    "csv": Field(kind="str", default=None),
    "time_column": Field(kind="str", default=None),
    "column": Field(kind="str", default=None),
    "count": Field(default=None, kind="int", minimum=1, exclusive_minimum=False, maximum=100_000),
    "sigma": Field(default=None, minimum=0.0),
    "weight": Field(default=1.0, minimum=0.0),
    "noise": Field(default=0.0, minimum=0.0, exclusive_minimum=False),
}
FIT_TRANSFORMS = ("identity", "log", "logit")


def _table_list(value, path: str, what: str) -> list:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise DeckError(path, f"expected one or more [[{path}]] tables ({what}), got {value!r}")
    return value


def _fit_fields(given: dict, fields: dict, path: str) -> dict:
    values = {}
    for key, spec in fields.items():
        if key in given:
            values[key] = _check(f"{path}.{key}", given[key], spec)
        elif spec.default is REQUIRED:
            raise DeckError(f"{path}.{key}", "required but missing")
        else:
            values[key] = spec.default
    return values


def _raw_value(path: str, value):
    """A parameter value as written (number or quantity string), converted later."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise DeckError(path, f"expected a number or a quantity such as \"1 mA/cm^2\", got {value!r}")
    if isinstance(value, (int, float)) and not math.isfinite(float(value)):
        raise DeckError(path, f"must be finite, got {value!r}")
    return value


def parse_fit(fit: Any, problem: str) -> dict:
    """Structural validation of the [fit] section (keys, types, ranges, time units).

    Layout::

        [fit]                   optimizer ("lbfgs"|"adam"), max_iterations, learning_rate, gtol,
                                ftol, refix_every, refix_rtol, checkpoint (bool), checkpoint_every, max_steps,
                                plot (bool), seed (noise of synthetic data)
        [[fit.parameters]]      name, initial, transform ("identity"|"log"|"logit"), lower, upper, scale
        [[fit.targets]]         observable, csv, time_column, column | times, count; sigma, weight, noise
        [fit.reference]         name = value: parameter values of the synthetic reference run
    """
    if not isinstance(fit, dict):
        raise DeckError("fit", f"expected a [fit] table, got {fit!r}")
    known = set(FIT_KEYS) | set(FIT_BOOL_KEYS) | {"parameters", "targets", "reference"}
    for key in fit:
        if key not in known:
            raise DeckError(f"fit.{key}", "unknown key" + _suggest(key, known))
    out = _fit_fields(fit, FIT_KEYS, "fit")
    for key, default in FIT_BOOL_KEYS.items():
        value = fit.get(key, default)
        if not isinstance(value, bool):
            raise DeckError(f"fit.{key}", f"expected true or false, got {value!r}")
        out[key] = value
    if "parameters" not in fit:
        raise DeckError("fit.parameters", "required but missing: add [[fit.parameters]] tables with a name each")
    params, seen = [], set()
    for i, given in enumerate(_table_list(fit["parameters"], "fit.parameters", "one per fitted parameter")):
        path = f"fit.parameters[{i}]"
        for key in given:
            if key not in FIT_PARAMETER_KEYS:
                raise DeckError(f"{path}.{key}", "unknown key" + _suggest(key, FIT_PARAMETER_KEYS))
        name = given.get("name")
        if not isinstance(name, str) or not name:
            raise DeckError(f"{path}.name", f"expected a parameter name such as \"kinetics.i0\", got {name!r}")
        if name in seen:
            raise DeckError(f"{path}.name", f"{name!r} is fitted twice")
        seen.add(name)
        transform = given.get("transform")
        if transform is not None and transform not in FIT_TRANSFORMS:
            raise DeckError(f"{path}.transform", f"{transform!r} is not one of {', '.join(FIT_TRANSFORMS)}"
                            + _suggest(str(transform), FIT_TRANSFORMS))
        entry = {"name": name, "transform": transform}
        for key in ("initial", "lower", "upper", "scale"):
            entry[key] = _raw_value(f"{path}.{key}", given[key]) if key in given else None
        params.append(entry)
    if "targets" not in fit:
        raise DeckError("fit.targets", "required but missing: add [[fit.targets]] tables with an observable each")
    time_field = Field(_TIME_UNITS[problem], minimum=0.0, exclusive_minimum=False)
    targets = []
    for i, given in enumerate(_table_list(fit["targets"], "fit.targets", "one per observable")):
        path = f"fit.targets[{i}]"
        fields = {**FIT_TARGET_KEYS, "times": None}
        for key in given:
            if key not in fields:
                raise DeckError(f"{path}.{key}", "unknown key" + _suggest(key, fields))
        entry = _fit_fields({k: v for k, v in given.items() if k != "times"}, FIT_TARGET_KEYS, path)
        times = given.get("times")
        if times is not None:
            if not isinstance(times, list) or not times:
                raise DeckError(f"{path}.times", f"expected a non-empty list of times, got {times!r}")
            times = [_check(f"{path}.times", t, time_field) for t in times]
            if any(b <= a for a, b in zip(times, times[1:])):
                raise DeckError(f"{path}.times", f"times must increase strictly, got {given['times']!r}")
        entry["times"] = times
        if entry["csv"] is None:
            if (times is None) == (entry["count"] is None):
                raise DeckError(f"{path}.times", "a target without csv data comes from the reference run "
                                "and needs exactly one of times = [...] or count = N")
            if "reference" not in fit:
                raise DeckError("fit.reference", f"required: {path} has no csv data, so it is computed from a "
                                "reference run with the parameter values of [fit.reference]")
        elif times is not None or entry["count"] is not None or entry["noise"]:
            raise DeckError(f"{path}.csv", "a target read from csv takes its times from the file; "
                            "drop times, count and noise (they apply to reference-run targets)")
        targets.append(entry)
    reference = fit.get("reference")
    if reference is not None:
        if not isinstance(reference, dict) or not reference:
            raise DeckError("fit.reference", f"expected a table of parameter values such as "
                            f"{{ \"kinetics.i0\" = \"1 mA/cm^2\" }}, got {reference!r}")
        reference = {name: _raw_value(f"fit.reference.{name}", v) for name, v in reference.items()}
    out.update(parameters=params, targets=targets, reference=reference)
    return out


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    """Apply ``section.key=value`` overrides (value parsed as TOML, else as a string)."""
    for item in overrides:
        if "=" not in item or "." not in item.split("=", 1)[0]:
            raise DeckError(item, "override must look like section.key=value")
        path, raw = item.split("=", 1)
        section, key = path.strip().split(".", 1)
        if not isinstance(data.setdefault(section, {}), dict):
            raise DeckError(section, f"--set {item!r} needs [{section}] to be a table, got {data[section]!r}")
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except ValueError:  # TOMLDecodeError, or an integer literal over Python's 4300-digit limit
            value = raw
        data.setdefault(section, {})[key] = value
    return data


def load_deck(path: str | Path, overrides: list[str] | None = None) -> RunConfig:
    """Read, override and validate a TOML deck."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise DeckError(str(path), f"cannot read deck: {err.strerror}") from None
    except UnicodeDecodeError as err:
        raise DeckError(str(path), f"cannot read deck: expected UTF-8 TOML text ({err.reason} at byte {err.start})") from None
    try:
        data = tomllib.loads(text)
    except ValueError as err:  # TOMLDecodeError, or an integer literal over Python's 4300-digit limit
        raise DeckError(str(path), f"not valid TOML: {err}") from None
    return parse_deck(apply_overrides(data, overrides or []), source=str(path))
