"""Pulverization: turn an electrode microstructure into a network of grains (DESIGN 2.5).

After cycling, seed 000 finds the particles broken into grains of a few um, each a beta
domain wrapped in a thin alpha layer (mean beta-domain sizes after the first discharge: pure
Al 4.877 um, Li0.25Al 2.783 um, Li0.5Al 2.326 um, Li0.75Al 1.607 um). ``pulverize`` cuts the
solid (``psi >= 1/2``; inside each particle when particle labels are given, so grains never
cross particle boundaries) into Voronoi grains of the target mean size
(``phasefield.grains.voronoi``), colours them onto ``n_fields`` order parameters
(``phasefield.grains.colouring``) and returns their smoothed fields renormalised to sum to psi, so a run can
continue with the grain energy and grain-boundary transport from the given Li field.

With ``alpha_layer`` (um) it also builds the discharged network itself: every solid cell
within ``alpha_layer`` of a grain boundary or of the solid's surface gets the alpha
composition ``X_alpha`` and every other cell the beta composition ``X_beta`` (distances are
exact Euclidean distances between cell centres, ``scipy.ndimage``), i.e. beta grains in
alpha layers of thickness ~``alpha_layer`` on each side of a boundary. The cells outside the
solid (``psi < 1/2``: the smoothed rim and the pores) get ``X_alpha`` too: the rim is the
outer part of the surface layer, and a rim at X = 0 would hold Li far below the alpha
solubility, at a chemical potential that with the dilute-alpha energy goes to -infinity.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import ndimage

from phasefield.grains.colouring import colour_grains, order_parameters
from phasefield.grains.lattice import periodic_axes, shifted
from phasefield.grains.voronoi import voronoi_grains
from phasefield.grid import Grid


@dataclasses.dataclass(frozen=True, eq=False)
class GrainNetwork:
    """``eta`` (n_fields, *grid.shape), per-cell grain ``labels`` (-1 outside the solid), the
    field of each grain (``colours``) and the Li field ``X`` (unchanged without an alpha
    layer)."""

    eta: np.ndarray
    labels: np.ndarray
    colours: np.ndarray
    X: np.ndarray


def _boundary_cells(labels: np.ndarray, periodic) -> np.ndarray:
    """Cells of a grain with a face neighbour of another grain or outside the solid."""
    edge = np.zeros(labels.shape, dtype=bool)
    for ax in range(labels.ndim):
        for sgn in (1, -1):
            s = tuple(sgn * int(d == ax) for d in range(labels.ndim))
            other = shifted(labels, s, periodic, fill=-2)
            edge |= (labels >= 0) & (other != labels) & (other != -2)
    return edge


def pulverize(grid: Grid, X, psi, grain_size: float, n_fields: int, width: float, seed: int = 0,
              particle_labels=None, alpha_layer: float | None = None, X_alpha: float = 0.0476,
              X_beta: float = 0.4872, reach: int = 1) -> GrainNetwork:
    """Grains of mean equivalent diameter ``grain_size`` (um) in the solid of ``psi`` (module
    docstring). ``width``: half-width of the grain boundaries of the smoothed fields (um);
    ``reach``: grains within this many cells never share a field."""
    psi = np.asarray(psi, dtype=np.float64)
    solid = psi >= 0.5
    if not solid.any():
        raise ValueError("psi has no solid cells (psi >= 1/2) to pulverize")
    region = solid if particle_labels is None else np.where(solid, np.asarray(particle_labels), -1)
    labels = voronoi_grains(grid, grain_size=grain_size, seed=seed, region=region)
    colours = colour_grains(labels, grid.bc, n_fields, reach=reach)
    eta = order_parameters(labels, colours, n_fields, grid, width)
    # smoothing spreads each grain's indicator into the pores too, so near particle surfaces the
    # fields would sum to less than 1: renormalise so that they partition the solid, sum = psi
    total = eta.sum(axis=0)
    eta = np.where(total > 1e-12, eta / np.maximum(total, 1e-12), 0.0) * psi
    X = np.array(X, dtype=np.float64, copy=True)
    if alpha_layer is not None:
        if not alpha_layer > 0:
            raise ValueError(f"alpha_layer must be a positive thickness in um; got {alpha_layer}")
        edge = _boundary_cells(labels, periodic_axes(grid.bc, grid.ndim))
        # distance of every cell centre to the nearest boundary cell; periodic axes by tiling
        reps = [3 if p else 1 for p in periodic_axes(grid.bc, grid.ndim)]
        tiled = np.tile(~edge, reps)
        dist = ndimage.distance_transform_edt(tiled, sampling=grid.spacing)
        centre = tuple(slice(n, 2 * n) if r == 3 else slice(0, n) for n, r in zip(grid.shape, reps))
        dist = dist[centre]
        # boundary cells sit half a cell inside the grain; the layer is measured from the boundary
        layer = dist + 0.5 * min(grid.spacing) <= alpha_layer
        X = np.where(solid, np.where(layer, X_alpha, X_beta), X_alpha)
    return GrainNetwork(eta, labels, colours, X)


__all__ = ["GrainNetwork", "pulverize"]
