"""Independent checker for berth plans (:class:`berthing.solvers.instance.Instance`): it recomputes
every hard rule and the objective of ``instance.py`` from the plan alone, with exact integer
arithmetic, and never imports the solver (:mod:`berthing.solvers.plan`).

It accepts partial and invalid plans (a planner's hand-edited draft) and lists every violation it
finds instead of stopping at the first. Each :class:`Violation` has a stable ``code``:

``missing_vessel``, ``unknown_vessel``, ``duplicate_vessel``, ``unknown_crane``, ``bad_times``
(a stay or shift that ends before it starts), ``before_eta``, ``outside_quay``, ``too_shallow``,
``overlap``, ``locked_moved``, ``beyond_horizon``, ``shift_outside_stay``, ``crane_busy`` (one
crane on two shifts at once), ``crane_outage``, ``crane_reach``, ``crane_count``,
``crane_crossing`` and ``moves_short``.

How the rules of ``instance.py`` are read where its text leaves room:

* The occupied stretch ``[start_m, start_m + loa_m + clearance_m)`` must lie inside
  ``[0, quay_length_m]`` and must touch only sections at least ``draft_cm`` deep; a part of the
  quay no section covers counts as too shallow (an instance without sections has no depth limit).
* A crane reaches a vessel when its rail range ``[min_m, max_m]`` and the hull
  ``[start_m, start_m + loa_m]`` overlap by more than a point.
* Moves are delivered only while the vessel is at its berth (``[berth_min, depart_min)``); the
  crane count ``q`` at a moment is the number of distinct cranes on the vessel, and when ``q``
  exceeds the efficiency table its last entry applies.
* The objective is summed over the assignments of known vessels (the first one where a vessel
  is listed twice), so a partial plan still gets a comparable figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations, pairwise

from berthing.solvers.instance import Assignment, Crane, CraneShift, Instance, Vessel

#: Moves are compared as ``moves_per_hour · minutes · efficiency_pct`` against ``moves · SCALE``.
SCALE = 60 * 100


@dataclass(frozen=True)
class Violation:
    code: str
    vessel: str
    message: str


@dataclass(frozen=True)
class PlanCheck:
    violations: list[Violation]
    objective: int
    components: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations


def when(minute: int) -> str:
    """A time as a planner reads it: hours and minutes from the plan's origin, ``+30h15``."""
    sign = "-" if minute < 0 else "+"
    hours, minutes = divmod(abs(minute), 60)
    return f"{sign}{hours}h{minutes:02d}"


def _span(start: int, end: int) -> str:
    return f"{when(start)}–{when(end)}"


def _efficiency(instance: Instance, q: int) -> int:
    table = instance.efficiency_pct
    return table[min(q, len(table)) - 1] if table else 100


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    """Whether ``[a0, a1)`` and ``[b0, b1)`` share a point (an empty interval shares none)."""
    return max(a0, b0) < min(a1, b1)


def _reaches(crane: Crane, vessel: Vessel, start_m: int) -> bool:
    return max(crane.min_m, start_m) < min(crane.max_m, start_m + vessel.loa_m)


def _shallow_parts(instance: Instance, vessel: Vessel, start: int, end: int) -> list[str]:
    """Why the stretch ``[start, end)`` is too shallow for the vessel ('' if it is not)."""
    if not instance.sections:
        return []
    reasons = [
        f"section {s.name} is {s.depth_cm / 100:g} m deep"
        for s in sorted(instance.sections, key=lambda s: s.start_m)
        if _overlaps(start, end, s.start_m, s.end_m) and s.depth_cm < vessel.draft_cm
    ]
    lo, hi = max(start, 0), min(end, instance.quay_length_m)
    cursor = lo
    for s in sorted(instance.sections, key=lambda s: s.start_m):
        if s.end_m <= cursor or s.start_m >= hi:
            continue
        if s.start_m > cursor:
            reasons.append(f"no section covers {cursor}–{s.start_m} m")
        cursor = max(cursor, s.end_m)
        if cursor >= hi:
            break
    if cursor < hi:
        reasons.append(f"no section covers {cursor}–{hi} m")
    return reasons


