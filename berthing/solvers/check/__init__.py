"""Independent checkers: they recompute every rule and the objective from an instance and a
result without using any solver code, so a solver bug cannot hide behind its own bookkeeping."""
