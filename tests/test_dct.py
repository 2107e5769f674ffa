"""The real-FFT DCT-II / DCT-III of ``phasefield.dct`` (Makhoul 1980) against scipy.

Two independent implementations must agree: ``dct2`` equals ``scipy.fft.dct(type=2,
norm="ortho")`` and ``idct2`` its inverse, to 1e-13 on O(1) data, for even and odd lengths,
every axis of 1D/2D/3D arrays; ``Grid.forward`` / ``inverse`` on mixed periodic / no-flux
grids equal scipy's DCT + numpy's rfftn and round-trip to 1e-13; float32 stays float32.
"""

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.fft as sfft

from phasefield.dct import dct2, dctn2, idct2, idctn2
from phasefield.grid import Grid

SHAPES = [(2,), (3,), (8,), (9,), (6, 7), (5, 4), (3, 4, 5), (6, 5, 8)]


@pytest.mark.parametrize("shape", SHAPES)
def test_dct2_and_inverse_match_scipy(shape):
    x = np.random.default_rng(len(shape) + shape[0]).standard_normal(shape)
    for ax in range(len(shape)):
        ref = sfft.dct(x, type=2, axis=ax, norm="ortho")
        np.testing.assert_allclose(np.asarray(dct2(jnp.asarray(x), ax)), ref, rtol=0, atol=1e-13)
        np.testing.assert_allclose(np.asarray(idct2(jnp.asarray(ref), ax)), x, rtol=0, atol=1e-13)
    axes = tuple(range(len(shape)))
    np.testing.assert_allclose(np.asarray(dctn2(jnp.asarray(x), axes)), sfft.dctn(x, norm="ortho"), rtol=0, atol=1e-13)
    np.testing.assert_allclose(np.asarray(idctn2(jnp.asarray(sfft.dctn(x, norm="ortho")), axes)), x, rtol=0, atol=1e-13)


@pytest.mark.parametrize("bc", [("noflux", "noflux"), ("periodic", "noflux"), ("noflux", "periodic", "noflux")])
def test_grid_transforms_match_scipy_and_round_trip(bc):
    shape = (6, 9, 4)[: len(bc)]
    grid = Grid.create(shape, 0.5, bc)
    a = np.random.default_rng(7).standard_normal((2, *shape))  # a leading batch axis (grains)
    noflux = tuple(d - len(bc) for d, b in enumerate(bc) if b == "noflux")
    periodic = tuple(d - len(bc) for d, b in enumerate(bc) if b == "periodic")
    ref = sfft.dctn(a, type=2, axes=noflux, norm="ortho")
    ref = np.fft.rfftn(ref, axes=periodic) if periodic else ref
    hat = grid.forward(jnp.asarray(a))
    assert hat.shape == ref.shape and hat.shape[1:] == grid.spectral_shape
    np.testing.assert_allclose(np.asarray(hat), ref, rtol=0, atol=1e-13)
    np.testing.assert_allclose(np.asarray(grid.inverse(hat)), a, rtol=0, atol=1e-13)
    # the Laplacian eigenvalues in this layout diagonalise the finite-volume Laplacian
    lap = grid.filter(jnp.asarray(a), -grid.laplacian_eigenvalues())
    np.testing.assert_allclose(np.asarray(lap), np.asarray(grid.laplacian(jnp.asarray(a))), rtol=0, atol=1e-12)


def test_float32_stays_float32_and_is_accurate():
    x = np.random.default_rng(1).standard_normal((16, 12))
    y = dctn2(jnp.asarray(x, dtype=jnp.float32), (0, 1))
    assert y.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(y), sfft.dctn(x, norm="ortho"), rtol=0, atol=1e-5)
    assert idctn2(y, (0, 1)).dtype == jnp.float32
