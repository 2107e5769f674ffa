"""Polycrystals: Voronoi grains, colouring onto order parameters, tracking and remapping,
curvature-driven grain growth."""
