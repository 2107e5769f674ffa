"""View one field snapshot of a run: a 3D render (PyVista) or, for 2D runs, an image with
contour lines (matplotlib).

    python viz/view3d.py RUN_DIR [--step N] [--clip x|y|z] [--slice [x,y,z]] [--out view.png]

3D scene (Li-Al runs; cuts in ``viz/_runio.py``):

* beta: the surface around ``0.2674 < X < 0.75`` (the alpha/beta and beta/Li midpoints; the
  zero surface of ``min(X - 0.2674, 0.75 - X)``, so Li metal is not wrapped as beta),
  coloured by grain (argmax over the components of an ``eta`` field) when there is one;
* Li metal: the isosurface ``X = 0.75``, in red;
* alpha shells: alpha cells (``X < 0.2674``) with a face neighbour in beta, translucent green;
* the solid: the ``psi = 1/2`` surface of a ``psi`` field if the run wrote one, else the
  outline of the domain box;
* ``--clip x`` keeps the half ``x <= L_x / 2``, which opens the shells towards the camera;
  ``--slice`` adds slices through the centre coloured by ``X`` (``--slice z`` for one).

PFHub runs use ``c = 0.5``. Isosurfaces are taken on the grid of cell centres (the solver's
values are cell averages, written as VTK cell data), so no averaging to points blurs them.

Without ``--out`` the view opens in a window when there is a display; with no display it is
written next to the run as ``view_step_<N>.png``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _runio as rio  # noqa: E402

BETA_COLOUR = "#2b6cb0"
LI_COLOUR = "#d62728"
SHELL_COLOUR = "#38a169"
BACKGROUND = "white"


# ---------------------------------------------------------------------------- geometry
def cell_centre_grid(mesh):
    """The cell data of an ImageData as point data on the grid of its cell centres.

    A cell of ``mesh`` becomes a point at its centre (same spacing, origin shifted by h/2),
    so contours interpolate between cell averages only.
    """
    import pyvista as pv

    dims = tuple(max(int(d) - 1, 1) for d in mesh.dimensions)
    h = np.asarray(mesh.spacing, float)
    origin = np.asarray(mesh.origin, float) + 0.5 * h * (np.asarray(mesh.dimensions) > 1)
    grid = pv.ImageData(dimensions=dims, spacing=tuple(h), origin=tuple(origin))
    for name in mesh.cell_data.keys():
        grid.point_data[name] = np.asarray(mesh.cell_data[name])
    return grid


def isosurface(mesh, field: str, level: float):
    """The ``field = level`` surface of a snapshot's cell field (PolyData; empty if none)."""
    grid = cell_centre_grid(mesh)
    return grid.contour([level], scalars=field, method="contour")


def count_components(surface) -> int:
    """Number of connected pieces of a surface (0 for an empty one)."""
    if surface.n_points == 0:
        return 0
    return int(surface.split_bodies().n_blocks)


def alpha_shell_mask(X: np.ndarray, beta_cut: float, li_cut: float | None) -> np.ndarray:
    """Alpha cells (``X < beta_cut``) sharing a face with a beta cell (``beta_cut <= X < li_cut``)."""
    alpha = X < beta_cut
    beta = (X >= beta_cut) & (X < (li_cut if li_cut is not None else np.inf))
    near = np.zeros_like(beta)
    for axis in range(X.ndim):
        n = X.shape[axis]
        if n < 2:
            continue
        lo = [slice(None)] * X.ndim
        hi = [slice(None)] * X.ndim
        lo[axis], hi[axis] = slice(0, n - 1), slice(1, n)
        near[tuple(lo)] |= beta[tuple(hi)]
        near[tuple(hi)] |= beta[tuple(lo)]
    return alpha & near


def grain_ids(mesh) -> np.ndarray | None:
    """``argmax_m eta_m`` per cell (flat, VTK order) when the snapshot has an ``eta`` field."""
    name = rio.multi_component(mesh)
    if name is None:
        return None
    return np.argmax(np.asarray(mesh.cell_data[name]), axis=1).astype(np.int32)


def _nearest_cell_values(mesh, points: np.ndarray, values_flat: np.ndarray) -> np.ndarray:
    """Cell value at the cell containing each point (VTK flat order, x fastest)."""
    dims = np.array([max(int(d) - 1, 1) for d in mesh.dimensions])
    h = np.asarray(mesh.spacing, float)
    idx = np.floor((points - np.asarray(mesh.origin)) / h).astype(int)
    idx = np.clip(idx, 0, dims - 1)
    return values_flat[idx[:, 0] + dims[0] * (idx[:, 1] + dims[1] * idx[:, 2])]


SOLID = 0.5  # psi above which a cell counts as solid (smoothed-boundary runs)


