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
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder_helper as mbh

from berthing.solvers.check.dbap import check_dbap

FORBIDDEN = 99999
#: Above this many columns the LP takes minutes (Kramer's f200x15 has 820,000 and GLOP had not
#: solved it after 200 s); a Lagrangian bound is used instead.
LP_COLUMNS = 300_000


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

    def lagrangian(self, upper: float, seconds: float) -> tuple[float, np.ndarray, np.ndarray]:
        """A lower bound and reduced costs for models too big for the LP in time: the berth
        rows are relaxed with multipliers ``λ >= 0`` (subgradient steps towards ``upper``), each
        vessel then takes its cheapest column, and ``L(λ) = -Σλ + Σ_i min_j (c_j + Σλ over j's
        time units)`` is a lower bound for every ``λ >= 0``. A schedule using column j costs at
        least ``L + (c_j + λ·a_j - min of its vessel)``, which is what reduced-cost fixing needs."""
        deadline = time.monotonic() + seconds
        n = self.instance.vessels
        cover = self.matrix[n:, :]
        spread = cover.T.tocsr()
        first = np.flatnonzero(np.r_[True, self.vessel[1:] != self.vessel[:-1]])
        ends = np.r_[first[1:], self.cost.size]
        multipliers = np.zeros(cover.shape[0])
        best_value, best_reduced = -np.inf, self.cost.copy()
        best_chosen = np.zeros(self.cost.size)
        step, stalled = 0.5, 0
        while time.monotonic() < deadline and step > 1e-4:
            priced = self.cost + spread @ multipliers
            cheapest = np.minimum.reduceat(priced, first)
            value = cheapest.sum() - multipliers.sum()
            chosen = first + np.array(
                [int(np.argmin(priced[a:b])) for a, b in zip(first, ends, strict=True)]
            )
            if value > best_value + 1e-9:
                best_value, stalled = value, 0
                best_reduced = priced - np.repeat(cheapest, ends - first)
                best_chosen[:] = 0.0
                best_chosen[chosen] = 1.0
            else:
                stalled += 1
                if stalled >= 20:
                    step, stalled = step / 2, 0
            used = np.bincount(cover[:, chosen].indices, minlength=cover.shape[0])
            direction = used - 1.0
            direction[(multipliers <= 0) & (direction < 0)] = 0.0  # projected on λ >= 0
            norm = float(direction @ direction)
            if norm == 0:
                break
            multipliers = np.maximum(
                0.0, multipliers + step * max(upper - value, 1.0) / norm * direction
            )
        return best_value, best_reduced, best_chosen

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


def solve(
    instance: Instance,
    *,
    time_limit: float = 60.0,
    workers: int = 2,
    hint: Sequence[Placement] | None = None,
) -> Result:
    """Solve to proven optimality when time allows.

    1. The LP relaxation of the time-indexed model gives a lower bound ``lp`` and every
       column's reduced cost ``rc`` (for models too big for the LP, a Lagrangian bound and its
       reduced costs instead). List scheduling in the order of the LP's start times gives a
       first schedule.
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
        upper = objective_of(instance, best) if best else float(model.cost.max() * instance.vessels)
        relaxed = model.lagrangian(upper, 0.4 * (deadline - time.monotonic()))
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
