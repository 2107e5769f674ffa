"""Colouring of Voronoi grains onto order parameters, checked on random tessellations.

``colour_grains`` (DSatur, Brelaz, Commun. ACM 22, 251 (1979)) must give a proper colouring of
the graph "grains within ``reach`` cells (Chebyshev, periodic images included)": no two such
grains on one field, which the multi-order-parameter model (Moelans, Blanpain & Wollants,
PRB 78, 024113 (2008)) needs so that neighbouring grains cannot coalesce. The checks use an
independent brute-force distance between the cells of every same-field pair, not the
package's neighbour search, and DSatur's guarantee that ``max degree + 1`` fields always
suffice. The smoothed initial fields (``order_parameters``) must sum to 1 and leave every grain
with one dominant field, its own: the grain map read back from them (``grain_map``) has one
core per grain, on the grain's field.

Hypothesis draws 2D and 3D grids, periodic and no-flux axes (mixed too), grain counts and
reach 1 or 2.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phasefield.grains.colouring import ColouringError, colour_grains, dsatur, grain_adjacency, order_parameters
from phasefield.grains.lattice import neighbour_pairs
from phasefield.grains.remap import grain_map
from phasefield.grains.voronoi import voronoi_grains
from phasefield.grid import Grid


def _min_chebyshev(cells_a, cells_b, shape, periodic):
    """Smallest Chebyshev distance (cells) between two sets of cell indices, minimum image
    on periodic axes: the reference the package's neighbour search is checked against."""
    d = np.abs(cells_a[:, None, :] - cells_b[None, :, :])
    for ax, per in enumerate(periodic):
        if per:
            d[..., ax] = np.minimum(d[..., ax], shape[ax] - d[..., ax])
    return int(d.max(axis=2).min())


def _brute_pairs(labels, periodic, reach):
    n = int(labels.max()) + 1
    cells = [np.argwhere(labels == g) for g in range(n)]
    return {(a, b) for a, b in itertools.combinations(range(n), 2)
            if _min_chebyshev(cells[a], cells[b], labels.shape, periodic) <= reach}


tessellations = st.fixed_dictionaries({
    "ndim": st.sampled_from([2, 3]),
    "size": st.integers(10, 28),
    "n_grains": st.integers(2, 30),
    "bc": st.sampled_from(["periodic", "noflux", "mixed"]),
    "reach": st.sampled_from([1, 2]),
    "seed": st.integers(0, 2**31 - 1),
})


def _grid(case):
    ndim, size = case["ndim"], case["size"] if case["ndim"] == 2 else case["size"] // 2 + 4
    bc = case["bc"] if case["bc"] != "mixed" else ("periodic", "noflux", "periodic")[:ndim]
    return Grid.create((size,) * ndim, 0.5, bc)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tessellations)
def test_colouring_is_proper_on_random_tessellations(case):
    grid = _grid(case)
    periodic = tuple(b == "periodic" for b in grid.bc)
    labels = voronoi_grains(grid, n_grains=case["n_grains"], seed=case["seed"])
    n = int(labels.max()) + 1
    reference = _brute_pairs(labels, periodic, case["reach"])
    edges = grain_adjacency(labels, grid.bc, case["reach"])
    assert {tuple(e) for e in edges.tolist()} == reference

    degree = np.bincount(edges.ravel(), minlength=n) if len(edges) else np.zeros(n, dtype=int)
    n_fields = int(degree.max()) + 1
    colours = colour_grains(labels, grid.bc, n_fields, reach=case["reach"])
    assert colours.shape == (n,) and colours.min() >= 0 and colours.max() < n_fields
    for a, b in reference:
        assert colours[a] != colours[b], f"grains {a} and {b} within {case['reach']} cells share field {colours[a]}"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tessellations)
def test_initial_fields_have_one_dominant_field_per_grain(case):
    grid = _grid(case)
    labels = voronoi_grains(grid, n_grains=case["n_grains"], seed=case["seed"])
    n = int(labels.max()) + 1
    n_fields = int(np.bincount(grain_adjacency(labels, grid.bc, case["reach"]).ravel(), minlength=n).max()) + 1
    colours = colour_grains(labels, grid.bc, n_fields, reach=case["reach"])
    width = grid.spacing[0]  # w = h: the smoothing the fields get is 0.8 w
    eta = order_parameters(labels, colours, n_fields, grid, width)
    assert eta.shape == (n_fields, *grid.shape)
    np.testing.assert_allclose(eta.sum(axis=0), 1.0, atol=1e-12)
    assert eta.min() >= 0.0 and eta.max() <= 1.0

    # every cell's strongest field is its grain's, except in the grain boundary (the cells
    # with a face neighbour in another grain), where the smoothing may tip the balance
    dominant = np.argmax(eta, axis=0)
    periodic = tuple(b == "periodic" for b in grid.bc)
    boundary = np.zeros(grid.shape, dtype=bool)
    for ax in range(grid.ndim):
        for s in (1, -1):
            other = np.roll(labels, s, axis=ax)
            differs = other != labels
            if not periodic[ax]:
                edge = [slice(None)] * grid.ndim
                edge[ax] = 0 if s == 1 else -1
                differs[tuple(edge)] = False
            boundary |= differs
    inner = ~boundary
    np.testing.assert_array_equal(dominant[inner], colours[labels[inner]])

    # the grain map read back from the fields: one core on the inner cells of each grain, on
    # the grain's colour, and no core reaching into the inner cells of another grain
    gmap = grain_map(eta, grid.bc)
    for g in np.unique(labels[inner]):
        cores = np.unique(gmap.ids[(labels == g) & inner & (gmap.ids >= 0)])
        assert cores.size == 1, f"grain {g} has {cores.size} cores"
        assert gmap.field[cores[0]] == colours[g]
        assert np.all(labels[(gmap.ids == cores[0]) & inner] == g), f"the core of grain {g} leaks into another grain"


def test_dsatur_reaches_the_chromatic_number_of_lattice_graphs():
    """Quantitative sibling: one grain per cell of a periodic lattice with even sides and
    Chebyshev reach 1. Every 2^d block of cells is a clique, so 2^d colours are needed, and the
    parity colouring shows 2^d suffice; DSatur must succeed with exactly 2^d fields and must
    raise a ``ColouringError`` naming the fix with one fewer."""
    for shape in [(8, 8), (6, 10), (4, 4, 4), (4, 6, 8)]:
        labels = np.arange(np.prod(shape)).reshape(shape)
        edges = neighbour_pairs(labels, (True,) * len(shape), 1)
        chromatic = 2 ** len(shape)
        colours = dsatur(labels.size, edges, chromatic)
        assert colours.max() < chromatic
        assert not np.any(colours[edges[:, 0]] == colours[edges[:, 1]])
        try:
            dsatur(labels.size, edges, chromatic - 1)
        except ColouringError as err:
            assert "order parameters" in str(err)
        else:
            raise AssertionError(f"{chromatic - 1} colours cannot colour the {shape} Chebyshev lattice graph")
