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
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from ortools.linear_solver import pywraplp
from ortools.linear_solver.python import model_builder_helper as mbh

from berthing.solvers.check.dbap import check_dbap

FORBIDDEN = 99999
#: Above this many columns the LP takes minutes (Kramer's f200x15 has 820,000 and GLOP had not
#: solved it after 200 s); the same LP is solved by decomposition over berths instead.
LP_COLUMNS = 300_000
#: Dual smoothing of the decomposition (Wentges 1997): price at this mix of the best multipliers
#: so far and the master's.
SMOOTHING = 0.9
#: The local search for such models accepts a worse schedule within this share of the best cost,
#: shrinking to nothing by the deadline (threshold accepting).
TOLERANCE = 0.001


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
# Solver: the time-indexed LP for the bound and reduced costs, then branch and bound on the
# columns that can still be part of an improving schedule, widened until that is proven.
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


class _Incumbent:
    """The best schedule a search has found so far, as chosen columns (thread-safe)."""

    def __init__(self, cost: np.ndarray, columns: np.ndarray) -> None:
        self._cost = cost
        self._columns = columns
        self._lock = threading.Lock()

    def columns(self) -> np.ndarray:
        with self._lock:
            return self._columns

    def value(self) -> float:
        with self._lock:
            return float(self._cost[self._columns].sum()) if self._columns.size else np.inf

    def offer(self, columns: np.ndarray) -> bool:
        with self._lock:
            better = not self._columns.size or (
                self._cost[columns].sum() < self._cost[self._columns].sum() - 0.5
            )
            if better:
                self._columns = columns
            return better


