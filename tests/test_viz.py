"""Inspection scripts in viz/ (headless): the beta isosurface of a synthetic field has the
number of components and the volumes put into it, and its domain sizes are the sphere
diameters; the alpha-shell mask is exact on a single beta cell; X outside a smoothed-boundary
solid makes no phase; renders of real 2D/3D runs, the animation, plots, sweep plot and report are
written and are not blank (pixel spread, many colours, a non-background fraction), and the
3D render shows the Li-metal surface in its colour; capacity from x is 993.3 mAh/g per Li/Al.
The package itself imports neither pyvista nor matplotlib."""

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "viz"))
import _runio as rio  # noqa: E402

rio.prepare_headless()
pv = pytest.importorskip("pyvista")
pytest.importorskip("matplotlib")
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import animate  # noqa: E402
import compare_sweep  # noqa: E402
import plots  # noqa: E402
import report  # noqa: E402
import view3d  # noqa: E402

from phasefield.cli import main as phasefield_main  # noqa: E402
from phasefield.grid import Grid  # noqa: E402
from phasefield.io.vtk import PvdCollection, write_vti  # noqa: E402

RUN3D = ["grid.shape=[16,16,16]", 'initial.radius="25 nm"', 'run.t_end="20 ns"', "output.count=2"]
SMALL = ["--size", "480x360"]
RUN2D = ["grid.shape=[32,32]", 'initial.radius="40 nm"', 'run.t_end="20 ns"', "output.count=3"]


def _sets(items):
    return sum((["--set", s] for s in items), [])


@pytest.fixture(scope="module")
def run3d(tmp_path_factory):
    out = tmp_path_factory.mktemp("viz") / "lial3d"
    assert phasefield_main(["run", str(ROOT / "inputs/lial_reaction_3d.toml"), "--out", str(out), "--quiet",
                            *_sets(RUN3D)]) == 0
    return out


@pytest.fixture(scope="module")
def run2d(tmp_path_factory):
    out = tmp_path_factory.mktemp("viz") / "lial2d"
    assert phasefield_main(["run", str(ROOT / "inputs/lial_reaction_2d.toml"), "--out", str(out), "--quiet",
                            *_sets(RUN2D)]) == 0
    return out


def image_stats(path) -> dict:
    """Pixel spread, number of distinct colours and the fraction of pixels that differ from
    the background (the colour of the top-left corner) by more than 10/255 in some channel."""
    import matplotlib.image as mpimg

    img = mpimg.imread(path)
    if img.dtype != np.uint8:
        img = np.round(img * 255).astype(np.uint8)
    rgb = img[..., :3].astype(int)
    background = rgb[0, 0]
    return {
        "std": float(rgb.std()),
        "colours": len(np.unique(rgb.reshape(-1, 3), axis=0)),
        "foreground": float(np.mean(np.abs(rgb - background).max(axis=-1) > 10)),
        "rgb": rgb,
    }


def assert_not_blank(path, min_foreground=0.03):
    s = image_stats(path)
    assert s["std"] > 15.0, f"{path}: pixel standard deviation {s['std']:.1f}"
    assert s["colours"] > 50, f"{path}: only {s['colours']} colours"
    assert s["foreground"] > min_foreground, f"{path}: foreground fraction {s['foreground']:.3f}"
    return s


# ---------------------------------------------------------------------------- synthetic field
CENTRES = [(10.0, 10.0, 10.0), (30.0, 12.0, 28.0), (14.0, 30.0, 30.0)]
RADIUS = 6.0


