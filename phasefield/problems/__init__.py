"""Benchmark and manufactured-solution problems: each module builds ``(grid, model, state)``
for one published problem and offers its exact or reference quantities."""
