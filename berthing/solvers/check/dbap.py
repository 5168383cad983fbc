"""Independent checker for DBAP solutions (the JSON of :func:`berthing.solvers.dbap.solution_json`):
every vessel served once at an allowed berth, after its arrival and before its latest departure,
inside the berth's opening hours, one vessel per berth at a time; and the objective recomputed."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from berthing.solvers.dbap import Instance


@dataclass(frozen=True)
class CheckReport:
    violations: list[str]
    objective: int

    @property
    def ok(self) -> bool:
        return not self.violations


def check_dbap(instance: Instance, solution: dict) -> CheckReport:
    violations: list[str] = []
    seen: dict[int, int] = {}
    per_berth: dict[int, list[tuple[int, int, int]]] = {}
    objective = 0
    for row in solution.get("assignments", []):
        i, k, start = int(row["vessel"]), int(row["berth"]), int(row["start"])
        if not (0 <= i < len(instance.arrival)) or not (0 <= k < len(instance.berth_open)):
            violations.append(f"assignment {row}: no such vessel or berth")
            continue
        seen[i] = seen.get(i, 0) + 1
        h = instance.handling[i][k]
        if h is None:
            violations.append(f"vessel {i} may not use berth {k}")
            continue
        end = start + h
        if "end" in row and int(row["end"]) != end:
            violations.append(f"vessel {i}: end {row['end']} is not start + handling = {end}")
        if start < instance.arrival[i]:
            violations.append(
                f"vessel {i} starts at {start}, before its arrival {instance.arrival[i]}"
            )
        if end > instance.latest_departure[i]:
            violations.append(
                f"vessel {i} ends at {end}, after its latest departure "
                f"{instance.latest_departure[i]}"
            )
        if start < instance.berth_open[k] or end > instance.berth_close[k]:
            violations.append(
                f"vessel {i} at berth {k} during [{start}, {end}) outside its opening "
                f"[{instance.berth_open[k]}, {instance.berth_close[k]}]"
            )
        per_berth.setdefault(k, []).append((start, end, i))
        objective += instance.weight[i] * (end - instance.arrival[i])
    for i in range(len(instance.arrival)):
        if seen.get(i, 0) != 1:
            violations.append(f"vessel {i} is served {seen.get(i, 0)} times, not once")
    for k, rows in per_berth.items():
        rows.sort()
        for (_s1, e1, i1), (s2, _e2, i2) in pairwise(rows):
            if s2 < e1:
                violations.append(
                    f"berth {k}: vessel {i2} starts at {s2} while vessel {i1} is there until {e1}"
                )
    if solution.get("objective") is not None and int(solution["objective"]) != objective:
        violations.append(f"objective {solution['objective']} differs from recomputed {objective}")
    return CheckReport(violations, objective)
