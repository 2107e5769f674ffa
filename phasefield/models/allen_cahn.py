"""Allen-Cahn operator for non-conserved order parameters.

    d eta_i / dt = -L ( dg/d eta_i - kappa_eta lap eta_i )

Semi-implicit treatment (Chen & Shen, Comput. Phys. Commun. 108, 147 (1998)): the gradient
term implicitly, the bulk term explicitly with a linear stabiliser ``S_eta``, giving the
operator ``-L (S_eta + kappa_eta lam)``.
"""

from __future__ import annotations


def allen_cahn_rate(force, L):
    """``-L * dF/deta`` (per time)."""
    return -L * force


def allen_cahn_symbol(L, S, kappa_eta, lam):
    return -L * (S + kappa_eta * lam)
