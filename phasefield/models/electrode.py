"""What every electrode model shares: the smoothed-boundary domain and the electrochemistry at
the solid-electrolyte contact (DESIGN 2.4).

A model class that mixes this in has the fields ``domain``, ``kinetics`` and ``control`` and
the methods ``driving_forces(state, grid)`` (``mu`` first) and ``equilibrium_voltage(mu)``
(V vs Li/Li+). The conserved amount is ``U = psi X``; the Li flux ``surface * j`` enters
through the active surface, with ``j`` from Butler-Volmer kinetics at the electrode potential
that the control fixes or (galvanostatic) solves for (``phasefield.electrochem``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from phasefield._pytree import replace
from phasefield.electrochem import Galvanostatic, Potentiostatic, solve_potential
from phasefield.grid import Grid


class ElectrodeMethods:
    """Domain and electrochemistry methods (module docstring)."""

    @property
    def psi(self):
        return None if self.domain is None else self.domain.psi

    def face_psi(self, grid: Grid):
        """psi on the faces (zero beside inactive cells), ``None`` without a domain."""
        return None if self.domain is None else self.domain.face_weights(grid)

    @property
    def active(self):
        """1 in cells that evolve, 0 in cells a domain has cut off; ``None`` without a domain."""
        return None if self.domain is None else self.domain.active

    def conserved(self, state):
        """The conserved amount per cell volume: ``X``, or ``psi X`` with a domain."""
        return state.X if self.domain is None else self.domain.psi * state.X

    def from_conserved(self, U):
        return U if self.domain is None else U / self.domain.psi

    def electrode_potential(self, state, grid: Grid, mu=None):
        """phi (V vs Li/Li+) from the control and the surface equilibrium potentials."""
        if mu is None:
            mu = self.driving_forces(state, grid)[0]
        d = self.domain
        return solve_potential(self.kinetics, self.control, self.equilibrium_voltage(mu), d.surface,
                               d.face_area, grid.cell_volume, state.X)

    def with_potential_held(self, state, grid: Grid, mu=None):
        """This model with the electrode potential held at its present value (potentiostatic
        control at ``electrode_potential(state)``); itself without galvanostatic control. Its
        Jacobian is the local part of the galvanostatic one, which adds the rank-one coupling
        of every surface cell through the potential solved for the whole electrode."""
        if self.kinetics is None or not isinstance(self.control, Galvanostatic):
            return self
        return replace(self, control=Potentiostatic(self.electrode_potential(state, grid, mu)))

    def stop_event(self, state, grid: Grid):
        """True once the electrode potential has left the galvanostatic control's cut-off
        window ``[v_min, v_max]`` (a voltage cut-off); False without such a control."""
        if self.kinetics is None or not isinstance(self.control, Galvanostatic):
            return jnp.asarray(False)
        phi = self.electrode_potential(state, grid)
        return (phi < self.control.v_min) | (phi > self.control.v_max)

    def stop_event_time(self, state, grid: Grid):
        """Time (model units) until the electrode potential leaves the galvanostatic control's
        window, extrapolated linearly from its rate ``dphi/dt = (dphi/dy) . F(y)`` (a
        Jacobian-vector product along the rates); ``inf`` where it is not heading out, 0
        once it is out, ``inf`` without such a control. Where the last Li at the surface
        drains, phi can climb past the cut-off within 1e-16 s, faster than any step
        resolves (``phasefield.integrators.adaptive``)."""
        if self.kinetics is None or not isinstance(self.control, Galvanostatic):
            return jnp.asarray(jnp.inf, state.X.dtype)
        rX, reta = self.rates(state, grid)
        rX = jnp.zeros_like(state.X) if rX is None else rX

        def potential(X, eta):
            return self.electrode_potential(replace(state, X=X, eta=eta), grid)

        if state.eta is None:
            phi, rate = jax.jvp(lambda X: potential(X, None), (state.X,), (rX,))
        else:
            reta = jnp.zeros_like(state.eta) if reta is None else reta
            phi, rate = jax.jvp(potential, (state.X, state.eta), (rX, reta))
        up = jnp.where(rate > 0, (self.control.v_max - phi) / rate, jnp.inf)
        down = jnp.where(rate < 0, (phi - self.control.v_min) / -rate, jnp.inf)
        return jnp.maximum(jnp.minimum(up, down), 0.0)

    def electrochemical_source(self, state, grid: Grid, mu):
        """``surface * j``: Li entering the solid through the electrolyte contact (U per time)."""
        phi = self.electrode_potential(state, grid, mu)
        V_eq = self.equilibrium_voltage(mu)
        return self.domain.surface * self.kinetics.li_flux(self.kinetics.current(phi, V_eq, state.X))


__all__ = ["ElectrodeMethods"]
