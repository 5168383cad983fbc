"""The discrete dynamic berth allocation problem (DBAP) of Cordeau et al. (2005), as in the public
instances of Lalla-Ruiz et al. (2012) and Kramer et al. (2019).

Vessel ``i`` arrives at ``a_i`` and must leave by ``b_i``; berth ``k`` is open during
``[s_k, e_k]``; vessel ``i`` takes ``h_ik`` time units at berth ``k`` (``None`` where it may not
use the berth). A berth serves one vessel at a time without preemption. Minimise the weighted
total service time ``Σ_i v_i (C_i − a_i)`` where ``C_i`` is the completion time.

Solution JSON (``solution_json``)::

    {"instance": "f30x3-01", "objective": 1763,
     "assignments": [{"vessel": 0, "berth": 2, "start": 71, "end": 89}, ...]}

vessels and berths are numbered from 0 in file order; ``end = start + h[vessel][berth]``.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from berthing.solvers.check.dbap import check_dbap

FORBIDDEN = 99999


@dataclass(frozen=True)
class Instance:
    name: str
    arrival: tuple[int, ...]
    latest_departure: tuple[int, ...]
    weight: tuple[int, ...]
    berth_open: tuple[int, ...]
    berth_close: tuple[int, ...]
    #: handling[i][k], None where vessel i may not use berth k.
    handling: tuple[tuple[int | None, ...], ...]

    @property
    def vessels(self) -> int:
        return len(self.arrival)

    @property
    def berths(self) -> int:
        return len(self.berth_open)

    def window(self, i: int, k: int) -> tuple[int, int] | None:
        """The earliest and latest start of vessel i at berth k, or None if impossible."""
        h = self.handling[i][k]
        if h is None:
            return None
        lo = max(self.arrival[i], self.berth_open[k])
        hi = min(self.latest_departure[i], self.berth_close[k]) - h
        return (lo, hi) if lo <= hi else None


@dataclass(frozen=True)
class Placement:
    vessel: int
    berth: int
    start: int


@dataclass(frozen=True)
class Result:
    status: str
    objective: int | None
    bound: int | None
    seconds: float
    placements: tuple[Placement, ...] = ()
    message: str = ""


def read_instance(path: Path) -> Instance:
    """Read the Lalla-Ruiz (2012) layout, and Kramer (2019)'s, whose last line adds N weights.

    The files are line based (``N + 6`` lines); lines may be padded with extra values, so only
    the first M or N values of each line are read."""
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    try:
        n, m = int(lines[0][0]), int(lines[1][0])
        if len(lines) != n + 6:
            raise ValueError(f"{path.name}: expected {n + 6} non-empty lines, found {len(lines)}")

        def ints(row: int, count: int, offset: int = 0) -> tuple[int, ...]:
            values = lines[row][offset : offset + count]
            if len(values) < count:
                raise ValueError(f"{path.name}: line {row + 1} has fewer than {count} values")
            return tuple(int(v) for v in values)

        arrival = ints(2, n)
        berth_open = ints(3, m)
        handling = tuple(
            tuple(None if h >= FORBIDDEN else h for h in ints(4 + i, m)) for i in range(n)
        )
        berth_close = ints(4 + n, m)
        latest = ints(5 + n, n)
        last = lines[5 + n]
        weight = ints(5 + n, n, offset=n) if len(last) >= 2 * n else (1,) * n
    except (IndexError, ValueError) as exc:
        raise ValueError(f"{path.name}: not a DBAP instance ({exc})") from exc
    return Instance(path.stem, arrival, latest, weight, berth_open, berth_close, handling)


def objective_of(instance: Instance, placements: Sequence[Placement]) -> int:
    return sum(
        instance.weight[p.vessel]
        * (p.start + instance.handling[p.vessel][p.berth] - instance.arrival[p.vessel])
        for p in placements
    )


def solution_json(instance: Instance, result: Result) -> dict:
    return {
        "instance": instance.name,
        "objective": result.objective,
        "assignments": [
            {
                "vessel": p.vessel,
                "berth": p.berth,
                "start": p.start,
                "end": p.start + instance.handling[p.vessel][p.berth],
            }
            for p in sorted(result.placements, key=lambda p: p.vessel)
        ],
    }


# --------------------------------------------------------------------------------------------
# Solver: a time-indexed LP by column generation for the bound, reduced-cost fixing, and CP-SAT
# on the columns that can still be part of an improving solution.
# --------------------------------------------------------------------------------------------


def _cost(instance: Instance, i: int, k: int, t: int) -> int:
    return instance.weight[i] * (t + instance.handling[i][k] - instance.arrival[i])


def greedy(instance: Instance) -> list[Placement] | None:
    """List scheduling by arrival, each vessel to the berth that finishes it first."""
    free = list(instance.berth_open)
    out: list[Placement] = []
    for i in sorted(range(instance.vessels), key=lambda i: (instance.arrival[i], i)):
        best: tuple[int, int, int] | None = None
        for k in range(instance.berths):
            w = instance.window(i, k)
            if w is None:
                continue
            start = max(free[k], w[0])
            if start > w[1]:
                continue
            end = start + instance.handling[i][k]
            if best is None or end < best[0]:
                best = (end, k, start)
        if best is None:
            return None
        free[best[1]] = best[0]
        out.append(Placement(i, best[1], best[2]))
    return out


class _LinearRelaxation:
    """The time-indexed LP, solved by column generation with GLOP.

    Rows: each vessel starts exactly once; each berth-time unit is covered by at most one
    vessel. Columns x[i, k, t] are priced analytically from the duals (prefix sums over time),
    so the full column set, often a million columns, is never built."""

    def __init__(self, instance: Instance, seed: Sequence[Placement]) -> None:
        self.instance = instance
        self.lp = pywraplp.Solver.CreateSolver("GLOP")
        self.horizon = max(instance.berth_close) + 1
        self.assign = [self.lp.Constraint(1, 1) for _ in range(instance.vessels)]
        self.cover = [
            [self.lp.Constraint(-self.lp.infinity(), 1) for _ in range(self.horizon)]
            for _ in range(instance.berths)
        ]
        self.columns: set[tuple[int, int, int]] = set()
        big = 10 * (sum(instance.weight) * self.horizon + 1)
        for row in self.assign:  # artificial columns keep every restricted LP feasible
            artificial = self.lp.NumVar(0, 1, "")
            row.SetCoefficient(artificial, 1)
            self.lp.Objective().SetCoefficient(artificial, big)
        for p in seed:
            self._add(p.vessel, p.berth, p.start)
        self.windows = {
            (i, k): w
            for i in range(instance.vessels)
            for k in range(instance.berths)
            if (w := instance.window(i, k)) is not None
        }

    def _add(self, i: int, k: int, t: int) -> None:
        if (i, k, t) in self.columns:
            return
        self.columns.add((i, k, t))
        var = self.lp.NumVar(0, 1, "")
        self.lp.Objective().SetCoefficient(var, _cost(self.instance, i, k, t))
        self.assign[i].SetCoefficient(var, 1)
        for u in range(t, t + self.instance.handling[i][k]):
            self.cover[k][u].SetCoefficient(var, 1)

    def reduced_costs(self) -> dict[tuple[int, int], tuple[int, np.ndarray]]:
        """(i, k) -> (first start, reduced cost of each start in the window) at current duals."""
        inst = self.instance
        u = [row.dual_value() for row in self.assign]
        prefix = [
            np.concatenate(([0.0], np.cumsum([row.dual_value() for row in rows])))
            for rows in self.cover
        ]
        out = {}
        for (i, k), (lo, hi) in self.windows.items():
            h = inst.handling[i][k]
            t = np.arange(lo, hi + 1)
            cost = inst.weight[i] * (t + h - inst.arrival[i])
            out[i, k] = (lo, cost - u[i] - (prefix[k][t + h] - prefix[k][t]))
        return out

    def solve(self, deadline: float, per_pair: int = 3) -> float | None:
        """Column generation to LP optimality; the LP value, or None if out of time."""
        self.lp.Objective().SetMinimization()
        while True:
            self.lp.SetTimeLimit(max(1, int((deadline - time.monotonic()) * 1000)))
            if self.lp.Solve() != pywraplp.Solver.OPTIMAL:
                return None
            added = 0
            for (i, k), (lo, rc) in self.reduced_costs().items():
                negative = np.flatnonzero(rc < -1e-7)
                if negative.size:
                    for j in negative[np.argsort(rc[negative])[:per_pair]]:
                        self._add(i, k, lo + int(j))
                        added += 1
            if not added:
                return self.lp.Objective().Value()
            if time.monotonic() > deadline:
                return None


def _columns_within(
    costs: dict[tuple[int, int], tuple[int, np.ndarray]], gap: float
) -> list[tuple[int, int, int]]:
    return [
        (i, k, lo + int(j))
        for (i, k), (lo, rc) in costs.items()
        for j in np.flatnonzero(rc <= gap + 1e-6)
    ]


def _incumbent(
    instance: Instance,
    columns: Sequence[tuple[int, int, int]],
    *,
    hint: Sequence[Placement],
    seconds: float,
    workers: int,
) -> list[Placement]:
    """CP-SAT (its LNS finds good schedules fast) on the time-indexed model over ``columns``;
    the best schedule found, or [] if none."""
    model = cp_model.CpModel()
    by_vessel: dict[int, list[cp_model.IntVar]] = {}
    cover: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    var = {}
    for i, k, t in columns:
        x = model.new_bool_var(f"x{i}_{k}_{t}")
        var[i, k, t] = x
        by_vessel.setdefault(i, []).append(x)
        for u in range(t, t + instance.handling[i][k]):
            cover.setdefault((k, u), []).append(x)
    if len(by_vessel) < instance.vessels:
        return []
    for lits in by_vessel.values():
        model.add_exactly_one(lits)
    for lits in cover.values():
        if len(lits) > 1:
            model.add_at_most_one(lits)
    model.minimize(sum(_cost(instance, i, k, t) * x for (i, k, t), x in var.items()))
    chosen = {(p.vessel, p.berth, p.start) for p in hint}
    for key, x in var.items():
        model.add_hint(x, key in chosen)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, seconds)
    solver.parameters.num_workers = workers
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return []
    return [Placement(i, k, t) for (i, k, t), x in var.items() if solver.boolean_value(x)]


def _prove(
    instance: Instance,
    columns: Sequence[tuple[int, int, int]],
    *,
    hint: Sequence[Placement],
    seconds: float,
    workers: int,
) -> tuple[str, list[Placement], float]:
    """Branch and bound (SCIP) on the time-indexed model over ``columns``, started from
    ``hint``: ("optimal", best, bound) when it proved the best schedule over these columns,
    else ("feasible" or "unknown", best found, bound); "infeasible" when there is none."""
    mip = pywraplp.Solver.CreateSolver("SCIP")
    mip.SetNumThreads(workers)
    objective = mip.Objective()
    assign = [mip.Constraint(1, 1) for _ in range(instance.vessels)]
    cover: dict[tuple[int, int], pywraplp.Constraint] = {}
    var = {}
    for i, k, t in columns:
        x = mip.BoolVar("")
        var[i, k, t] = x
        objective.SetCoefficient(x, _cost(instance, i, k, t))
        assign[i].SetCoefficient(x, 1)
        for u in range(t, t + instance.handling[i][k]):
            if (k, u) not in cover:
                cover[k, u] = mip.Constraint(0, 1)
            cover[k, u].SetCoefficient(x, 1)
    objective.SetMinimization()
    if hint:
        chosen = {(p.vessel, p.berth, p.start) for p in hint}
        mip.SetHint(list(var.values()), [float(key in chosen) for key in var])
    mip.SetTimeLimit(max(100, int(seconds * 1000)))
    status = mip.Solve()
    if status == pywraplp.Solver.INFEASIBLE:
        return "infeasible", [], float("inf")
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return "unknown", [], objective.BestBound()
    found = [Placement(i, k, t) for (i, k, t), x in var.items() if x.solution_value() > 0.5]
    state = "optimal" if status == pywraplp.Solver.OPTIMAL else "feasible"
    return state, found, objective.BestBound()


def solve(
    instance: Instance,
    *,
    time_limit: float = 60.0,
    workers: int = 2,
    hint: Sequence[Placement] | None = None,
) -> Result:
    """Solve to proven optimality when time allows.

    1. The LP relaxation of the time-indexed model (Buhrkal et al. 2011 found it very tight for
       the DBAP), solved by column generation, gives a lower bound ``lb`` and reduced costs.
    2. CP-SAT looks for a good schedule ``UB`` among the columns of small reduced cost.
    3. Any schedule using a column of reduced cost above ``UB - lb`` costs more than ``UB``
       (reduced-cost fixing); so the optimum of a branch and bound (SCIP, warm-started from the
       incumbent) over the remaining columns is the optimum of the whole problem.
    """
    started = time.monotonic()
    deadline = started + time_limit
    seed = list(hint) if hint else (greedy(instance) or [])
    best = seed if seed and not _violations(instance, seed) else []

    def upper() -> int | None:
        return objective_of(instance, best) if best else None

    relaxation = _LinearRelaxation(instance, best)
    lp_value = relaxation.solve(deadline)
    if lp_value is None:
        return _result(instance, "feasible" if best else "unknown", best, None, started)
    if lp_value > 1e6 * max(1, instance.vessels):  # an artificial column stayed in the LP
        return _result(instance, "infeasible", [], None, started)
    lower = int(np.ceil(lp_value - 1e-6))
    costs = relaxation.reduced_costs()

    gap = max(2.0, 0.002 * lower)
    while not (best and upper() <= lower):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        found = _incumbent(
            instance,
            sorted(set(_columns_within(costs, gap)) | {(p.vessel, p.berth, p.start) for p in best}),
            hint=best,
            seconds=min(left, max(2.0, 0.15 * time_limit)),
            workers=workers,
        )
        if found and (not best or objective_of(instance, found) < upper()):
            best = found
        if best:
            break
        gap *= 4  # no schedule among these columns yet: widen the set
    if not best:
        return _result(instance, "unknown", [], lower, started)
    if upper() <= lower:
        return _result(instance, "optimal", best, lower, started)
    left = deadline - time.monotonic()
    if left <= 0:
        return _result(instance, "feasible", best, lower, started)

    state, found, bound = _prove(
        instance,
        _columns_within(costs, upper() - lp_value),
        hint=best,
        seconds=left,
        workers=workers,
    )
    if found and objective_of(instance, found) < upper():
        best = found
    if state in ("optimal", "infeasible"):
        return _result(instance, "optimal", best, upper(), started)
    bound = max(lower, int(np.ceil(bound - 1e-6))) if state != "unknown" else lower
    return _result(instance, "feasible", best, min(bound, upper()), started)


def _violations(instance: Instance, placements: Sequence[Placement]) -> list[str]:
    solution = solution_json(instance, Result("", None, None, 0.0, tuple(placements)))
    return check_dbap(instance, solution).violations


def _result(
    instance: Instance,
    status: str,
    placements: Sequence[Placement],
    bound: int | None,
    started: float,
) -> Result:
    return Result(
        status=status,
        objective=objective_of(instance, placements) if placements else None,
        bound=bound,
        seconds=time.monotonic() - started,
        placements=tuple(sorted(placements, key=lambda p: p.vessel)),
    )


def instance_files(set_dir: Path) -> list[Path]:
    folder = set_dir / "instances" if (set_dir / "instances").is_dir() else set_dir
    return sorted(p for p in folder.iterdir() if p.suffix == ".txt")


def instance_name(path: Path) -> str:
    return path.stem


def read_best_known(set_dir: Path) -> dict[str, float]:
    """``best_known.csv`` of the set (column ``value``, blank where not computed), if any."""
    path = set_dir / "best_known.csv"
    if not path.exists():
        return {}
    with path.open(newline="") as handle:
        return {
            Path(row["instance"]).stem: float(row["value"])
            for row in csv.DictReader(handle)
            if row.get("value", "").strip()
        }
