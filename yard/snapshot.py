"""The live map's snapshot format, shared by :mod:`yard.selectors` and the benchmarks (no
Django here, so scripts can import it without settings)."""

#: Columns of ``boxes`` in :func:`yard.selectors.yard_snapshot`; ``*_i`` columns index
#: ``dicts[name]``.
SNAPSHOT_COLUMNS = (
    "unit",
    "container",
    "block_i",
    "bay",
    "row",
    "tier",
    "size",
    "line_i",
    "pod_i",
    "category_i",
    "weight_class",
    "reefer",
    "imdg_i",
    "visit_i",
    "holds",
    "time_in",
)
RESERVATION_COLUMNS = (
    "reservation",
    "unit",
    "block_i",
    "bay",
    "row",
    "tier",
    "size",
    "until",
    "move",
)
