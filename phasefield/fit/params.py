"""Fit parameters: named physical leaves of a built model, and the transforms that map the
optimiser's unconstrained variables ``u`` to physical values ``p``.

The deck -> model build uses numpy geometry and is not traceable, so the model is built once
and each parameter is substituted functionally inside the differentiated function
(``apply``). A parameter is addressed by a documented name (table ``NAMED``) or by the dotted
path of any scalar array leaf of the ``PhaseFieldModel`` pytree (model units; e.g.
``energy.chemical.V1``).

Named parameters and units (internal units of ``phasefield.units``):

    mobility.ln_D_alpha   ln(um^2/s)  ln of the alpha-Al Li tracer diffusivity (seed 000 Eq. 1)
    mobility.ln_D_beta0   ln(um^2/s)  ln of the beta hop prefactor D*/x_va
    mobility.ln_D_li      ln(um^2/s)  ln of the Li-metal diffusivity
    mobility.D_alpha      um^2/s      alpha-Al diffusivity (sets ln_D_alpha)
    mobility.E_alpha      eV          alpha migration energy: ln D_a = ln D_a,built + (E_ref - E)/(k_B T)
    mobility.E_beta       eV          beta migration energy, same form on ln_D_beta0
    mobility.gb.D_gb      um^2/s      grain-boundary diffusivity (model needs a grain-boundary term)
    energy.sigma          J/m^2       interface energy; the gradient coefficient kappa follows
    energy.delta          um          interface width; kappa follows
    energy.V1             V           alpha/beta plateau potential
    kinetics.i0           A/m^2       Butler-Volmer exchange current density (1 mA/cm^2 = 10 A/m^2)
    kinetics.alpha_a      -           anodic transfer coefficient
    kinetics.alpha_c      -           cathodic transfer coefficient

``E_ref`` is the preset barrier (``materials.ALPHA_AL.E = 0.43 eV``, ``BETA_LIAL.E = 0.13 eV``),
so ``E = E_ref`` leaves the built model unchanged (Eq. 1: ``D ~ exp(-E/(k_B T))``).
``energy.sigma`` and ``energy.delta`` keep ``FreeEnergy.kappa`` equal to the Li-Al energy's own
``kappa = 3 sigma_m delta / (2 dX^2)`` (``energies/lial.py``); setting the chemical leaf alone
would leave the built kappa behind. ``energy.delta`` changes the energy's interface width only:
the smoothed-boundary geometry (psi) is built once from the deck's delta.

Two fitted parameters may not write the same leaf (``mobility.E_beta`` and
``mobility.ln_D_beta0``; ``mobility.D_alpha``, ``E_alpha`` and ``ln_D_alpha``):
``check_distinct`` refuses such a set, since the later one would override the earlier.

Transforms ``p = T(u)``:

    identity   p = p0 + s u            (s: ``scale``, p0 the initial value; u starts at 0)
    log        p = exp(u)              (p > 0; steps are relative changes)
    logit      p = lo + (hi - lo) / (1 + exp(-u))   (lo < p < hi)
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import jax
import jax.numpy as jnp

from phasefield._pytree import replace
from phasefield.constants import K_BOLTZMANN_EV
from phasefield.materials import ALPHA_AL, BETA_LIAL

TRANSFORMS = ("identity", "log", "logit")


class FitParameterError(ValueError):
    """A parameter name, value or transform that cannot be used on this model."""


# ------------------------------------------------------------------ leaves by path
def get_path(obj, path: str):
    """The leaf of the pytree ``obj`` at the dotted ``path`` (attribute names)."""
    for part in path.split("."):
        if obj is None or not hasattr(obj, part):
            raise FitParameterError(f"{path!r}: the model has no {part!r} here "
                                    f"(found {type(obj).__name__}); see phasefield.fit.params.NAMED")
        obj = getattr(obj, part)
    return obj


def set_path(obj, path: str, value):
    """A copy of ``obj`` with the leaf at the dotted ``path`` replaced (functional)."""
    head, _, rest = path.partition(".")
    if not rest:
        return replace(obj, **{head: value})
    return replace(obj, **{head: set_path(getattr(obj, head), rest, value)})


@dataclasses.dataclass(frozen=True)
class Named:
    """A documented parameter: its unit, deck dimension (for values with units), default
    transform, how to read it from / write it into a model, and the model leaf it writes
    (two fitted parameters may not write the same leaf)."""

    unit: str
    dimension: str
    transform: str
    get: Callable
    set: Callable
    doc: str
    writes: str = ""


def _leaf(path: str, unit: str, dimension: str, transform: str, doc: str) -> Named:
    return Named(unit, dimension, transform, lambda m: get_path(m, path),
                 lambda m, v: set_path(m, path, v), doc, path)


def _ln_leaf_as_value(path: str, unit: str, dimension: str, doc: str) -> Named:
    return Named(unit, dimension, "log", lambda m: jnp.exp(get_path(m, path)),
                 lambda m, v: set_path(m, path, jnp.log(v)), doc, path)


def _barrier(path: str, E_ref: float, doc: str) -> Named:
    """Migration energy E (eV) acting on ``ln D`` through Eq. 1's Arrhenius factor; the
    built value of ``ln D`` is the reference at ``E_ref``, read when the setter is made."""

    def get(m):
        return jnp.asarray(E_ref, get_path(m, path).dtype)

    def set_(m, E):
        kT = K_BOLTZMANN_EV * get_path(m, "mobility.T")
        return set_path(m, path, get_path(m, path) + (E_ref - E) / kT)

    return Named("eV", "dimensionless", "identity", get, set_, doc, path)


def _interface(attr: str, unit: str, dimension: str, doc: str) -> Named:
    def set_(m, v):
        chem = replace(m.energy.chemical, **{attr: v})
        return replace(m, energy=replace(m.energy, chemical=chem, kappa=chem.kappa))

    return Named(unit, dimension, "log", lambda m: getattr(m.energy.chemical, attr), set_, doc,
                 f"energy.chemical.{attr}")


NAMED: dict[str, Named] = {
    "mobility.ln_D_alpha": _leaf("mobility.ln_D_alpha", "ln(um^2/s)", "dimensionless", "identity",
                                 "ln of the alpha-Al Li tracer diffusivity"),
    "mobility.ln_D_beta0": _leaf("mobility.ln_D_beta0", "ln(um^2/s)", "dimensionless", "identity",
                                 "ln of the beta-LiAl hop prefactor D*/x_va"),
    "mobility.ln_D_li": _leaf("mobility.ln_D_li", "ln(um^2/s)", "dimensionless", "identity",
                              "ln of the Li-metal diffusivity"),
    "mobility.D_alpha": _ln_leaf_as_value("mobility.ln_D_alpha", "um^2/s", "diffusivity",
                                          "alpha-Al Li tracer diffusivity"),
    "mobility.E_alpha": _barrier("mobility.ln_D_alpha", ALPHA_AL.E, "alpha-Al migration energy"),
    "mobility.E_beta": _barrier("mobility.ln_D_beta0", BETA_LIAL.E, "beta-LiAl migration energy"),
    "mobility.gb.D_gb": _leaf("mobility.gb.D_gb", "um^2/s", "diffusivity", "log",
                              "grain-boundary Li diffusivity"),
    "energy.sigma": _interface("sigma", "J/m^2", "energy_per_area", "interface energy"),
    "energy.delta": _interface("delta", "um", "length", "interface width"),
    "energy.V1": _leaf("energy.chemical.V1", "V", "potential", "identity", "alpha/beta plateau potential"),
    "kinetics.i0": _leaf("kinetics.i0", "A/m^2", "current_density", "log", "exchange current density"),
    "kinetics.alpha_a": _leaf("kinetics.alpha_a", "-", "dimensionless", "logit", "anodic transfer coefficient"),
    "kinetics.alpha_c": _leaf("kinetics.alpha_c", "-", "dimensionless", "logit", "cathodic transfer coefficient"),
}


def lookup(name: str, model) -> Named:
    """The named parameter, or a generic leaf at the dotted path ``name`` (model units)."""
    if name in NAMED:
        spec = NAMED[name]
    else:
        spec = _leaf(name, "model units", "dimensionless", "identity", f"model leaf {name}")
    try:
        value = spec.get(model)
    except FitParameterError:
        raise
    except AttributeError as err:  # e.g. mobility.gb is None: no grain-boundary term built
        raise FitParameterError(f"{name!r} is not available on this model ({err})") from None
    if not isinstance(value, jax.Array) or value.ndim != 0:
        raise FitParameterError(f"{name!r} is {type(value).__name__} {getattr(value, 'shape', '')}, "
                                f"not a scalar array leaf; fit scalar physical leaves only")
    return spec


# ------------------------------------------------------------------ transforms
@dataclasses.dataclass(frozen=True)
class Parameter:
    """One fitted parameter: ``name`` (``NAMED`` key or leaf path), its ``transform``, the
    physical ``initial`` value, optional ``lower``/``upper`` bounds (logit) and ``scale``
    (identity: physical change per unit of u)."""

    name: str
    transform: str
    initial: float
    lower: float | None = None
    upper: float | None = None
    scale: float = 1.0
    unit: str = ""

    def __post_init__(self):
        if self.transform not in TRANSFORMS:
            raise FitParameterError(f"{self.name}: transform {self.transform!r} is not one of {', '.join(TRANSFORMS)}")
        if not math.isfinite(self.initial):
            raise FitParameterError(f"{self.name}: initial value must be finite, got {self.initial}")
        if self.transform == "log" and not self.initial > 0:
            raise FitParameterError(f"{self.name}: the log transform needs a positive initial value, got {self.initial:g}")
        if self.transform == "logit":
            if self.lower is None or self.upper is None or not self.lower < self.upper:
                raise FitParameterError(f"{self.name}: the logit transform needs lower < upper, got "
                                        f"lower={self.lower}, upper={self.upper}")
            if not self.lower < self.initial < self.upper:
                raise FitParameterError(f"{self.name}: initial value {self.initial:g} must lie strictly "
                                        f"inside ({self.lower:g}, {self.upper:g})")
        if not self.scale > 0:
            raise FitParameterError(f"{self.name}: scale must be > 0, got {self.scale}")

    def to_physical(self, u):
        if self.transform == "log":
            return jnp.exp(u)
        if self.transform == "logit":
            return self.lower + (self.upper - self.lower) * jax.nn.sigmoid(u)
        return self.initial + self.scale * u

    def to_unconstrained(self, p: float) -> float:
        if self.transform == "log":
            return math.log(p)
        if self.transform == "logit":
            q = (p - self.lower) / (self.upper - self.lower)
            return math.log(q / (1.0 - q))
        return (p - self.initial) / self.scale


def make_parameter(name: str, model, initial=None, transform=None, lower=None, upper=None,
                   scale: float = 1.0) -> Parameter:
    """A ``Parameter`` for ``name`` on ``model``; ``initial`` defaults to the model's value and
    ``transform`` to the name's default (log for positive quantities)."""
    spec = lookup(name, model)
    value = float(spec.get(model)) if initial is None else float(initial)
    kind = transform or spec.transform
    if kind == "logit" and name in ("kinetics.alpha_a", "kinetics.alpha_c"):
        lower = 0.0 if lower is None else lower
        upper = 1.0 if upper is None else upper
    return Parameter(name, kind, value, lower, upper, scale, spec.unit)


