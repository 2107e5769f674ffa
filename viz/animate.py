"""Animate a run's field snapshots (off-screen): 3D renders or 2D images, one frame per entry
of ``fields.pvd``, with a fixed camera and colour range.

    python viz/animate.py RUN_DIR [--out movie.gif] [--fps 4] [--every 1] [--clip x] [--frames]

Writes a GIF with imageio when it is installed, else with Pillow (a matplotlib dependency);
with ``--frames``, or when neither can write GIFs, a PNG sequence ``<out stem>/frame_00000.png``.
The default output is ``RUN_DIR/animation.gif``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _runio as rio  # noqa: E402
import view3d  # noqa: E402


def render_frames(run: rio.Run, every: int = 1, clip=None, slices=None, window_size=(720, 560)):
    """RGB frames (uint8, H x W x 3) of every ``every``-th snapshot, the last one included."""
    steps = run.steps()
    indices = list(range(0, len(steps), max(every, 1)))
    if indices[-1] != len(steps) - 1:
        indices.append(len(steps) - 1)
    first = rio.read_snapshot(steps[0][1])
    field, ph = rio.scalar_field(first, run)
    clim = ph.vrange
    if clim is None:  # one colour range for the whole series
        lo, hi = np.inf, -np.inf
        for _, path in steps:
            a = np.asarray(rio.read_snapshot(path).cell_data[field])
            lo, hi = min(lo, float(a.min())), max(hi, float(a.max()))
        clim = (lo, hi)
    frames = []
    if len(rio.grid_shape(first)) == 3:
        import pyvista as pv

        p = pv.Plotter(off_screen=True, window_size=window_size)
        for i in indices:
            t, path = steps[i]
            p.clear()
            view3d.render_3d(rio.read_snapshot(path), run, view3d.snapshot_title(run, i, t),
                             clip=clip, slices=slices, plotter=p, clim=clim)
            frames.append(np.asarray(p.screenshot(return_img=True))[..., :3].copy())
        p.close()
    else:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        for i in indices:
            t, path = steps[i]
            fig, ax = plt.subplots(figsize=(window_size[0] / 100, window_size[1] / 100), dpi=100)
            view3d.draw_2d(ax, rio.read_snapshot(path), run, view3d.snapshot_title(run, i, t), clim=clim)
            fig.tight_layout()
            frames.append(view3d.figure_to_array(fig))
            plt.close(fig)
    return frames


def write_gif(frames, out: Path, fps: float) -> bool:
    """GIF via imageio or Pillow; False when neither is available."""
    try:
        import imageio.v2 as imageio

        imageio.mimsave(out, frames, duration=1.0 / fps, loop=0)
        return True
    except ImportError:
        pass
    try:
        from PIL import Image
    except ImportError:
        return False
    images = [Image.fromarray(f) for f in frames]
    images[0].save(out, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    return True


def write_pngs(frames, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, f in enumerate(frames):
        paths.append(folder / f"frame_{k:05d}.png")
        plt.imsave(paths[-1], f)
    return paths


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--out", help="GIF path (default RUN_DIR/animation.gif)")
    ap.add_argument("--fps", type=float, default=4.0)
    ap.add_argument("--every", type=int, default=1, help="use every n-th snapshot (the last is always kept)")
    ap.add_argument("--clip", choices=("x", "y", "z"))
    ap.add_argument("--slice", nargs="?", const="x,y,z", default=None, metavar="AXES")
    ap.add_argument("--frames", action="store_true", help="write a PNG sequence instead of a GIF")
    ap.add_argument("--size", type=rio.window_size, default="720x560", help="frame size WxH in pixels")
    args = ap.parse_args(argv)
    rio.prepare_headless()
    try:
        run = rio.load_run(args.run_dir)
        run.steps()
    except (rio.RunDirError, OSError) as err:
        print(f"animate: {err}", file=sys.stderr)
        return 2
    size = args.size
    frames = render_frames(run, args.every, args.clip, args.slice, size)
    out = Path(args.out) if args.out else run.path / "animation.gif"
    if not args.frames and write_gif(frames, out, args.fps):
        print(out)
    else:
        folder = out.with_suffix("") if out.suffix else out
        write_pngs(frames, folder)
        print(f"{folder}/frame_*.png ({len(frames)} frames)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
