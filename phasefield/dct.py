"""Orthonormal type-II discrete cosine transform and its inverse through a real FFT.

For ``x_n``, ``n = 0..N-1`` along one axis, the orthonormal DCT-II is

    X_k = c_k sum_n 2 x_n cos(pi k (2n + 1) / (2N)),   c_0 = sqrt(1/(4N)),  c_k = sqrt(1/(2N)),

(the ``norm="ortho"`` convention of ``scipy.fft.dct``), and its inverse is the orthonormal
DCT-III. Both are computed with one real FFT of length N (Makhoul, IEEE Trans. ASSP 28, 27
(1980), Sec. II): reorder ``v = (x_0, x_2, x_4, ..., x_5, x_3, x_1)`` (even samples, then the
odd ones reversed); with ``V = rfft(v)`` (``k = 0..N/2``) and ``Z_k = 2 c_k exp(-i pi k / (2N)) V_k``

    X_k = Re Z_k,    X_{N-k} = -Im Z_k,    k = 0..floor(N/2)

because ``V_{N-k} = conj(V_k)`` for a real ``v``. The inverse solves the same relations for
``Z_k``, undoes the twiddle and ``irfft``s, then restores the order. Work per axis: one real FFT
of N points and O(N) twiddles, half the floating-point work of a complex FFT of N points and a
quarter of the mirrored 2N-point construction.

``dct2`` / ``idct2`` act along one axis of a real array of any rank and keep its floating dtype
(float32 in, float32 out); the twiddles are computed in float64 by numpy and cast once.
"""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np
from jax import lax


@functools.lru_cache(maxsize=None)
def _twiddle(n: int) -> np.ndarray:
    """``2 c_k exp(-i pi k / (2N))`` for ``k = 0..N//2`` (complex128, read-only)."""
    k = np.arange(n // 2 + 1)
    c = np.full(k.shape, np.sqrt(1.0 / (2 * n)))
    c[0] = np.sqrt(1.0 / (4 * n))
    w = 2.0 * c * np.exp(-0.5j * np.pi * k / n)
    w.setflags(write=False)
    return w


def _along(vec: np.ndarray, ndim: int, axis: int, dtype) -> jnp.ndarray:
    """A 1D constant shaped to broadcast along ``axis`` of an ``ndim`` array."""
    shape = [1] * ndim
    shape[axis] = vec.size
    return jnp.asarray(vec.reshape(shape), dtype=dtype)


def _complex_dtype(real_dtype):
    return jnp.complex64 if jnp.dtype(real_dtype) == jnp.float32 else jnp.complex128


def dct2(x: jnp.ndarray, axis: int) -> jnp.ndarray:
    """Orthonormal DCT-II of a real array along ``axis`` (see the module docstring)."""
    axis = axis % x.ndim
    n = x.shape[axis]
    even = lax.slice_in_dim(x, 0, None, 2, axis)
    odd = lax.rev(lax.slice_in_dim(x, 1, None, 2, axis), (axis,))
    v = lax.concatenate([even, odd], axis)
    V = jnp.fft.rfft(v, axis=axis)
    Z = V * _along(_twiddle(n), x.ndim, axis, V.dtype)
    high = lax.rev(lax.slice_in_dim(Z, 1, n - n // 2, 1, axis), (axis,))  # k = N-1 .. N//2+1
    return lax.concatenate([jnp.real(Z), -jnp.imag(high)], axis)


def idct2(X: jnp.ndarray, axis: int) -> jnp.ndarray:
    """Inverse of ``dct2`` (the orthonormal DCT-III) along ``axis``."""
    axis = axis % X.ndim
    n = X.shape[axis]
    h = n // 2
    low = lax.slice_in_dim(X, 0, h + 1, 1, axis)                       # X_k,     k = 0..N//2
    mirrored = lax.rev(lax.slice_in_dim(X, n - h, n, 1, axis), (axis,))  # X_{N-k}, k = 1..N//2
    zero = jnp.zeros_like(lax.slice_in_dim(X, 0, 1, 1, axis))
    imag = lax.concatenate([zero, mirrored], axis)
    cdt = _complex_dtype(X.dtype)
    Z = lax.complex(low, -imag)
    V = Z * _along(1.0 / _twiddle(n), X.ndim, axis, cdt)
    v = jnp.fft.irfft(V, n=n, axis=axis)
    # undo the reordering: x_{2m} = v_m, x_{2m+1} = v_{N-1-m}
    first = lax.slice_in_dim(v, 0, n - h, 1, axis)               # ceil(N/2) even samples
    second = lax.rev(lax.slice_in_dim(v, n - h, n, 1, axis), (axis,))  # floor(N/2) odd samples
    if n % 2:
        pad = [(0, 0, 0)] * X.ndim
        pad[axis] = (0, 1, 0)
        second = lax.pad(second, jnp.zeros((), v.dtype), pad)
    pairs = jnp.stack([first, second], axis=axis + 1)
    shape = list(X.shape)
    shape[axis] = 2 * (n - h)
    return lax.slice_in_dim(pairs.reshape(shape), 0, n, 1, axis)


def dctn2(x: jnp.ndarray, axes) -> jnp.ndarray:
    """``dct2`` along each of ``axes`` in turn."""
    for ax in axes:
        x = dct2(x, ax)
    return x


def idctn2(X: jnp.ndarray, axes) -> jnp.ndarray:
    """``idct2`` along each of ``axes`` in turn (inverse of ``dctn2``)."""
    for ax in axes:
        X = idct2(X, ax)
    return X
