"""Restarted, right-preconditioned GMRES in pure JAX (jit-, vmap- and grad-compatible).

Solves ``T x = b`` for a linear operator given as a function. Each cycle builds an Arnoldi
basis of at most ``restart`` vectors for ``T P`` (modified Gram-Schmidt) and keeps the
least-squares residual up to date with Givens rotations, so the loop stops as soon as
``||b - T x|| <= rtol ||b|| + atol`` (Saad & Schultz, SIAM J. Sci. Stat. Comput. 7, 856
(1986); Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed., Alg. 6.9 and 9.5).
Unlike ``jax.scipy.sparse.linalg.gmres`` it reports the number of iterations and whether it
converged, and it treats ``b = 0`` (solution 0) without iterating.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax


class KrylovInfo(NamedTuple):
    iterations: jnp.ndarray
    residual: jnp.ndarray  # relative residual ||b - T x|| / ||b|| estimated by the recurrence
    converged: jnp.ndarray


def _dot(a, b):
    return jnp.vdot(a, b).real


def _givens(a, b):
    r = jnp.hypot(a, b)
    safe = jnp.where(r > 0, r, 1.0)
    return jnp.where(r > 0, a / safe, 1.0), jnp.where(r > 0, b / safe, 0.0)


def gmres(T: Callable, b, P: Callable | None = None, x0=None, rtol: float = 1e-8,
          atol: float = 0.0, restart: int = 30, max_cycles: int = 10):
    """``(x, KrylovInfo)`` with ``T(x) ~= b``; ``P`` is a right preconditioner (``~T^{-1}``)."""
    P = (lambda v: v) if P is None else P
    x = jnp.zeros_like(b) if x0 is None else x0
    bnorm = jnp.sqrt(_dot(b, b))
    target = rtol * bnorm + atol
    m = restart
    dtype = b.dtype

    def cycle(carry):
        x, _, it, k = carry
        r = b - T(x)
        beta = jnp.sqrt(_dot(r, r))
        V = jnp.zeros((m + 1,) + b.shape, dtype).at[0].set(r / jnp.where(beta > 0, beta, 1.0))
        H = jnp.zeros((m + 1, m), dtype)
        g = jnp.zeros(m + 1, dtype).at[0].set(beta)
        cs = jnp.zeros(m, dtype)
        sn = jnp.zeros(m, dtype)

        def arnoldi_cond(c):
            j, _, _, g, _, _ = c
            return (j < m) & (jnp.abs(g[j]) > target)

        def arnoldi(c):
            j, V, H, g, cs, sn = c
            w = T(P(V[j]))

            def ortho(i, wh):
                w, h = wh
                hij = _dot(V[i], w)
                return w - hij * V[i], h.at[i].set(hij)

            # over the j + 1 basis vectors built so far only (a loop over all m + 1, masked,
            # made each iteration cost as much as the restart length)
            w, h = lax.fori_loop(0, j + 1, ortho, (w, jnp.zeros(m + 1, dtype)))
            hn = jnp.sqrt(_dot(w, w))
            h = h.at[j + 1].set(hn)
            V = V.at[j + 1].set(w / jnp.where(hn > 0, hn, 1.0))

            def rotate(i, h):
                a, bb = h[i], h[i + 1]
                return h.at[i].set(cs[i] * a + sn[i] * bb).at[i + 1].set(-sn[i] * a + cs[i] * bb)

            h = lax.fori_loop(0, j, rotate, h)
            c_, s_ = _givens(h[j], h[j + 1])
            h = h.at[j].set(c_ * h[j] + s_ * h[j + 1]).at[j + 1].set(0.0)
            g = g.at[j + 1].set(-s_ * g[j]).at[j].set(c_ * g[j])
            return j + 1, V, H.at[:, j].set(h), g, cs.at[j].set(c_), sn.at[j].set(s_)

        j, V, H, g, cs, sn = lax.while_loop(arnoldi_cond, arnoldi, (0, V, H, g, cs, sn))
        # back substitution on the rotated (upper-triangular) H[:j, :j]
        def back(i, y):
            row = j - 1 - i
            s = g[row] - jnp.dot(H[row, :], y)
            d = H[row, row]
            return y.at[row].set(jnp.where((row >= 0) & (d != 0), s / jnp.where(d != 0, d, 1.0), 0.0))

        y = lax.fori_loop(0, m, back, jnp.zeros(m, dtype))
        update = jnp.tensordot(y, V[:m], axes=1)
        x = x + P(update)
        return x, jnp.abs(g[j]), it + j, k + 1

    def cond(carry):
        _, res, _, k = carry
        return (res > target) & (k < max_cycles)

    init = (x, jnp.asarray(jnp.inf, dtype), jnp.asarray(0, jnp.int32), jnp.asarray(0, jnp.int32))
    x, res, it, _ = lax.while_loop(cond, cycle, init)
    rel = res / jnp.where(bnorm > 0, bnorm, 1.0)
    return x, KrylovInfo(it, rel, res <= target)


__all__ = ["gmres", "KrylovInfo"]
