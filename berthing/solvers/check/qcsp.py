"""Independent checker for quay crane schedules (the JSON of
:func:`berthing.solvers.qcsp.solution_json`); it uses the instance's data only, none of the
solver's code.

Rules checked, each violation naming the rule, the task(s) and the crane(s):

* ``format``: the JSON has the documented shape;
* ``assignment``: every task is done exactly once, by an existing crane;
* ``processing``: ``end - start`` is the task's processing time and the reported bay its bay;
* ``precedence``: a predecessor ends before its successor starts;
* ``non-simultaneity``: the two tasks of a pair are never worked at the same moment;
* ``sequence``: a crane's tasks are listed in time order, without overlap, with the travel time
  between consecutive bays;
* ``ready-time``: a crane's first task starts no earlier than its ready time plus the travel
  from its initial bay;
* ``path``: the crane's movement starts at time 0 in its initial bay, stays there until the ready
  time, moves at most one bay per travel time, stays on the rail (bays ``1..b``) and is at the
  task's bay for the whole of each task (after its last point a crane stays where it is);
* ``non-crossing``: at every moment neighbouring cranes are at least ``safety_margin + 1`` bays
  apart, in rail order (checked at every breakpoint of both paths, which is exact for
  piecewise-linear movement);
* ``objective``: the reported makespan equals the latest task end.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from berthing.solvers.qcsp import Instance

EPS = 1e-6


@dataclass(frozen=True)
class CheckReport:
    violations: list[str]
    objective: int | None

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class _Job:
    task: int  # 1-based
    crane: int  # 1-based
    start: int
    end: int


def _position(path: list[tuple[float, float]], t: float) -> float:
    """The bay of a piecewise-linear path at time ``t`` (constant before and after it)."""
    if t <= path[0][0]:
        return path[0][1]
    for (t0, x0), (t1, x1) in pairwise(path):
        if t0 <= t <= t1:
            return x0 if t1 == t0 else x0 + (x1 - x0) * (t - t0) / (t1 - t0)
    return path[-1][1]


def check_qcsp(instance: Instance, solution: dict) -> CheckReport:
    """Check a schedule against every rule of the instance; see the module docstring."""
    inst = instance
    n, q = len(inst.processing), len(inst.ready)
    travel, dist = inst.travel_time, inst.safety_margin + 1
    violations: list[str] = []
    jobs: list[_Job] = []
    per_crane: dict[int, list[_Job]] = {}
    paths: dict[int, list[tuple[float, float]]] = {}
    rows = solution.get("cranes") if isinstance(solution, dict) else None
    if not isinstance(rows, list):
        return CheckReport(["format: the solution has no 'cranes' list"], None)
    for row in rows:
        try:
            k = int(row["crane"])
            listed = [_Job(int(t["task"]), k, int(t["start"]), int(t["end"])) for t in row["tasks"]]
            bays = [t.get("bay") for t in row["tasks"]]
        except (KeyError, TypeError, ValueError) as exc:
            violations.append(f"format: crane entry {str(row)[:60]} is malformed ({exc})")
            continue
        if not 1 <= k <= q:
            violations.append(f"assignment: crane {k} does not exist (cranes are 1..{q})")
            continue
        if k in per_crane:
            violations.append(f"format: crane {k} is listed twice")
            continue
        per_crane[k] = listed
        for job, bay in zip(listed, bays, strict=True):
            if not 1 <= job.task <= n:
                violations.append(f"assignment: crane {k} lists task {job.task}, tasks are 1..{n}")
                continue
            jobs.append(job)
            if bay is not None and bay != inst.location[job.task - 1]:
                violations.append(
                    f"processing: task {job.task} on crane {k} reported in bay {bay}, it is in "
                    f"bay {inst.location[job.task - 1]}"
                )
        try:
            path = [(float(t), float(x)) for t, x in row["path"]]
        except (KeyError, TypeError, ValueError):
            violations.append(f"path: crane {k} has no valid path (list of [time, bay])")
            continue
        if not path:
            violations.append(f"path: crane {k} has an empty path")
            continue
        paths[k] = path

    by_task: dict[int, list[_Job]] = {}
    for job in jobs:
        by_task.setdefault(job.task, []).append(job)
    for task in range(1, n + 1):
        done = by_task.get(task, [])
        if not done:
            violations.append(f"assignment: task {task} is not done by any crane")
        elif len(done) > 1:
            cranes = ", ".join(str(j.crane) for j in done)
            violations.append(
                f"assignment: task {task} is done {len(done)} times (cranes {cranes})"
            )
    for job in jobs:
        p = inst.processing[job.task - 1]
        if job.start < 0 or job.end - job.start != p:
            violations.append(
                f"processing: task {job.task} on crane {job.crane} runs [{job.start}, {job.end}], "
                f"needs {p} time units starting at or after 0"
            )

    first = {task: done[0] for task, done in by_task.items()}
    for a, b in inst.precedence:
        ja, jb = first.get(a + 1), first.get(b + 1)
        if ja and jb and ja.end > jb.start:
            violations.append(
                f"precedence: task {a + 1} (crane {ja.crane}) ends at {ja.end}, after task "
                f"{b + 1} (crane {jb.crane}) starts at {jb.start}"
            )
    for a, b in inst.non_simultaneous:
        ja, jb = first.get(a + 1), first.get(b + 1)
        if ja and jb and max(ja.start, jb.start) < min(ja.end, jb.end):
            violations.append(
                f"non-simultaneity: task {a + 1} (crane {ja.crane}) and task {b + 1} (crane "
                f"{jb.crane}) are both worked during [{max(ja.start, jb.start)}, "
                f"{min(ja.end, jb.end)}]"
            )

    for k, listed in sorted(per_crane.items()):
        valid = [j for j in listed if 1 <= j.task <= n]
        r, home = inst.ready[k - 1], inst.initial_bay[k - 1]
        if valid:
            j0 = valid[0]
            need = r + abs(inst.location[j0.task - 1] - home) * travel
            if j0.start < need:
                violations.append(
                    f"ready-time: crane {k} starts task {j0.task} at {j0.start}; ready at {r} in "
                    f"bay {home}, it can start there at {need} at the earliest"
                )
        for prev, nxt in pairwise(valid):
            move = abs(inst.location[nxt.task - 1] - inst.location[prev.task - 1]) * travel
            if nxt.start < prev.end + move:
                violations.append(
                    f"sequence: crane {k} starts task {nxt.task} at {nxt.start}, before task "
                    f"{prev.task} ends at {prev.end} plus {move} travel"
                )

    for k in range(1, q + 1):
        if k not in paths:
            if k in per_crane or per_crane:
                violations.append(f"path: crane {k} has no path")
            continue
        violations += _path_violations(inst, k, paths[k], per_crane.get(k, []), travel)
    for k in range(1, q):
        if k in paths and k + 1 in paths:
            lower, upper = paths[k], paths[k + 1]
            times = sorted({t for t, _ in lower} | {t for t, _ in upper})
            for t in times:
                gap = _position(upper, t) - _position(lower, t)
                if gap < dist - EPS:
                    violations.append(
                        f"non-crossing: cranes {k} and {k + 1} are {gap:g} bays apart at time "
                        f"{t:g}, they must stay at least {dist} apart (safety margin "
                        f"{inst.safety_margin} + 1)"
                    )
                    break

    objective = max((j.end for j in jobs), default=0) if jobs else None
    reported = solution.get("objective")
    if reported is not None and objective is not None and reported != objective:
        violations.append(f"objective: reported {reported}, the schedule's makespan is {objective}")
    return CheckReport(violations, objective)


def _path_violations(
    inst: Instance, k: int, path: list[tuple[float, float]], jobs: list[_Job], travel: int
) -> list[str]:
    out: list[str] = []
    r, home = inst.ready[k - 1], inst.initial_bay[k - 1]
    if abs(path[0][0]) > EPS:
        out.append(f"path: crane {k}'s path starts at time {path[0][0]:g}, not 0")
    for (t0, x0), (t1, x1) in pairwise(path):
        if t1 < t0 - EPS:
            out.append(f"path: crane {k}'s path goes back in time at {t1:g}")
            return out
        if abs(x1 - x0) * travel > (t1 - t0) + EPS:
            out.append(
                f"path: crane {k} moves from bay {x0:g} to {x1:g} during [{t0:g}, {t1:g}], "
                f"faster than one bay per {travel}"
            )
    for t, x in path:
        if x < 1 - EPS or x > inst.bays + EPS:
            out.append(
                f"path: crane {k} is at bay {x:g} at time {t:g}, off the rail 1..{inst.bays}"
            )
            break
    for t in [0.0, float(r), *(t for t, _ in path if t < r)]:
        if abs(_position(path, t) - home) > EPS:
            out.append(
                f"path: crane {k} is not in its initial bay {home} at time {t:g}, before its "
                f"ready time {r}"
            )
            break
    for job in jobs:
        if not 1 <= job.task <= len(inst.location):
            continue
        bay = inst.location[job.task - 1]
        inside = [job.start, job.end, *(t for t, _ in path if job.start < t < job.end)]
        for t in inside:
            x = _position(path, t)
            if abs(x - bay) > EPS:
                out.append(
                    f"path: crane {k} is at bay {x:g} at time {t:g}, during task {job.task} "
                    f"[{job.start}, {job.end}] in bay {bay}"
                )
                break
    return out
