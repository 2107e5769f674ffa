"""Electrode geometry: particle packings, smoothed-boundary fields, electrolyte contact, Li/Al.

The electrode is a slab (DESIGN 2.4). Axis 0 runs from the solid electrolyte (SE) to the
copper current collector; the other axes are periodic. All lengths are in um. The box
``(L0, L1[, L2])`` is the whole computational domain (the grid's lengths):

    0 <= x0 < g        solid-electrolyte layer (``gap``, may be 0), psi = 0
    x0 = g             SE face: the first particle layer is pressed against it
    g < x0 < L0        electrode: pressed powder at solid fraction phi
    x0 = L0            current collector (no flux; the grid boundary)

Particles are discs (2D; areas are per um of depth) or spheres (3D). Neighbours overlap by a
small positive amount ``h_ij = r_i + r_j - |c_i - c_j|``, ``0 < h_ij <= c min(r_i, r_j)``
(``c`` = ``contact_overlap``), the flattened contacts of a pressed powder, so the solid is one
connected network. The first layer penetrates the SE face by up to ``c r_i`` and is cut flat
there (a contact patch of radius ``a = sqrt(2 r p - p^2)`` for a penetration ``p``); the last
layer likewise reaches into the collector, which the grid boundary cuts.

Pieces:
- ``pack_particles``: seeded packing at a target solid fraction (soft-sphere growth to
  jamming, then connectivity-preserving dilution; see its docstring).
- ``rasterize``: smoothed indicator ``psi = [1 - tanh(2 d / w)] / 2`` of the signed distance
  ``d`` to the solid, and per-cell particle labels (smoothed boundary method, Bueno-Orovio,
  Perez-Garcia & Fenton, SIAM J. Sci. Comput. 28, 886 (2006); Yu, Chen & Thornton, Modelling
  Simul. Mater. Sci. Eng. 20, 075008 (2012)).
- ``electrolyte_contact``: the weight ``2 psi |grad psi_E|`` of the electrochemically active
  surface (solid against SE) for the ``|grad psi| j_n`` flux term.
- ``assign_li_al`` / ``initial_X``: the papers' in-situ prelithiation (Li and Al powders mixed
  at Li:Al = x, seed 000 Methods) as per-particle and per-cell Li atom fractions.

Construction runs once per run, so it is plain numpy and returns numpy arrays.
"""

from phasefield.geometry.fields import electrolyte_contact, rasterize, signed_distance, smoothed_indicator
from phasefield.geometry.packing import Packing, PackingError, pack_particles, sample_radii
from phasefield.geometry.prelithiation import MOLAR_VOLUME_AL, MOLAR_VOLUME_LI, assign_li_al, initial_X, two_phase_X

__all__ = [
    "MOLAR_VOLUME_AL",
    "MOLAR_VOLUME_LI",
    "Packing",
    "PackingError",
    "assign_li_al",
    "electrolyte_contact",
    "initial_X",
    "two_phase_X",
    "pack_particles",
    "rasterize",
    "sample_radii",
    "signed_distance",
    "smoothed_indicator",
]
