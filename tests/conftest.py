"""Tests run in float64 with strict dtype promotion, so silent float32/float64 mixes fail."""

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")

import phasefield  # noqa: E402,F401
