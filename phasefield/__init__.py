"""phasefield: a differentiable phase-field solver on JAX for alloy negative electrodes.

Importing the package turns on 64-bit floats in JAX (float64 is the default precision for
validation and on the CPU); set ``PHASEFIELD_X64=0`` before import to leave JAX's setting alone.
"""

import os as _os

import jax as _jax

if _os.environ.get("PHASEFIELD_X64", "1") != "0":
    _jax.config.update("jax_enable_x64", True)

from phasefield.grid import Grid  # noqa: E402
from phasefield.state import State  # noqa: E402

__version__ = "0.1.0"
__all__ = ["Grid", "State", "__version__"]
