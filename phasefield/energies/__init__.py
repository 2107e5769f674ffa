"""Free energies. Each local energy is a pytree with ``density``; driving forces come from
``FreeEnergy.derivatives`` by automatic differentiation of the discrete total energy."""

from phasefield.energies.double_well import DoubleWell
from phasefield.energies.functional import FreeEnergy
from phasefield.energies.grains import GrainEnergy
from phasefield.energies.lial import LiAlEnergy

__all__ = ["DoubleWell", "FreeEnergy", "GrainEnergy", "LiAlEnergy"]