@pytest.fixture(scope="module")
def spheres(tmp_path_factory):
    """Three separated beta spheres (radius 6 cells, the first one with a Li core of radius 3)
    in alpha; X = cut + 0.22 tanh((R - r)/1.5) puts the alpha/beta cut exactly at r = R.
    Two grains: sphere 0 in grain 0, spheres 1 and 2 in grain 1."""
    out = tmp_path_factory.mktemp("viz") / "spheres"
    grid = Grid.create((40, 40, 40), 1.0, "noflux")
    x, y, z = grid.coordinates()
    X = np.full(grid.shape, 0.0)
    dist = [np.sqrt((x - a) ** 2 + (y - b) ** 2 + (z - c) ** 2) for a, b, c in CENTRES]
    r = np.minimum.reduce(dist)
    X = rio.LIAL_BETA_CUT + 0.22 * np.tanh((RADIUS - r) / 1.5)
    X = np.where(dist[0] < 3.0, 1.0, X)  # Li metal core of sphere 0
    eta = np.zeros((2, *grid.shape))
    eta[0] = dist[0] < np.minimum(dist[1], dist[2])
    eta[1] = 1.0 - eta[0]
    pvd = PvdCollection(out / "fields.pvd")
    f = write_vti(out / "fields" / "step_00000.vti", grid, {"X": X, "eta": eta}, time=0.0)
    pvd.add(0.0, f)
    (out / "run.json").write_text(json.dumps({"problem": "lial_reaction", "time_unit": "s",
                                              "resolved": {"output": {"spacing": "linear"}}}))
    (out / "observables.csv").write_text("t_s,beta_fraction\n0.0,0.1\n")
    return out


def test_isosurface_has_three_components_of_the_right_volume(spheres):
    mesh = rio.read_snapshot(spheres / "fields" / "step_00000.vti")
    surface = view3d.isosurface(mesh, "X", rio.LIAL_BETA_CUT)
    assert view3d.count_components(surface) == 3
    bodies = surface.split_bodies()
    with warnings.catch_warnings():  # pyvista announces a change of extract_surface's default
        warnings.simplefilter("ignore")
        volumes = sorted(abs(bodies[k].extract_surface().volume) for k in range(bodies.n_blocks))
    np.testing.assert_allclose(volumes, 4.0 / 3.0 * np.pi * RADIUS**3, rtol=0.03)
    li = view3d.isosurface(mesh, "X", rio.LIAL_LI_CUT)
    assert view3d.count_components(li) == 1
    # above the largest value there is nothing
    assert view3d.count_components(view3d.isosurface(mesh, "X", 1.5)) == 0


def test_domain_sizes_are_the_sphere_diameters(spheres, tmp_path):
    run = rio.load_run(spheres)
    mesh = rio.read_snapshot(spheres / "fields" / "step_00000.vti")
    # cells with X >= cut are those with centres inside r = R: (6 V / pi)^(1/3) ~ 2 R
    np.testing.assert_allclose(view3d.domain_sizes(mesh, run, "beta+Li"), 2 * RADIUS, rtol=0.03)
    assert view3d.domain_sizes(mesh, run, "Li").size == 1
    assert view3d.domain_sizes(mesh, run, "beta").size == 3  # the Li core leaves a shell
    png = tmp_path / "sizes.png"
    assert plots.main([str(spheres), "--sizes", "beta+Li", "--out", str(png)]) == 0
    assert_not_blank(png)


def test_grain_colouring_follows_eta(spheres):
    run = rio.load_run(spheres)
    mesh = rio.read_snapshot(spheres / "fields" / "step_00000.vti")
    parts = view3d.beta_mesh(mesh, run)
    grain = np.asarray(parts["beta"].point_data["grain"])
    pts = np.asarray(parts["beta"].points)
    near0 = np.linalg.norm(pts - np.array(CENTRES[0]) - 0.0, axis=1) < RADIUS + 1.0
    assert np.all(grain[near0] == 0) and np.all(grain[~near0] == 1)


def test_outside_the_solid_is_not_a_phase(tmp_path):
    """Smoothed-boundary runs: X outside psi = 1/2 is ignored, so beta-valued X in the
    electrolyte gives no beta surface, while the solid's own surface is one closed piece."""
    grid = Grid.create((16, 16, 16), 1.0, "noflux")
    r = np.sqrt(sum((c - 8.0) ** 2 for c in grid.coordinates()))
    psi = 0.5 * (1.0 - np.tanh((r - 5.0) / 1.0))
    X = np.where(psi >= 0.5, 0.02, 0.40)
    write_vti(tmp_path / "s.vti", grid, {"X": X, "psi": psi})
    mesh = rio.read_snapshot(tmp_path / "s.vti")
    assert view3d.count_components(view3d.isosurface(mesh, "X", rio.LIAL_BETA_CUT)) == 1  # unmasked
    parts = view3d.beta_mesh(mesh, rio.Run(tmp_path, {"problem": "lial_particle"}))
    assert view3d.count_components(parts["beta"]) == 0
    assert view3d.count_components(parts["solid"]) == 1


