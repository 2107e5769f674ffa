"""One pytree mechanism for the whole package: frozen dataclasses registered with JAX.

Fields declared with ``static()`` are metadata (hashable, part of the compiled program);
every other field is a leaf, so physical parameters can be traced, vmapped and
differentiated.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import jax

T = TypeVar("T")


def static(default: Any = dataclasses.MISSING, **kwargs: Any) -> Any:
    """A dataclass field that is compile-time metadata rather than an array leaf."""
    metadata = dict(kwargs.pop("metadata", {}), static=True)
    return dataclasses.field(default=default, metadata=metadata, **kwargs)


def pytree(cls: type[T]) -> type[T]:
    """Make ``cls`` a frozen dataclass and register it as a JAX pytree."""
    cls = dataclasses.dataclass(frozen=True)(cls)
    fields = dataclasses.fields(cls)
    data = [f.name for f in fields if not f.metadata.get("static", False)]
    meta = [f.name for f in fields if f.metadata.get("static", False)]
    return jax.tree_util.register_dataclass(cls, data_fields=data, meta_fields=meta)


def replace(obj: T, **changes: Any) -> T:
    """A copy of the pytree dataclass ``obj`` with some fields replaced."""
    return dataclasses.replace(obj, **changes)