def solid_only(mesh, field: str, fill: float):
    """A copy of ``mesh`` whose ``field`` is ``fill`` outside the solid (``psi < 1/2``).

    In a smoothed-boundary run X is only meaningful where psi ~ 1: outside, it is the ratio
    of two floored numbers. Filling with an alpha value closes the phase surfaces at the
    solid's edge; NaN hides the outside in coloured slices. Without ``psi``, ``mesh`` itself.
    """
    if "psi" not in mesh.cell_data.keys():
        return mesh
    out = mesh.copy()
    psi = np.asarray(mesh.cell_data["psi"])
    out.cell_data[field] = np.where(psi >= SOLID, np.asarray(mesh.cell_data[field]), fill)
    return out


def beta_band(X: np.ndarray, beta_cut: float, li_cut: float | None) -> np.ndarray:
    """``min(X - beta_cut, li_cut - X)``: positive exactly where ``beta_cut < X < li_cut``, so its
    zero surface wraps beta and not Li metal (``X - beta_cut`` without a Li phase)."""
    X = np.asarray(X, float)
    return X - beta_cut if li_cut is None else np.minimum(X - beta_cut, li_cut - X)


def beta_mesh(mesh, run: rio.Run):
    """Surfaces and masks of one 3D snapshot: a dict of PolyData/UnstructuredGrid pieces."""
    field, ph = rio.scalar_field(mesh, run)
    mesh = solid_only(mesh, field, 0.0)
    X = rio.cell_array(mesh, field)
    parts = {"field": field, "phases": ph}
    banded = mesh.copy()
    banded.cell_data["_beta_band"] = beta_band(np.asarray(mesh.cell_data[field]), ph.beta_cut, ph.li_cut)
    parts["beta"] = isosurface(banded, "_beta_band", 0.0)
    grains = grain_ids(mesh)
    if grains is not None and parts["beta"].n_points:
        parts["beta"].point_data["grain"] = _nearest_cell_values(mesh, parts["beta"].points, grains)
    parts["li"] = isosurface(mesh, field, ph.li_cut) if ph.li_cut is not None and X.max() > ph.li_cut else None
    shell = alpha_shell_mask(X, ph.beta_cut, ph.li_cut)
    cells = mesh.copy()
    cells.cell_data["alpha_shell"] = shell.ravel(order="F").astype(np.uint8)
    parts["shell"] = cells.threshold(0.5, scalars="alpha_shell", preference="cell") if shell.any() else None
    parts["grains"] = grains
    if "psi" in mesh.cell_data.keys():
        parts["solid"] = isosurface(mesh, "psi", 0.5)
    else:
        parts["solid"] = None
    return parts


def domain_sizes(mesh, run: rio.Run, phase: str = "beta") -> np.ndarray:
    """Equivalent diameters of the connected domains of one phase in a snapshot (sorted).

    ``phase``: "beta" (``beta_cut <= X < li_cut``), "beta+Li" (``X >= beta_cut``) or "Li"
    (``X >= li_cut``). Cells sharing a point belong to one domain (VTK connectivity; a domain
    that crosses a periodic face counts as two). The diameter of a domain of measure V
    (cell volumes, or areas in 2D; outside-solid cells excluded) is ``(6 V / pi)^(1/3)`` in 3D
    and ``2 (V / pi)^(1/2)`` in 2D, in the run's length unit (um for Li-Al).
    """
    field, ph = rio.scalar_field(mesh, run)
    mesh = solid_only(mesh, field, 0.0)
    X = np.asarray(mesh.cell_data[field])
    li = ph.li_cut if ph.li_cut is not None else np.inf
    mask = {"beta": (X >= ph.beta_cut) & (X < li), "beta+Li": X >= ph.beta_cut, "Li": X >= li}[phase]
    if not mask.any():
        return np.zeros(0)
    cells = mesh.copy()
    cells.cell_data["_in"] = mask.astype(np.uint8)
    picked = cells.threshold(0.5, scalars="_in", preference="cell").connectivity()
    region = np.asarray(picked.cell_data["RegionId"])
    ndim = len(rio.grid_shape(mesh))
    h = [s for s, d in zip(mesh.spacing, mesh.dimensions) if d > 1]
    measure = np.bincount(region) * float(np.prod(h))
    d = (6.0 * measure / np.pi) ** (1.0 / 3.0) if ndim == 3 else 2.0 * np.sqrt(measure / np.pi)
    return np.sort(d)


