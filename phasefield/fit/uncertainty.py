"""Parameter uncertainties from the residual Jacobian (Gauss-Newton / linearised least squares).

For residuals ``r(u)`` (n,) at the optimum, with Jacobian ``J = dr/du`` (n, p),

    s^2   = sum r^2 / (n - p)                 residual variance (1 when the targets' sigma is the noise)
    C_u   = s^2 (J^T J)^-1                     covariance of the unconstrained variables
    C_p   = D C_u D,   D = diag(dp_i/du_i)     covariance in physical units (delta method
                                               through each transform p_i = T_i(u_i))

(Seber & Wild, Nonlinear Regression, 1989, Sec. 2.1; Bates & Watts 1988, Sec. 2.3). The
inverse is taken by an SVD pseudo-inverse; ``condition`` is the condition number of
``J^T J`` so that a near-degenerate pair of parameters is visible in the report.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from phasefield.fit.params import physical


@dataclasses.dataclass(frozen=True)
class Uncertainty:
    """``sigma_p`` (p,) in physical units, ``cov_p`` (p, p), ``corr`` (p, p), ``sigma_u`` (p,),
    residual variance ``s2``, degrees of freedom ``dof`` and ``condition`` of J^T J."""

    sigma_p: np.ndarray
    cov_p: np.ndarray
    corr: np.ndarray
    sigma_u: np.ndarray
    s2: float
    dof: int
    condition: float


def gauss_newton(params, u, J, r) -> Uncertainty:
    """Covariance of the fitted parameters (module docstring) from ``J`` (n, p) and ``r`` (n,)."""
    J, r = np.asarray(J, float), np.asarray(r, float)
    n, p = J.shape
    dof = n - p
    s2 = float(r @ r / dof) if dof > 0 else float("nan")
    JTJ = J.T @ J
    cov_u = s2 * np.linalg.pinv(JTJ, rcond=1e-13, hermitian=True)
    eig = np.linalg.eigvalsh(JTJ) if p else np.ones(1)
    condition = float(eig[-1] / eig[0]) if eig[0] > 0 else float("inf")
    D = np.asarray(jax.jacfwd(lambda v: physical(params, v))(jnp.asarray(u, dtype=jnp.float64))).reshape(p, p)
    cov_p = D @ cov_u @ D.T
    sigma_u = np.sqrt(np.maximum(np.diag(cov_u), 0.0))
    sigma_p = np.sqrt(np.maximum(np.diag(cov_p), 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov_u / np.outer(sigma_u, sigma_u)
    return Uncertainty(sigma_p, cov_p, corr, sigma_u, s2, dof, condition)
