"""Time integrators: semi-implicit spectral, explicit finite-difference reference, adaptive dt."""

from phasefield.integrators.adaptive import AdaptiveController, AdaptiveStepper, StepStats
from phasefield.integrators.explicit import ExplicitEuler
from phasefield.integrators.semi_implicit import SemiImplicit

__all__ = ["AdaptiveController", "AdaptiveStepper", "ExplicitEuler", "SemiImplicit", "StepStats"]