# ---------------------------------------------------------------------------- 3D
def render_3d(mesh, run: rio.Run, title: str = "", clip: str | None = None, slices: str | None = None,
              plotter=None, off_screen: bool = True, window_size=(900, 700), show_shell: bool = True,
              clim=None):
    """Add the 3D scene of ``mesh`` to ``plotter`` (a new off-screen one by default); returns it."""
    import pyvista as pv

    p = plotter or pv.Plotter(off_screen=off_screen, window_size=window_size)
    p.set_background(BACKGROUND)
    parts = beta_mesh(mesh, run)
    field, ph = parts["field"], parts["phases"]
    X = np.asarray(mesh.cell_data[field])
    clim = clim or ph.vrange or (float(X.min()), float(X.max()))
    sliced = solid_only(mesh, field, np.nan)
    bounds = np.asarray(mesh.bounds, float)
    centre = 0.5 * (bounds[0::2] + bounds[1::2])

    def cut(piece):
        if piece is None or clip is None or piece.n_points == 0:
            return piece
        return piece.clip(normal=clip, origin=centre, invert=True)

    beta = cut(parts["beta"])
    li = cut(parts["li"])
    opacity = 0.6 if (li is not None and li.n_points and clip is None) else 1.0
    if beta is not None and beta.n_points:
        if "grain" in beta.point_data:
            n = int(parts["grains"].max()) + 1
            p.add_mesh(beta, scalars="grain", cmap="tab10" if n <= 10 else "tab20", categories=True,
                       clim=(0, max(n - 1, 1)), opacity=opacity, label="beta",
                       scalar_bar_args={"title": "grain", "color": "black", "vertical": True,
                                        "position_x": 0.02, "position_y": 0.3, "n_labels": min(n, 10),
                                        "fmt": "%.0f"})
        else:
            p.add_mesh(beta, color=BETA_COLOUR, opacity=opacity, smooth_shading=True,
                       label="beta")
    if li is not None and li.n_points:
        p.add_mesh(li, color=LI_COLOUR, smooth_shading=True, label="Li metal")
    shell = cut(parts["shell"])
    if show_shell and shell is not None and shell.n_cells:
        p.add_mesh(shell, color=SHELL_COLOUR, opacity=0.12, label="alpha shell")
    if parts["solid"] is not None and parts["solid"].n_points:
        p.add_mesh(cut(parts["solid"]), color="grey", opacity=0.15, label="solid")
    p.add_mesh(mesh.outline(), color="black", line_width=1)

    scalar_args = {"title": field, "color": "black", "vertical": True}
    if slices:
        for axis in slices.split(","):
            axis = axis.strip()
            if axis not in ("x", "y", "z"):
                raise rio.RunDirError(f"--slice takes axes among x,y,z; got {axis!r}")
            sl = sliced.slice(normal=axis, origin=centre)
            p.add_mesh(cut(sl), scalars=field, cmap="viridis", clim=clim, opacity=0.9,
                       nan_color="lightgrey", nan_opacity=0.3, scalar_bar_args=scalar_args)
    if title:
        p.add_text(title, font_size=10, color="black")
    cuts = (f"beta: {ph.beta_cut:.4g} <= {field} < {ph.li_cut:.3g}   Li metal: {field} >= {ph.li_cut:.3g}" if ph.li_cut
            else f"beta: {field} >= {ph.beta_cut:.4g}")
    p.add_text(cuts + ("" if clip is None else f"   clipped at {clip} = {centre['xyz'.index(clip)]:.4g}"),
               position="lower_left", font_size=8, color="black")
    if p.renderer.actors and any(a for a in (beta, li, shell) if a is not None and a.n_points):
        p.add_legend(bcolor="white", face="rectangle", size=(0.2, 0.15), loc="upper right")
    p.camera_position = "iso"
    p.reset_camera(bounds=tuple(bounds))
    p.camera.zoom(1.1)
    return p


# ---------------------------------------------------------------------------- 2D
def draw_2d(ax, mesh, run: rio.Run, title: str = "", clim=None, colorbar: bool = True):
    """Image of a 2D snapshot's field with contours at the phase cuts (and grain boundaries)."""
    field, ph = rio.scalar_field(mesh, run)
    a = rio.cell_array(mesh, field)
    keep = [d > 1 for d in mesh.dimensions]
    h = [s for s, k in zip(mesh.spacing, keep) if k]
    o = [s for s, k in zip(mesh.origin, keep) if k]
    if a.ndim == 1:
        a, h, o = a[:, None], h + [h[0]], o + [0.0]
    name = rio.multi_component(mesh)
    grains = np.argmax(rio.cell_array(mesh, name), axis=0) if name is not None else None
    psi = rio.cell_array(mesh, "psi") if "psi" in mesh.cell_data.keys() else None
    if psi is not None and psi.ndim == 1:
        psi = psi[:, None]
    if psi is not None:  # X means nothing outside the solid: leave it blank (see solid_only)
        a = np.where(psi >= SOLID, a, np.nan)
    return draw_array(ax, a, h, o, field, ph, run, title, clim, colorbar, grains, psi)


