"""Time integrators: semi-implicit spectral, linearly implicit Rosenbrock (ROS2) with GMRES,
explicit finite-difference reference, adaptive dt."""

from phasefield.integrators.adaptive import AdaptiveController, AdaptiveStepper, StepStats
from phasefield.integrators.explicit import ExplicitEuler
from phasefield.integrators.rosenbrock import Rosenbrock2
from phasefield.integrators.semi_implicit import SemiImplicit

__all__ = ["AdaptiveController", "AdaptiveStepper", "ExplicitEuler", "Rosenbrock2", "SemiImplicit", "StepStats"]
