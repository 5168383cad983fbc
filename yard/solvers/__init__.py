"""Pure relocation-planning solvers for the yard (no Django): the block relocation problem
(:mod:`.brp`), pre-marshalling (:mod:`.premarshalling`), their independent checker (:mod:`.check`)
and the benchmark command (:mod:`.bench`)."""
