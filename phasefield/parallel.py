"""Multiple devices: ensembles split across devices, and one large grid split across devices.

Both use JAX's own sharding (``jax.sharding.Mesh`` / ``NamedSharding``): arrays are placed
on the devices of a mesh, and ``jax.jit`` compiles the unchanged step for that placement
(XLA's SPMD partitioner inserts the communication). Nothing in the physics or the
integrators knows about devices.

- ``shard_ensemble(tree, mesh)``: every array leaf of a batch (states, steppers: anything
  stacked along a leading member axis, as in ``phasefield.sweep``) is split along that axis
  over the mesh axis ``"ensemble"``. A ``jax.jit(jax.vmap(...))`` of the batch then runs
  members on different devices with no communication at all: each device advances
  ``n_members / n_devices`` members. Members must divide evenly over the devices.
- ``shard_grid(state, mesh, axis)``: the fields of one ``State`` are split along spatial
  ``axis`` over the mesh axis ``"grid"`` (slabs); ``X`` of shape ``grid.shape`` and ``eta``
  of shape ``(n, *grid.shape)`` alike, scalars (t, dt, step) replicated. ``jax.jit(si.step)``
  keeps the slab layout: stencils (``jnp.roll``, differences) exchange one halo plane, the
  FFT/DCT along the split axis is done by XLA's partitioner with all-to-all transposes.
  The cells along ``axis`` must divide evenly over the devices. Split axis 0 (the
  default): with jax 0.10.2 on the CPU, other axes fail inside XLA for some grids (a layout
  check of the CPU FFT when splitting the middle axis of a 3D grid or the last axis of a 2D
  no-flux grid; a complex64/complex128 mismatch in the partitioned FFT of a 3D no-flux grid
  split along axis 1), while axis 0 works for 2D and 3D, periodic and no-flux.

Results are the single-device ones to round-off (the same operations in a possibly
different reduction order; ``tests/test_parallel.py`` checks 1e-12 in float64).

Multi-host (several processes, one or more devices each): call
``jax.distributed.initialize()`` in every process before anything else touches JAX, then
build the mesh from ``jax.devices()`` (all processes' devices) with ``make_mesh``; each
process runs the same program. See README "Multiple devices".
"""

from __future__ import annotations

from typing import Optional, Sequence

import jax
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

ENSEMBLE = "ensemble"
GRID = "grid"


def make_mesh(axis_name: str, devices: Optional[Sequence] = None) -> Mesh:
    """A 1D mesh named ``axis_name`` over ``devices`` (default: all of ``jax.devices()``).

    The axis is of ``AxisType.Auto`` so that ``jax.jit`` leaves the partitioning of every
    operation (FFTs included) to XLA's SPMD partitioner; JAX 0.10's ``jax.make_mesh``
    default (``Explicit``) would require a sharding rule for each operation instead.
    """
    devices = list(jax.devices() if devices is None else devices)
    if not devices:
        raise ValueError("make_mesh needs at least one device; got an empty list")
    return Mesh(np.asarray(devices, dtype=object), (axis_name,), axis_types=(AxisType.Auto,))


def _require_axis(mesh: Mesh, name: str, caller: str) -> int:
    if name not in mesh.axis_names:
        raise ValueError(
            f"{caller} needs a mesh with an axis named {name!r}; got axes {mesh.axis_names}. "
            f"Build one with phasefield.parallel.make_mesh({name!r})"
        )
    return mesh.shape[name]


def shard_ensemble(tree, mesh: Mesh):
    """Place a batch (leading member axis on every array leaf with ``ndim >= 1``) across the
    mesh axis ``"ensemble"``; 0-d leaves are replicated. Returns the same pytree.

    Raises ``ValueError`` if a leaf's member count is not a multiple of the device count.
    """
    n_dev = _require_axis(mesh, ENSEMBLE, "shard_ensemble")
    split = NamedSharding(mesh, P(ENSEMBLE))
    replicated = NamedSharding(mesh, P())

    def place(x):
        if np.ndim(x) == 0:
            return jax.device_put(x, replicated)
        if np.shape(x)[0] % n_dev:
            raise ValueError(
                f"shard_ensemble: a leaf of shape {np.shape(x)} has {np.shape(x)[0]} members, not "
                f"a multiple of the {n_dev} devices on the 'ensemble' axis; pad the batch or use "
                f"a mesh of fewer devices"
            )
        return jax.device_put(x, split)

    return jax.tree_util.tree_map(place, tree)


def grid_spec(ndim: int, axis: int, leading: int = 0) -> P:
    """``PartitionSpec`` splitting spatial ``axis`` of an array with ``leading`` extra axes
    in front of ``ndim`` spatial axes (``leading=1`` for ``eta``)."""
    if not 0 <= axis < ndim:
        raise ValueError(f"axis must be a spatial axis in 0..{ndim - 1}; got {axis}")
    spec = [None] * (leading + ndim)
    spec[leading + axis] = GRID
    return P(*spec)


def shard_grid(state, mesh: Mesh, axis: int = 0):
    """Split the fields of a ``State`` along spatial ``axis`` across the mesh axis ``"grid"``.

    ``X`` (``grid.shape``) and ``eta`` (``(n, *grid.shape)``) are split in slabs; ``t``,
    ``dt``, ``step`` are replicated. Returns a new ``State``. Raises ``ValueError`` when the
    cells along ``axis`` do not divide over the devices.
    """
    from phasefield._pytree import replace

    n_dev = _require_axis(mesh, GRID, "shard_grid")
    ndim = np.ndim(state.X)
    n = np.shape(state.X)[axis] if 0 <= axis < ndim else None
    if n is None:
        raise ValueError(f"shard_grid: axis must be in 0..{ndim - 1} for a {ndim}D state; got {axis}")
    if n % n_dev:
        raise ValueError(
            f"shard_grid: {n} cells along axis {axis} do not divide over {n_dev} devices; "
            f"choose a grid size that is a multiple of {n_dev} or split another axis"
        )
    X = jax.device_put(state.X, NamedSharding(mesh, grid_spec(ndim, axis)))
    eta = None if state.eta is None else jax.device_put(
        state.eta, NamedSharding(mesh, grid_spec(ndim, axis, leading=1)))
    rep = NamedSharding(mesh, P())
    return replace(state, X=X, eta=eta, t=jax.device_put(state.t, rep),
                   dt=jax.device_put(state.dt, rep), step=jax.device_put(state.step, rep))


def replicate(tree, mesh: Mesh):
    """Place every array leaf of ``tree`` (e.g. a stepper's parameters) on all devices."""
    rep = NamedSharding(mesh, P())
    return jax.tree_util.tree_map(lambda x: jax.device_put(x, rep), tree)


def devices_spanned(x) -> int:
    """Number of devices holding a part of array ``x``."""
    return len(x.sharding.device_set)


def is_split(x) -> bool:
    """True when ``x`` is divided between devices (not a full copy on each)."""
    return devices_spanned(x) > 1 and not x.sharding.is_fully_replicated
