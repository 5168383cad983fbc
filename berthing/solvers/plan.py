"""The terminal's berth plan: berth allocation on a continuous quay with time-variant quay-crane
assignment (the problem of :mod:`berthing.solvers.instance`), solved with CP-SAT.

The model
---------
Time is cut into periods of ``instance.period_min`` from minute 0 (the origin is the start of the
planning horizon; no crane works before it). For each vessel ``i``:

* ``start_i`` (quay metres) ranges over the positions where the occupied stretch
  ``[start_i, start_i + loa + clearance)`` lies on the quay and touches only sections deep enough
  for its draft (a union of intervals, so depth is a domain, not a constraint);
* ``berth_i`` ranges over the ETA (or 0 when the ETA is past), the period starts after it, the
  berth window's start and the current plan's berthing time; ``depart_i`` is free in minutes;
* the rectangles ``[start_i, +loa+clearance) × [berth_i, depart_i)`` are pairwise disjoint
  (``AddNoOverlap2D``); a locked vessel's three values are constants.

Cranes are modelled by identity: ``y[c, i, k]`` says crane ``c`` works vessel ``i`` during the
whole of period ``k`` (for a locked vessel, the part of the period inside its stay). A working
period lies inside the stay; a crane works one vessel per period and none in a period its outage
touches; ``y`` implies that the crane's rail range reaches the hull; the number of cranes
``q[i, k]`` is 0 or within ``[min_cranes, max_cranes]`` (one-hot ``e[i, k, q]``); and the work
delivered, ``Σ_k minutes · efficiency_pct[q-1] · Σ_c moves_per_hour_c · y[c, i, k]``, is at least
``moves · 6000`` (exact integers). Cranes never cross: for two vessels working in the same period,
a Boolean ``left[i, j]`` orders them along the quay, and then the highest rail rank on ``i`` is
below the lowest on ``j``.

Redundant constraints tie the crane periods to the stay (``depart - berth ≥ period · Σ_k a[i, k]``
and ``Σ_k a[i, k] · best rate ≥ moves``), which gives the LP relaxation a useful bound. Vessels
without moves stay for no time and take no quay (an empty stay overlaps nothing).

The objective is exactly the one of ``instance.py``. Before the search, a greedy heuristic
(:class:`_Greedy`; several vessel orders and crane preferences, the first of them keeping each
vessel at its ``current`` placement where that still works) builds complete plans; the cheapest
is the first incumbent, is passed to CP-SAT as a complete hint (every variable), and its cost
``U`` caps each vessel's departure: no plan costing at most ``U`` departs a vessel later than
its cap, given the other vessels' cost lower bounds. The caps shrink the model without cutting
any better plan, so the reported ``bound`` is CP-SAT's proven bound for the whole model, i.e. for
plans whose crane work follows the period grid (a plan drawn by hand off the grid could in
principle beat it). "infeasible" likewise means infeasible on the grid.

After the search each unlocked vessel without a stability reference berths as early as its
stretch, its ETA and its window allow (this changes no term of the objective), so a vessel that
is not held waits for nothing.

Where ``instance.py`` leaves room, this module reads the rules as the checker
(:mod:`berthing.solvers.check.plan`) does: the occupied stretch (clearance included) lies on the
quay and touches only deep-enough sections, quay no section covers being too shallow (an
instance without sections has no depth limit); a crane reaches a vessel when its rail range and
the hull overlap by more than a point; no crane works before minute 0, and a vessel whose ETA
is past berths at minute 0 at the earliest unless its current placement says otherwise.

Progress and cancellation
-------------------------
The search runs in a worker thread; ``on_progress`` is always called in the caller's thread: on
each improving incumbent (the greedy plans included), and at least every half second in between
with the last incumbent and the latest proven bound, so that a caller can cancel at any moment
by returning False. When no greedy plan exists, the first call comes before the search starts,
with ``objective`` None and no plan. An exception raised by ``on_progress`` stops the search and
propagates.
"""

from __future__ import annotations

import math
import queue
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations, pairwise

from ortools.sat.python import cp_model

from berthing.solvers.instance import (
    Assignment,
    Crane,
    CraneShift,
    Instance,
    Placement,
    Result,
    Section,
    Vessel,
    Window,
)

#: Work is compared as ``moves_per_hour · minutes · efficiency_pct`` against ``moves · SCALE``.
SCALE = 60 * 100
#: Seconds between calls of ``on_progress`` while no new incumbent arrives.
HEARTBEAT = 0.5
#: Share of the time limit after which no further greedy variant is tried.
GREEDY_SHARE = 0.1

_STATUS = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "error",
    cp_model.UNKNOWN: "unknown",
}


@dataclass(frozen=True)
class Progress:
    """The search's state when ``on_progress`` is called: seconds since ``solve`` started, the
    incumbent's objective (None before the first), the proven bound, and the incumbent plan."""

    seconds: float
    objective: int | None
    bound: int | None
    assignments: tuple[Assignment, ...] = ()
    shifts: tuple[CraneShift, ...] = ()


# --- geometry and small helpers ----------------------------------------------------------------


def when(minute: int) -> str:
    """A time as a planner reads it: hours and minutes from the plan's origin, ``+30h15``."""
    sign = "-" if minute < 0 else "+"
    hours, minutes = divmod(abs(minute), 60)
    return f"{sign}{hours}h{minutes:02d}"