def test_alpha_shell_is_the_face_neighbours_of_beta():
    X = np.full((5, 5, 5), 0.02)
    X[2, 2, 2] = 0.45
    shell = view3d.alpha_shell_mask(X, rio.LIAL_BETA_CUT, rio.LIAL_LI_CUT)
    assert shell.sum() == 6 and not shell[2, 2, 2] and shell[1, 2, 2] and shell[2, 2, 3]
    X[2, 2, 2] = 1.0  # Li metal, not beta: no alpha shell
    assert view3d.alpha_shell_mask(X, rio.LIAL_BETA_CUT, rio.LIAL_LI_CUT).sum() == 0


def test_synthetic_render_with_grains_clip_and_slices(spheres, tmp_path):
    png = tmp_path / "spheres.png"
    assert view3d.main([str(spheres), "--out", str(png), "--clip", "z", "--slice", "x", *SMALL]) == 0
    assert_not_blank(png)


# ---------------------------------------------------------------------------- real runs
def test_view3d_renders_the_3d_run(run3d, tmp_path):
    png = tmp_path / "full.png"
    assert view3d.main([str(run3d), "--out", str(png), *SMALL]) == 0
    assert_not_blank(png, min_foreground=0.05)
    clipped = tmp_path / "clip.png"
    assert view3d.main([str(run3d), "--out", str(clipped), "--clip", "x", "--step", "1", *SMALL]) == 0
    rgb = assert_not_blank(clipped)["rgb"]
    # the clipped view opens the beta shell on the Li-metal core, drawn in LI_COLOUR (#d62728)
    red = (rgb[..., 0] > 150) & (rgb[..., 1] < 90) & (rgb[..., 2] < 90)
    assert red.mean() > 0.005


