"""Pure quay geometry shared by the services (where a new draft places a visit), the selectors
(why a stretch is too shallow) and the demo loader: the plan checker's rules on plain numbers.

A vessel placed at ``start`` occupies ``[start, start + length)`` with ``length`` = its length
overall rounded up to whole metres plus the quay's mooring clearance. That stretch must lie on
the quay, and every section it touches must be at least as deep as the vessel's draft; a part of
the quay no section covers counts as too shallow (a quay without sections has no depth limit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

#: ``(name, start_m, end_m, depth_cm)`` of a berth section.
SectionSpec = tuple[str, int, int, int]

#: Step of the first-fit search for a free quay position.
PLACEMENT_STEP_M = 5


def loa_whole_m(loa_m: Decimal | float | int | str) -> int:
    """Length overall rounded up to whole metres (399.9 → 400)."""
    return math.ceil(Decimal(str(loa_m)))


def draft_cm(draft_m: Decimal | float | int | str) -> int:
    """Draft in whole centimetres, rounded up."""
    return math.ceil(Decimal(str(draft_m)) * 100)


def shallow_parts(
    sections: Sequence[SectionSpec], *, quay_length_m: int, start_m: int, end_m: int, draft: int
) -> list[str]:
    """Why ``[start_m, end_m)`` is too shallow for a draft of ``draft`` cm (empty if it is not)."""
    ordered = sorted(sections, key=lambda s: s[1])
    if not ordered:
        return []
    reasons = [
        f"section {name} is {depth / 100:g} m deep"
        for name, s0, s1, depth in ordered
        if start_m < s1 and s0 < end_m and depth < draft
    ]
    hi = min(end_m, quay_length_m)
    cursor = max(start_m, 0)
    for _, s0, s1, _ in ordered:
        if s1 <= cursor or s0 >= hi:
            continue
        if s0 > cursor:
            reasons.append(f"no section covers {cursor}–{s0} m")
        cursor = max(cursor, s1)
    if cursor < hi:
        reasons.append(f"no section covers {cursor}–{hi} m")
    return reasons


def first_fit(
    sections: Sequence[SectionSpec],
    *,
    quay_length_m: int,
    length_m: int,
    draft: int,
    busy: Sequence[tuple[int, int]],
) -> tuple[int, bool]:
    """The first position from metre 0 (in 5 m steps) where a stretch of ``length_m`` lies on
    the quay, deep enough for ``draft`` cm and clear of the ``busy`` stretches; ``(position,
    True)``. Failing that ``(first deep enough position, False)``, failing that ``(0, False)``."""
    deep = None
    for start in range(0, quay_length_m - length_m + 1, PLACEMENT_STEP_M):
        stretch = {"start_m": start, "end_m": start + length_m}
        if shallow_parts(sections, quay_length_m=quay_length_m, draft=draft, **stretch):
            continue
        if deep is None:
            deep = start
        if all(start + length_m <= b0 or b1 <= start for b0, b1 in busy):
            return start, True
    return (deep if deep is not None else 0), False