def draw_array(ax, a, spacing, origin, field, ph, run, title="", clim=None, colorbar=True, grains=None,
               psi=None):
    """Image of a 2D cell array ``a[i, j]`` (x along i) with contours at the phase cuts:
    white at alpha/beta, red at beta/Li metal, black grain boundaries where ``grains`` differ,
    and the solid's edge ``psi = 1/2`` dashed grey where a ``psi`` field is given."""
    h, o = [float(v) for v in spacing], [float(v) for v in origin]
    extent = (o[0], o[0] + a.shape[0] * h[0], o[1], o[1] + a.shape[1] * h[1])
    import matplotlib

    a = np.ma.masked_invalid(a)
    vmin, vmax = clim or ph.vrange or (float(a.min()), float(a.max()))
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="0.88")
    im = ax.imshow(a.T, origin="lower", extent=extent, cmap=cmap, vmin=vmin, vmax=vmax,
                   interpolation="nearest")
    xc = o[0] + (np.arange(a.shape[0]) + 0.5) * h[0]
    yc = o[1] + (np.arange(a.shape[1]) + 0.5) * h[1]
    if a.shape[1] > 1:
        for level, colour in ((ph.beta_cut, "white"), (ph.li_cut, LI_COLOUR)):
            if level is not None and a.min() < level < a.max():
                ax.contour(xc, yc, a.T, levels=[level], colors=colour, linewidths=1.2)
        if grains is not None and grains.min() != grains.max():
            g = np.asarray(grains, float)
            ax.contour(xc, yc, g.T, levels=np.arange(g.max()) + 0.5, colors="black", linewidths=0.6)
        if psi is not None and psi.min() < 0.5 < psi.max():
            ax.contour(xc, yc, psi.T, levels=[0.5], colors="0.6", linewidths=1.0, linestyles="dashed")
    ax.set_aspect("equal")
    unit = " (um)" if run.problem.startswith("lial") else ""
    ax.set_xlabel("x" + unit)
    ax.set_ylabel("y" + unit)
    if title:
        ax.set_title(title, fontsize=9)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, label=field, shrink=0.85)
    return im


def snapshot_title(run: rio.Run, index: int, t: float) -> str:
    return f"{run.name}  step {index}  t = {rio.format_time(t, run.time_unit)}"


def render_snapshot_image(run: rio.Run, index: int = -1, clip=None, slices=None,
                          window_size=(900, 700)) -> np.ndarray:
    """RGB image (uint8, H x W x 3) of snapshot ``index`` (3D render or 2D image)."""
    index, t, path = run.step(index)
    mesh = rio.read_snapshot(path)
    title = snapshot_title(run, index, t)
    if len(rio.grid_shape(mesh)) == 3:
        p = render_3d(mesh, run, title, clip=clip, slices=slices, window_size=window_size)
        img = p.screenshot(return_img=True)
        p.close()
        return np.asarray(img)[..., :3]
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(window_size[0] / 100, window_size[1] / 100), dpi=100)
    draw_2d(ax, mesh, run, title)
    fig.tight_layout()
    img = figure_to_array(fig)
    plt.close(fig)
    return img


def figure_to_array(fig) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir")
    ap.add_argument("--step", type=int, default=-1, help="snapshot index in fields.pvd (default -1: the last)")
    ap.add_argument("--clip", choices=("x", "y", "z"), help="cut the 3D view in half normal to this axis")
    ap.add_argument("--slice", nargs="?", const="x,y,z", default=None, metavar="AXES",
                    help="add slices through the centre (default x,y,z)")
    ap.add_argument("--no-shell", action="store_true", help="hide the alpha shell cells")
    ap.add_argument("--out", help="write a PNG here (off-screen) instead of opening a window")
    ap.add_argument("--size", type=rio.window_size, default="900x700", help="image size WxH in pixels")
    args = ap.parse_args(argv)
    rio.prepare_headless()
    try:
        run = rio.load_run(args.run_dir)
        index, t, path = run.step(args.step)
    except (rio.RunDirError, OSError) as err:
        print(f"view3d: {err}", file=sys.stderr)
        return 2
    size = args.size
    interactive = args.out is None and rio.has_display()
    out = Path(args.out) if args.out else run.path / f"view_step_{index:05d}.png"
    mesh = rio.read_snapshot(path)
    title = snapshot_title(run, index, t)
    if len(rio.grid_shape(mesh)) == 3:
        p = render_3d(mesh, run, title, clip=args.clip, slices=args.slice, off_screen=not interactive,
                      window_size=size, show_shell=not args.no_shell)
        if interactive:
            p.show()
            return 0
        p.screenshot(str(out))
        p.close()
    else:
        import matplotlib

        if not interactive:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(size[0] / 100, size[1] / 100), dpi=100)
        draw_2d(ax, mesh, run, title)
        fig.tight_layout()
        if interactive:
            plt.show()
            return 0
        fig.savefig(out)
        plt.close(fig)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