def check_distinct(params) -> None:
    """Raise ``FitParameterError`` when two parameters write the same model leaf (e.g.
    ``mobility.E_beta`` and ``mobility.ln_D_beta0``): the later would silently override."""
    seen = {}
    for p in params:
        spec = NAMED.get(p.name)
        leaf = spec.writes if spec is not None else p.name
        if leaf in seen:
            raise FitParameterError(f"{p.name!r} and {seen[leaf]!r} both set the model leaf {leaf}; fit only one of them")
        seen[leaf] = p.name


def initial_u(params) -> jnp.ndarray:
    """The unconstrained start vector."""
    return jnp.asarray([p.to_unconstrained(p.initial) for p in params], dtype=jnp.float64)


def physical(params, u) -> jnp.ndarray:
    """Physical values ``p_i = T_i(u_i)`` (traceable)."""
    return jnp.stack([p.to_physical(u[i]) for i, p in enumerate(params)])


def apply(model, params, u):
    """``model`` with each parameter set to ``T_i(u_i)`` (traceable in ``u``)."""
    for i, p in enumerate(params):
        spec = NAMED.get(p.name) or _leaf(p.name, "", "dimensionless", "identity", "")
        model = spec.set(model, p.to_physical(u[i]).astype(spec.get(model).dtype))
    return model


def apply_values(model, values: dict):
    """``model`` with physical values ``{name: value}`` substituted (not traced)."""
    for name, v in values.items():
        spec = lookup(name, model)
        model = spec.set(model, jnp.asarray(v, spec.get(model).dtype))
    return model