class _TimeIndexed:
    """Every column x[i, k, t] (vessel i starts at berth k at time t) of the time-indexed model
    as one sparse matrix. Rows: vessel i starts exactly once (rows ``0..n-1``); berth k is
    busy with at most one vessel in time unit u (row ``n + k * horizon + u``)."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        n = instance.vessels
        self.horizon = max(instance.berth_close) + 1
        self.rows = n + instance.berths * self.horizon
        vessel, berth, start, rows, lengths = [], [], [], [], []
        for i in range(n):
            for k in range(instance.berths):
                if (w := instance.window(i, k)) is None:
                    continue
                h = instance.handling[i][k]
                t = np.arange(w[0], w[1] + 1)
                vessel.append(np.full(t.size, i))
                berth.append(np.full(t.size, k))
                start.append(t)
                block = np.empty((t.size, h + 1), dtype=np.int64)
                block[:, 0] = i
                block[:, 1:] = n + k * self.horizon + t[:, None] + np.arange(h)[None, :]
                rows.append(block.ravel())
                lengths.append(np.full(t.size, h + 1))
        if not vessel:
            vessel = berth = start = rows = lengths = [np.zeros(0, dtype=np.int64)]
        self.vessel = np.concatenate(vessel)
        self.berth = np.concatenate(berth)
        self.start = np.concatenate(start)
        handling = np.array(
            [[h if h is not None else 0 for h in row] for row in instance.handling], dtype=np.int64
        ).reshape(n, instance.berths)
        weight = np.array(instance.weight, dtype=np.int64)
        arrival = np.array(instance.arrival, dtype=np.int64)
        self.cost = (
            weight[self.vessel]
            * (self.start + handling[self.vessel, self.berth] - arrival[self.vessel])
        ).astype(float)
        pointers = np.concatenate(([0], np.cumsum(np.concatenate(lengths))))
        indices = np.concatenate(rows)
        self.matrix = sp.csc_matrix(
            (np.ones(indices.size), indices, pointers), shape=(self.rows, self.vessel.size)
        )
        self.index = {
            (int(i), int(k), int(t)): j
            for j, (i, k, t) in enumerate(zip(self.vessel, self.berth, self.start, strict=True))
        }
        self.end = self.start + handling[self.vessel, self.berth]
        self.row_lower = np.concatenate((np.ones(n), np.full(self.rows - n, -np.inf)))

    def columns_of(self, placements: Sequence[Placement]) -> np.ndarray:
        return np.array(
            [self.index[p.vessel, p.berth, p.start] for p in placements], dtype=np.int64
        )

    def _model(self, columns: np.ndarray) -> mbh.ModelBuilderHelper:
        model = mbh.ModelBuilderHelper()
        model.fill_model_from_sparse_data(
            np.zeros(columns.size),
            np.ones(columns.size),
            self.cost[columns],
            self.row_lower,
            np.ones(self.rows),
            self.matrix[:, columns].tocsr(),
        )
        return model

    def relaxation(self, seconds: float) -> tuple[float, np.ndarray, np.ndarray] | str:
        """The LP optimum and every column's reduced cost (Buhrkal et al. 2011 found this LP very
        tight for the DBAP); "infeasible" when no schedule exists, "unknown" when out of time."""
        solver = mbh.ModelSolverHelper("glop")
        solver.set_time_limit_in_seconds(max(0.1, seconds))
        solver.solve(self._model(np.arange(self.cost.size)))
        if solver.status() == mbh.SolveStatus.INFEASIBLE:
            return "infeasible"
        if solver.status() != mbh.SolveStatus.OPTIMAL:
            return "unknown"
        duals = np.asarray(solver.dual_values())
        primal = np.asarray(solver.variable_values())
        return solver.objective_value(), self.cost - self.matrix.T @ duals, primal

    def branch_and_bound(
        self,
        columns: np.ndarray,
        *,
        hint: np.ndarray,
        seconds: float,
        workers: int,
    ) -> tuple[bool, np.ndarray | None, float]:
        """SCIP on the 0/1 model over ``columns``, started from the columns in ``hint``:
        (proven optimal over these columns, chosen columns or None, best bound)."""
        model = self._model(columns)
        for j in range(columns.size):
            model.set_var_integrality(j, True)
        chosen = set(hint.tolist())
        for j, column in enumerate(columns.tolist()):
            model.add_hint(j, 1.0 if column in chosen else 0.0)
        solver = mbh.ModelSolverHelper("scip")
        solver.set_time_limit_in_seconds(max(0.1, seconds))
        solver.set_solver_specific_parameters(f"parallel/maxnthreads = {workers}")
        solver.solve(model)
        status = solver.status()
        if status == mbh.SolveStatus.INFEASIBLE:
            return True, None, float("inf")
        if status not in (mbh.SolveStatus.OPTIMAL, mbh.SolveStatus.FEASIBLE):
            return False, None, -float("inf")
        values = np.asarray(solver.variable_values())
        found = columns[values > 0.5]
        return status == mbh.SolveStatus.OPTIMAL, found, solver.best_objective_bound()

    def guided(self, weights: np.ndarray) -> list[Placement] | None:
        """List scheduling led by a relaxation: vessels in the order of their mean start in
        ``weights`` (LP values), each at the berth and the first idle stretch where it finishes
        soonest, the berth the relaxation prefers on ties."""
        inst = self.instance
        mean_start = np.bincount(self.vessel, weights * self.start, minlength=inst.vessels)
        mass = np.bincount(self.vessel, weights, minlength=inst.vessels)
        mean_start = np.where(mass > 0, mean_start / np.maximum(mass, 1e-9), inst.arrival)
        berth_mass = np.zeros((inst.vessels, inst.berths))
        np.add.at(berth_mass, (self.vessel, self.berth), weights)
        busy: list[list[tuple[int, int]]] = [[] for _ in range(inst.berths)]
        out = []
        for i in sorted(range(inst.vessels), key=lambda i: (mean_start[i], inst.arrival[i], i)):
            choice = None
            for k in range(inst.berths):
                if (w := inst.window(i, k)) is None:
                    continue
                h, t = inst.handling[i][k], w[0]
                for s, e in busy[k]:
                    if e <= t:
                        continue
                    if s >= t + h:
                        break
                    t = e
                if t <= w[1]:
                    key = (t + h, -berth_mass[i, k])
                    if choice is None or key < choice[0]:
                        choice = (key, k, t)
            if choice is None:
                return None
            _, k, t = choice
            busy[k].append((t, t + inst.handling[i][k]))
            busy[k].sort()
            out.append(Placement(i, k, t))
        return out

    def improve(
        self,
        incumbent: _Incumbent,
        allowed: np.ndarray,
        *,
        deadline: float,
        stop: threading.Event,
        workers: int = 1,
    ) -> None:
        """Large-neighbourhood search: free the vessels of a sliding window of start times,
        keep the others where they are, and let branch and bound re-place the window among the
        ``allowed`` columns; a pass that improves nothing widens the window. Improvements go to
        ``incumbent`` (which a proof running beside it reads and feeds too)."""
        size = min(12, self.instance.vessels)
        while time.monotonic() < deadline and not stop.is_set():
            improved = False
            columns = incumbent.columns()
            order = columns[np.argsort(self.start[columns], kind="stable")]
            for first in range(0, max(1, order.size - size // 2), size // 2):
                left = deadline - time.monotonic()
                if left <= 0 or stop.is_set():
                    break
                columns = incumbent.columns()
                free = np.isin(self.vessel, self.vessel[order[first : first + size]])
                _, found, _ = self.branch_and_bound(
                    np.union1d(np.flatnonzero(free & allowed), columns),
                    hint=columns,
                    seconds=min(left, 3.0),
                    workers=workers,
                )
                if found is not None and incumbent.offer(found):
                    improved = True
            if not improved:
                if size >= min(24, self.instance.vessels):
                    break
                size = min(24, self.instance.vessels, size * 3 // 2)

    def placements(self, columns: np.ndarray) -> list[Placement]:
        return [
            Placement(int(self.vessel[j]), int(self.berth[j]), int(self.start[j])) for j in columns
        ]


class _BerthSchedules:
    """The time-indexed LP of a model too big for GLOP, solved by Dantzig–Wolfe decomposition
    over the berths (as van den Akker, Hoogeveen and van de Velde did for machine scheduling).

    The master chooses whole berth schedules (each berth at most one) so that every vessel is
    served once. Given multipliers ``u`` on the vessel rows, the cheapest schedule of a berth is
    a weighted interval scheduling problem: a dynamic programme over start times with
    ``c_j − u_i`` per column. Its polytope is integral, so the master's optimum is the LP bound of
    the time-indexed model, and for every ``u``

        ``L(u) = Σ_i u_i + Σ_k (cheapest schedule of berth k)``

    is a lower bound. A schedule that uses column ``j`` costs at least ``L(u) + rc_j`` where
    ``rc_j`` is what forcing ``j`` into its berth's schedule adds (a forward and a backward pass).
    """

    def __init__(self, model: _TimeIndexed) -> None:
        self.model = model
        self.berths = model.instance.berths
        self.last = model.horizon + 1
        self.by_start = np.argsort(model.start, kind="stable")
        self.start_bounds = np.searchsorted(model.start[self.by_start], np.arange(self.last + 2))
        self.by_end = np.argsort(model.end, kind="stable")
        self.end_bounds = np.searchsorted(model.end[self.by_end], np.arange(self.last + 2))

    def cheapest_from(self, priced: np.ndarray) -> np.ndarray:
        """``f[k, t]``: the cheapest schedule of berth k among the columns starting at ``t`` or
        later (an empty schedule costs 0)."""
        m, f = self.model, np.zeros((self.berths, self.last + 1))
        for t in range(self.last - 1, -1, -1):
            f[:, t] = f[:, t + 1]
            cols = self.by_start[self.start_bounds[t] : self.start_bounds[t + 1]]
            if cols.size:
                values = priced[cols] + f[m.berth[cols], np.minimum(m.end[cols], self.last)]
                np.minimum.at(f[:, t], m.berth[cols], values)
        return f

    def cheapest_until(self, priced: np.ndarray) -> np.ndarray:
        """``g[k, t]``: the cheapest schedule of berth k among the columns ending by ``t``."""
        m, g = self.model, np.zeros((self.berths, self.last + 1))
        for t in range(1, self.last + 1):
            g[:, t] = g[:, t - 1]
            cols = self.by_end[self.end_bounds[t] : self.end_bounds[t + 1]]
            if cols.size:
                values = priced[cols] + g[m.berth[cols], m.start[cols]]
                np.minimum.at(g[:, t], m.berth[cols], values)
        return g

    def schedules(self, priced: np.ndarray, f: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Each berth's cheapest schedule (its columns), traced back through ``f``."""
        m, out = self.model, []
        for k in range(self.berths):
            t, chosen = 0, []
            while t < self.last:
                if f[k, t] >= f[k, t + 1] - 1e-9:
                    t += 1
                    continue
                cols = self.by_start[self.start_bounds[t] : self.start_bounds[t + 1]]
                cols = cols[m.berth[cols] == k]
                values = priced[cols] + f[k, np.minimum(m.end[cols], self.last)]
                j = int(cols[np.argmin(values)])
                chosen.append(j)
                t = int(m.end[j])
            out.append((k, np.array(chosen, dtype=np.int64)))
        return out

    def solve(self, start: np.ndarray, seconds: float) -> tuple[float, np.ndarray, np.ndarray]:
        """Column generation from the berth schedules of ``start`` (a schedule's columns) until
        the master and the bound meet or time runs out: (bound, reduced costs, LP values)."""
        deadline = time.monotonic() + seconds
        m = self.model
        n = m.instance.vessels
        master = pywraplp.Solver.CreateSolver("GLOP")
        served = [master.Constraint(1.0, 1.0) for _ in range(n)]
        berth_rows = [master.Constraint(-master.infinity(), 1.0) for _ in range(self.berths)]
        objective = master.Objective()
        # Vessels nobody serves yet, at a high price, keep the master feasible. (Any price gives
        # a valid bound; a low one only weakens it, a huge one makes GLOP's numbers unstable.)
        unserved = 10.0 * float(m.cost.max())
        for row in served:
            slack = master.NumVar(0.0, master.infinity(), "")
            row.SetCoefficient(slack, 1.0)
            objective.SetCoefficient(slack, unserved)
        plans: list[tuple[pywraplp.Variable, np.ndarray]] = []

        def add(k: int, columns: np.ndarray) -> None:
            variable = master.NumVar(0.0, master.infinity(), "")
            for i, count in zip(*np.unique(m.vessel[columns], return_counts=True), strict=True):
                served[int(i)].SetCoefficient(variable, float(count))
            berth_rows[k].SetCoefficient(variable, 1.0)
            objective.SetCoefficient(variable, float(m.cost[columns].sum()))
            plans.append((variable, columns))

        for k in range(self.berths):
            if (mine := start[m.berth[start] == k]).size:
                add(k, mine)
        best = np.full(n, np.inf)  # each vessel's cheapest column: L(best) is the trivial bound
        np.minimum.at(best, m.vessel, m.cost)
        bound, added = float(best.sum()), 0
        while time.monotonic() < deadline:
            if master.Solve() != pywraplp.Solver.OPTIMAL:
                break
            value = objective.Value()
            duals = np.array([row.dual_value() for row in served])
            berth_duals = np.array([row.dual_value() for row in berth_rows])
            mix, added = SMOOTHING, 0
            while True:
                u = mix * best + (1 - mix) * duals
                priced = m.cost - u[m.vessel]
                f = self.cheapest_from(priced)
                if (bound_u := float(u.sum() + f[:, 0].sum())) > bound:
                    bound, best = bound_u, u
                for k, columns in self.schedules(priced, f):
                    cost = m.cost[columns].sum() - duals[m.vessel[columns]].sum()
                    if columns.size and cost - berth_duals[k] < -1e-6:
                        add(k, columns)
                        added += 1
                if added or mix == 0.0:
                    break
                mix = mix / 2 if mix > 0.1 else 0.0  # a mispricing: trust the master more
            if not added or value - bound < 0.5:
                break
        priced = m.cost - best[m.vessel]
        f, g = self.cheapest_from(priced), self.cheapest_until(priced)
        reduced = (
            g[m.berth, m.start] + priced + f[m.berth, np.minimum(m.end, self.last)] - f[m.berth, 0]
        )
        values = np.zeros(m.cost.size)
        if added and master.Solve() != pywraplp.Solver.OPTIMAL:
            return bound, np.maximum(reduced, 0.0), values
        for variable, columns in plans:
            values[columns] += variable.solution_value()
        return bound, np.maximum(reduced, 0.0), values