def test_view3d_2d_run_without_display_writes_next_to_the_run(run2d, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert view3d.main([str(run2d), *SMALL]) == 0
    png = run2d / "view_step_00003.png"
    assert_not_blank(png, min_foreground=0.2)


def test_view3d_command_line_headless(run2d, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    png = tmp_path / "cli.png"
    proc = subprocess.run([sys.executable, str(ROOT / "viz/view3d.py"), str(run2d), "--step", "0", "--out", str(png)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert_not_blank(png)
    bad = subprocess.run([sys.executable, str(ROOT / "viz/view3d.py"), str(run2d), "--step", "9"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "out of range" in bad.stderr


def test_animation_has_one_frame_per_snapshot(run3d, run2d, tmp_path):
    from PIL import Image

    gif = tmp_path / "a3.gif"
    assert animate.main([str(run3d), "--out", str(gif), "--size", "400x320"]) == 0
    with Image.open(gif) as im:
        assert im.n_frames == 3
        frames = []
        for k in (0, im.n_frames - 1):
            im.seek(k)
            frames.append(np.asarray(im.convert("RGB"), dtype=int))
    assert frames[0].std() > 15 and np.abs(frames[0] - frames[1]).max() > 0  # titles and fields differ
    assert animate.main([str(run2d), "--out", str(tmp_path / "a2.gif"), "--frames"]) == 0
    pngs = sorted((tmp_path / "a2").glob("frame_*.png"))
    assert len(pngs) == 4
    assert_not_blank(pngs[-1])


def test_plots_use_a_log_time_axis_for_log_spaced_outputs(run2d, tmp_path):
    run = rio.load_run(run2d)
    assert plots.time_axis(run, run.observables())[2] is True
    png = tmp_path / "plots.png"
    assert plots.main([str(run2d), "--out", str(png)]) == 0
    assert_not_blank(png)
    assert rio.looks_log_spaced(np.geomspace(1e-9, 1e-6, 4)) and not rio.looks_log_spaced(np.linspace(1, 4, 4))


def test_voltage_against_capacity_from_x(tmp_path):
    # x = 1 is LiAl: F / 3.6 / M_Al = 993.3 mAh/g (Al -> LiAl theoretical capacity)
    obs = {"t_s": np.array([0.0, 1.0]), "x_mean_Li_per_Al": np.array([0.0, 1.0]),
           "potential_V": np.array([0.5, 0.38])}
    cap, v, _, _ = plots.voltage_capacity(obs)
    np.testing.assert_allclose(cap, [0.0, 993.3], atol=0.05)
    d = tmp_path / "echem"
    d.mkdir()
    (d / "observables.csv").write_text("t_s,x_mean_Li_per_Al,potential_V,beta_fraction,beta_domain_size_um\n"
                                       + "".join(f"{t},{x},{v},{b},{s}\n" for t, x, v, b, s in
                                                 [(0, 0.0, 0.6, 0.0, 0.0), (1, 0.3, 0.38, 0.3, 0.05),
                                                  (2, 0.6, 0.38, 0.6, 0.08), (3, 0.9, 0.3, 0.9, 0.1)]))
    png = tmp_path / "echem.png"
    assert plots.main([str(d), "--out", str(png)]) == 0
    assert_not_blank(png)


def test_compare_sweep(tmp_path):
    d = tmp_path / "sweep"
    d.mkdir()
    (d / "sweep.csv").write_text(
        "mobility.alpha_diffusivity_scale,t_s,dt_s,steps,rejected,beta_fraction,Li_metal_fraction\n"
        "1.0,2e-8,1e-9,20,0,0.10,0.14\n1e4,2e-8,1e-9,25,1,0.12,0.13\n1e8,2e-8,1e-9,40,2,0.15,0.11\n")
    assert compare_sweep.main([str(d)]) == 0
    assert_not_blank(d / "sweep.png")
    values, unit = compare_sweep.parse_values(['"20 nm"', '"40 nm"'])
    assert unit == "nm" and values.tolist() == [20.0, 40.0]
    assert compare_sweep.parse_values(['"log"', '"linear"'])[0] is None


def test_report_page(run3d, run2d):
    for run_dir in (run3d, run2d):
        assert report.main([str(run_dir)]) == 0
        png, page = run_dir / "report.png", run_dir / "report.html"
        assert_not_blank(png, min_foreground=0.1)
        text = page.read_text()
        assert '<img src="report.png"' in text
        final = (run_dir / "observables.csv").read_text().strip().splitlines()[-1].split(",")
        assert f"{float(final[-1]):.6g}" in text  # the final numbers are on the page
        assert "lial_reaction" in text and "[grid]" in text


def test_package_does_not_import_renderers():
    code = ("import sys, phasefield, phasefield.cli, phasefield.batch, phasefield.sweep; "
            "bad = [m for m in ('pyvista', 'vtk', 'matplotlib') if m in sys.modules]; "
            "assert not bad, bad")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_li_metal_is_not_wrapped_as_beta(spheres, tmp_path):
    """The beta surface bounds ``0.2674 < X < 0.75``: a Li particle pressed into alpha (as in a
    mixed Li/Al powder at t = 0) has none, while the X = 0.2674 isosurface wraps it; a beta
    shell around a Li core is bounded outside and inside."""
    grid = Grid.create((16, 16, 16), 1.0, "noflux")
    r = np.sqrt(sum((c - 8.0) ** 2 for c in grid.coordinates()))
    write_vti(tmp_path / "li.vti", grid, {"X": np.where(r < 4.0, 1.0, 0.02)})
    mesh = rio.read_snapshot(tmp_path / "li.vti")
    run = rio.Run(tmp_path, {"problem": "lial_electrode"})
    assert view3d.count_components(view3d.isosurface(mesh, "X", rio.LIAL_BETA_CUT)) == 1
    assert view3d.count_components(view3d.beta_mesh(mesh, run)["beta"]) == 0
    assert view3d.count_components(view3d.beta_mesh(mesh, run)["li"]) == 1
    # the fixture: three beta spheres, the first around a Li core -> 3 outer + 1 inner surface
    parts = view3d.beta_mesh(rio.read_snapshot(spheres / "fields" / "step_00000.vti"), rio.load_run(spheres))
    assert view3d.count_components(parts["beta"]) == 4
