"""Differentiable parameter fitting (``phasefield fit``): named parameters and transforms
(``params``), observables and data (``targets``), the differentiable loss on a fixed step
schedule (``loss``), the optimiser loop (``optimize``), Gauss-Newton uncertainties
(``uncertainty``), deck -> fit (``setup``) and the run-directory outputs (``report``)."""
