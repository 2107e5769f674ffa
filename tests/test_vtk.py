"""VTK ImageData / PVD output read back with PyVista (VTK's own XML readers).

Evidence: the value written to grid cell (i, j, k) is the VTK cell id c = i + N0 (j + N1 k),
so a reader that maps our C-ordered (x, y, z) arrays to the wrong cells fails exactly; cell
centres must equal ``origin + grid.coordinates()``; values round-trip bit for bit in float64
and float32.
"""

import os
import subprocess
import sys

import jax.numpy as jnp
import numpy as np
import pytest

from phasefield.grid import Grid
from phasefield.io.vtk import PvdCollection, VtkError, write_vti

pv = pytest.importorskip("pyvista")

SHAPES = [(7,), (5, 6), (3, 4, 5)]
SPACING = (0.5, 0.25, 2.0)


def _grid(shape):
    return Grid.create(shape, SPACING[: len(shape)], "periodic")


def _vtk_cell_id(shape, dtype):
    """a[i, j, k] = i + N0 (j + N1 k): differs along every axis and equals VTK's cell id."""
    idx = np.indices(shape)
    strides = np.cumprod((1,) + shape[:-1])
    return sum(s * i for s, i in zip(strides, idx)).astype(dtype)


def _no_temporaries(directory):
    return [f for f in os.listdir(directory) if f.endswith(".tmp")] == []


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_vti_geometry_and_cell_values(tmp_path, shape, dtype):
    g = _grid(shape)
    nd = g.ndim
    origin = (-1.0, 3.5, 0.125)[:nd]
    ids = _vtk_cell_id(shape, dtype)
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(shape).astype(dtype)
    eta = np.stack([ids, -ids, noise, 2 * ids + 1]).astype(dtype)  # 4 components, each axis-distinct
    path = write_vti(tmp_path / "f.vti", g, {"X": ids, "noise": noise, "eta": eta}, time=0.3, origin=origin)

    mesh = pv.read(path)
    assert isinstance(mesh, pv.ImageData)
    assert mesh.dimensions == tuple(n + 1 for n in shape) + (1,) * (3 - nd)
    np.testing.assert_array_equal(mesh.spacing, SPACING[:nd] + (1.0,) * (3 - nd))
    np.testing.assert_array_equal(mesh.origin, origin + (0.0,) * (3 - nd))
    assert mesh.n_cells == int(np.prod(shape))
    assert sorted(mesh.cell_data.keys()) == ["X", "eta", "noise"]
    assert mesh.n_points == int(np.prod([n + 1 for n in shape]))

    # exact values in VTK order: cell c holds c, i.e. our array raveled x fastest
    x = mesh.cell_data["X"]
    assert x.dtype == dtype
    np.testing.assert_array_equal(x, np.arange(mesh.n_cells, dtype=dtype))
    np.testing.assert_array_equal(x, ids.ravel(order="F"))
    np.testing.assert_array_equal(mesh.cell_data["noise"], noise.ravel(order="F"))
    e = mesh.cell_data["eta"]
    assert e.shape == (mesh.n_cells, 4) and e.dtype == dtype
    for m in range(4):
        np.testing.assert_array_equal(e[:, m], eta[m].ravel(order="F"))
    arr = mesh.cell_data.GetArray("eta")
    assert [arr.GetComponentName(m) for m in range(4)] == [f"eta_{m}" for m in range(4)]

    # geometry: VTK's cell centres are our cell centres shifted by the origin
    centres = mesh.cell_centers().points
    for d, c in enumerate(g.coordinates()):
        np.testing.assert_allclose(centres[:, d], origin[d] + c.ravel(order="F"), rtol=0, atol=1e-12)
    for d in range(nd, 3):
        np.testing.assert_array_equal(centres[:, d], 0.0)
    # total "volume" of the cells is the physical length/area/volume of the grid
    assert mesh.compute_cell_sizes(length=nd == 1, area=nd == 2, volume=nd == 3).cell_data[
        ("Length", "Area", "Volume")[nd - 1]
    ].sum() == pytest.approx(np.prod(g.lengths), rel=1e-12)

    assert mesh.field_data["TimeValue"][0] == 0.3
    assert _no_temporaries(tmp_path)


def test_time_value_is_the_vtk_time_step(tmp_path):
    from vtkmodules.vtkCommonExecutionModel import vtkStreamingDemandDrivenPipeline as sddp
    from vtkmodules.vtkIOXML import vtkXMLImageDataReader

    g = _grid((4, 3))
    write_vti(tmp_path / "t.vti", g, {"X": np.zeros(g.shape)}, time=1.25e-3)
    r = vtkXMLImageDataReader()
    r.SetFileName(str(tmp_path / "t.vti"))
    r.UpdateInformation()
    info = r.GetOutputInformation(0)
    assert info.Length(sddp.TIME_STEPS()) == 1
    assert info.Get(sddp.TIME_STEPS(), 0) == 1.25e-3


