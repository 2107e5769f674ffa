"""Bad input never produces a traceback.

Every malformed deck below is one of the decks in ``inputs/`` with exactly one thing edited.
Each must end with exit code 2 (``EXIT_INPUT``) and exactly one line on stderr of the form
``phasefield: invalid input: <key or file>: <what was wrong and what was expected>``.
Most cases go through ``phasefield validate`` (which also builds the simulation, so geometry
and output-field checks are reached), a few through ``run`` and ``sweep``, and a few through
a separate interpreter (``python -m phasefield.cli``) to cover the real entry point.

Then hypothesis fuzzes the loader: ``parse_deck`` on random TOML-like trees (real schema keys
mixed with garbage, every TOML value type, nan/inf, unit strings good and bad) must return a
``RunConfig`` or raise ``DeckError``; ``parse_quantity`` on arbitrary text must return a finite
float or raise ``UnitError``; and a reduced real deck with one or two keys set to random values
of the right type must either build or raise ``DeckError``.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phasefield.cli import EXIT_INPUT, main
from phasefield.deck import PROBLEM_SECTIONS, DeckError, RunConfig, _common_sections, apply_overrides, parse_deck
from phasefield.setup import build
from phasefield.units import UNITS, UnitError, parse_quantity

INPUTS = Path(__file__).resolve().parents[1] / "inputs"
LIAL, LIAL3, PF = "lial_reaction_2d", "lial_reaction_3d", "pfhub1a"
PREFIX = "phasefield: invalid input:"


def edited(base: str, old: str, new: str) -> str:
    """The deck ``inputs/<base>.toml`` with the single occurrence of ``old`` replaced."""
    text = (INPUTS / f"{base}.toml").read_text()
    assert text.count(old) == 1, f"{old!r} must occur once in {base}.toml"
    return text.replace(old, new)


@dataclasses.dataclass(frozen=True)
class Bad:
    """One malformed deck: ``edit`` is (base deck, old text, new text); ``key`` must be named
    in the error and ``hint`` (what was expected) must appear in it."""

    edit: tuple[str, str, str]
    key: str
    hint: str
    command: str = "validate"


BAD_DECKS = {
    # wrong types
    "string-for-number": Bad((PF, "error_tol = 1e-4", 'error_tol = "small"'), "integrator.error_tol", "expected a plain number"),
    "number-for-string": Bad((LIAL, 'interpolation = "log"', "interpolation = 3"), "mobility.interpolation", "expected a string"),
    "list-for-scalar": Bad((LIAL, 't_end = "20 us"', 't_end = ["20 us", "40 us"]'), "run.t_end", 'such as "1 s"'),
    "bool-for-integer": Bad((LIAL, "seed = 0", "seed = true"), "run.seed", "expected an integer"),
    "bool-for-number": Bad((PF, "spacing = 1.0", "spacing = true"), "grid.spacing", "expected a plain number"),
    "float-for-integer": Bad((PF, "count = 8", "count = 8.5"), "output.count", "expected an integer"),
    "table-for-section-array": Bad((PF, "[initial]", "[[initial]]"), "initial", "expected a [initial] table"),
    "string-for-list": Bad((PF, 'fields = ["X", "mu"]', 'fields = "X"'), "output.fields", "expected a list of strings"),
    "problem-as-list": Bad((PF, 'problem = "pfhub1"', 'problem = ["pfhub1"]'), "run.problem", "expected one of lial_reaction"),
    # sizes and grid shapes
    "negative-spacing": Bad((LIAL, 'spacing = "5 nm"', 'spacing = "-5 nm"'), "grid.spacing", "must be > 0"),
    "negative-radius": Bad((LIAL, 'radius = "80 nm"', 'radius = "-80 nm"'), "initial.radius", "must be > 0"),
    "negative-time": Bad((PF, "t_end = 1000", "t_end = -1000"), "run.t_end", "must be > 0"),
    "zero-output-count": Bad((PF, "count = 8", "count = 0"), "output.count", "must be >= 1"),
    "zero-spacing": Bad((PF, "spacing = 1.0", "spacing = 0.0"), "grid.spacing", "must be > 0"),
    "zero-spacing-with-unit": Bad((LIAL3, 'spacing = "5 nm"', 'spacing = "0 nm"'), "grid.spacing", "must be > 0"),
    "shape-one-cell": Bad((PF, "shape = [200, 200]", "shape = [1, 200]"), "grid.shape", "at least 2 cells"),
    "shape-four-axes": Bad((LIAL3, "shape = [32, 32, 32]", "shape = [32, 32, 32, 32]"), "grid.shape", "1 to 3 axes"),
    "shape-non-integer": Bad((LIAL, "shape = [64, 64]", "shape = [64.0, 64]"), "grid.shape", "list of integers such as [64, 64]"),
    "shape-empty": Bad((LIAL, "shape = [64, 64]", "shape = []"), "grid.shape", "list of integers"),
    "shape-not-square-for-pfhub1": Bad((PF, "shape = [200, 200]", "shape = [200, 100]"), "grid.shape", "square 2D grid"),
    "shape-beyond-memory": Bad((PF, "shape = [200, 200]", "shape = [1000000, 1000000]"), "grid.shape", "use a smaller grid"),
    "integer-beyond-64-bit": Bad((LIAL, "seed = 0", "seed = 100000000000000000000000000000"), "run.seed", "64-bit integer"),
    "integer-beyond-float": Bad((PF, "t_end = 1000", "t_end = 1" + "0" * 400), "run.t_end", "finite"),
    "too-many-log-outputs": Bad((PF, "count = 8", "count = 400"), "output.count", 'output.spacing = "linear"'),
    # names
    "unknown-key": Bad((PF, "error_tol = 1e-4", "eror_tol = 1e-4"), "integrator.eror_tol", "did you mean 'error_tol'?"),
    "unknown-key-case": Bad((LIAL, "X_matrix = 0.02", "x_matrix = 0.02"), "initial.x_matrix", "did you mean 'X_matrix'?"),
    "unknown-section": Bad((PF, "[initial]", "[intial]"), "intial", "unknown section; did you mean 'initial'?"),
    "unknown-choice": Bad((PF, 'bc = "periodic"', 'bc = "periodc"'), "grid.bc", "did you mean 'periodic'?"),
    "unknown-scheme": Bad((PF, "error_tol = 1e-4", 'error_tol = 1e-4\nscheme = "rosenbrok"'), "integrator.scheme", "did you mean 'rosenbrock'?"),
    "unknown-precision": Bad((LIAL, 'precision = "float64"', 'precision = "float16"'), "run.precision", "float64, float32"),
    "unknown-problem": Bad((PF, 'problem = "pfhub1"', 'problem = "pfhub2"'), "run.problem", "expected one of lial_reaction"),
    "missing-run-section": Bad((PF, '[run]\nproblem = "pfhub1"\nt_end = 1000\n', ""), "run", "it names the problem and t_end"),
    "missing-grid-section": Bad((PF, '[grid]\nshape = [200, 200]\nspacing = 1.0\nbc = "periodic"\n', ""), "grid.shape", "required"),
    "missing-key": Bad((LIAL, 'radius = "80 nm"           # Li particle radius\n', ""), "initial.radius", "required"),
    # non-finite numbers
    "nan": Bad((LIAL, "X_matrix = 0.02", "X_matrix = nan"), "initial.X_matrix", "finite"),
    "inf": Bad((PF, "error_tol = 1e-4", "error_tol = inf"), "integrator.error_tol", "finite"),
    "minus-inf": Bad((PF, "t_end = 1000", "t_end = -inf"), "run.t_end", "finite"),
    "inf-with-unit": Bad((LIAL, 't_end = "20 us"', 't_end = "inf us"'), "run.t_end", "'<number> <unit>'"),
    # units
    "missing-unit": Bad((LIAL, 'spacing = "5 nm"', "spacing = 5"), "grid.spacing", 'with a unit such as "1 um"'),
    "unit-without-number": Bad((LIAL, 'radius = "80 nm"', 'radius = "nm"'), "initial.radius", "'<number> <unit>'"),
    "unknown-unit": Bad((LIAL, 't_end = "20 us"', 't_end = "3 furlongs"'), "run.t_end", "use one of s, ms, us"),
    "length-for-time": Bad((LIAL, 't_end = "20 us"', 't_end = "20 nm"'), "run.t_end", "is a length, but a time is expected"),
    "potential-for-temperature": Bad((LIAL, 'temperature = "298.15 K"', 'temperature = "298.15 V"'), "material.temperature",
                                     "is a potential, but a temperature is expected"),
    "unit-on-dimensionless": Bad((PF, "spacing = 1.0", 'spacing = "1 um"'), "grid.spacing", "expected a plain number"),
    # ranges
    "X_matrix-over-half": Bad((LIAL, "X_matrix = 0.02", "X_matrix = 0.6"), "initial.X_matrix", "must be <= 0.5"),
    "alpha-scale-zero": Bad((LIAL, "alpha_diffusivity_scale = 1.0", "alpha_diffusivity_scale = 0.0"),
                            "mobility.alpha_diffusivity_scale", "must be > 0"),
    "alpha-scale-negative": Bad((LIAL, "alpha_diffusivity_scale = 1.0", "alpha_diffusivity_scale = -2.0"),
                                "mobility.alpha_diffusivity_scale", "must be > 0"),
    "beta-floor-over-one": Bad((LIAL, "alpha_diffusivity_scale = 1.0", "alpha_diffusivity_scale = 1.0\nbeta_vacancy_floor = 1.5"),
                               "mobility.beta_vacancy_floor", "must be <= 1"),
    "noise-too-large": Bad((LIAL, "X_matrix = 0.02", "X_matrix = 0.02\nnoise = 0.5"), "initial.noise", "must be <= 0.1"),
    # geometry and outputs (reached only by building the simulation)
    "particle-larger-than-box": Bad((LIAL, 'radius = "80 nm"', 'radius = "200 nm"'), "initial.radius", "fit in the box"),
    "interface-under-two-cells": Bad((LIAL, 'delta = "20 nm"', 'delta = "5 nm"'), "energy.delta", "under 2 cells"),
    "field-not-available": Bad((PF, 'fields = ["X", "mu"]', 'fields = ["X", "phase"]'), "output.fields",
                               "not available for problem 'pfhub1'; choose from X, mu"),
    "unknown-field": Bad((PF, 'fields = ["X", "mu"]', 'fields = ["X", "c"]'), "output.fields", "is not one of X, mu"),
    "duplicate-fields": Bad((LIAL3, 'fields = ["X", "phase"]', 'fields = ["X", "phase", "X"]'), "output.fields", "duplicate entries"),
    "duplicate-formats": Bad((PF, 'formats = ["csv", "vti"]', 'formats = ["csv", "csv"]'), "output.formats", "duplicate entries"),
    # syntax
    "invalid-toml": Bad((PF, "t_end = 1000", "t_end = = 1000"), "bad.toml", "not valid TOML"),
    "unterminated-string": Bad((LIAL, 'spacing = "5 nm"', 'spacing = "5 nm'), "bad.toml", "not valid TOML"),
    # the same errors through `run`: reported before anything is written
    "run-unknown-unit": Bad((LIAL3, 'radius = "40 nm"', 'radius = "40 parsecs"'), "initial.radius", "use one of m, cm", "run"),
    "run-particle-larger-than-box": Bad((LIAL3, 'radius = "40 nm"', 'radius = "100 nm"'), "initial.radius", "fit in the box", "run"),
    "run-field-not-available": Bad((PF, 'fields = ["X", "mu"]', 'fields = ["x_ratio"]'), "output.fields", "choose from X, mu", "run"),
}


def check_one_line_error(code: int, out: str, err: str, key: str, hint: str) -> None:
    assert "Traceback" not in out + err, err
    assert code == EXIT_INPUT, (code, err)
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(PREFIX), err
    assert key in lines[0], (key, err)
    assert hint in lines[0], (hint, err)
    assert out == "", out


@pytest.mark.parametrize("name", list(BAD_DECKS))
def test_malformed_deck_is_a_one_line_input_error(name, tmp_path, capsys):
    bad = BAD_DECKS[name]
    deck = tmp_path / "bad.toml"
    deck.write_text(edited(*bad.edit))
    argv = [bad.command, str(deck)]
    if bad.command == "run":
        argv += ["--out", str(tmp_path / "out"), "--quiet"]
    code = main(argv)
    captured = capsys.readouterr()
    check_one_line_error(code, captured.out, captured.err, bad.key, bad.hint)
    if bad.key not in ("bad.toml",):  # deck errors name the key right after the prefix
        assert captured.err.startswith(f"{PREFIX} {bad.key}:"), captured.err
    assert not (tmp_path / "out").exists()  # validation happens before any output is written


def test_every_edit_applies_to_a_real_deck_that_is_valid(capsys):
    """The malformed decks differ from valid decks by one edit (so each error has one cause)."""
    for base in (LIAL, LIAL3, PF):
        assert main(["validate", str(INPUTS / f"{base}.toml")]) == 0
    capsys.readouterr()
    assert len(BAD_DECKS) >= 24


def _file_cases(tmp_path: Path) -> dict:
    """name -> (argv, key, hint) for errors about files and command-line options."""
    valid = INPUTS / f"{PF}.toml"
    binary, regular, grid_scalar = tmp_path / "binary.toml", tmp_path / "regular_file", tmp_path / "grid_scalar.toml"
    out = ["--out", str(tmp_path / "out"), "--quiet"]
    return {
        "missing-deck-file": (["validate", str(tmp_path / "nope.toml")], "nope.toml", "cannot read deck: No such file"),
        "deck-is-a-directory": (["validate", str(tmp_path)], str(tmp_path), "cannot read deck: Is a directory"),
        "deck-not-utf8": (["validate", str(binary)], "binary.toml", "expected UTF-8 TOML text"),
        "out-below-a-regular-file": (["run", str(valid), "--set", "grid.shape=[16,16]", "--set", "run.t_end=1",
                                      "--set", "output.count=1", "--out", str(regular / "out"), "--quiet"],
                                     str(regular / "out"), "Not a directory"),
        "set-without-equals": (["validate", str(valid), "--set", "grid.shape"], "grid.shape", "must look like section.key=value"),
        "set-without-section": (["validate", str(valid), "--set", "spacing=2.0"], "spacing=2.0", "section.key=value"),
        "set-unknown-key": (["validate", str(valid), "--set", "grid.spcing=2.0"], "grid.spcing", "did you mean 'spacing'?"),
        "set-unknown-section": (["validate", str(valid), "--set", "gird.spacing=2.0"], "gird", "did you mean 'grid'?"),
        "set-bad-value": (["validate", str(valid), "--set", "grid.spacing=abc"], "grid.spacing", "expected a plain number"),
        "set-on-non-table": (["validate", str(grid_scalar), "--set", "grid.shape=[8,8]"], "grid", "to be a table"),
        "run-set-bad-value": (["run", str(valid), "--set", "run.t_end=-5", *out], "run.t_end", "must be > 0"),
        "sweep-param-without-equals": (["sweep", str(valid), "--param", "grid.spacing", *out], "--param",
                                       "expected section.key=v1,v2,..."),
        "sweep-param-without-values": (["sweep", str(valid), "--param", "grid.spacing=", *out], "--param",
                                       "at least one value"),
        "sweep-param-without-section": (["sweep", str(valid), "--param", "spacing=1,2", *out], "--param",
                                         "expected section.key=v1,v2,..."),
        "sweep-param-unknown-key": (["sweep", str(valid), "--param", "grid.spcing=1,2", *out], "grid.spcing",
                                    "did you mean 'spacing'?"),
        "sweep-param-bad-member": (["sweep", str(valid), "--param", "grid.spacing=1.0,-1.0", *out], "grid.spacing",
                                   "must be > 0"),
    }


FILE_CASES = list(_file_cases(Path("/nonexistent")))


def _make_files(tmp_path: Path) -> None:
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe[run]\x00")
    (tmp_path / "regular_file").write_text("not a directory\n")
    # a top-level key before the first table: the [grid] table replaced by the number 5
    (tmp_path / "grid_scalar.toml").write_text(
        "grid = 5\n" + edited(PF, '[grid]\nshape = [200, 200]\nspacing = 1.0\nbc = "periodic"\n', ""))


@pytest.mark.parametrize("name", FILE_CASES)
def test_bad_files_and_options_are_one_line_input_errors(name, tmp_path, capsys):
    _make_files(tmp_path)
    argv, key, hint = _file_cases(tmp_path)[name]
    code = main(argv)
    captured = capsys.readouterr()
    check_one_line_error(code, captured.out, captured.err, key, hint)
    assert not (tmp_path / "out").exists()


def test_out_that_is_a_regular_file_is_an_input_error(tmp_path, capsys):
    regular = tmp_path / "regular_file"
    regular.write_text("not a directory\n")
    code = main(["run", str(INPUTS / f"{PF}.toml"), "--set", "grid.shape=[16,16]", "--set", "run.t_end=1",
                 "--set", "output.count=1", "--out", str(regular), "--quiet"])
    captured = capsys.readouterr()
    check_one_line_error(code, captured.out, captured.err, str(regular), "directory")


def test_missing_required_option_is_an_input_error(capsys):
    """argparse reports its own usage errors (usage line + error line); the code is still 2."""
    code = main(["sweep", str(INPUTS / f"{PF}.toml")])
    err = capsys.readouterr().err
    assert code == EXIT_INPUT and "--param" in err and "Traceback" not in err


@pytest.mark.parametrize("name", ["length-for-time", "invalid-toml", "sweep-param-without-equals"])
def test_console_entry_point_reports_one_line(name, tmp_path):
    """The same errors from a fresh interpreter: no traceback reaches the terminal."""
    if name in BAD_DECKS:
        bad = BAD_DECKS[name]
        deck = tmp_path / "bad.toml"
        deck.write_text(edited(*bad.edit))
        argv, key, hint = ["validate", str(deck)], bad.key, bad.hint
    else:
        _make_files(tmp_path)
        argv, key, hint = _file_cases(tmp_path)[name]
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-m", "phasefield.cli", *argv], capture_output=True, text=True,
                          timeout=120, env=env)
    check_one_line_error(proc.returncode, proc.stdout, proc.stderr, key, hint)


# ---------------------------------------------------------------------------------------------
# Property-based fuzzing of the loader
# ---------------------------------------------------------------------------------------------

SCHEMA = {}
for _problem in PROBLEM_SECTIONS:
    for _section, _fields in {**_common_sections(_problem), **PROBLEM_SECTIONS[_problem]}.items():
        SCHEMA.setdefault(_section, set()).update(_fields)
SCHEMA = {section: sorted(keys) for section, keys in SCHEMA.items()}
ALL_UNITS = sorted({unit for _, table in UNITS.values() for unit in table})
DIMENSIONS = [*UNITS, "dimensionless"]

garbage_names = st.text(min_size=0, max_size=12)
numbers = st.one_of(
    st.integers(-(2**70), 2**70),
    st.integers(-10, 300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-320, 1e308, float("nan"), float("inf"), float("-inf")]),
)
number_text = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**400), 10**400).map(str),
    st.sampled_from(["", ".", "1.", ".5", "1e", "1e-400", "1e400", "+-1", "nan", "inf", "0x10", "1_000"]),
)
unit_strings = st.builds(
    lambda n, sep, u: f"{n}{sep}{u}",
    number_text, st.sampled_from(["", " ", "  ", "\t", "\n"]),
    st.one_of(st.sampled_from(ALL_UNITS + ["furlongs", "um^2", "J/m", "KK", "nm nm", ""]), garbage_names),
)
datetimes = st.one_of(st.dates(), st.times(), st.datetimes(),
                      st.datetimes(timezones=st.just(datetime.timezone.utc)))
scalars = st.one_of(numbers, st.booleans(), st.text(max_size=20), unit_strings, datetimes,
                    st.sampled_from(["lial_reaction", "pfhub1", "log", "linear", "periodic", "noflux",
                                     "X", "mu", "phase", "csv", "vti", "npz", "float32", "centres"]))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(st.one_of(garbage_names, st.sampled_from(sorted(SCHEMA))), inner, max_size=4)),
    max_leaves=8,
)


@st.composite
def sections(draw, name: str):
    keys = SCHEMA.get(name, [])
    chosen = draw(st.lists(st.one_of(st.sampled_from(keys), garbage_names) if keys else garbage_names,
                           max_size=6, unique=True))
    return {key: draw(values) for key in chosen}


@st.composite
def random_decks(draw):
    names = draw(st.lists(st.one_of(st.sampled_from(sorted(SCHEMA)), garbage_names), max_size=7, unique=True))
    deck = {name: draw(st.one_of(sections(name), values) if draw(st.integers(0, 9)) == 0 else sections(name))
            for name in names}
    if draw(st.booleans()):  # usually name a real problem so that the schema checks are reached
        deck.setdefault("run", {})
        if isinstance(deck["run"], dict):
            deck["run"]["problem"] = draw(st.sampled_from(sorted(PROBLEM_SECTIONS)))
    return deck


SMALL = {LIAL: {"grid": {"shape": [16, 16]}, "initial": {"radius": "20 nm"}},
         LIAL3: {"grid": {"shape": [8, 8, 8]}, "initial": {"radius": "10 nm"}},
         PF: {"grid": {"shape": [16, 16]}}}
REAL_DECKS = {p.stem: tomllib.loads(p.read_text()) for p in sorted(INPUTS.glob("*.toml"))}
SPECS = {problem: {**_common_sections(problem), **PROBLEM_SECTIONS[problem]} for problem in PROBLEM_SECTIONS}
magnitudes = st.one_of(st.floats(-1.0, 1e3), st.floats(allow_nan=True, allow_infinity=True),
                       st.sampled_from([0.0, 1e-300, 1e300, 0.5, 2.0]))


def plausible(spec):
    """Values of the right type for ``spec`` (a ``Field``) with random magnitudes and units, so
    that fuzzing also reaches range, geometry and build checks, not only type checks."""
    if spec.kind == "str":
        return st.sampled_from(spec.choices) if spec.choices else st.text(max_size=8)
    if spec.kind == "str_list":
        return st.lists(st.sampled_from(spec.choices), max_size=len(spec.choices) + 1)
    if spec.kind == "int_list":
        return st.lists(st.integers(-1, 24), max_size=4)
    if spec.kind == "int":
        return st.one_of(st.integers(-2, 40), st.integers(2**63 - 2, 2**64))
    if spec.dimension == "dimensionless":
        return magnitudes
    own = sorted(UNITS[spec.dimension][1])
    return st.builds(lambda x, u: f"{x!r} {u}", magnitudes, st.sampled_from(own + own + ["furlongs", "nm", "s", "K"]))


@st.composite
def mutated_real_decks(draw, bases=tuple(sorted(REAL_DECKS)), small=False):
    """A real deck with one to three entries replaced (mostly by plausible values), added or
    deleted: reaches the deepest checks."""
    base = draw(st.sampled_from(bases))
    deck = {s: dict(v) for s, v in REAL_DECKS[base].items()}
    if small:
        for section, entries in SMALL[base].items():
            deck[section].update(entries)
    schema = SPECS[deck["run"]["problem"]]
    for _ in range(draw(st.integers(1, 3 if not small else 2))):
        section = draw(st.sampled_from(sorted(schema)))
        key = draw(st.sampled_from(sorted(schema[section])))
        choice = draw(st.integers(0, 9))
        table = deck.setdefault(section, {})
        if choice == 0 and not small:
            table[draw(garbage_names)] = draw(values)
        elif choice == 1:
            table.pop(key, None)
        elif (section, key) == ("run", "problem") and small:
            continue
        else:
            table[key] = draw(plausible(schema[section][key]) if choice > 2 or small else values)
    return deck


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.one_of(random_decks(), mutated_real_decks()))
def test_parse_deck_returns_config_or_raises_deck_error(deck):
    try:
        config = parse_deck(deck)
    except DeckError as err:
        assert "\n" not in str(err) and "\r" not in str(err), str(err)
        assert not str(err).startswith(":"), str(err)  # the offending key is always visible
    else:
        assert isinstance(config, RunConfig) and config.problem in PROBLEM_SECTIONS


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(random_decks(), mutated_real_decks()),
       st.lists(st.one_of(st.text(max_size=30),
                          st.builds(lambda s, k, v: f"{s}.{k}={v}",
                                    st.sampled_from(sorted(SCHEMA)), st.one_of(garbage_names, st.sampled_from(["shape", "t_end", "problem"])),
                                    st.one_of(st.text(max_size=20), unit_strings))),
                max_size=3))
def test_overrides_then_parse_raise_only_deck_error(deck, overrides):
    try:
        parse_deck(apply_overrides(deck, overrides))
    except DeckError as err:
        assert "\n" not in str(err), str(err)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=40), unit_strings,
                 st.from_regex(r"\A\s*[-+]?\d{0,3}\.?\d{0,3}([eE][-+]?\d{1,4})?\s*\S{0,6}\s*\Z"),
                 numbers, st.booleans(), st.none(), st.lists(st.integers(), max_size=2)),
       st.sampled_from(DIMENSIONS))
def test_parse_quantity_returns_finite_float_or_raises_unit_error(value, dimension):
    try:
        out = parse_quantity(value, dimension)
    except UnitError:
        return
    assert isinstance(out, float) and out == out and abs(out) != float("inf")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_real_decks(bases=tuple(sorted(SMALL)), small=True))
def test_build_from_bad_values_returns_simulation_or_raises_deck_error(deck):
    """A reduced real deck with one or two keys set to random values of the right type either
    builds or is rejected as input (geometry, interface width, output times, memory): never
    another exception."""
    try:
        config = parse_deck(deck)
    except DeckError:
        return
    try:
        build(config)
    except DeckError as err:
        assert "\n" not in str(err), str(err)