class _Sequences:
    """A schedule as each berth's vessel order, every vessel starting as early as its arrival and
    the vessel before allow (for a fixed order that is optimal: costs only grow with time).

    Used where branch and bound is too slow for the size (Kramer's 200 vessels): moving one
    vessel to its cheapest place anywhere and swapping two vessels are evaluated in a few
    microseconds each, and an iterated local search perturbs and descends again."""

    def __init__(self, instance: Instance, placements: Sequence[Placement]) -> None:
        self.instance = instance
        self.order: list[list[int]] = [[] for _ in range(instance.berths)]
        for p in sorted(placements, key=lambda p: (p.start, p.vessel)):
            self.order[p.berth].append(p.vessel)
        self.starts: list[list[int]] = [[] for _ in self.order]
        self.ends: list[list[int]] = [[] for _ in self.order]
        self.costs = [0.0] * len(self.order)
        for k in range(len(self.order)):
            self.retime(k)

    def cost_of(self, k: int, order: Sequence[int]) -> float:
        """The cost of berth k serving ``order``; infinite where a vessel misses a deadline."""
        inst, t, total = self.instance, self.instance.berth_open[k], 0
        for i in order:
            h = inst.handling[i][k]
            if h is None:
                return np.inf
            t = max(t, inst.arrival[i]) + h
            if t > inst.berth_close[k] or t > inst.latest_departure[i]:
                return np.inf
            total += inst.weight[i] * (t - inst.arrival[i])
        return total

    def retime(self, k: int) -> None:
        inst, t = self.instance, self.instance.berth_open[k]
        self.starts[k], self.ends[k] = [], []
        for i in self.order[k]:
            self.starts[k].append(max(t, inst.arrival[i]))
            t = self.starts[k][-1] + inst.handling[i][k]
            self.ends[k].append(t)
        self.costs[k] = self.cost_of(k, self.order[k])

    def _knock_on(self, k: int, position: int, free: int) -> float:
        """What the vessels from ``position`` on add when berth k is free from ``free``."""
        inst, order, starts, ends = self.instance, self.order[k], self.starts[k], self.ends[k]
        added = 0.0
        for q in range(position, len(order)):
            j = order[q]
            start = max(free, inst.arrival[j])
            if start == starts[q]:
                break
            free = start + inst.handling[j][k]
            if free > inst.berth_close[k] or free > inst.latest_departure[j]:
                return np.inf
            added += inst.weight[j] * (free - ends[q])
        return added

    def insertion(self, k: int, i: int) -> tuple[float, int]:
        """The cheapest position of vessel i in berth k and what it adds there."""
        inst, h = self.instance, self.instance.handling[i][k]
        best, where = np.inf, -1
        if h is None:
            return best, where
        for q in range(len(self.order[k]) + 1):
            end = max(self.ends[k][q - 1] if q else inst.berth_open[k], inst.arrival[i]) + h
            if end > inst.berth_close[k] or end > inst.latest_departure[i]:
                continue
            added = inst.weight[i] * (end - inst.arrival[i])
            if added < best and (added := added + self._knock_on(k, q, end)) < best:
                best, where = added, q
        return best, where

    def relocate(self, i: int, k: int, rng: random.Random | None = None) -> int | None:
        """Move vessel i (now at berth k) to its cheapest place, or a random feasible one with
        ``rng``: the berth it went to, None if it stayed."""
        position = self.order[k].index(i)
        saved = (list(self.order[k]), self.starts[k], self.ends[k], self.costs[k])
        del self.order[k][position]
        self.retime(k)
        candidates = [
            (added, other, q)
            for other in range(len(self.order))
            for added, q in [self.insertion(other, i)]
            if q >= 0
        ]
        if rng is not None:
            feasible = [c for c in candidates if np.isfinite(c[0])]
            added, other, q = rng.choice(feasible) if feasible else (np.inf, k, position)
        else:
            added, other, q = min(candidates, default=(np.inf, k, position))
        if not np.isfinite(added) or (
            rng is None and added >= saved[3] - self.costs[k] - 0.5
        ):  # no feasible or no cheaper place: put it back
            self.order[k], self.starts[k], self.ends[k], self.costs[k] = saved
            return None
        self.order[other].insert(q, i)
        self.retime(other)
        return other

    def swap(self, k1: int) -> set[int]:
        """Swap every pair of vessels, one at berth k1, whose swap lowers the cost: the berths
        that changed."""
        changed = set()
        for k2 in range(len(self.order)):
            for p1 in range(len(self.order[k1])):
                for p2 in range(p1 + 1 if k1 == k2 else 0, len(self.order[k2])):
                    first, second = list(self.order[k1]), list(self.order[k2])
                    i, j = first[p1], second[p2]
                    if k1 == k2:
                        first[p1], first[p2] = j, i
                        if self.cost_of(k1, first) < self.costs[k1] - 0.5:
                            self.order[k1] = first
                            self.retime(k1)
                            changed.add(k1)
                        continue
                    first[p1], second[p2] = j, i
                    if (cost := self.cost_of(k1, first)) >= self.costs[k1] + self.costs[k2]:
                        continue
                    if cost + self.cost_of(k2, second) < self.costs[k1] + self.costs[k2] - 0.5:
                        self.order[k1], self.order[k2] = first, second
                        self.retime(k1)
                        self.retime(k2)
                        changed |= {k1, k2}
        return changed

    def descend(self, deadline: float, dirty: set[int] | None = None) -> None:
        """Swaps and moves from the ``dirty`` berths (all by default) until none lowers the
        cost; a berth that changes is looked at again."""
        dirty = set(range(len(self.order))) if dirty is None else dirty
        while dirty and time.monotonic() < deadline:
            k = dirty.pop()
            dirty |= self.swap(k)
            for i in list(self.order[k]):
                if (moved := self.relocate(i, k)) is not None:
                    dirty |= {k, moved}

    def placements(self) -> list[Placement]:
        return [
            Placement(i, k, self.starts[k][q])
            for k, order in enumerate(self.order)
            for q, i in enumerate(order)
        ]

    def search(self, deadline: float, *, kick: int = 3, seed: int = 0) -> list[Placement]:
        """Iterated local search: descend, move ``kick`` random vessels to random places,
        descend again, keep the result unless it is worse."""
        rng = random.Random(seed)
        self.descend(deadline)
        best, best_cost = [list(o) for o in self.order], sum(self.costs)
        kept, kept_cost = best, best_cost
        began = time.monotonic()
        while (now := time.monotonic()) < deadline:
            slack = TOLERANCE * best_cost * (deadline - now) / max(deadline - began, 1e-9)
            dirty = set()
            for i in rng.sample(range(self.instance.vessels), kick):
                k = next(k for k, order in enumerate(self.order) if i in order)
                if (moved := self.relocate(i, k, rng)) is not None:
                    dirty |= {k, moved}
            self.descend(deadline, dirty)
            cost = sum(self.costs)
            if cost <= best_cost:
                best, best_cost = [list(o) for o in self.order], cost
            if cost <= kept_cost + slack:
                kept, kept_cost = [list(o) for o in self.order], cost
            else:
                self.order = [list(o) for o in kept]
                for k in range(len(self.order)):
                    self.retime(k)
        self.order = best
        for k in range(len(self.order)):
            self.retime(k)
        return self.placements()


