"""Cell fields as VTK XML ImageData (``.vti``) and ``.pvd`` time collections for ParaView/PyVista.

Written with numpy only, following the VTK file-format documentation ("VTK File Formats",
section "XML File Formats": ImageData, appended raw data, Collection files; VTK >= 8.2 for the
``TimeValue`` field array, "Field Data as Time Meta-Data in VTK XML File Formats").

Geometry. A :class:`~phasefield.grid.Grid` of ``N_d`` cells of size ``h_d`` along axis ``d``
(cell ``i`` covers ``[o_d + i h_d, o_d + (i + 1) h_d]``) is an ImageData with
``WholeExtent = 0 N_0 0 N_1 0 N_2`` (``N_d + 1`` points per axis), ``Spacing = h`` and
``Origin = o`` (0 by default). The solver's values are cell averages, so every field is
``CellData``; nothing is interpolated to points.

1D and 2D grids are written with a degenerate extent ``0 0`` (one point layer, zero thickness)
along the missing axes, which is how VTK itself stores 2D and 1D images: the cells are pixels or
line segments, ``n_cells`` equals the number of grid cells, and ParaView's *Integrate Variables*
returns areas/lengths that agree with :meth:`Grid.integrate`. The padded axes get
``Spacing = 1`` and ``Origin = 0``; with zero extent these have no geometric effect. (Padding
with one cell of artificial thickness instead would turn 2D integrals into volumes in an
arbitrary unit.)

Ordering. VTK numbers cells with x fastest: ``c = i + N_0 (j + N_1 k)``. Our arrays are
C-ordered ``a[i, j, k]`` (``indexing='ij'``, last axis fastest), so the flat VTK order is
``a.ravel(order="F")``, i.e. the bytes of ``a.T``.

Multi-component fields. An array of shape ``(n, *grid.shape)`` (e.g. grain order parameters
``eta``) is written as ONE array with ``NumberOfComponents = n`` (tuples interleaved:
component ``m`` of cell ``c`` is value ``n c + m``), with component names ``<name>_0 ..
<name>_{n-1}``. PyVista returns it as ``cell_data[name]`` of shape ``(n_cells, n)``, and
ParaView offers each component and the ``Magnitude`` ``sqrt(sum_m eta_m^2)`` for colouring
(a grain-boundary indicator); one array also keeps large grain counts out of the array list.
Use ParaView's *Extract Component* to contour a single grain.

Binary layout. ``format="appended"``, ``encoding="raw"``, ``header_type="UInt64"``,
``byte_order="LittleEndian"``: after the ``_`` marker of ``<AppendedData>`` each array is an
8-byte little-endian byte count followed by the raw little-endian values; the ``offset``
attribute of each ``DataArray`` counts bytes from the first byte after ``_``. float64 and
float32 (and integer) arrays are written in their own precision.

Atomicity. Every file is written to a temporary file in the destination directory, flushed,
``fsync``-ed and moved into place with :func:`os.replace`, so a reader (or a killed run) sees
either the old file or the complete new one, never a partial file.
"""

from __future__ import annotations

import functools
import math
import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterable, Mapping, Sequence
from xml.sax.saxutils import quoteattr

import numpy as np

from phasefield.grid import Grid

__all__ = ["VtkError", "write_vti", "PvdCollection"]

# numpy dtype -> VTK XML type name
_VTK_TYPES = {
    np.dtype(np.float64): "Float64",
    np.dtype(np.float32): "Float32",
    np.dtype(np.int8): "Int8",
    np.dtype(np.uint8): "UInt8",
    np.dtype(np.int16): "Int16",
    np.dtype(np.uint16): "UInt16",
    np.dtype(np.int32): "Int32",
    np.dtype(np.uint32): "UInt32",
    np.dtype(np.int64): "Int64",
    np.dtype(np.uint64): "UInt64",
}


class VtkError(ValueError):
    """Raised for fields, paths or collections that cannot be written as asked."""


# ---------------------------------------------------------------------------- atomic files
def _fsync_directory(directory: Path) -> None:
    """Make a completed ``os.replace`` durable; a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@functools.cache
def _file_mode() -> int:
    """Mode of a newly created file under the process umask (read once: setting the umask to
    query it is not thread-safe)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _atomic_write(path: Path, chunks: Iterable[bytes | memoryview]) -> None:
    """Write ``chunks`` to ``path`` via a fsync-ed temporary file and ``os.replace``."""
    path = Path(path)
    directory = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), _file_mode())  # mkstemp creates 0600
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)


# ---------------------------------------------------------------------------- ImageData
def _padded(values: Sequence[float], fill: float) -> tuple[float, float, float]:
    return tuple(float(v) for v in values) + (fill,) * (3 - len(values))  # type: ignore[return-value]


def _fmt(x: float) -> str:
    """Shortest decimal that reads back to the same float64."""
    return repr(float(x))


