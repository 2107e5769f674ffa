"""Physical constants (CODATA 2018 exact values) and unit conversions used across the package.

Internal unit system for material models: length in micrometres (um), time in seconds (s),
molar energies in J/mol. Mobilities are then in um^2 mol / (J s) and chemical potentials
in J/mol, so no molar volume is needed except to convert interface energies (J/m^2).
"""

R_GAS = 8.314462618  # J / (mol K)
FARADAY = 96485.33212  # C / mol
K_BOLTZMANN_EV = 8.617333262e-5  # eV / K
CM2_PER_S_TO_UM2_PER_S = 1.0e8  # 1 cm^2/s = 1e8 um^2/s
ANGSTROM_TO_CM = 1.0e-8
M_TO_UM = 1.0e6
ROOM_TEMPERATURE = 298.15  # K