def _hours(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not rest:
        return f"{hours} h"
    return f"{hours} h {rest:02d}" if hours else f"{rest} min"


def stretch_m(instance: Instance, vessel: Vessel) -> int:
    """Metres of quay a vessel occupies, its clearance included."""
    return vessel.loa_m + instance.clearance_m


def usable_quay(instance: Instance, draft_cm: int) -> list[tuple[int, int]]:
    """Maximal stretches ``[a, b)`` of quay that touch only sections at least ``draft_cm``
    deep (the whole quay when the instance has no sections)."""
    length = instance.quay_length_m
    if not instance.sections:
        return [(0, length)] if length > 0 else []
    cuts = sorted(
        {0, length}
        | {min(max(p, 0), length) for s in instance.sections for p in (s.start_m, s.end_m)}
    )
    runs: list[tuple[int, int]] = []
    for a, b in pairwise(cuts):
        touching = [s for s in instance.sections if s.start_m < b and a < s.end_m]
        if touching and all(s.depth_cm >= draft_cm for s in touching):
            if runs and runs[-1][1] == a:
                runs[-1] = (runs[-1][0], b)
            else:
                runs.append((a, b))
    return runs


def positions(instance: Instance, vessel: Vessel) -> list[tuple[int, int]]:
    """The quay positions ``start_m`` (inclusive ranges) where the vessel fits and floats."""
    need = stretch_m(instance, vessel)
    return [(a, b - need) for a, b in usable_quay(instance, vessel.draft_cm) if b - a >= need]


def _reach_range(crane: Crane, vessel: Vessel) -> tuple[int, int]:
    """The ``start_m`` values at which the crane reaches the hull (by more than a point)."""
    if crane.max_m <= crane.min_m or vessel.loa_m <= 0:
        return 1, 0
    return crane.min_m - vessel.loa_m + 1, crane.max_m - 1


def _intersect(ranges: Sequence[tuple[int, int]], lo: int, hi: int) -> list[tuple[int, int]]:
    return [(max(a, lo), min(b, hi)) for a, b in ranges if max(a, lo) <= min(b, hi)]


def _efficiency(instance: Instance, q: int) -> int:
    table = instance.efficiency_pct
    return table[min(q, len(table)) - 1] if table else 100


def costs(instance: Instance, vessel: Vessel, a: Assignment) -> dict[str, int]:
    """The four objective terms of one vessel's placement (``instance.py``'s formula)."""
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


def components(instance: Instance, assignments: Sequence[Assignment]) -> dict[str, int]:
    totals = {"service": 0, "lateness": 0, "window": 0, "stability": 0}
    vessels = {v.id: v for v in instance.vessels}
    for a in assignments:
        for key, value in costs(instance, vessels[a.vessel], a).items():
            totals[key] += value
    return totals


# --- the period grid, a greedy start and the model ---------------------------------------------


class Infeasible(Exception):
    """Raised while building when a vessel cannot be planned at all; the message says why."""


class _Grid:
    """The period grid and the per-vessel facts that the greedy start and the model share."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.p = max(1, instance.period_min)
        self.count = max(0, math.ceil(instance.horizon_min / self.p))
        self.cranes = sorted(instance.cranes, key=lambda c: (c.rail_order, c.id))
        self.rank = {c.id: r for r, c in enumerate(self.cranes)}
        self.down = {
            c.id: {
                k
                for k in range(self.count)
                for o0, o1 in c.outages
                if max(o0, k * self.p) < min(o1, (k + 1) * self.p, instance.horizon_min)
            }
            for c in self.cranes
        }
        self.vessels = {v.id: v for v in instance.vessels}
        self.spots: dict[str, list[tuple[int, int]]] = {}
        for vessel in instance.vessels:
            if vessel.locked is not None:
                problem = _lock_problem(instance, vessel, vessel.locked)
                if problem:
                    raise Infeasible(problem)
                self.spots[vessel.id] = [(vessel.locked.start_m, vessel.locked.start_m)]
                continue
            spots = positions(instance, vessel)
            if not spots:
                raise Infeasible(
                    f"{vessel.name} ({vessel.loa_m} m, draft {vessel.draft_cm / 100:g} m) fits "
                    "nowhere on the quay: no stretch is both long and deep enough."
                )
            if self.earliest(vessel) > instance.horizon_min:
                raise Infeasible(f"{vessel.name} arrives after the plan's horizon.")
            self.spots[vessel.id] = spots
        if len({c.id for c in instance.cranes}) != len(instance.cranes):
            raise Infeasible("Two cranes share an id.")
        self._check_locks()
        for vessel in instance.vessels:
            self._check_capacity(vessel)

    def _check_locks(self) -> None:
        """Locked vessels whose rectangles overlap make any plan infeasible; say which."""
        locked = [(v, v.locked) for v in self.instance.vessels if v.locked is not None]
        for (a, la), (b, lb) in combinations(locked, 2):
            ea = la.start_m + stretch_m(self.instance, a)
            eb = lb.start_m + stretch_m(self.instance, b)
            same_time = max(la.berth_min, lb.berth_min) < min(la.depart_min, lb.depart_min)
            if same_time and max(la.start_m, lb.start_m) < min(ea, eb):
                raise Infeasible(f"{a.name} and {b.name} are locked on overlapping quay and times.")

    def _check_capacity(self, vessel: Vessel) -> None:
        """A vessel whose moves cannot be done in its possible periods even with every crane
        that could reach it makes any plan infeasible; say so in the planner's words."""
        if vessel.moves <= 0:
            return
        cranes = [
            c for c in self.cranes if _intersect(self.spots[vessel.id], *_reach_range(c, vessel))
        ]
        work = 0
        for k, minutes in self.periods(vessel, self.instance.horizon_min).items():
            rates = sorted(
                (c.moves_per_hour for c in cranes if k not in self.down[c.id]), reverse=True
            )
            top = min(vessel.max_cranes, len(rates))
            if top >= max(1, vessel.min_cranes):
                work += minutes * max(
                    sum(rates[:q]) * _efficiency(self.instance, q)
                    for q in range(max(1, vessel.min_cranes), top + 1)
                )
        if work < vessel.moves * SCALE:
            lock = vessel.locked
            until = f"its locked departure {when(lock.depart_min)}" if lock else "the horizon"
            raise Infeasible(
                f"{vessel.name} cannot finish its {vessel.moves} moves by {until}, even with "
                f"every crane that reaches it (at most {work // SCALE})."
            )

    def span(self, k: int) -> tuple[int, int]:
        return k * self.p, min((k + 1) * self.p, self.instance.horizon_min)

    @staticmethod
    def earliest(vessel: Vessel) -> int:
        """The earliest berthing the solver considers: the ETA, or the origin when it is past."""
        return max(vessel.eta_min, 0)

    def berth_times(self, vessel: Vessel, latest: int) -> list[int]:
        earliest = self.earliest(vessel)
        first = math.ceil(earliest / self.p)
        times = {earliest} | {k * self.p for k in range(first, self.count)}
        if vessel.window is not None and earliest <= vessel.window.start_min:
            times.add(vessel.window.start_min)
        cur = vessel.current
        if cur is not None and vessel.eta_min <= cur.berth_min:
            times.add(cur.berth_min)
        return sorted(t for t in times if t <= min(latest, self.instance.horizon_min))

    def periods(self, vessel: Vessel, latest: int) -> dict[int, int]:
        """Period -> minutes of it the vessel can be worked: for a locked vessel the parts of
        periods inside its stay (from the origin on), otherwise whole periods from its earliest
        berthing that end by ``latest``."""
        lock = vessel.locked
        out = {}
        if lock is not None:
            for k in range(self.count):
                t0, t1 = self.span(k)
                used = min(t1, lock.depart_min) - max(t0, lock.berth_min, 0)
                if used > 0:
                    out[k] = used
            return out
        for k in range(math.ceil(self.earliest(vessel) / self.p), self.count):
            t0, t1 = self.span(k)
            if t1 > latest:
                break
            if t1 - t0 == self.p:
                out[k] = self.p
        return out

    def best_rate(self, vessel: Vessel) -> int:
        """An upper bound on ``Σ moves_per_hour · efficiency_pct`` of any crane gang on it."""
        rates = sorted((c.moves_per_hour for c in self.cranes), reverse=True)
        top = min(vessel.max_cranes, len(rates))
        return max(
            (sum(rates[:q]) * _efficiency(self.instance, q) for q in range(1, top + 1)), default=0
        )

    def lower_bound(self, vessel: Vessel) -> tuple[int, int]:
        """The vessel's earliest possible departure and a lower bound on its cost."""
        lock = vessel.locked
        if lock is not None:
            a = Assignment(vessel.id, lock.start_m, lock.berth_min, lock.depart_min)
            return lock.depart_min, sum(costs(self.instance, vessel, a).values())
        earliest = self.earliest(vessel)
        depart = min(self.berth_times(vessel, self.instance.horizon_min), default=earliest)
        if vessel.moves > 0:
            rate = self.best_rate(vessel)
            n = math.ceil(vessel.moves * SCALE / (rate * self.p)) if rate else self.count + 1
            depart = math.ceil(earliest / self.p) * self.p + n * self.p
        return depart, self.depart_cost(vessel, depart)

    @staticmethod
    def depart_cost(vessel: Vessel, depart: int) -> int:
        """The part of a vessel's cost that its departure alone fixes (a lower bound)."""
        cost = vessel.weight_service * (depart - vessel.eta_min)
        cost += vessel.weight_late * max(0, depart - vessel.due_min)
        if vessel.window is not None:
            cost += vessel.window.penalty_per_hour * max(0, depart - vessel.window.end_min)
        return cost

    def caps(self, upper: int) -> dict[str, int]:
        """The latest departure of each vessel in any plan costing at most ``upper``."""
        bounds = {vid: self.lower_bound(v) for vid, v in self.vessels.items()}
        total = sum(cost for _, cost in bounds.values())
        out = {}
        for vid, vessel in self.vessels.items():
            if vessel.locked is not None:
                continue
            allowance = upper - (total - bounds[vid][1])
            if vessel.weight_service <= 0 and vessel.weight_late <= 0:
                out[vid] = self.instance.horizon_min
                continue
            lo, hi = bounds[vid][0], self.instance.horizon_min
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if self.depart_cost(vessel, mid) <= allowance:
                    lo = mid
                else:
                    hi = mid - 1
            depart = lo
            out[vid] = depart
        return out


def _reaches(crane: Crane, vessel: Vessel, start_m: int) -> bool:
    lo, hi = _reach_range(crane, vessel)
    return lo <= start_m <= hi


class _Greedy:
    """A quick complete plan: vessels in order (locked first, then by ETA) take the placement
    that costs them least given those already placed, each period taking the best contiguous
    gang of free, reaching, non-crossing cranes. It gives the search its first incumbent."""

    def __init__(self, grid: _Grid) -> None:
        self.grid = grid
        self.instance = grid.instance
        self.placed: dict[str, Assignment] = {}
        #: period -> vessel id -> ranks of its cranes
        self.gangs: dict[int, dict[str, list[int]]] = defaultdict(dict)
        self.on: dict[tuple[str, int], str] = {}
        self.prefer = "fast"
        self.locked_late = False
        self.keep = False

    #: Orders in which :meth:`run` may take the unlocked vessels.
    ORDERS = ("arrival", "due", "slack")

    def run(self, order: str = "arrival", gangs: str = "fast", locked_late: bool = True) -> bool:
        """Place every vessel: locked ones first, then by ``order`` ("arrival", "due", or
        "slack": due minus arrival minus the fastest handling; "current": vessels with a current
        placement first, each kept there when it still works). ``gangs`` is "fast" (the
        fastest gang) or "near" (the cranes whose rail ranges centre nearest the vessel). A
        locked vessel's departure is fixed, so with ``locked_late`` its cranes work as late as
        its stay allows, leaving the early periods to vessels that gain by finishing early."""
        self.prefer = gangs
        self.locked_late = locked_late
        self.keep = order == "current"

        def key(v: Vessel) -> tuple:
            if v.locked is not None:
                return (0, v.locked.berth_min, v.id)
            earliest = self.grid.earliest(v)
            rate = self.grid.best_rate(v)
            handling = v.moves * SCALE // rate if rate else 0
            if order == "current":
                cur = v.current
                return (1, 0 if cur else 1, cur.berth_min if cur else earliest, -v.moves, v.id)
            rank = {
                "arrival": earliest,
                "due": v.due_min,
                "slack": v.due_min - earliest - handling,
            }[order]
            return (1, 0, rank, -v.moves, v.id)

        return all(self.place(vessel) for vessel in sorted(self.instance.vessels, key=key))

    def gang(self, vessel: Vessel, k: int, x: int) -> list[int]:
        """The ranks of the best contiguous gang for the vessel at ``x`` in period ``k``."""
        left, right = -1, len(self.grid.cranes)
        for vid, ranks in self.gangs[k].items():
            if self.placed[vid].start_m < x:
                left = max(left, max(ranks))
            else:
                right = min(right, min(ranks))
        free = [
            r
            for r in range(left + 1, right)
            if (self.grid.cranes[r].id, k) not in self.on
            and k not in self.grid.down[self.grid.cranes[r].id]
            and _reaches(self.grid.cranes[r], vessel, x)
        ]
        q = min(vessel.max_cranes, len(free))
        if q < max(1, vessel.min_cranes):
            return []
        best: list[int] = []
        best_key: tuple[int, int] | None = None
        centre = x + vessel.loa_m / 2
        for n in range(len(free) - q + 1):
            window = free[n : n + q]
            rate = sum(self.grid.cranes[r].moves_per_hour for r in window)
            spread = window[-1] - window[0]
            home = sum(
                abs((self.grid.cranes[r].min_m + self.grid.cranes[r].max_m) / 2 - centre)
                for r in window
            )
            key = (rate, -spread, -home) if self.prefer == "fast" else (-home, rate, -spread)
            if best_key is None or key > best_key:
                best, best_key = window, key
        return best

    def simulate(
        self, vessel: Vessel, t: int, x: int, periods: dict[int, int], limit: int
    ) -> tuple[int, list[tuple[int, list[int]]]] | None:
        """Departure and gangs if the vessel berths at ``t`` at ``x``; None if it cannot or
        its cost would reach ``limit``."""
        need = vessel.moves * SCALE
        end_x = x + stretch_m(self.instance, vessel)
        near = [
            (a.berth_min, a.depart_min)
            for vid, a in self.placed.items()
            if a.start_m < end_x
            and x < a.start_m + stretch_m(self.instance, self.grid.vessels[vid])
            and a.depart_min > a.berth_min
        ]
        fixed = vessel.locked is not None
        locked_depart = vessel.locked.depart_min if vessel.locked is not None else t
        if need <= 0:
            depart = locked_depart
            clash = any(max(t, b) < min(depart, d) for b, d in near)
            return None if clash else (depart, [])
        done = 0
        plan = []
        for k in sorted(periods, reverse=fixed and self.locked_late):
            t0, t1 = self.grid.span(k)
            if not fixed and t0 < t:
                continue
            if not fixed and (
                any(max(t, b) < min(t1, d) for b, d in near)
                or self.grid.depart_cost(vessel, t1) >= limit
            ):
                return None
            ranks = self.gang(vessel, k, x)
            if ranks:
                rate = sum(self.grid.cranes[r].moves_per_hour for r in ranks)
                done += periods[k] * _efficiency(self.instance, len(ranks)) * rate
                plan.append((k, ranks))
            if done >= need:
                return (locked_depart if fixed else t1), plan
        return None

    def candidates(self, vessel: Vessel) -> list[int]:
        spots = self.grid.spots[vessel.id]
        xs = {v for r in spots for v in r}
        need = stretch_m(self.instance, vessel)
        for vid, a in self.placed.items():
            xs.add(a.start_m + stretch_m(self.instance, self.grid.vessels[vid]))
            xs.add(a.start_m - need)
        if vessel.current is not None:
            xs.add(vessel.current.start_m)
        return sorted(x for x in xs if any(lo <= x <= hi for lo, hi in spots))

    def place(self, vessel: Vessel) -> bool:
        lock = vessel.locked
        horizon = self.instance.horizon_min
        if lock is not None:
            periods = self.grid.periods(vessel, horizon)
            got = self.simulate(vessel, lock.berth_min, lock.start_m, periods, 1 << 62)
            if got is None:
                return False
            self.commit(vessel, lock.start_m, lock.berth_min, got)
            return True
        periods = self.grid.periods(vessel, horizon)
        cur = vessel.current
        if (
            self.keep
            and cur is not None
            and cur.berth_min in self.grid.berth_times(vessel, horizon)
            and any(lo <= cur.start_m <= hi for lo, hi in self.grid.spots[vessel.id])
        ):
            got = self.simulate(vessel, cur.berth_min, cur.start_m, periods, 1 << 62)
            if got is not None:
                self.commit(vessel, cur.start_m, cur.berth_min, got)
                return True
        special = set()
        if vessel.window is not None:
            special.add(vessel.window.start_min)
        if vessel.current is not None:
            special.add(vessel.current.berth_min)
        best: tuple[int, int, int, tuple] | None = None
        for t in self.grid.berth_times(vessel, horizon):
            if best is not None and t >= best[3][0] and t not in special:
                continue
            for x in self.candidates(vessel):
                limit = best[0] if best is not None else 1 << 62
                got = self.simulate(vessel, t, x, periods, limit)
                if got is None:
                    continue
                cost = sum(
                    costs(self.instance, vessel, Assignment(vessel.id, x, t, got[0])).values()
                )
                if best is None or cost < best[0]:
                    best = (cost, x, t, got)
        if best is None:
            return False
        self.commit(vessel, best[1], best[2], best[3])
        return True

    def commit(
        self, vessel: Vessel, x: int, t: int, got: tuple[int, list[tuple[int, list[int]]]]
    ) -> None:
        depart, plan = got
        self.placed[vessel.id] = Assignment(vessel.id, x, t, depart)
        for k, ranks in plan:
            self.gangs[k][vessel.id] = ranks
            for r in ranks:
                self.on[self.grid.cranes[r].id, k] = vessel.id


@dataclass
class _VesselVars:
    vessel: Vessel
    start: cp_model.IntVar
    berth: cp_model.IntVar
    depart: cp_model.IntVar
    fixed: bool
    #: period -> minutes of that period usable for work
    periods: dict[int, int] = field(default_factory=dict)
    #: auxiliary variable -> how its value follows from a plan (for complete hints)
    aux: dict[str, cp_model.IntVar] = field(default_factory=dict)


class _Model:
    """The CP-SAT model of one instance (see the module docstring) and the decoding of its
    solutions. ``latest`` caps each unlocked vessel's departure (from an incumbent's cost)."""

    def __init__(self, grid: _Grid, latest: dict[str, int] | None = None) -> None:
        self.grid = grid
        self.instance = grid.instance
        self.model = cp_model.CpModel()
        self.cranes = grid.cranes
        self.rank = grid.rank
        self.v: dict[str, _VesselVars] = {}
        self.y: dict[tuple[str, str, int], cp_model.IntVar] = {}
        self.active: dict[tuple[str, int], cp_model.IntVar] = {}
        self.counts: dict[tuple[str, int], dict[int, cp_model.IntVar]] = {}
        self.extra: dict[tuple[str, int], cp_model.IntVar] = {}
        self.reach: dict[tuple[str, str], cp_model.IntVar] = {}
        self.lo: dict[tuple[str, int], cp_model.IntVar] = {}
        self.hi: dict[tuple[str, int], cp_model.IntVar] = {}
        self.left: dict[tuple[str, str], cp_model.IntVar] = {}
        self.ranks: dict[tuple[str, int], tuple[int, int]] = {}
        self.terms: list = []
        latest = latest or {}
        for vessel in self.instance.vessels:
            self._vessel(vessel, latest.get(vessel.id, self.instance.horizon_min))
        self._quay()
        for vv in self.v.values():
            self._work(vv)
        self._crossing()
        self.objective = sum(self.terms)
        self.model.minimize(self.objective)

    def _vessel(self, vessel: Vessel, latest: int) -> None:
        m = self.model
        lock = vessel.locked
        if lock is not None:
            start = m.new_constant(lock.start_m)
            berth = m.new_constant(lock.berth_min)
            depart = m.new_constant(lock.depart_min)
            vv = _VesselVars(vessel, start, berth, depart, fixed=True)
        else:
            spots = self.grid.spots[vessel.id]
            times = self.grid.berth_times(vessel, latest)
            start = m.new_int_var_from_domain(
                cp_model.Domain.from_intervals([list(r) for r in spots]), f"start_{vessel.id}"
            )
            berth = m.new_int_var_from_domain(
                cp_model.Domain.from_values(times), f"berth_{vessel.id}"
            )
            depart = m.new_int_var(times[0], max(times[0], latest), f"depart_{vessel.id}")
            m.add(depart >= berth)
            vv = _VesselVars(vessel, start, berth, depart, fixed=False)
        vv.periods = self.grid.periods(vessel, latest)
        self.v[vessel.id] = vv
        self._objective(vv)

    def _objective(self, vv: _VesselVars) -> None:
        vessel, m, horizon = vv.vessel, self.model, self.instance.horizon_min
        span = horizon + abs(vessel.eta_min) + abs(vessel.due_min) + 1
        self.terms.append(vessel.weight_service * (vv.depart - vessel.eta_min))
        if vessel.weight_late:
            late = vv.aux["late"] = m.new_int_var(0, span, f"late_{vessel.id}")
            m.add(late >= vv.depart - vessel.due_min)
            self.terms.append(vessel.weight_late * late)
        w = vessel.window
        if w is not None and w.penalty_per_hour:
            early = vv.aux["early"] = m.new_int_var(0, span + abs(w.start_min), "early")
            m.add(early >= w.start_min - vv.berth)
            over = vv.aux["over"] = m.new_int_var(0, span + abs(w.end_min), "over")
            m.add(over >= vv.depart - w.end_min)
            self.terms.append(w.penalty_per_hour * (early + over))
        cur = vessel.current
        if cur is not None and self.instance.stability_weight:
            dt = vv.aux["dt"] = m.new_int_var(0, span + abs(cur.berth_min), f"dt_{vessel.id}")
            m.add_abs_equality(dt, vv.berth - cur.berth_min)
            dx = vv.aux["dx"] = m.new_int_var(0, 2 * self.instance.quay_length_m, "dx")
            m.add_abs_equality(dx, vv.start - cur.start_m)
            self.terms.append(self.instance.stability_weight * (dt + dx))

    def _quay(self) -> None:
        """The rectangles of all vessels are disjoint. A vessel without moves stays for no time
        (that is never worse) and, its stay being empty, takes no quay."""
        m = self.model
        xs, ys = [], []
        for vv in self.v.values():
            if vv.vessel.moves <= 0 and not vv.fixed:
                m.add(vv.depart == vv.berth)
                continue
            lock = vv.vessel.locked
            if lock is not None and lock.depart_min <= lock.berth_min:
                continue
            length = stretch_m(self.instance, vv.vessel)
            xs.append(m.new_fixed_size_interval_var(vv.start, length, f"x_{vv.vessel.id}"))
            span = self.instance.horizon_min + abs(vv.vessel.eta_min)
            duration = vv.aux["duration"] = m.new_int_var(0, span, "duration")
            m.add(duration == vv.depart - vv.berth)
            ys.append(m.new_interval_var(vv.berth, duration, vv.depart, f"t_{vv.vessel.id}"))
        m.add_no_overlap_2d(xs, ys)

    def _reach(self, vv: _VesselVars, crane: Crane) -> cp_model.IntVar | bool:
        """True, False, or a Boolean that the crane reaches the vessel where it is placed."""
        lo, hi = _reach_range(crane, vv.vessel)
        spots = self.grid.spots[vv.vessel.id]
        inside = _intersect(spots, lo, hi)
        if not inside:
            return False
        if inside == spots:
            return True
        b = self.model.new_bool_var(f"reach_{crane.id}_{vv.vessel.id}")
        self.model.add_linear_constraint(vv.start, lo, hi).only_enforce_if(b)
        self.reach[crane.id, vv.vessel.id] = b
        return b

    def _work(self, vv: _VesselVars) -> None:
        m, instance, vessel = self.model, self.instance, vv.vessel
        if vessel.moves <= 0:
            return
        reach = {c.id: self._reach(vv, c) for c in self.cranes}
        work = []
        for k, minutes in vv.periods.items():
            cands = [
                c for c in self.cranes if reach[c.id] is not False and k not in self.grid.down[c.id]
            ]
            top = min(vessel.max_cranes, len(cands))
            if top < max(1, vessel.min_cranes):
                continue
            t0, t1 = self.grid.span(k)
            a = m.new_bool_var(f"a_{vessel.id}_{k}")
            self.active[vessel.id, k] = a
            if not vv.fixed:
                m.add(vv.berth <= t0).only_enforce_if(a)
                m.add(vv.depart >= t1).only_enforce_if(a)
            ys = []
            for c in cands:
                y = m.new_bool_var(f"y_{c.id}_{vessel.id}_{k}")
                self.y[c.id, vessel.id, k] = y
                ys.append((c, y))
                m.add_implication(y, a)
                if not isinstance(reach[c.id], bool):
                    m.add_implication(y, reach[c.id])
            e = {
                q: m.new_bool_var(f"e_{vessel.id}_{k}_{q}")
                for q in range(max(1, vessel.min_cranes), top + 1)
            }
            self.counts[vessel.id, k] = e
            m.add_exactly_one([~a, *e.values()])
            m.add(sum(y for _, y in ys) == sum(q * b for q, b in e.items()))
            base = min(c.moves_per_hour for c, _ in ys)
            exact = sum(minutes * base * q * _efficiency(instance, q) * b for q, b in e.items())
            extra_terms = [(c.moves_per_hour - base, y) for c, y in ys if c.moves_per_hour > base]
            if extra_terms:
                cap = minutes * 100 * sum(w for w, _ in extra_terms)
                extra = m.new_int_var(0, cap, f"w_{vessel.id}_{k}")
                self.extra[vessel.id, k] = extra
                for q, b in e.items():
                    rate = minutes * _efficiency(instance, q)
                    m.add(extra <= sum(rate * w * y for w, y in extra_terms)).only_enforce_if(b)
                m.add(extra == 0).only_enforce_if(~a)
                work.append(exact + extra)
            else:
                work.append(exact)
        if not work:
            raise Infeasible(
                f"{vessel.name} can get no crane within the horizon (reach, outages or time)."
            )
        m.add(sum(work) >= vessel.moves * SCALE)
        actives = [self.active[vessel.id, k] for k in vv.periods if (vessel.id, k) in self.active]
        best = self.grid.best_rate(vessel) * self.grid.p
        m.add(sum(actives) * best >= vessel.moves * SCALE)
        if not vv.fixed:
            m.add(vv.depart - vv.berth >= self.grid.p * sum(actives))

    def _crossing(self) -> None:
        m = self.model
        by_period: dict[int, list[str]] = defaultdict(list)
        for vessel_id, k in self.active:
            by_period[k].append(vessel_id)
        per_crane: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
        for (c, _, k), y in self.y.items():
            per_crane[c, k].append(y)
        for ys in per_crane.values():
            if len(ys) > 1:
                m.add_at_most_one(ys)

        def bounds(vessel_id: str, k: int) -> tuple[cp_model.IntVar, cp_model.IntVar]:
            if (vessel_id, k) not in self.lo:
                ranks = [self.rank[c] for c in self.rank if (c, vessel_id, k) in self.y]
                self.ranks[vessel_id, k] = (min(ranks), max(ranks))
                lo = self.lo[vessel_id, k] = m.new_int_var(min(ranks), max(ranks), "lo")
                hi = self.hi[vessel_id, k] = m.new_int_var(min(ranks), max(ranks), "hi")
                for c in self.rank:
                    y = self.y.get((c, vessel_id, k))
                    if y is not None:
                        m.add(lo <= self.rank[c]).only_enforce_if(y)
                        m.add(hi >= self.rank[c]).only_enforce_if(y)
            return self.lo[vessel_id, k], self.hi[vessel_id, k]

        def order(i: str, j: str) -> cp_model.IntVar:
            if (i, j) not in self.left:
                b = self.left[i, j] = m.new_bool_var(f"left_{i}_{j}")
                length = stretch_m(self.instance, self.v[i].vessel)
                m.add(self.v[i].start + length <= self.v[j].start).only_enforce_if(b)
            return self.left[i, j]

        for k, vessels in sorted(by_period.items()):
            for i, j in combinations(sorted(vessels), 2):
                ai, aj = self.active[i, k], self.active[j, k]
                ij, ji = order(i, j), order(j, i)
                m.add_bool_or([ij, ji]).only_enforce_if([ai, aj])
                lo_i, hi_i = bounds(i, k)
                lo_j, hi_j = bounds(j, k)
                m.add(hi_i < lo_j).only_enforce_if([ij, ai, aj])
                m.add(hi_j < lo_i).only_enforce_if([ji, ai, aj])

    # --- hints and decoding --------------------------------------------------------------------

    def hint(self, placed: dict[str, Assignment], on: dict[tuple[str, int], str]) -> None:
        """Hint every variable from a complete plan (``on``: (crane, period) -> vessel)."""
        m, inst = self.model, self.instance
        for vid, vv in self.v.items():
            a = placed[vid]
            v = vv.vessel
            if not vv.fixed:
                m.add_hint(vv.start, a.start_m)
                m.add_hint(vv.berth, a.berth_min)
                m.add_hint(vv.depart, a.depart_min)
            values = {"duration": a.depart_min - a.berth_min}
            values["late"] = max(0, a.depart_min - v.due_min)
            if v.window is not None:
                values["early"] = max(0, v.window.start_min - a.berth_min)
                values["over"] = max(0, a.depart_min - v.window.end_min)
            if v.current is not None:
                values["dt"] = abs(a.berth_min - v.current.berth_min)
                values["dx"] = abs(a.start_m - v.current.start_m)
            for key, var in vv.aux.items():
                m.add_hint(var, values[key])
        for (c, vid), b in self.reach.items():
            m.add_hint(
                b, _reaches(self.grid.cranes[self.rank[c]], self.v[vid].vessel, placed[vid].start_m)
            )
        gangs: dict[tuple[str, int], list[Crane]] = defaultdict(list)
        for (c, vid, k), y in self.y.items():
            used = on.get((c, k)) == vid
            m.add_hint(y, used)
            if used:
                gangs[vid, k].append(self.grid.cranes[self.rank[c]])
        for (vid, k), a in self.active.items():
            gang = gangs.get((vid, k), [])
            m.add_hint(a, bool(gang))
            for q, b in self.counts[vid, k].items():
                m.add_hint(b, q == len(gang))
            if (vid, k) in self.extra:
                minutes = self.v[vid].periods[k]
                base = min(c.moves_per_hour for c in self.cranes if (c.id, vid, k) in self.y)
                value = 0
                if gang:
                    value = (
                        minutes
                        * _efficiency(inst, len(gang))
                        * sum(c.moves_per_hour - base for c in gang)
                    )
                m.add_hint(self.extra[vid, k], value)
            if (vid, k) in self.lo:
                ranks = [self.rank[c.id] for c in gang] or list(self.ranks[vid, k])
                m.add_hint(self.lo[vid, k], min(ranks))
                m.add_hint(self.hi[vid, k], max(ranks))
        for (i, j), b in self.left.items():
            length = stretch_m(inst, self.v[i].vessel)
            m.add_hint(b, placed[i].start_m + length <= placed[j].start_m)

    def decode(
        self, value: Callable[[cp_model.IntVar], int]
    ) -> tuple[tuple[Assignment, ...], tuple[CraneShift, ...]]:
        placed = {
            vid: Assignment(vid, value(vv.start), value(vv.berth), value(vv.depart))
            for vid, vv in self.v.items()
        }
        on = {(c, k): vid for (c, vid, k), y in self.y.items() if value(y)}
        return _plan(self.grid, placed, on)


def _plan(
    grid: _Grid, placed: dict[str, Assignment], on: dict[tuple[str, int], str]
) -> tuple[tuple[Assignment, ...], tuple[CraneShift, ...]]:
    """Assignments and merged crane shifts from placements and a (crane, period) -> vessel map,
    with the berthing times compacted (:func:`_compact`)."""
    shifts: list[list] = []
    for crane in grid.cranes:
        current: list | None = None
        for k in range(grid.count):
            vid = on.get((crane.id, k))
            if vid is None:
                current = None
                continue
            a = placed[vid]
            t0, t1 = grid.span(k)
            t0, t1 = max(t0, a.berth_min), min(t1, a.depart_min)
            if current is not None and current[1] == vid and current[3] == t0:
                current[3] = t1
            else:
                current = [crane.id, vid, t0, t1]
                shifts.append(current)
    plan = tuple(CraneShift(*s) for s in shifts)
    order = [v.id for v in grid.instance.vessels]
    return _compact(grid.instance, tuple(placed[vid] for vid in order)), plan


def _lock_problem(instance: Instance, vessel: Vessel, lock: Placement) -> str:
    """Why a locked placement breaks a hard rule by itself ('' when it does not)."""
    need = stretch_m(instance, vessel)
    if lock.depart_min < lock.berth_min:
        return f"{vessel.name} is locked with a departure before its berthing."
    if lock.berth_min < vessel.eta_min:
        return f"{vessel.name} is locked to berth at {when(lock.berth_min)}, before its ETA."
    if lock.depart_min > instance.horizon_min:
        return f"{vessel.name} is locked to depart after the plan's horizon."
    if not any(a <= lock.start_m <= b for a, b in positions(instance, vessel)):
        return (
            f"{vessel.name} is locked at {lock.start_m}–{lock.start_m + need} m, which is "
            "outside the quay or too shallow for it."
        )
    return ""


def _compact(instance: Instance, assignments: tuple[Assignment, ...]) -> tuple[Assignment, ...]:
    """Let each unlocked vessel without a stability reference berth as early as its stretch,
    ETA and window allow. No objective term changes, and crane shifts stay inside the stay."""
    vessels = {v.id: v for v in instance.vessels}
    out = {a.vessel: a for a in assignments}
    for a in sorted(assignments, key=lambda a: a.berth_min):
        vessel = vessels[a.vessel]
        if vessel.locked is not None:
            continue
        if vessel.current is not None and instance.stability_weight:
            continue
        lo = vessel.eta_min if a.berth_min < 0 else max(vessel.eta_min, 0)
        if vessel.window is not None and vessel.window.penalty_per_hour:
            lo = max(lo, vessel.window.start_min)
        end = a.start_m + stretch_m(instance, vessel)
        for other in out.values():
            if other.vessel == a.vessel or other.depart_min > a.berth_min:
                continue
            o_end = other.start_m + stretch_m(instance, vessels[other.vessel])
            if other.start_m < end and a.start_m < o_end and other.depart_min > other.berth_min:
                lo = max(lo, other.depart_min)
        if lo < a.berth_min:
            out[a.vessel] = Assignment(a.vessel, a.start_m, lo, a.depart_min)
    return tuple(out[a.vessel] for a in assignments)


# --- solving -----------------------------------------------------------------------------------


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(self, built: _Model, events: queue.Queue, started: float) -> None:
        super().__init__()
        self.built = built
        self.events = events
        self.started = started

    def on_solution_callback(self) -> None:
        assignments, shifts = self.built.decode(self.value)
        self.events.put(
            Progress(
                seconds=time.monotonic() - self.started,
                objective=round(self.objective_value),
                bound=math.ceil(self.best_objective_bound - 1e-6),
                assignments=assignments,
                shifts=shifts,
            )
        )


def _result(
    instance: Instance,
    status: str,
    best: Progress,
    bound: int | None,
    seconds: float,
    message: str = "",
) -> Result:
    objective = best.objective
    return Result(
        status,
        objective,
        None if bound is None or objective is None else min(bound, objective),
        seconds,
        best.assignments,
        best.shifts,
        components(instance, best.assignments),
        explain(instance, best.assignments, best.shifts),
        message,
    )


def solve(
    instance: Instance,
    *,
    time_limit: float = 10.0,
    workers: int = 2,
    on_progress: Callable[[Progress], bool] | None = None,
) -> Result:
    """Plan berths and cranes for every vessel of the instance (see the module docstring).

    A greedy plan gives the first incumbent; its cost caps each vessel's departure, and CP-SAT
    then searches the model hinted with it. ``on_progress`` is called in the caller's thread on
    each improving incumbent and at least every :data:`HEARTBEAT` seconds; when it returns False
    the search stops and the best plan so far is returned ("feasible", or "unknown" without a
    plan, with the message "cancelled")."""
    started = time.monotonic()

    def elapsed() -> float:
        return time.monotonic() - started

    try:
        grid = _Grid(instance)
        best: Progress | None = None
        greedy: _Greedy | None = None
        latest = None
        orders = _Greedy.ORDERS
        if any(v.current is not None for v in instance.vessels):
            orders = ("current", *orders)
        variants = [(o, g, True) for o in orders for g in ("fast", "near")]
        if any(v.locked is not None for v in instance.vessels):
            variants += [(o, "fast", False) for o in orders]
        for order, gangs, locked_late in variants:
            if greedy is not None and elapsed() > GREEDY_SHARE * time_limit:
                break
            attempt = _Greedy(grid)
            if not attempt.run(order, gangs, locked_late):
                continue
            assignments, shifts = _plan(grid, attempt.placed, attempt.on)
            upper = sum(components(instance, assignments).values())
            if best is not None and upper >= best.objective:  # type: ignore[operator]
                continue
            greedy, best = attempt, Progress(elapsed(), upper, None, assignments, shifts)
            if on_progress is not None and on_progress(best) is False:
                return _result(instance, "feasible", best, None, elapsed(), "cancelled")
        if best is not None:
            latest = grid.caps(best.objective)  # type: ignore[arg-type]
        elif on_progress is not None and on_progress(Progress(elapsed(), None, None)) is False:
            return Result("unknown", None, None, elapsed(), message="cancelled")
        built = _Model(grid, latest)
    except Infeasible as exc:
        return Result("infeasible", None, None, elapsed(), message=str(exc))
    if best is not None and greedy is not None:
        built.model.add(built.objective <= best.objective)
        built.hint(greedy.placed, greedy.on)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit - elapsed())
    solver.parameters.num_workers = max(1, workers)
    events: queue.Queue = queue.Queue()
    callback = _Callback(built, events, started)
    proven: list[float] = []
    solver.best_bound_callback = proven.append
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["status"] = solver.solve(built.model, callback)
        except Exception as exc:  # reported as an "error" result in the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="berth-plan-solve", daemon=True)
    worker.start()
    cancelled = False
    last_call = time.monotonic()
    while worker.is_alive() or not events.empty():
        try:
            event = events.get(timeout=0.05)
        except queue.Empty:
            event = None
        if isinstance(event, Progress):
            best = event
        if on_progress is None or cancelled:
            continue
        now = time.monotonic()
        if event is None and now - last_call < HEARTBEAT:
            continue
        bound = math.ceil(proven[-1] - 1e-6) if proven else (best.bound if best else None)
        report = event or Progress(
            seconds=now - started,
            objective=best.objective if best else None,
            bound=bound,
            assignments=best.assignments if best else (),
            shifts=best.shifts if best else (),
        )
        last_call = now
        try:
            carry_on = on_progress(report)
        except BaseException:
            solver.stop_search()
            worker.join()
            raise
        if carry_on is False:
            cancelled = True
            solver.stop_search()
    worker.join()
    if "error" in outcome:
        return Result("error", None, None, elapsed(), message=repr(outcome["error"]))
    status = _STATUS.get(outcome.get("status"), "unknown")  # type: ignore[arg-type]
    message = "cancelled" if cancelled else ""
    if status in ("optimal", "feasible"):
        assignments, shifts = built.decode(solver.value)
        final = Progress(elapsed(), round(solver.objective_value), None, assignments, shifts)
        bound = math.ceil(solver.best_objective_bound - 1e-6)
        return _result(instance, status, final, bound, elapsed(), message)
    if best is not None:
        if status == "infeasible":
            message = message or "The search rejected the greedy plan; it is returned unimproved."
        bound = None
        if status == "unknown" and solver.best_objective_bound > -math.inf:
            bound = math.ceil(solver.best_objective_bound - 1e-6)
        return _result(instance, "feasible", best, bound, elapsed(), message)
    if cancelled:
        return Result("unknown", None, None, elapsed(), message="cancelled")
    message = {
        "infeasible": (
            "No plan meets every hard rule (quay, depth, cranes, locks, horizon) with crane work "
            f"in whole periods of {grid.p} minutes."
        ),
        "unknown": "No plan found within the time limit.",
    }.get(status, "")
    return Result(status, None, None, elapsed(), message=message)