def _vtk_order(a: np.ndarray, ndim: int) -> tuple[np.ndarray, int]:
    """Little-endian array in VTK tuple order, and its number of components.

    A scalar ``a[i, j, k]`` becomes ``a.T`` (x fastest); a multi-component ``a[m, i, j, k]``
    becomes ``b[k, j, i, m]`` so that the components of one cell are contiguous.
    """
    if a.ndim == ndim:
        out, ncomp = a.T, 1
    else:
        out, ncomp = np.transpose(a, tuple(range(ndim, 0, -1)) + (0,)), a.shape[0]
    out = np.ascontiguousarray(out, dtype=a.dtype.newbyteorder("<"))
    return out, ncomp


def _check_field(name: object, value: object, grid: Grid) -> np.ndarray:
    if not isinstance(name, str) or not name or name != name.strip():
        raise VtkError(f"field names must be non-empty strings without surrounding spaces; got {name!r}")
    a = np.asarray(value)
    if a.dtype not in _VTK_TYPES:
        raise VtkError(
            f"field {name!r} has dtype {a.dtype}; expected one of "
            f"{sorted(str(d) for d in _VTK_TYPES)} (cast it, e.g. a.astype(np.float64))"
        )
    shape = tuple(grid.shape)
    if a.shape == shape:
        return a
    if a.ndim == len(shape) + 1 and a.shape[1:] == shape and a.shape[0] >= 1:
        return a
    raise VtkError(
        f"field {name!r} has shape {a.shape}; expected grid.shape {shape} for a scalar or "
        f"(n, *grid.shape) = (n, {', '.join(map(str, shape))}) for n components"
    )


def write_vti(
    path: str | os.PathLike,
    grid: Grid,
    fields: Mapping[str, np.ndarray],
    time: float | None = None,
    origin: Sequence[float] | None = None,
) -> Path:
    """Write cell fields on ``grid`` to a VTK XML ImageData file (atomically).

    Args:
        path: destination, must end in ``.vti`` (readers pick the format by suffix).
        grid: the uniform cell-centred grid; ``Spacing = grid.spacing`` (model length unit).
        fields: name -> array of shape ``grid.shape`` (scalar) or ``(n, *grid.shape)``
            (``n``-component array, e.g. ``eta``), float64/float32 (or integer), numpy or JAX.
            Values are cell averages and are written as ``CellData`` in their own dtype.
        time: simulation time (model time unit), stored as the field-data array
            ``TimeValue`` that VTK >= 8.2 readers report as the data set's time step.
            ``None`` writes no time.
        origin: lower corner of cell ``(0, 0, 0)``, ``grid.ndim`` values; default the origin
            of the solver's coordinates, ``0``.

    Returns:
        The path written.

    Raises:
        VtkError: for a wrong suffix, shape, dtype, origin, field name or a non-finite time.
    """
    path = Path(path)
    if path.suffix != ".vti":
        raise VtkError(f"ImageData files must end in '.vti'; got {str(path)!r}")
    nd = grid.ndim
    if origin is None:
        origin = (0.0,) * nd
    origin = tuple(float(o) for o in origin)
    if len(origin) != nd or not all(math.isfinite(o) for o in origin):
        raise VtkError(f"origin must be {nd} finite numbers for a {nd}D grid; got {origin}")
    if time is not None and not math.isfinite(float(time)):
        raise VtkError(f"time must be finite or None; got {time!r}")

    extent = " ".join(f"0 {n}" for n in grid.shape) + " 0 0" * (3 - nd)
    spacing = " ".join(_fmt(h) for h in _padded(grid.spacing, 1.0))
    origin_s = " ".join(_fmt(o) for o in _padded(origin, 0.0))

    blocks: list[np.ndarray] = []
    array_tags: list[str] = []
    offset = 0
    first_scalar = None
    for name, value in fields.items():
        a = _check_field(name, value, grid)
        data, ncomp = _vtk_order(a, nd)
        attrs = (
            f'type="{_VTK_TYPES[a.dtype]}" Name={quoteattr(name)} '
            f'NumberOfComponents="{ncomp}"'
        )
        if ncomp > 1:
            attrs += "".join(
                f" ComponentName{m}={quoteattr(f'{name}_{m}')}" for m in range(ncomp)
            )
        elif first_scalar is None:
            first_scalar = name
        array_tags.append(f'        <DataArray {attrs} format="appended" offset="{offset}"/>\n')
        blocks.append(data)
        offset += 8 + data.nbytes

    cell_attrs = f" Scalars={quoteattr(first_scalar)}" if first_scalar is not None else ""
    field_data = ""
    if time is not None:
        field_data = (
            "    <FieldData>\n"
            '      <DataArray type="Float64" Name="TimeValue" NumberOfTuples="1" '
            f'format="ascii">{_fmt(time)}</DataArray>\n'
            "    </FieldData>\n"
        )
    head = (
        '<?xml version="1.0"?>\n'
        '<VTKFile type="ImageData" version="1.0" byte_order="LittleEndian" header_type="UInt64">\n'
        f'  <ImageData WholeExtent="{extent}" Origin="{origin_s}" Spacing="{spacing}">\n'
        f"{field_data}"
        f'    <Piece Extent="{extent}">\n'
        f"      <CellData{cell_attrs}>\n"
        f"{''.join(array_tags)}"
        "      </CellData>\n"
        "    </Piece>\n"
        "  </ImageData>\n"
        '  <AppendedData encoding="raw">\n'
        "   _"
    )
    tail = "\n  </AppendedData>\n</VTKFile>\n"

    def chunks():
        yield head.encode("utf-8")
        for data in blocks:
            yield np.uint64(data.nbytes).astype("<u8").tobytes()
            yield memoryview(data).cast("B")
        yield tail.encode("utf-8")

    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, chunks())
    return path