def test_jax_input_and_default_origin(tmp_path):
    g = _grid((4, 3))
    a = jnp.asarray(_vtk_cell_id(g.shape, np.float64))
    mesh = pv.read(write_vti(tmp_path / "j.vti", g, {"c": a}))
    np.testing.assert_array_equal(mesh.origin, (0.0, 0.0, 0.0))
    np.testing.assert_array_equal(mesh.cell_data["c"], np.arange(12.0))
    assert "TimeValue" not in mesh.field_data


def test_invalid_input_is_rejected_before_writing(tmp_path):
    g = _grid((4, 3))
    ok = np.zeros(g.shape)
    with pytest.raises(VtkError, match="expected grid.shape"):
        write_vti(tmp_path / "a.vti", g, {"X": np.zeros((3, 4))})
    with pytest.raises(VtkError, match="dtype complex128"):
        write_vti(tmp_path / "a.vti", g, {"X": ok.astype(np.complex128)})
    with pytest.raises(VtkError, match="'.vti'"):
        write_vti(tmp_path / "a.vtk", g, {"X": ok})
    with pytest.raises(VtkError, match="origin must be 2"):
        write_vti(tmp_path / "a.vti", g, {"X": ok}, origin=(0.0, 0.0, 0.0))
    with pytest.raises(VtkError, match="time must be finite"):
        write_vti(tmp_path / "a.vti", g, {"X": ok}, time=float("nan"))
    assert os.listdir(tmp_path) == []


def test_failed_write_keeps_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    g = _grid((4, 3))
    path = write_vti(tmp_path / "a.vti", g, {"X": np.ones(g.shape)})
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_vti(path, g, {"X": np.full(g.shape, 2.0)})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["a.vti"]
    np.testing.assert_array_equal(pv.read(path).cell_data["X"], 1.0)


def _read_pvd(path):
    reader = pv.get_reader(str(path))
    assert isinstance(reader, pv.PVDReader)
    steps = []
    for k, t in enumerate(reader.time_values):
        reader.set_active_time_point(k)
        block = reader.read()
        assert len(block) == 1
        steps.append((t, block[0]))
    return steps


def test_pvd_collection_resume_and_truncate(tmp_path):
    g = _grid((3, 4, 2))
    ids = _vtk_cell_id(g.shape, np.float64)
    frames = tmp_path / "frames"
    pvd_path = tmp_path / "run.pvd"
    pvd = PvdCollection(pvd_path)
    times = [0.0, 0.5, 1.25, 2.0]
    for k, t in enumerate(times):
        f = write_vti(frames / f"run_{k:04d}.vti", g, {"X": ids + k, "eta": np.stack([ids, ids * k])}, time=t)
        pvd.add(t, f)
        # after every add the file on disk is a valid collection of the steps so far
        assert [s[0] for s in _read_pvd(pvd_path)] == times[: k + 1]

    assert pvd.entries[1] == (0.5, "frames/run_0001.vti")
    steps = _read_pvd(pvd_path)
    for k, (t, mesh) in enumerate(steps):
        assert t == times[k] and mesh.field_data["TimeValue"][0] == times[k]
        np.testing.assert_array_equal(mesh.cell_data["X"], (ids + k).ravel(order="F"))
        np.testing.assert_array_equal(mesh.cell_data["eta"][:, 1], (ids * k).ravel(order="F"))

    # resumed run: reopen, drop outputs after the checkpoint time, continue
    resumed = PvdCollection(pvd_path)
    assert resumed.entries == pvd.entries
    with pytest.raises(VtkError, match="truncate_after"):
        resumed.add(0.7, frames / "run_0001.vti")
    resumed.truncate_after(0.6)
    assert resumed.times == (0.0, 0.5)
    assert [s[0] for s in _read_pvd(pvd_path)] == [0.0, 0.5]
    f = write_vti(frames / "run_0002.vti", g, {"X": ids - 1.0, "eta": np.stack([ids, ids])}, time=0.75)
    resumed.add(0.75, f)
    steps = _read_pvd(pvd_path)
    assert [s[0] for s in steps] == [0.0, 0.5, 0.75]
    np.testing.assert_array_equal(steps[2][1].cell_data["X"], (ids - 1.0).ravel(order="F"))
    assert PvdCollection(pvd_path).times == (0.0, 0.5, 0.75)

    # same time as the last entry replaces it
    f = write_vti(frames / "again.vti", g, {"X": ids, "eta": np.stack([ids, ids])}, time=0.75)
    resumed.add(0.75, f)
    assert resumed.entries[-1] == (0.75, "frames/again.vti") and len(resumed) == 3

    with pytest.raises(VtkError, match="does not exist"):
        resumed.add(3.0, frames / "missing.vti")
    assert _no_temporaries(tmp_path) and _no_temporaries(frames)


def test_package_does_not_import_pyvista():
    code = (
        "import sys, numpy as np, pathlib, tempfile\n"
        "from phasefield.grid import Grid\n"
        "from phasefield.io.vtk import write_vti, PvdCollection\n"
        "d = pathlib.Path(tempfile.mkdtemp())\n"
        "PvdCollection(d / 'r.pvd').add(0.0, write_vti(d / 'a.vti', Grid.create((2, 2), 1.0), {'X': np.zeros((2, 2))}))\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('pyvista', 'vtk', 'vtkmodules', 'meshio')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "JAX_PLATFORMS": "cpu"})
