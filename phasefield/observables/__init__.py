"""Observables: pure functions of the state (DESIGN 5). Units follow the model: for Li-Al
presets lengths in um, so areas/volumes are um^2 (2D, per um of depth) or um^3.

- ``reductions``: total amount, phase fractions and labels, mean Li/Al ratio (jax-traceable).
- ``connectivity``: beta percolation between electrolyte and collector; trapped Li.
- ``shell``: alpha-shell thickness per particle.
- ``transport``: effective Li diffusivity of the slab from a steady-state solve.
- ``capacity``: capacity, utilisation and reversibility of a protocol (jax-traceable).
- ``sizes``: equivalent diameters of beta domains and of grains.

The graph and sparse-solve observables (connectivity, shell, transport) are numpy/scipy
functions of one snapshot; call them on host arrays between jitted chunks.
"""

from phasefield.observables.capacity import (
    capacity_mAh_per_cm2,
    half_cycle_capacities_mAh_per_cm2,
    protocol_capacities_mAh_per_cm2,
    reversibility,
    theoretical_capacity_mAh_per_cm2,
    utilisation,
)
from phasefield.observables.connectivity import (
    Clusters,
    Percolation,
    TrappedLi,
    beta_percolation,
    contact_cells,
    face_cells,
    fast_clusters,
    first_solid_layer,
    phase_index,
    trapped_li,
)
from phasefield.observables.reductions import mean_li_ratio, phase_fractions, phase_labels, total_amount
from phasefield.observables.shell import alpha_shell_thickness, grain_alpha_layer
from phasefield.observables.sizes import beta_domain_diameters, equivalent_diameters, label_diameters
from phasefield.observables.transport import (
    EffectiveDiffusivity,
    SolveError,
    effective_diffusivity,
    effective_diffusivity_from_log,
)

__all__ = [
    "beta_domain_diameters",
    "equivalent_diameters",
    "label_diameters",
    "Clusters",
    "EffectiveDiffusivity",
    "Percolation",
    "SolveError",
    "TrappedLi",
    "alpha_shell_thickness",
    "grain_alpha_layer",
    "beta_percolation",
    "capacity_mAh_per_cm2",
    "contact_cells",
    "effective_diffusivity",
    "effective_diffusivity_from_log",
    "face_cells",
    "fast_clusters",
    "first_solid_layer",
    "half_cycle_capacities_mAh_per_cm2",
    "mean_li_ratio",
    "phase_fractions",
    "phase_index",
    "phase_labels",
    "protocol_capacities_mAh_per_cm2",
    "reversibility",
    "theoretical_capacity_mAh_per_cm2",
    "total_amount",
    "trapped_li",
    "utilisation",
]
