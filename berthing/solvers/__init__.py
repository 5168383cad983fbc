"""Pure berth-planning solvers (no Django): the terminal's berth plan with quay cranes
(:mod:`.plan`), the discrete dynamic BAP of the literature (:mod:`.dbap`), quay-crane scheduling
for one vessel (:mod:`.qcsp`), their independent checkers (:mod:`.check`) and the benchmark
command (:mod:`.bench`)."""