def vessel_cost(instance: Instance, vessel: Vessel, a: Assignment) -> dict[str, int]:
    """The objective terms of ``instance.py`` for one vessel's assignment."""
    window = 0
    if vessel.window is not None:
        w = vessel.window
        window = w.penalty_per_hour * (
            max(0, w.start_min - a.berth_min) + max(0, a.depart_min - w.end_min)
        )
    stability = 0
    if vessel.current is not None:
        stability = instance.stability_weight * (
            abs(a.berth_min - vessel.current.berth_min) + abs(a.start_m - vessel.current.start_m)
        )
    return {
        "service": vessel.weight_service * (a.depart_min - vessel.eta_min),
        "lateness": vessel.weight_late * max(0, a.depart_min - vessel.due_min),
        "window": window,
        "stability": stability,
    }


class _Checker:
    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.vessels = {v.id: v for v in instance.vessels}
        self.cranes = {c.id: c for c in instance.cranes}
        self.violations: list[Violation] = []

    def add(self, code: str, vessel: str, message: str) -> None:
        self.violations.append(Violation(code, vessel, message))

    def name(self, vessel_id: str) -> str:
        vessel = self.vessels.get(vessel_id)
        return vessel.name if vessel is not None and vessel.name else vessel_id

    def assignments(self, assignments: Sequence[Assignment]) -> dict[str, Assignment]:
        placed: dict[str, Assignment] = {}
        for a in assignments:
            vessel = self.vessels.get(a.vessel)
            if vessel is None:
                self.add(
                    "unknown_vessel",
                    a.vessel,
                    f"The plan places {a.vessel!r}, which is not a vessel of this plan.",
                )
                continue
            if a.vessel in placed:
                self.add(
                    "duplicate_vessel",
                    a.vessel,
                    f"{vessel.name} is placed more than once; only the first placement is checked.",
                )
                continue
            placed[a.vessel] = a
            self.placement(vessel, a)
        for vessel in self.instance.vessels:
            if vessel.id not in placed:
                self.add("missing_vessel", vessel.id, f"{vessel.name} has no place in the plan.")
        return placed

    def placement(self, vessel: Vessel, a: Assignment) -> None:
        instance = self.instance
        end_m = a.start_m + vessel.loa_m + instance.clearance_m
        if a.depart_min < a.berth_min:
            self.add(
                "bad_times",
                vessel.id,
                f"{vessel.name} departs at {when(a.depart_min)}, before it berths at "
                f"{when(a.berth_min)}.",
            )
        if a.berth_min < vessel.eta_min:
            self.add(
                "before_eta",
                vessel.id,
                f"{vessel.name} berths at {when(a.berth_min)}, before its ETA "
                f"{when(vessel.eta_min)}.",
            )
        if a.start_m < 0 or end_m > instance.quay_length_m:
            self.add(
                "outside_quay",
                vessel.id,
                f"{vessel.name} at {a.start_m}–{end_m} m (with {instance.clearance_m} m "
                f"clearance) is outside the {instance.quay_length_m} m quay.",
            )
        shallow = _shallow_parts(instance, vessel, a.start_m, end_m)
        if shallow:
            self.add(
                "too_shallow",
                vessel.id,
                f"{vessel.name} draws {vessel.draft_cm / 100:g} m but at {a.start_m}–{end_m} m "
                + " and ".join(shallow)
                + ".",
            )
        if a.depart_min > instance.horizon_min:
            self.add(
                "beyond_horizon",
                vessel.id,
                f"{vessel.name} departs at {when(a.depart_min)}, after the plan's horizon "
                f"{when(instance.horizon_min)}.",
            )
        lock = vessel.locked
        if lock is not None and (lock.start_m, lock.berth_min, lock.depart_min) != (
            a.start_m,
            a.berth_min,
            a.depart_min,
        ):
            self.add(
                "locked_moved",
                vessel.id,
                f"{vessel.name} is locked at {lock.start_m} m, "
                f"{_span(lock.berth_min, lock.depart_min)} but the plan has it at {a.start_m} m, "
                f"{_span(a.berth_min, a.depart_min)}.",
            )

    def overlaps(self, placed: dict[str, Assignment]) -> None:
        clearance = self.instance.clearance_m
        rows = sorted(placed.values(), key=lambda a: (a.berth_min, a.start_m, a.vessel))
        for a, b in combinations(rows, 2):
            va, vb = self.vessels[a.vessel], self.vessels[b.vessel]
            a_end, b_end = a.start_m + va.loa_m + clearance, b.start_m + vb.loa_m + clearance
            if _overlaps(a.berth_min, a.depart_min, b.berth_min, b.depart_min) and _overlaps(
                a.start_m, a_end, b.start_m, b_end
            ):
                self.add(
                    "overlap",
                    b.vessel,
                    f"{vb.name} at {b.start_m}–{b_end} m, {_span(b.berth_min, b.depart_min)} "
                    f"overlaps {va.name} at {a.start_m}–{a_end} m, "
                    f"{_span(a.berth_min, a.depart_min)}.",
                )

    def shifts(
        self, shifts: Sequence[CraneShift], placed: dict[str, Assignment]
    ) -> list[CraneShift]:
        """Check each shift on its own; return the ones later checks can use."""
        usable = []
        for s in shifts:
            crane = self.cranes.get(s.crane)
            vessel = self.vessels.get(s.vessel)
            what = f"crane {s.crane} on {self.name(s.vessel)} {_span(s.start_min, s.end_min)}"
            if crane is None:
                self.add(
                    "unknown_crane",
                    s.vessel,
                    f"The plan has {what}, but {s.crane!r} is not a crane of this quay.",
                )
            if vessel is None:
                self.add(
                    "unknown_vessel",
                    s.vessel,
                    f"The plan has {what}, but {s.vessel!r} is not a vessel of this plan.",
                )
            if s.end_min <= s.start_min:
                self.add(
                    "bad_times", s.vessel, f"The plan has {what}, which ends before it starts."
                )
                continue
            if s.end_min > self.instance.horizon_min:
                self.add(
                    "beyond_horizon",
                    s.vessel,
                    f"{what.capitalize()} ends after the plan's horizon "
                    f"{when(self.instance.horizon_min)}.",
                )
            if crane is None or vessel is None:
                continue
            a = placed.get(s.vessel)
            if a is not None:
                if s.start_min < a.berth_min or s.end_min > a.depart_min:
                    self.add(
                        "shift_outside_stay",
                        s.vessel,
                        f"Crane {crane.id} works {vessel.name} {_span(s.start_min, s.end_min)}, "
                        f"outside its stay {_span(a.berth_min, a.depart_min)}.",
                    )
                if not _reaches(crane, vessel, a.start_m):
                    self.add(
                        "crane_reach",
                        s.vessel,
                        f"Crane {crane.id} runs on {crane.min_m}–{crane.max_m} m and cannot reach "
                        f"{vessel.name} at {a.start_m}–{a.start_m + vessel.loa_m} m.",
                    )
            for o0, o1 in crane.outages:
                if _overlaps(s.start_min, s.end_min, o0, o1):
                    self.add(
                        "crane_outage",
                        s.vessel,
                        f"Crane {crane.id} works {vessel.name} {_span(s.start_min, s.end_min)} "
                        f"but is out of service {_span(o0, o1)}.",
                    )
            usable.append(s)
        return usable

    def crane_busy(self, shifts: list[CraneShift]) -> None:
        by_crane: dict[str, list[CraneShift]] = defaultdict(list)
        for s in shifts:
            by_crane[s.crane].append(s)
        for crane, rows in by_crane.items():
            rows.sort(key=lambda s: (s.start_min, s.end_min, s.vessel))
            for a, b in combinations(rows, 2):
                if _overlaps(a.start_min, a.end_min, b.start_min, b.end_min):
                    self.add(
                        "crane_busy",
                        b.vessel,
                        f"Crane {crane} works {self.name(b.vessel)} "
                        f"{_span(b.start_min, b.end_min)} while it works {self.name(a.vessel)} "
                        f"{_span(a.start_min, a.end_min)}.",
                    )

    def work(self, shifts: list[CraneShift], placed: dict[str, Assignment]) -> None:
        """Crane counts and moves delivered, piecewise over each vessel's shift breakpoints."""
        by_vessel: dict[str, list[CraneShift]] = defaultdict(list)
        for s in shifts:
            by_vessel[s.vessel].append(s)
        for vessel in self.instance.vessels:
            a = placed.get(vessel.id)
            rows = by_vessel.get(vessel.id, [])
            points = sorted({p for s in rows for p in (s.start_min, s.end_min)})
            bad: list[tuple[int, int, int]] = []
            delivered = 0
            for t0, t1 in pairwise(points):
                cranes = {s.crane for s in rows if s.start_min <= t0 and t1 <= s.end_min}
                q = len(cranes)
                if q == 0:
                    continue
                if not vessel.min_cranes <= q <= vessel.max_cranes:
                    if bad and bad[-1][1] == t0 and bad[-1][2] == q:
                        bad[-1] = (bad[-1][0], t1, q)
                    else:
                        bad.append((t0, t1, q))
                if a is not None:
                    lo, hi = max(t0, a.berth_min), min(t1, a.depart_min)
                    if hi > lo:
                        rate = sum(self.cranes[c].moves_per_hour for c in cranes)
                        delivered += rate * (hi - lo) * _efficiency(self.instance, q)
            for t0, t1, q in bad:
                self.add(
                    "crane_count",
                    vessel.id,
                    f"{vessel.name} has {q} crane{'s' if q != 1 else ''} {_span(t0, t1)}; it "
                    f"takes {vessel.min_cranes} to {vessel.max_cranes}.",
                )
            if a is not None and delivered < vessel.moves * SCALE:
                self.add(
                    "moves_short",
                    vessel.id,
                    f"{vessel.name} gets {delivered // SCALE} of its {vessel.moves} moves before "
                    f"it departs at {when(a.depart_min)}.",
                )

    def crossing(self, shifts: list[CraneShift], placed: dict[str, Assignment]) -> None:
        rows = [s for s in shifts if s.vessel in placed]
        points = sorted({p for s in rows for p in (s.start_min, s.end_min)})
        seen: set[tuple[str, str, str, str]] = set()
        for t0, t1 in pairwise(points):
            working = sorted(
                (
                    (self.cranes[s.crane].rail_order, s.crane, s.vessel)
                    for s in rows
                    if s.start_min <= t0 and t1 <= s.end_min
                ),
            )
            for (r1, c1, v1), (r2, c2, v2) in combinations(working, 2):
                if (
                    r1 < r2
                    and placed[v1].start_m > placed[v2].start_m
                    and (c1, c2, v1, v2) not in seen
                ):
                    seen.add((c1, c2, v1, v2))
                    self.add(
                        "crane_crossing",
                        v1,
                        f"Cranes cross at {when(t0)}: {c1} works {self.name(v1)} at "
                        f"{placed[v1].start_m} m while {c2}, further along the rail, works "
                        f"{self.name(v2)} at {placed[v2].start_m} m.",
                    )


def check_plan(
    instance: Instance, assignments: Sequence[Assignment], shifts: Sequence[CraneShift]
) -> PlanCheck:
    """Every violation of the plan's hard rules, and its objective with its four terms."""
    checker = _Checker(instance)
    placed = checker.assignments(assignments)
    checker.overlaps(placed)
    usable = checker.shifts(shifts, placed)
    checker.crane_busy(usable)
    checker.work(usable, placed)
    checker.crossing(usable, placed)
    components = {"service": 0, "lateness": 0, "window": 0, "stability": 0}
    for vessel_id, a in placed.items():
        for key, value in vessel_cost(instance, checker.vessels[vessel_id], a).items():
            components[key] += value
    return PlanCheck(checker.violations, sum(components.values()), components)
