"""Material data with sources. Diffusivity parameters for seed 000 Eq. 1,

    D* = g r^2 f nu x_va exp(-E / (k_B T)),

are given in the units of the table in DESIGN 2.3 (r in Angstrom, nu in Hz, E in eV) and
converted where used.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class HopParameters:
    """Parameters of seed 000 Eq. 1 for one phase.

    g: geometric prefactor (Gamma/6, Gamma nearest neighbours available to the hop).
    r: hop distance (Angstrom). f: correlation factor. nu: attempt frequency (Hz).
    E: migration barrier (eV). x_va: vacancy fraction, or ``None`` when it depends on x.
    source: where the numbers come from.
    """

    g: float
    r: float
    f: float
    nu: float
    E: float
    x_va: float | None
    source: str


ALPHA_AL = HopParameters(
    g=2.0, r=2.85, f=0.78, nu=7e13, E=0.43, x_va=5.29e-9,
    source="seed 000 Methods: FCC alpha-Al, Gamma=12, f=0.78, x_va from DFT formation energy",
)
BETA_LIAL = HopParameters(
    g=4.0 / 6.0, r=2.75, f=0.5, nu=1e13, E=0.13, x_va=None,
    source="seed 000 Methods: B32 LiAl, Li on its diamond sublattice, Gamma=4, f=0.5, x_va = 1 - x",
)

#: Li self-diffusivity of bcc Li metal at room temperature, cm^2/s (seed 001, ref. 17).
D_LI_METAL = 1.6e-10
#: Li tracer diffusivity in B32 LiZn at 300 K spans 1e-15 to 1e-13 cm^2/s (seed 001, Fig. 4);
#: the geometric mean is the preset value.
D_LIZN = 1.0e-14
#: Vacancy fraction of beta-LiAl beyond x = 1, where vacancies are only thermally activated
#: (seed 000 Results). The seeds give no number; 1e-4 is an assumption of this preset and a
#: deck parameter.
BETA_VACANCY_FLOOR = 1.0e-4