def solve(
    instance: Instance,
    *,
    time_limit: float = 60.0,
    workers: int = 2,
    hint: Sequence[Placement] | None = None,
) -> Result:
    """Solve to proven optimality when time allows.

    1. The LP relaxation of the time-indexed model gives a lower bound ``lp`` and every
       column's reduced cost ``rc`` (for models too big for GLOP, the same LP by decomposition over
       berths, with Lagrangian reduced costs). List scheduling in the order of the LP's start
       times gives a first schedule.
    2. A schedule that uses a column costs at least ``lp + rc`` of it. So branch and bound over
       the columns with ``rc <= g`` finds the optimum of the whole problem as soon as the best
       schedule it finds costs at most ``lp + g``; while it does not, any better schedule must
       use a column with ``rc > g`` and therefore costs more than ``lp + g``, which is a lower
       bound, and ``g`` is widened towards the incumbent's gap.
    3. Beside the proof, on the second core, a large-neighbourhood search (branch and bound
       re-placing a window of vessels) improves the LP-guided schedule; where no proof comes
       within reach in time, its schedule is often the better one.
    """
    started = time.monotonic()
    deadline = started + time_limit
    seed = list(hint) if hint else (greedy(instance) or [])
    best = seed if seed and not _violations(instance, seed) else []

    model = _TimeIndexed(instance)
    if model.cost.size <= LP_COLUMNS:
        relaxed = model.relaxation(deadline - time.monotonic())
    else:
        first = model.columns_of(best) if best else np.zeros(0, dtype=np.int64)
        relaxed = _BerthSchedules(model).solve(first, 0.6 * (deadline - time.monotonic()))
    if relaxed == "infeasible":
        return _result(instance, "infeasible", [], None, started)
    if isinstance(relaxed, str):
        return _result(instance, "feasible" if best else "unknown", best, None, started)
    lp, reduced, weights = relaxed
    lower = int(np.ceil(lp - 1e-6))
    best_columns = model.columns_of(best) if best else np.zeros(0, dtype=np.int64)
    guided = model.guided(weights)
    start = model.columns_of(guided) if guided else best_columns
    if best and (not guided or model.cost[best_columns].sum() < model.cost[start].sum()):
        start = best_columns
    if model.cost.size > LP_COLUMNS and start.size == instance.vessels:
        # Branch and bound does not reach the root of such a model in time; a local search over
        # berth orders from the LP-guided schedule does better.
        found = _Sequences(instance, model.placements(start)).search(deadline)
        if not best or objective_of(instance, found) < objective_of(instance, best):
            best = found
        upper = objective_of(instance, best)
        status = "optimal" if upper <= lower else "feasible"
        return _result(instance, status, best, min(lower, upper), started)
    searched = _Incumbent(model.cost, start)
    # A large-neighbourhood search from the LP-guided schedule, on the second core beside the
    # proof (or first, for a share of the time, with one): what counts where no proof comes
    # within reach in time.
    stop, search = threading.Event(), None
    allowed = reduced <= max(20.0, 0.01 * lp)
    if start.size and model.cost[start].sum() > lower:
        if workers >= 2:
            search = threading.Thread(
                target=model.improve,
                args=(searched, allowed),
                kwargs={"deadline": deadline, "stop": stop},
                daemon=True,
            )
            search.start()
        else:
            share = time.monotonic() + 0.3 * (deadline - time.monotonic())
            model.improve(searched, allowed, deadline=share, stop=stop)
    gap = max(1.0, 0.001 * lp)
    while (left := deadline - time.monotonic()) > 0:
        upper = objective_of(instance, best) if best else None
        if upper is not None and upper <= lower:
            break
        columns = np.union1d(np.flatnonzero(reduced <= gap + 1e-6), best_columns)
        proven, found, bound = model.branch_and_bound(
            columns, hint=best_columns, seconds=left, workers=max(1, workers - 1)
        )
        if found is not None and (upper is None or model.cost[found].sum() < upper - 0.5):
            best, best_columns = model.placements(found), found
        # A better schedule uses only these columns (so costs at least ``bound``) or one more
        # column, which costs more than ``lp + gap``.
        lower = max(lower, int(np.ceil(min(bound, lp + gap) - 1e-6)))
        if not proven:
            break
        upper = objective_of(instance, best) if best else None
        gap = min(upper - lp, 8 * gap) if upper is not None and upper - lp > gap else 4 * gap
    stop.set()
    if search is not None:
        search.join(timeout=max(0.0, deadline - time.monotonic()) + 3.5)
    found = searched.columns()
    if found.size and (not best or model.cost[found].sum() < model.cost[best_columns].sum()):
        best = model.placements(found)
    if not best:
        return _result(instance, "unknown", [], lower, started)
    upper = objective_of(instance, best)
    status = "optimal" if upper <= lower else "feasible"
    return _result(instance, status, best, min(lower, upper), started)


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
