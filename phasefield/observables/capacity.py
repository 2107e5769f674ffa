"""Capacity, utilisation and reversibility of a protocol from its record of the Li content
(DESIGN 5; seed 000 reports reversibility down to 44 % and 33 % utilisation for pure Al).
Pure jnp functions (traceable, differentiable).

Li content: ``U = int psi X dV`` in um^3 (in 2D: um^2 per um of depth, i.e. um^3 for a unit
depth), the amount the smoothed-boundary solver conserves; X counts Li per lattice site and ``molar_volume`` (m^3 per
mol of sites, ``LiAlEnergy.molar_volume``) turns site volumes into moles. The charge per
projected electrolyte-face area A in um^2 (in 2D: um per um of depth; ``Domain.face_area``)
is

    Q / A [mAh/cm^2] = F U / (Vm A) * 1e-6 / 3.6e4

(1e-6: um^3/um^2 = um -> m; 1 C/m^2 = 1/3.6e4 mAh/cm^2), the conversion of ``setup.py``'s
``capacity_mAh_per_cm2`` column.
"""

from __future__ import annotations

import jax.numpy as jnp

from phasefield.constants import FARADAY
from phasefield.grid import Grid

_UM_TO_M = 1e-6
_C_PER_M2_TO_MAH_PER_CM2 = 1.0 / 3.6e4


def capacity_mAh_per_cm2(li_amount_um3, face_area_um2, molar_volume_m3_per_mol):
    """Charge of a Li amount per face area, mAh/cm^2 (module docstring). Works elementwise on a
    record of amounts (e.g. ``U(t) - U(0)``)."""
    return FARADAY * li_amount_um3 / (molar_volume_m3_per_mol * face_area_um2) * _UM_TO_M \
        * _C_PER_M2_TO_MAH_PER_CM2


def half_cycle_capacities_mAh_per_cm2(li_content_um3, face_area_um2, molar_volume_m3_per_mol):
    """Lithiation and delithiation capacity (mAh/cm^2) of a record ``U_0 .. U_n`` of the Li
    content (um^3, in time order):

        Q_lith = C sum_k max(U_{k+1} - U_k, 0),   Q_delith = C sum_k max(U_k - U_{k+1}, 0)

    with ``C`` the conversion of ``capacity_mAh_per_cm2``. For one lithiation followed by one
    delithiation this is ``max U - U_0`` and ``max U - U_n``; over several cycles it sums the
    half cycles. The solver conserves U to round-off except for the electrode flux, so the
    increments carry the sign of the current; record at least at every current reversal.

    Returns ``(Q_lith, Q_delith)``, both >= 0.
    """
    dU = jnp.diff(jnp.asarray(li_content_um3))
    up = jnp.sum(jnp.maximum(dU, 0.0))
    down = jnp.sum(jnp.maximum(-dU, 0.0))
    to_q = lambda u: capacity_mAh_per_cm2(u, face_area_um2, molar_volume_m3_per_mol)  # noqa: E731
    return to_q(up), to_q(down)


def protocol_capacities_mAh_per_cm2(records, face_area_um2, molar_volume_m3_per_mol):
    """Lithiation and delithiation capacity (mAh/cm^2) of a protocol from its step records
    (``phasefield.protocol.StepRecord``, or anything with ``amount_start`` and ``amount_end``,
    the Li content ``sum psi X dV`` in um^3 at the ends of each step):

        Q_lith = C sum_steps max(dU, 0),   Q_delith = C sum_steps max(-dU, 0),
        dU = amount_end - amount_start

    A constant-current step moves U one way only, so its dU is its capacity; rests at zero
    net current leave U unchanged. Returns ``(Q_lith, Q_delith)``.
    """
    dU = jnp.asarray([r.amount_end - r.amount_start for r in records])
    to_q = lambda u: capacity_mAh_per_cm2(u, face_area_um2, molar_volume_m3_per_mol)  # noqa: E731
    return to_q(jnp.sum(jnp.maximum(dU, 0.0))), to_q(jnp.sum(jnp.maximum(-dU, 0.0)))


def theoretical_capacity_mAh_per_cm2(psi, grid: Grid, face_area_um2, molar_volume_m3_per_mol, X_full=0.5):
    """Capacity (mAh/cm^2) of turning the whole solid from pure Al (X = 0) into LiAl
    (``X_full = Xc = 1/2``, x = 1 Li per Al):

        Q_th = C X_full int psi dV

    On the model's fixed lattice of sites (X per site, Vm per mol of sites) this is the Li that
    fills every site of the solid to LiAl; it does not follow the 96 % volume expansion of
    alpha -> beta, which the model does not carry.
    """
    return capacity_mAh_per_cm2(X_full * grid.integrate(psi), face_area_um2, molar_volume_m3_per_mol)


def utilisation(lithiation_mAh_per_cm2, theoretical_mAh_per_cm2):
    """Lithiation capacity over the theoretical capacity of the Al to LiAl (dimensionless)."""
    return lithiation_mAh_per_cm2 / theoretical_mAh_per_cm2


def reversibility(lithiation_mAh_per_cm2, delithiation_mAh_per_cm2):
    """Delithiation over lithiation capacity (dimensionless; seed 000's reversibility, and the
    initial coulombic efficiency for the first cycle)."""
    return delithiation_mAh_per_cm2 / lithiation_mAh_per_cm2