# --- explanations ------------------------------------------------------------------------------


def explain(
    instance: Instance, assignments: Sequence[Assignment], shifts: Sequence[CraneShift]
) -> dict[str, list[str]]:
    """For each vessel that waits (berths after its ETA, or waits at its berth for cranes) or
    departs after it is due, sentences a planner can read saying what holds it: the vessels on
    its stretch, the cranes (busy, on which vessels, or out of service), its berth window, its
    draft, or locks. Vessels that are neither held nor late get no entry."""
    return _Explainer(instance, assignments, shifts).run()


def _moment(vessel: Vessel) -> str:
    """When the vessel could first have berthed, in words."""
    return "at its ETA" if vessel.eta_min >= 0 else "when the plan starts"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class _Explainer:
    def __init__(
        self,
        instance: Instance,
        assignments: Sequence[Assignment],
        shifts: Sequence[CraneShift],
    ) -> None:
        self.instance = instance
        self.vessels = {v.id: v for v in instance.vessels}
        self.cranes = sorted(instance.cranes, key=lambda c: (c.rail_order, c.id))
        self.placed = {a.vessel: a for a in assignments if a.vessel in self.vessels}
        known = {c.id for c in instance.cranes}
        self.shifts = [s for s in shifts if s.vessel in self.placed and s.crane in known]

    def run(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for vid, a in self.placed.items():
            vessel = self.vessels[vid]
            mine = sorted((s for s in self.shifts if s.vessel == vid), key=lambda s: s.start_min)
            lines: list[str] = []
            if a.berth_min > vessel.eta_min:
                lines += self.berth_wait(vessel, a)
            arrived = max(a.berth_min, vessel.eta_min, 0)
            if mine and mine[0].start_min - arrived >= max(1, self.instance.period_min):
                lines += self.crane_wait(vessel, a, arrived, mine[0].start_min)
            if a.depart_min > vessel.due_min:
                lines += self.late(vessel, a, mine, held=bool(lines))
            if lines:
                out[vid] = lines
        return out

    def name(self, vid: str) -> str:
        return self.vessels[vid].name or vid

    def stretch(self, vid: str) -> tuple[int, int]:
        a = self.placed[vid]
        return a.start_m, a.start_m + stretch_m(self.instance, self.vessels[vid])

    def reaching(self, vessel: Vessel, a: Assignment) -> list[Crane]:
        return [c for c in self.cranes if _reaches(c, vessel, a.start_m)]

    def berth_wait(self, vessel: Vessel, a: Assignment) -> list[str]:
        lines = [
            f"{vessel.name} waits {_hours(a.berth_min - vessel.eta_min)} after its ETA "
            f"{when(vessel.eta_min)} and berths at {when(a.berth_min)}."
        ]
        if vessel.locked is not None:
            lines.append("The planner has locked it at this placement.")
        elif vessel.eta_min < 0 and a.berth_min <= 0:
            lines.append(f"The plan cannot berth it before the plan starts ({when(0)}).")
        w = vessel.window
        if w is not None and vessel.eta_min < w.start_min and a.berth_min <= w.start_min:
            lines.append(f"Its berth window only opens at {when(w.start_min)}.")
        lines += self.depth(vessel)
        s0, s1 = self.stretch(vessel.id)
        blockers = self.on_stretch(vessel.id, vessel.eta_min, a.berth_min)
        if blockers:
            lines.append(f"Its stretch {s0}–{s1} m is taken: " + "; ".join(blockers) + ".")
        others = self.no_room(vessel, a)
        if others:
            lines.append(others)
        at = max(vessel.eta_min, 0)
        busy = self.crane_use(vessel, a, at, min(a.berth_min, at + 1))
        free = [c for c, what in busy.items() if what is None]
        if busy and len(free) < max(1, vessel.min_cranes):
            lines.append(
                f"{_moment(vessel).capitalize()} every crane that reaches its stretch was taken: "
                + self.describe(busy, at)
                + "."
            )
        return lines

    def crane_wait(self, vessel: Vessel, a: Assignment, t0: int, t1: int) -> list[str]:
        use = self.crane_use(vessel, a, t0, t1)
        busy = {c: why for c, why in use.items() if why is not None}
        if use and not busy:
            return []
        if not busy:
            return [
                f"{vessel.name} waits {_hours(t1 - t0)} at its berth for cranes: no crane "
                f"reaches it at {a.start_m} m."
            ]
        return [
            f"{vessel.name} waits {_hours(t1 - t0)} at its berth for cranes until "
            f"{when(t1)}: " + self.describe(busy, t0) + "."
        ]

    def late(self, vessel: Vessel, a: Assignment, mine: list[CraneShift], held: bool) -> list[str]:
        lines = [
            f"{vessel.name} departs at {when(a.depart_min)}, "
            f"{_hours(a.depart_min - vessel.due_min)} after it is due ({when(vessel.due_min)})."
        ]
        fastest = self.fastest(vessel)
        if fastest is not None and max(vessel.eta_min, 0) + fastest > vessel.due_min:
            lines.append(
                f"Its {vessel.moves} moves take at least {_hours(fastest)} even with "
                f"{_plural(vessel.max_cranes, 'crane')} from its ETA, so it cannot leave on time."
            )
        reaching = self.reaching(vessel, a)
        if len(reaching) < vessel.max_cranes:
            lines.append(
                f"Only {_plural(len(reaching), 'crane')} reach its stretch at {a.start_m} m "
                f"(it could take {vessel.max_cranes})."
            )
        if mine:
            t0, t1 = mine[0].start_min, max(s.end_min for s in mine)
            short = [p for p in self.gang_sizes(vessel.id, t0, t1) if p[2] < vessel.max_cranes]
            if short:
                s0 = short[0][0]
                busy = self.crane_use(vessel, a, s0, short[0][1])
                taken = {c: w for c, w in busy.items() if w is not None}
                if taken:
                    lines.append(
                        f"It works with {_plural(short[0][2], 'crane')} from {when(s0)} "
                        f"(it could take {vessel.max_cranes}): " + self.describe(taken, s0) + "."
                    )
        if vessel.locked is not None:
            lines.append("The planner has locked it at this placement.")
        w = vessel.window
        if w is not None and a.depart_min > w.end_min:
            lines.append(f"It also overruns its berth window, which ends at {when(w.end_min)}.")
        if len(lines) == 1 and not held:
            lines.append(
                "Departing earlier would hold other vessels longer at a higher total cost."
            )
        return lines

    def depth(self, vessel: Vessel) -> list[str]:
        runs = usable_quay(self.instance, vessel.draft_cm)
        if runs == [(0, self.instance.quay_length_m)]:
            return []
        where = " and ".join(f"{x}–{y} m" for x, y in runs) or "no part of the quay"
        return [f"With a draft of {vessel.draft_cm / 100:g} m it can only use {where}."]

    def on_stretch(self, vid: str, t0: int, t1: int) -> list[str]:
        s0, s1 = self.stretch(vid)
        found = []
        for other in sorted(self.placed.values(), key=lambda o: (o.depart_min, o.vessel)):
            if other.vessel == vid or not max(other.berth_min, t0) < min(other.depart_min, t1):
                continue
            o0, o1 = self.stretch(other.vessel)
            if max(o0, s0) < min(o1, s1):
                locked = " (locked)" if self.vessels[other.vessel].locked is not None else ""
                found.append(
                    f"{self.name(other.vessel)}{locked} lies at {o0}–{o1} m until "
                    f"{when(other.depart_min)}"
                )
        return found

    def no_room(self, vessel: Vessel, a: Assignment) -> str:
        """A sentence when no other stretch that fits the vessel was free at its ETA."""
        need = stretch_m(self.instance, vessel)
        at = max(vessel.eta_min, 0)
        present = [
            o
            for o in self.placed.values()
            if o.vessel != vessel.id and o.berth_min <= at < o.depart_min
        ]
        busy = sorted(self.stretch(o.vessel) for o in present)
        for x0, x1 in usable_quay(self.instance, vessel.draft_cm):
            cursor = x0
            for b0, b1 in busy:
                if b1 <= cursor or b0 >= x1:
                    continue
                if b0 - cursor >= need:
                    return ""
                cursor = max(cursor, b1)
            if x1 - cursor >= need:
                return ""
        if not present:
            return ""
        names = [self.name(o.vessel) for o in sorted(present, key=lambda o: o.start_m)]
        verb = "occupies" if len(names) == 1 else "occupy"
        return (
            f"No other stretch of {need} m that is deep enough was free {_moment(vessel)}: "
            + ", ".join(names)
            + f" {verb} the quay."
        )

    def fastest(self, vessel: Vessel) -> int | None:
        """Minutes its moves take with its best cranes, ignoring everything else."""
        rates = sorted((c.moves_per_hour for c in self.cranes), reverse=True)
        q = min(vessel.max_cranes, len(rates))
        if vessel.moves <= 0 or q <= 0:
            return None
        rate = max(sum(rates[:n]) * _efficiency(self.instance, n) for n in range(1, q + 1))
        return math.ceil(vessel.moves * SCALE / rate)

    def crane_use(
        self, vessel: Vessel, a: Assignment, t0: int, t1: int
    ) -> dict[str, tuple[str, int] | None]:
        """For each crane that reaches the vessel: None if free through ``[t0, t1)`` (for
        another vessel), else why not: ("vessel", id, until) or ("outage", "", until)."""
        out: dict[str, tuple[str, int] | None] = {}
        for c in self.reaching(vessel, a):
            why: tuple[str, int] | None = None
            for o0, o1 in c.outages:
                if max(o0, t0) < min(o1, t1):
                    why = ("", o1)
            for s in self.shifts:
                if (
                    s.crane == c.id
                    and s.vessel != vessel.id
                    and max(s.start_min, t0) < min(s.end_min, t1)
                ):
                    why = (s.vessel, s.end_min)
            out[c.id] = why
        return out

    def describe(self, use: dict[str, tuple[str, int] | None], at: int) -> str:
        by_vessel: dict[str, list[str]] = defaultdict(list)
        until: dict[str, int] = {}
        down = []
        for crane, why in use.items():
            if why is None:
                continue
            vid, end = why
            if vid:
                by_vessel[vid].append(crane)
                until[vid] = max(until.get(vid, end), end)
            else:
                down.append(f"{crane} is out of service until {when(end)}")
        parts = [
            f"{', '.join(cs)} {'works' if len(cs) == 1 else 'work'} {self.name(vid)} "
            f"until {when(until[vid])}"
            for vid, cs in sorted(by_vessel.items(), key=lambda kv: self.placed[kv[0]].start_m)
        ]
        return "; ".join(parts + down)

    def gang_sizes(self, vid: str, t0: int, t1: int) -> list[tuple[int, int, int]]:
        """``(start, end, cranes)`` pieces of the vessel's crane count through ``[t0, t1)``."""
        mine = [s for s in self.shifts if s.vessel == vid]
        points = sorted({t0, t1} | {p for s in mine for p in (s.start_min, s.end_min)})
        points = [p for p in points if t0 <= p <= t1]
        return [
            (p0, p1, len({s.crane for s in mine if s.start_min <= p0 and p1 <= s.end_min}))
            for p0, p1 in pairwise(points)
        ]


# --- a demo-like instance ----------------------------------------------------------------------

#: The demo terminal's quay (tos/core/demo.py: QUAY_LENGTH_M, BERTH_SECTIONS), depths in cm.
DEMO_SECTIONS = (
    Section("North deep-sea", 0, 400, 1700),
    Section("Central", 400, 750, 1600),
    Section("South", 750, 1000, 1600),
    Section("Feeder", 1000, 1200, 1400),
)
#: (name, line, loa m, draft cm, TEU) of the demo fleet (tos/core/demo.py: FLEET).
DEMO_FLEET = (
    ("MSC AURELIA", "MSC", 400, 1600, 24000),
    ("MSC LEONORA", "MSC", 366, 1550, 14300),
    ("MSC IRENE F", "MSC", 172, 950, 1700),
    ("MAERSK HALDEN", "MAEU", 399, 1600, 18300),
    ("MAERSK LANTAU", "MAEU", 300, 1450, 9000),
    ("CMA CGM ADRIATIC", "CMA", 366, 1550, 15000),
    ("CMA CGM ELBE", "CMA", 200, 1100, 2500),
    ("BERLIN EXPRESS", "HLC", 368, 1550, 15000),
    ("RHEIN EXPRESS", "HLC", 260, 1300, 4500),
    ("ONE AQUILA", "ONE", 364, 1580, 14000),
    ("ONE HARBOUR", "ONE", 210, 1150, 2700),
    ("COSCO SHIPPING VIRGO", "COS", 400, 1600, 20000),
)


def demo_like_instance(seed: int = 7, *, period_min: int = 60) -> Instance:
    """A synthetic instance shaped like the demo terminal of ``tos/core/demo.py``: 1,200 m of quay
    in four sections, eight cranes 150 m apart each reaching 225 m either side of home (faster on
    the deep-sea end, one with a maintenance outage), and twelve visits: two working (locked,
    part of their moves done), one just arrived, nine arriving over the next seven days. Moves
    follow the demo's exchange shares, scaled as the demo scales them to its 8,000 units; crane
    limits follow ``berthing.models.vessel_crane_limits`` (50 m of hull per crane, at most 6,
    two from 300 m) and lateness weights the demo's line terms. No vessel has a current
    placement (a plan from scratch); the horizon leaves room for the last arrival's stay."""
    rng = random.Random(seed)
    cranes = []
    for order in range(1, 9):
        home = 75 + (order - 1) * 150
        deep_sea = home < 1000
        cranes.append(
            Crane(
                id=f"QC{order:02d}",
                rail_order=order,
                min_m=max(0, home - 225),
                max_m=min(1200, home + 225),
                moves_per_hour=rng.randint(28, 32) if deep_sea else rng.randint(25, 27),
            )
        )
    k = rng.randrange(8)
    day = rng.randrange(1, 6) * 1440
    cranes[k] = Crane(**{**cranes[k].__dict__, "outages": ((day + 360, day + 1080),)})
    fleet = list(DEMO_FLEET)
    rng.shuffle(fleet)
    in_port: list[tuple] = []
    for spec in fleet:
        if len(in_port) < 3 and sum(s[2] + 40 for s in [*in_port, spec]) <= 1200:
            in_port.append(spec)
    arriving = [s for s in fleet if s not in in_port]
    slot = 168 * 60 / len(arriving)
    rows = []
    for n, spec in enumerate([*in_port, *arriving]):
        loa, teu = spec[2], spec[4]
        hours = min(48.0, max(18.0, 18 + max(0.0, min(1.0, (loa - 150) / 250)) * 30))
        stay = 15 * round((hours + rng.uniform(-2, 2)) * 4)
        feeder = loa < 230
        exchange = (0.35, 0.55) if feeder else (0.045, 0.075)
        per_box = 1.5 if feeder else 1.65
        discharge = teu * rng.uniform(*exchange) / per_box
        load = teu * rng.uniform(*exchange) / per_box
        if n < 2:
            eta = -15 * round(
                stay * (rng.uniform(0.45, 0.6) if n == 0 else rng.uniform(0.2, 0.3)) / 15
            )
            done = rng.uniform(0.6, 0.8) if n == 0 else rng.uniform(0.2, 0.35)
        elif n == 2:
            eta, done = -15 * rng.randint(4, 12), 0.0
        else:
            eta, done = 15 * round((n - 3 + rng.uniform(0.15, 0.85)) * slot / 15), 0.0
        hours_ahead = eta / 60
        share = 1.0 if n < 3 else 0.9 if hours_ahead <= 48 else 0.6 if hours_ahead <= 96 else 0.3
        known = (discharge if n < 3 or hours_ahead <= 36 else 0) + load * share
        rows.append((n, spec, eta, stay, discharge + load, done, known))
    factor = min(1.0, 0.7 * 8000 / sum(r[-1] for r in rows))
    vessels = []
    taken: list[tuple[int, int]] = []
    probe = Instance(1200, 1, DEMO_SECTIONS, (), ())
    for n, (name, line, loa, draft, _), eta, stay, total, done, _ in rows:
        moves = round(total * factor * (1 - done))
        most = max(1, min(6, loa // 50))
        feeder = loa < 230
        locked = window = None
        if n < 2:
            hull = Vessel("", "", "", loa, draft, 0, 0, 0, 1, 1)
            spots = [
                x
                for a, b in positions(probe, hull)
                for x in range(a, b + 1, 10)
                if all(x + loa + 20 <= o0 or o1 <= x for o0, o1 in taken)
            ]
            if spots:
                taken.append((spots[0], spots[0] + loa + 20))
                locked = Placement(spots[0], eta + 60, eta + stay)
        elif n > 2 and not feeder and rng.random() < 0.5:
            window = Window(eta, eta + stay + 360, 2)
        vessels.append(
            Vessel(
                id=f"V{n + 1:02d}",
                name=name,
                line=line,
                loa_m=loa,
                draft_cm=draft,
                eta_min=eta,
                due_min=eta + stay,
                moves=moves,
                min_cranes=min(2 if loa >= 300 else 1, most),
                max_cranes=most,
                weight_late=4 if line in ("MSC", "MAEU") else 3,
                window=window,
                locked=locked,
            )
        )
    horizon = max(v.due_min for v in vessels) + 24 * 60
    horizon = period_min * math.ceil(horizon / period_min)
    return Instance(
        quay_length_m=1200,
        horizon_min=horizon,
        sections=DEMO_SECTIONS,
        cranes=tuple(cranes),
        vessels=tuple(vessels),
        period_min=period_min,
    )
