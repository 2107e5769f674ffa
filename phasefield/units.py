"""Quantities with units in input decks: ``"5 nm"``, ``"20 us"``, ``"0.2 J/m^2"``.

Every dimensional deck value is a string ``"<number> <unit>"`` and is converted here to the
internal unit of its dimension (um, s, K, J/m^2, V, um^2/s, A/m^2). A bare number is accepted only
for dimensionless values, so a length can never be silently read in the wrong unit.
"""

from __future__ import annotations

import math
import re

#: dimension -> (internal unit, {unit: factor to internal})
UNITS: dict[str, tuple[str, dict[str, float]]] = {
    "length": ("um", {"m": 1e6, "cm": 1e4, "mm": 1e3, "um": 1.0, "nm": 1e-3, "A": 1e-4}),
    "time": ("s", {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9, "min": 60.0, "h": 3600.0}),
    "temperature": ("K", {"K": 1.0}),
    "energy_per_area": ("J/m^2", {"J/m^2": 1.0, "mJ/m^2": 1e-3}),
    "potential": ("V", {"V": 1.0, "mV": 1e-3}),
    "diffusivity": ("um^2/s", {"um^2/s": 1.0, "cm^2/s": 1e8, "m^2/s": 1e12}),
    "current_density": ("A/m^2", {"A/m^2": 1.0, "mA/cm^2": 10.0, "uA/cm^2": 1e-2, "A/cm^2": 1e4}),
    "rate": ("1/s", {"1/s": 1.0, "1/ms": 1e3, "1/min": 1.0 / 60.0}),
    "phase_mobility": ("mol/J/s", {"mol/J/s": 1.0}),
}

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S+)\s*$")


class UnitError(ValueError):
    """A value whose unit is missing, unknown or of the wrong dimension."""


def parse_quantity(value, dimension: str) -> float:
    """Convert a deck value to the internal unit of ``dimension`` (``"dimensionless"`` too)."""
    if dimension == "dimensionless":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UnitError(f"expected a plain number, got {value!r}")
        try:
            out = float(value)
        except OverflowError:  # a TOML integer beyond the float range
            raise UnitError("value must be finite, got an integer beyond the float range") from None
    else:
        internal, table = UNITS[dimension]
        example = f'"1 {internal}"'
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise UnitError(f"expected a {dimension} with a unit such as {example}, got the bare number {value!r}")
        if not isinstance(value, str):
            raise UnitError(f"expected a {dimension} string such as {example}, got {value!r}")
        match = _QUANTITY.match(value)
        if not match:
            raise UnitError(f"could not read {value!r} as '<number> <unit>', e.g. {example}")
        number, unit = float(match.group(1)), match.group(2)
        if unit not in table:
            for dim, (_, other) in UNITS.items():
                if unit in other:
                    raise UnitError(f"{value!r} is a {dim}, but a {dimension} is expected (units: {', '.join(table)})")
            raise UnitError(f"unknown {dimension} unit {unit!r} in {value!r}; use one of {', '.join(table)}")
        out = number * table[unit]
    if not math.isfinite(out):
        raise UnitError(f"value must be finite, got {value!r}")
    return out