# ---------------------------------------------------------------------------- collections
class PvdCollection:
    """A ``.pvd`` time collection of data files, rewritten atomically after every change.

    The file lists ``<DataSet timestep="t" group="" part="0" file="relative/path.vti"/>``
    entries in increasing time; file names are stored relative to the ``.pvd`` directory.
    Because :func:`write_vti` and every rewrite of the collection are atomic, adding an entry
    only after its data file is written means that a run killed at any point leaves a valid
    ``.pvd`` that lists complete files only.

    Opening an existing ``.pvd`` reads its entries (to continue a resumed run); call
    :meth:`truncate_after` with the restart time to forget outputs written after the
    checkpoint. Dropped data files are left on disk; later outputs simply overwrite them.

    Example::

        pvd = PvdCollection("out/run.pvd")
        for k, state in enumerate(states):
            f = write_vti(f"out/run_{k:05d}.vti", grid, {"X": state.X, "eta": state.eta}, time=state.t)
            pvd.add(float(state.t), f)
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if self.path.suffix != ".pvd":
            raise VtkError(f"collection files must end in '.pvd'; got {str(self.path)!r}")
        self._entries: list[tuple[float, str]] = []
        if self.path.exists():
            self._entries = self._read()

    def _read(self) -> list[tuple[float, str]]:
        try:
            root = ET.parse(self.path).getroot()
        except ET.ParseError as err:
            raise VtkError(f"{self.path} is not a readable .pvd file: {err}") from None
        collection = root.find("Collection")
        if root.tag != "VTKFile" or root.get("type") != "Collection" or collection is None:
            raise VtkError(f"{self.path} is not a VTK Collection file (expected <VTKFile type=\"Collection\">)")
        entries = []
        for ds in collection.findall("DataSet"):
            try:
                entries.append((float(ds.get("timestep", "0")), ds.attrib["file"]))
            except (KeyError, ValueError):
                raise VtkError(f"{self.path}: DataSet entry {ds.attrib} lacks a file or a numeric timestep") from None
        entries.sort(key=lambda e: e[0])
        return entries

    @property
    def entries(self) -> tuple[tuple[float, str], ...]:
        """``(time, file relative to the .pvd directory)`` pairs in increasing time."""
        return tuple(self._entries)

    @property
    def times(self) -> tuple[float, ...]:
        return tuple(t for t, _ in self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, time: float, data_path: str | os.PathLike) -> None:
        """Append ``data_path`` at ``time`` and rewrite the ``.pvd``.

        ``data_path`` must already exist (write it first). ``time`` must not be earlier than
        the last entry; an entry at the same time as the last one is replaced (e.g. a frame
        written again after a restart). To go back in time, call :meth:`truncate_after`.
        """
        time = float(time)
        if not math.isfinite(time):
            raise VtkError(f"time must be finite; got {time!r}")
        data_path = Path(data_path)
        if not data_path.is_file():
            raise VtkError(f"{str(data_path)!r} does not exist; write the data file before adding it")
        if self._entries and time < self._entries[-1][0]:
            raise VtkError(
                f"time {time!r} is earlier than the last entry {self._entries[-1][0]!r} of "
                f"{self.path}; call truncate_after({time!r}) first when resuming from an earlier time"
            )
        rel = os.path.relpath(data_path.resolve(), self.path.resolve().parent)
        rel = Path(rel).as_posix()
        if self._entries and time == self._entries[-1][0]:
            self._entries[-1] = (time, rel)
        else:
            self._entries.append((time, rel))
        self.write()

    def truncate_after(self, time: float) -> None:
        """Drop every entry with ``timestep > time`` and rewrite the ``.pvd``."""
        time = float(time)
        self._entries = [e for e in self._entries if e[0] <= time]
        self.write()

    def write(self) -> None:
        """Rewrite the ``.pvd`` atomically from the current entries."""
        lines = [
            '<?xml version="1.0"?>\n',
            '<VTKFile type="Collection" version="1.0" byte_order="LittleEndian">\n',
            "  <Collection>\n",
        ]
        for t, f in self._entries:
            lines.append(f'    <DataSet timestep="{_fmt(t)}" group="" part="0" file={quoteattr(f)}/>\n')
        lines += ["  </Collection>\n", "</VTKFile>\n"]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.path, ["".join(lines).encode("utf-8")])
