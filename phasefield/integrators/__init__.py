"""Time integrators: semi-implicit spectral, second-order exponential (ETDRK2), linearly
implicit Rosenbrock (ROS2) with GMRES, explicit finite-difference reference, adaptive dt."""

from phasefield.integrators.adaptive import AdaptiveController, AdaptiveStepper, StepStats
from phasefield.integrators.explicit import ExplicitEuler
from phasefield.integrators.exponential import ExponentialRK2
from phasefield.integrators.rosenbrock import Rosenbrock2
from phasefield.integrators.semi_implicit import SemiImplicit

__all__ = ["AdaptiveController", "AdaptiveStepper", "ExplicitEuler", "ExponentialRK2", "Rosenbrock2", "SemiImplicit", "StepStats"]
