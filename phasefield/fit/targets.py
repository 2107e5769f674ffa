"""Fit targets: observable time series (or single values) from a CSV file or from a
reference run, and the traceable observables they compare against.

An observable here is a pure function ``(model, grid, state, initial_state) -> scalar`` that
JAX can differentiate; its name and unit match the column of ``observables.csv`` written by
``phasefield run``, so a run's own output can serve as data. Phase fractions are left out on
purpose: they count cells on either side of a composition cut, so their derivative with
respect to every parameter is zero almost everywhere.

Residual of target k at time t_j (dimensionless):

    r_kj = sqrt(w_k) (y_k(t_j; p) - d_kj) / s_k

with the model value y, data d, the target's data standard deviation ``s_k`` (its ``sigma``;
1 in the observable's unit when not given) and weight ``w_k``. The fit loss is
``L = 1/2 sum r^2`` (chi^2 / 2 when every s_k is the true noise level).
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path
from typing import Callable

import jax.numpy as jnp
import numpy as np

from phasefield.constants import FARADAY


class TargetError(ValueError):
    """A target that cannot be read or used (unknown observable, bad CSV, bad times)."""


# ------------------------------------------------------------------ observables
def _solid(model, grid):
    return grid.integrate(model.domain.psi)


def _li_content(model, grid, s):
    return grid.integrate(model.conserved(s))


def _x_mean(model, grid, s, s0):
    Xm = _li_content(model, grid, s) / _solid(model, grid)
    return Xm / (1.0 - Xm)


def _capacity(model, grid, s, s0):
    """(U - U0) in mAh/cm^2 of the electrolyte face: U [um^d] / Vm [m^3/mol] * 1e-6 ... as
    ``setup._build_particle``: ``1e-6 / Vm * F / 3.6e4 / face_area``."""
    Vm = model.energy.chemical.molar_volume
    dU = _li_content(model, grid, s) - _li_content(model, grid, s0)
    return dU * 1e-6 / Vm * FARADAY / 3.6e4 / model.domain.face_area


def _current_density(model, grid, s, s0):
    """Lithiation current per electrolyte face area (A/m^2) at the solved potential."""
    from phasefield.electrochem import total_current

    mu = model.driving_forces(s, grid)[0]
    phi = model.electrode_potential(s, grid, mu)
    V_eq = model.energy.chemical.voltage(mu)
    d = model.domain
    return total_current(model.kinetics, phi, V_eq, d.surface, grid.cell_volume, s.X) / d.face_area


OBSERVABLES: dict[str, dict[str, Callable]] = {
    "lial_particle": {
        "voltage_V": lambda m, g, s, s0: m.electrode_potential(s, g),
        "current_density_A_per_m2": _current_density,
        "capacity_mAh_per_cm2": _capacity,
        "x_mean_Li_per_Al": _x_mean,
        "free_energy_J_per_mol_um^d": lambda m, g, s, s0: m.free_energy(s, g),
    },
    "lial_reaction": {
        "free_energy_J_per_mol_um^d": lambda m, g, s, s0: m.free_energy(s, g),
        "total_Li_um^d": lambda m, g, s, s0: g.integrate(s.X),
        "x_mean_Li_per_Al": lambda m, g, s, s0: jnp.mean(s.X) / (1.0 - jnp.mean(s.X)),
        "X_variance": lambda m, g, s, s0: jnp.mean((s.X - jnp.mean(s.X)) ** 2),
    },
    "pfhub1": {
        "free_energy": lambda m, g, s, s0: m.free_energy(s, g),
        "mean_c": lambda m, g, s, s0: jnp.mean(s.X),
        "c_variance": lambda m, g, s, s0: jnp.mean((s.X - jnp.mean(s.X)) ** 2),
    },
}
NOT_DIFFERENTIABLE = ("alpha_fraction", "beta_fraction", "Li_metal_fraction")


def observable(problem: str, name: str) -> Callable:
    known = OBSERVABLES.get(problem, {})
    if name in known:
        return known[name]
    if name in NOT_DIFFERENTIABLE:
        raise TargetError(f"observable {name!r} counts cells across a composition cut, so its gradient "
                          f"is zero almost everywhere; fit to one of {', '.join(known)}")
    raise TargetError(f"unknown observable {name!r} for problem {problem!r}; choose from {', '.join(known)}")


# ------------------------------------------------------------------ targets
@dataclasses.dataclass(frozen=True)
class Target:
    """Data ``values`` of ``observable`` at ``times`` (model time unit), with standard
    deviation ``sigma`` (observable unit; None = 1) and weight ``weight``."""

    observable: str
    times: np.ndarray
    values: np.ndarray
    sigma: float | None = None
    weight: float = 1.0
    source: str = ""

    def __post_init__(self):
        t, v = np.asarray(self.times, float), np.asarray(self.values, float)
        if t.ndim != 1 or t.shape != v.shape or t.size == 0:
            raise TargetError(f"{self.observable}: expected matching 1D times and values, got shapes "
                              f"{t.shape} and {v.shape}")
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(v))):
            raise TargetError(f"{self.observable}: times and values must be finite ({self.source})")
        if np.any(t < 0) or np.any(np.diff(t) <= 0):
            raise TargetError(f"{self.observable}: times must be >= 0 and strictly increasing ({self.source})")
        if self.sigma is not None and not self.sigma > 0:
            raise TargetError(f"{self.observable}: sigma must be > 0, got {self.sigma}")
        if not self.weight > 0:
            raise TargetError(f"{self.observable}: weight must be > 0, got {self.weight}")

    @property
    def scale(self) -> float:
        """``sqrt(w) / s``: multiplies the misfit to give the residual."""
        return float(np.sqrt(self.weight) / (1.0 if self.sigma is None else self.sigma))


def read_csv_target(path: str | Path, observable: str, time_column: str, column: str | None = None,
                    sigma: float | None = None, weight: float = 1.0) -> Target:
    """A target from a CSV file with a header row (e.g. a run's ``observables.csv``)."""
    path = Path(path)
    column = column or observable
    try:
        with path.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as err:
        raise TargetError(f"cannot read target data {path}: {err.strerror}") from None
    if not rows:
        raise TargetError(f"{path}: no data rows")
    for col in (time_column, column):
        if col not in rows[0]:
            raise TargetError(f"{path}: no column {col!r}; columns are {', '.join(rows[0])}")
    try:
        t = np.array([float(r[time_column]) for r in rows])
        v = np.array([float(r[column]) for r in rows])
    except (TypeError, ValueError) as err:
        raise TargetError(f"{path}: non-numeric entry ({err})") from None
    return Target(observable, t, v, sigma, weight, source=str(path))


def merged_times(targets) -> np.ndarray:
    """The sorted union of all target times."""
    return np.unique(np.concatenate([np.asarray(t.times, float) for t in targets]))
