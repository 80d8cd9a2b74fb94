"""Running an evaluation: plan the units, execute them on workers, store predictions, score, write."""
