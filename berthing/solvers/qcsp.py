"""Quay crane scheduling (QCSP) for one vessel, with container groups as tasks, in the unified
model of Meisel & Bierwirth (2011) that the Kim & Park (2004) benchmark also uses.

Problem. The vessel has bays ``1..b`` along one crane rail. Task ``i`` (a container group) lies in
bay ``l_i`` and takes ``p_i`` time units of one crane, without interruption. Crane ``k``
(numbered ``1..q`` along the rail) is at bay ``l0_k`` from time 0 until its ready time ``r_k``
and may start moving then; it travels one bay in ``t`` time units. Rules:

* every task is done once, by one crane, for its full processing time;
* precedence ``(i, j)``: task ``i`` finishes before task ``j`` starts;
* non-simultaneity ``(i, j)``: the two tasks are not processed at the same moment;
* cranes never cross and always keep ``s`` empty bays between neighbours (safety margin): at
  every moment ``x_{k+1}(t) - x_k(t) >= s + 1`` where ``x_k(t)`` is crane ``k``'s bay; cranes stay
  on the rail, ``1 <= x_k(t) <= b``;
* a crane is at its task's bay while it works on it and moves at most one bay per ``t``.

Objective: the makespan, the completion time of the last task (the cranes' final moves do not
count).

Units: integer time units of the instance file (the Meisel & Bierwirth files count one unit per
container move with ``t = 1``; for Kim & Park see :func:`read_best_known`), bays numbered from 1.

Exact interference rule. With ``d = s + 1`` and crane ``v < w``, tasks ``a`` (crane ``v``) and
``c`` (crane ``w``) with ``l_a + (w - v) d > l_c`` must be apart in time by at least
``(l_a + (w - v) d - l_c) t`` (the time crane ``w`` needs to clear the way, the ``Delta`` of
Meisel & Bierwirth). Together with the travel times on each crane and the same rule against each
crane's initial position, this is necessary and sufficient for a crane movement to exist; the
movement :func:`solution_json` reports is built from it (cranes wait where they are and move only
as late as they can, or when a neighbour pushes them).

Solver (:func:`solve`, chosen by measurement on the benchmarks):

1. Seeds: a serial schedule generator, and balanced contiguous crane zones decoded as
   unidirectional schedules (:func:`uds_decode`).
2. Unidirectional schedules (Bierwirth & Meisel 2009: all cranes sweep the same way). For a
   given assignment of tasks to cranes the order of every pair that cannot work together is then
   fixed, so the schedule is a longest path; simulated annealing over assignments
   (:class:`_UdsSearch`) picks the better direction and a seed.
3. CP-SAT on unidirectional schedules, sweeping right, then left (the left sweep is the right
   sweep of the mirrored vessel): only crane-difference threshold literals per pair, no order
   variables.
4. CP-SAT on all schedules (cranes may change direction), warm-started from the best schedule:
   an order literal per pair that cannot work together, the separation linear in the crane
   indices on either side of ``dc = 1``, redundant per-crane and per-bay-window disjunctives and
   a cumulative over all cranes. Its bound (or a quick one, :func:`lower_bound`) is reported.

The time limit is shared 10 / 30 / 30 / 30 % between annealing, the two sweep directions and the
full model; time a phase does not need (proven optimal) goes to the later ones.

Solution JSON (:func:`solution_json`)::

    {"problem": "qcsp", "instance": "k013_n10_b10_q2", "objective": 151,
     "cranes": [
        {"crane": 1,
         "tasks": [{"task": 1, "bay": 2, "start": 1, "end": 13}, ...],
         "path": [[0, 1], [0.5, 1.5], ...]},
        ...]}

Tasks and cranes are numbered from 1 as in the files; a crane's ``tasks`` are in working order
and ``end = start + p``. ``path`` is the crane's bay as a piecewise-linear function of time: a
list of ``[time, bay]`` points, straight lines between them, from time 0 to the makespan (the
crane stays put after its last point); times are multiples of 1/2, bays may be fractional while
the crane moves. :mod:`berthing.solvers.check.qcsp` checks all of it independently.

Internally (``Instance``, ``Result``) tasks and cranes are indexed from 0.
"""

from __future__ import annotations

import csv
import math
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

from ortools.sat.python import cp_model

STATUSES = ("optimal", "feasible", "infeasible", "unknown", "error")


@dataclass(frozen=True)
class Instance:
    """One vessel's QCSP in integer units. Tasks and cranes are indexed from 0 here (the files
    and the solution JSON number them from 1); ``precedence`` and ``non_simultaneous`` hold
    0-based task index pairs."""

    name: str
    bays: int
    travel_time: int
    safety_margin: int
    processing: tuple[int, ...]
    location: tuple[int, ...]
    ready: tuple[int, ...]
    initial_bay: tuple[int, ...]
    precedence: tuple[tuple[int, int], ...] = ()
    non_simultaneous: tuple[tuple[int, int], ...] = ()
    #: What the reader repaired or assumed, for the record.
    notes: tuple[str, ...] = ()

    @property
    def tasks(self) -> int:
        return len(self.processing)

    @property
    def cranes(self) -> int:
        return len(self.ready)

    @property
    def distance(self) -> int:
        """Least distance in bays between neighbouring cranes (safety margin + 1)."""
        return self.safety_margin + 1

    def reach(self, k: int) -> tuple[int, int]:
        """The bays crane ``k`` can ever stand in, leaving room on the rail for the others."""
        d = self.distance
        return 1 + k * d, self.bays - (self.cranes - 1 - k) * d

    def eligible(self, i: int) -> list[int]:
        """The cranes that can work task ``i``."""
        return [
            k
            for k in range(self.cranes)
            if self.reach(k)[0] <= self.location[i] <= self.reach(k)[1]
        ]


@dataclass(frozen=True)
class ScheduledTask:
    task: int
    start: int
    end: int


@dataclass(frozen=True)
class Result:
    """A solve's outcome. ``cranes[k]`` is crane ``k``'s work sequence in order."""

    status: str
    objective: int | None
    bound: int | None
    seconds: float
    cranes: tuple[tuple[ScheduledTask, ...], ...] = ()
    message: str = ""
    stats: dict = field(default_factory=dict, compare=False)


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------

_GROUP = re.compile(r"\[([^\[\]]*)\]")


def instance_files(set_dir: Path) -> list[Path]:
    """The instance files of a set folder in file-name order. A folder with an ``instances``
    subfolder (Kim & Park, or one Meisel & Bierwirth set) lists that; a folder of sets (the
    Meisel & Bierwirth top folder) lists each set's files, set by set in folder-name order."""
    set_dir = Path(set_dir)
    if (set_dir / "instances").is_dir():
        return sorted((set_dir / "instances").glob("*.txt"))
    subsets = sorted(p for p in set_dir.iterdir() if (p / "instances").is_dir())
    if subsets:
        return [f for sub in subsets for f in sorted((sub / "instances").glob("*.txt"))]
    return sorted(set_dir.glob("*.txt"))


def instance_name(path: Path) -> str:
    """File name without extension (the Meisel & Bierwirth names already carry their set)."""
    return Path(path).stem


def read_best_known(set_dir: Path) -> dict[str, float]:
    """Best-known makespans keyed by :func:`instance_name`, in the files' time unit (the unit of
    :func:`solve`'s objective): ``z_best`` for Meisel & Bierwirth; ``z_best_x3 / 3`` for Kim &
    Park, whose published values are in Kim & Park's original unit, three times the files' unit
    (k13: 453 / 3 = 151). For a folder of sets, the sets' files are merged."""
    set_dir = Path(set_dir)
    files = [set_dir / "best_known.csv"]
    if not files[0].is_file():
        files = sorted(p / "best_known.csv" for p in set_dir.iterdir() if p.is_dir())
    best: dict[str, float] = {}
    for path in files:
        if not path.is_file():
            continue
        with path.open(newline="") as fh:
            for row in csv.DictReader(fh):
                name = instance_name(Path(row["instance"]))
                if row.get("z_best"):
                    best[name] = float(row["z_best"])
                elif row.get("z_best_x3"):
                    best[name] = float(row["z_best_x3"]) / 3
    return best


def read_instance(path: Path) -> Instance:
    """Read the bracketed-list format of the Kim & Park and Meisel & Bierwirth files::

        [n, b_or_q, #precedence, #non_simultaneous, q, t, s]
        [p_1, ..., p_n] [l_1, ..., l_n] [r_1, ..., r_q] [l0_1, ..., l0_q]
        [i, j] ...   (precedence pairs, then non-simultaneity pairs)

    Line breaks and spaces may fall anywhere. ``q`` is the length of the ready-time list (the
    header's ``q`` is not reliable) unless ``_q<digits>`` in the file name says fewer: then the
    first ones are kept (A_n25_b10_q2_01 lists 3 cranes; its best-known needs 2). ``b`` comes
    from ``_b<digits>`` in the file name, else the largest bay used.

    Task numbers in pairs are 1-based, except in files that use 0, or where reading them 1-based
    puts pairs across bays while 0-based keeps every pair within one bay: Kim & Park k023-k102
    are 0-based (their precedences are within bays, deck before hold), k013-k022 and all Meisel
    & Bierwirth files 1-based.

    Other known defects of the public files are repaired and recorded in ``notes``: a header
    ``[..., 2, 11]`` (``t, s`` run together, A_n15_b10_q2_01) is read as ``t = s = 1``; a list
    closed by ``>`` (B_n50_b15_q4_09) is read as closed by ``]``; commas, semicolons and full
    stops between lists are ignored; a pair count in the header that disagrees with the pairs
    listed, when there are no non-simultaneity pairs, is replaced by the count listed. Anything
    else malformed raises ``ValueError`` naming the file and the problem."""
    path = Path(path)
    text = path.read_text()
    where = path.name
    notes: list[str] = []

    def fail(problem: str) -> ValueError:
        return ValueError(f"{where}: {problem}")

    repaired = re.sub(r"(\[[\d\s,\-]*)>", r"\1]", text)
    if repaired != text:
        notes.append("a list closed by '>' read as closed by ']'")
        text = repaired
    leftover = _GROUP.sub("", text)
    if not re.fullmatch(r"[\s,;.]*", leftover):
        stray = re.sub(r"[\s,;.]+", " ", leftover).strip()
        raise fail(f"unexpected text outside brackets: {stray[:40]!r}")
    if leftover.strip():
        notes.append("punctuation between lists ignored")
    groups: list[list[int]] = []
    for body in _GROUP.findall(text):
        tokens = [tok.strip() for tok in body.split(",")]
        if tokens == [""]:
            tokens = []
        if any(not re.fullmatch(r"-?\d+", tok) for tok in tokens):
            raise fail(f"a list holds something other than integers: [{body.strip()[:40]}]")
        groups.append([int(tok) for tok in tokens])
    if len(groups) < 5:
        raise fail(f"expected at least 5 bracketed lists, found {len(groups)}")
    header, processing, location, ready, initial = groups[:5]
    pairs = groups[5:]
    if len(header) == 6 and header[5] == 11:
        header = [*header[:5], 1, 1]
        notes.append("header ends '11': read as travel time 1, safety margin 1")
    if len(header) != 7:
        raise fail(f"header must have 7 values, has {len(header)}: {header}")
    n, _, n_prec, n_nonsim, _, travel, margin = header
    if n < 1:
        raise fail(f"header says {n} tasks")
    if len(processing) != n or len(location) != n:
        raise fail(
            f"header says {n} tasks but there are {len(processing)} processing times and "
            f"{len(location)} bays"
        )
    if not ready or len(ready) != len(initial):
        raise fail(
            f"{len(ready)} ready times and {len(initial)} initial bays: need one of each per crane"
        )
    if any(len(pair) != 2 for pair in pairs):
        bad = next(pair for pair in pairs if len(pair) != 2)
        raise fail(f"a task pair must hold two task numbers, found {bad}")
    if len(pairs) != n_prec + n_nonsim:
        if n_nonsim:
            raise fail(
                f"header says {n_prec} precedence and {n_nonsim} non-simultaneity pairs, "
                f"{len(pairs)} are listed"
            )
        notes.append(f"header says {n_prec} precedence pairs, {len(pairs)} listed: all read")
        n_prec = len(pairs)
    base = _pair_base(pairs, location)
    if base == 0:
        notes.append("task numbers in pairs read as 0-based")
    for pair in pairs:
        for task in pair:
            if not base <= task < n + base:
                raise fail(f"pair {pair} names task {task}, tasks are {base}..{n - 1 + base}")
        if pair[0] == pair[1]:
            raise fail(f"pair {pair} names the same task twice")
    named_q = re.search(r"_q(\d+)", path.stem)
    if named_q and int(named_q.group(1)) < len(ready):
        q = int(named_q.group(1))
        notes.append(f"{len(ready)} cranes listed, the file name says {q}: the first {q} kept")
        ready, initial = ready[:q], initial[:q]
    named = re.search(r"_b(\d+)", path.stem)
    bays = int(named.group(1)) if named else max(max(location), max(initial))
    instance = Instance(
        name=instance_name(path),
        bays=bays,
        travel_time=travel,
        safety_margin=margin,
        processing=tuple(processing),
        location=tuple(location),
        ready=tuple(ready),
        initial_bay=tuple(initial),
        precedence=tuple((i - base, j - base) for i, j in pairs[:n_prec]),
        non_simultaneous=tuple((i - base, j - base) for i, j in pairs[n_prec:]),
        notes=tuple(notes),
    )
    problems = validate(instance)
    if problems:
        raise fail("; ".join(problems))
    return instance


def _pair_base(pairs: list[list[int]], location: list[int]) -> int:
    """0 if the pairs' task numbers are 0-based (see :func:`read_instance`), else 1."""
    n = len(location)
    if any(task == 0 for pair in pairs for task in pair):
        return 0

    def within_bays(base: int) -> bool:
        return all(
            base <= i < n + base
            and base <= j < n + base
            and location[i - base] == location[j - base]
            for i, j in pairs
        )

    return 0 if pairs and not within_bays(1) and within_bays(0) else 1


def validate(instance: Instance) -> list[str]:
    """What makes an instance unsolvable by construction (empty list if nothing)."""
    inst = instance
    problems: list[str] = []
    if inst.travel_time < 1 or inst.safety_margin < 0:
        problems.append("travel time must be >= 1 (cranes cannot jump), safety margin >= 0")
    if any(p < 0 for p in inst.processing):
        problems.append("processing times must be >= 0")
    if any(r < 0 for r in inst.ready):
        problems.append("ready times must be >= 0")
    for i, bay in enumerate(inst.location):
        if not 1 <= bay <= inst.bays:
            problems.append(f"task {i + 1} is in bay {bay}, bays are 1..{inst.bays}")
        elif not inst.eligible(i):
            problems.append(f"no crane can reach task {i + 1} in bay {bay}")
    for k, bay in enumerate(inst.initial_bay):
        lo, hi = inst.reach(k)
        if not lo <= bay <= hi:
            problems.append(
                f"crane {k + 1} starts in bay {bay}, outside the bays {lo}..{hi} it can reach"
            )
    for k in range(inst.cranes - 1):
        if inst.initial_bay[k + 1] - inst.initial_bay[k] < inst.distance:
            problems.append(
                f"cranes {k + 1} and {k + 2} start closer than {inst.distance} bays "
                "(safety margin + 1)"
            )
    order = _topological_order(inst.tasks, inst.precedence)
    if order is None:
        problems.append("the precedence pairs form a cycle")
    return problems


def _topological_order(n: int, arcs: Sequence[tuple[int, int]]) -> list[int] | None:
    succ: list[list[int]] = [[] for _ in range(n)]
    indeg = [0] * n
    for i, j in arcs:
        succ[i].append(j)
        indeg[j] += 1
    ready = [i for i in range(n) if indeg[i] == 0]
    order: list[int] = []
    while ready:
        i = ready.pop()
        order.append(i)
        for j in succ[i]:
            indeg[j] -= 1
            if indeg[j] == 0:
                ready.append(j)
    return order if len(order) == n else None


# --------------------------------------------------------------------------------------------
# Interference: the time two pieces of crane work must be apart
# --------------------------------------------------------------------------------------------


def separation(instance: Instance, bay_a: int, crane_a: int, bay_c: int, crane_c: int) -> int:
    """Least time between crane ``crane_a`` working in ``bay_a`` and crane ``crane_c`` working in
    ``bay_c`` (either order): the travel time on one crane, else the time the lower crane needs
    to clear the safety distance. Zero means the two may work at the same moment."""
    t, d = instance.travel_time, instance.distance
    if crane_a == crane_c:
        return abs(bay_a - bay_c) * t
    if crane_a > crane_c:
        bay_a, crane_a, bay_c, crane_c = bay_c, crane_c, bay_a, crane_a
    return max(0, bay_a + (crane_c - crane_a) * d - bay_c) * t


def release(instance: Instance, i: int, k: int) -> int:
    """Earliest start of task ``i`` on crane ``k``: crane ``k`` must get there from its initial
    bay after its ready time, and every other crane must be out of the way of it (each crane
    stands at its initial bay until its ready time)."""
    inst = instance
    earliest = inst.ready[k] + abs(inst.location[i] - inst.initial_bay[k]) * inst.travel_time
    for w in range(inst.cranes):
        gap = separation(inst, inst.location[i], k, inst.initial_bay[w], w)
        if w != k and gap > 0:
            earliest = max(earliest, inst.ready[w] + gap)
    return earliest


def lower_bound(instance: Instance) -> int:
    """A quick lower bound on the makespan: the cranes' total work shared evenly, and the work
    within any ``d`` neighbouring bays (one task there at a time) after its earliest start."""
    inst = instance
    rel = [min(release(inst, i, k) for k in inst.eligible(i)) for i in range(inst.tasks)]
    bound = -(-sum(inst.processing) // inst.cranes)
    for lo in range(1, inst.bays + 1):
        window = [i for i in range(inst.tasks) if lo <= inst.location[i] < lo + inst.distance]
        if window:
            work = sum(inst.processing[i] for i in window)
            bound = max(bound, min(rel[i] for i in window) + work)
    return bound


def makespan(cranes: Sequence[Sequence[ScheduledTask]]) -> int:
    return max((job.end for seq in cranes for job in seq), default=0)


# --------------------------------------------------------------------------------------------
# Greedy: zones of balanced workload, each crane sweeping its zone, serial schedule generation
# --------------------------------------------------------------------------------------------


def _zones(instance: Instance, shift: int = 0) -> list[int]:
    """Split the bays into contiguous zones of about equal workload, one per crane; ``shift``
    moves every boundary by that many bays. Returns the crane of each task (the nearest crane
    that reaches it, if its zone's crane does not)."""
    inst = instance
    load = [0] * (inst.bays + 2)
    for p, bay in zip(inst.processing, inst.location, strict=True):
        load[bay] += p
    total = sum(load) or 1
    bounds: list[int] = []
    acc = 0
    k = 1
    for bay in range(1, inst.bays + 1):
        acc += load[bay]
        while k < inst.cranes and acc >= total * k / inst.cranes:
            bounds.append(bay + shift)
            k += 1
    while len(bounds) < inst.cranes - 1:
        bounds.append(inst.bays)
    crane_of = []
    for i, bay in enumerate(inst.location):
        k = sum(1 for bound in bounds if bay > bound)
        if k not in inst.eligible(i):
            eligible = inst.eligible(i)
            k = min(eligible, key=lambda c: abs(c - k))
        crane_of.append(k)
    return crane_of


def greedy(
    instance: Instance, crane_of: Sequence[int], rightwards: bool = True
) -> tuple[tuple[ScheduledTask, ...], ...]:
    """Serial schedule generation: each crane works its tasks sweeping its zone in one
    direction (precedence first within a bay); at each step the crane whose next task can start
    earliest gets it, at the earliest time that keeps every interference rule with the tasks
    already placed."""
    inst = instance
    n, q = inst.tasks, inst.cranes
    preds: list[list[int]] = [[] for _ in range(n)]
    for a, b in inst.precedence:
        preds[b].append(a)
    nonsim = {frozenset(pair) for pair in inst.non_simultaneous}
    topo = _topological_order(n, inst.precedence) or list(range(n))
    rank = {task: r for r, task in enumerate(topo)}
    sign = 1 if rightwards else -1
    queues = [
        sorted(
            (i for i in range(n) if crane_of[i] == k),
            key=lambda i: (sign * inst.location[i], rank[i]),
        )
        for k in range(q)
    ]
    start: dict[int, int] = {}
    placed: list[tuple[int, int, int, int]] = []  # (start, end, task, crane)
    free = list(inst.ready)
    last_bay = list(inst.initial_bay)
    sequences: list[list[ScheduledTask]] = [[] for _ in range(q)]

    def earliest(i: int, k: int) -> int | None:
        if any(a not in start for a in preds[i]):
            return None
        s = max(
            free[k] + abs(inst.location[i] - last_bay[k]) * inst.travel_time,
            release(inst, i, k),
            max((start[a] + inst.processing[a] for a in preds[i]), default=0),
        )
        windows = []
        for s_j, e_j, j, c in placed:
            gap = separation(inst, inst.location[i], k, inst.location[j], c)
            if gap == 0 and c != k and frozenset((i, j)) not in nonsim:
                continue
            windows.append((s_j - inst.processing[i] - gap, e_j + gap))
        moved = True
        while moved:
            moved = False
            for lo, hi in windows:
                if lo < s < hi:
                    s = hi
                    moved = True
        return s

    while any(queues):
        best: tuple[int, int, int] | None = None
        for k in range(q):
            if not queues[k]:
                continue
            for pos, i in enumerate(queues[k]):
                s = earliest(i, k)
                if s is not None:
                    if best is None or s < best[0]:
                        best = (s, k, pos)
                    break
        if best is None:  # only a precedence cycle could do this; validate() excludes it
            raise ValueError(f"{inst.name}: no task can be scheduled")
        s, k, pos = best
        i = queues[k].pop(pos)
        e = s + inst.processing[i]
        start[i] = s
        placed.append((s, e, i, k))
        free[k] = e
        last_bay[k] = inst.location[i]
        sequences[k].append(ScheduledTask(i, s, e))
    return tuple(tuple(seq) for seq in sequences)


def best_greedy(instance: Instance) -> tuple[tuple[ScheduledTask, ...], ...]:
    """The best of a few greedy schedules (zone boundaries shifted, both sweep directions)."""
    best = None
    for shift in (0, -1, 1):
        crane_of = _zones(instance, shift)
        for rightwards in (True, False):
            cranes = greedy(instance, crane_of, rightwards)
            if best is None or makespan(cranes) < makespan(best):
                best = cranes
    assert best is not None
    return best


# --------------------------------------------------------------------------------------------
# CP-SAT model
# --------------------------------------------------------------------------------------------


def _hint_cranes(instance: Instance, hint: dict | None) -> tuple[tuple[ScheduledTask, ...], ...]:
    """A schedule from a :func:`solution_json` dict (empty if it does not fit the instance)."""
    if not hint:
        return ()
    try:
        cranes: list[list[ScheduledTask]] = [[] for _ in range(instance.cranes)]
        for row in hint["cranes"]:
            k = int(row["crane"]) - 1
            for job in row["tasks"]:
                i = int(job["task"]) - 1
                s = int(job["start"])
                cranes[k].append(ScheduledTask(i, s, s + instance.processing[i]))
    except (KeyError, IndexError, TypeError, ValueError):
        return ()
    return tuple(tuple(seq) for seq in cranes)


def mirror(instance: Instance) -> Instance:
    """The same vessel seen from the other end: bay ``l`` becomes ``b + 1 - l`` and crane ``k``
    becomes ``q - 1 - k``. Schedules map back with :func:`_mirror_schedule`."""
    inst = instance
    b = inst.bays
    return replace(
        inst,
        location=tuple(b + 1 - bay for bay in inst.location),
        ready=inst.ready[::-1],
        initial_bay=tuple(b + 1 - bay for bay in inst.initial_bay[::-1]),
    )


def _mirror_schedule(
    cranes: Sequence[Sequence[ScheduledTask]],
) -> tuple[tuple[ScheduledTask, ...], ...]:
    return tuple(tuple(seq) for seq in cranes[::-1])


def uds_decode(
    instance: Instance, crane_of: Sequence[int]
) -> tuple[tuple[ScheduledTask, ...], ...] | None:
    """The earliest unidirectional schedule (all cranes moving right) for a task-to-crane
    assignment, or None if the assignment contradicts a precedence.

    Moving right, a crane works its bays left to right and, of two tasks too close to be worked
    together by different cranes, the higher crane's goes first; both rules order tasks by
    ``l_i - d c_i`` (ties: precedence order). In that order each task starts as soon as its
    crane has travelled from its previous task, every higher crane's latest task leaves it room,
    and its predecessors are done (Bierwirth & Meisel 2009)."""
    inst = instance
    n, q, d, t = inst.tasks, inst.cranes, inst.distance, inst.travel_time
    loc, p = inst.location, inst.processing
    topo = _topological_order(n, inst.precedence) or list(range(n))
    rank = {task: r for r, task in enumerate(topo)}
    order = sorted(range(n), key=lambda i: (loc[i] - crane_of[i] * d, rank[i]))
    pos = {task: r for r, task in enumerate(order)}
    preds: list[list[int]] = [[] for _ in range(n)]
    for a, b in inst.precedence:
        if pos[a] > pos[b]:
            return None
        preds[b].append(a)
    for a, b in inst.non_simultaneous:
        preds[max(a, b, key=pos.__getitem__)].append(min(a, b, key=pos.__getitem__))
    end = [0] * n
    cranes: list[list[ScheduledTask]] = [[] for _ in range(q)]
    for j in order:
        k = crane_of[j]
        key = loc[j] - k * d
        s = release(inst, j, k)
        if cranes[k]:
            i = cranes[k][-1].task
            s = max(s, end[i] + abs(loc[j] - loc[i]) * t)
        for w in range(k + 1, q):
            # the latest task of crane w that is too close (equal keys are exactly d apart)
            for job in reversed(cranes[w]):
                i = job.task
                if loc[i] - w * d < key:
                    s = max(s, end[i] + (loc[j] + (w - k) * d - loc[i]) * t)
                    break
        s = max([s, *(end[a] for a in preds[j])])
        end[j] = s + p[j]
        cranes[k].append(ScheduledTask(j, s, end[j]))
    return tuple(tuple(seq) for seq in cranes)


class _UdsSearch:
    """Simulated annealing over task-to-crane assignments, each evaluated as its earliest
    unidirectional schedule (all cranes moving right; use :func:`mirror` for left). Moves: one
    task, or the tasks of one bay on one crane, to a neighbouring crane. Fast enough for tens of
    thousands of evaluations a second on the benchmark sizes."""

    def __init__(self, instance: Instance, seed: int = 0) -> None:
        inst = self.inst = instance
        n, q = inst.tasks, inst.cranes
        self.rng = random.Random(seed)
        topo = _topological_order(n, inst.precedence) or list(range(n))
        self.rank = [0] * n
        for r, task in enumerate(topo):
            self.rank[task] = r
        self.eligible = [inst.eligible(i) for i in range(n)]
        self.release = [
            [release(inst, i, k) if k in self.eligible[i] else 0 for k in range(q)]
            for i in range(n)
        ]
        self.preds: list[list[int]] = [[] for _ in range(n)]
        for a, b in inst.precedence:
            self.preds[b].append(a)
        self.nonsim: list[list[int]] = [[] for _ in range(n)]
        for a, b in inst.non_simultaneous:
            self.nonsim[a].append(b)
            self.nonsim[b].append(a)
        self.bay_tasks: dict[int, list[int]] = {}
        for i, bay in enumerate(inst.location):
            self.bay_tasks.setdefault(bay, []).append(i)

    def evaluate(self, crane_of: Sequence[int]) -> tuple[int, int] | None:
        """(makespan, sum of the cranes' finishing times), None if a precedence is broken."""
        inst = self.inst
        n, q, d, t = inst.tasks, inst.cranes, inst.distance, inst.travel_time
        loc, p, rank = inst.location, inst.processing, self.rank
        order = sorted(range(n), key=lambda i: (loc[i] - crane_of[i] * d, rank[i]))
        done = [False] * n
        end = [0] * n
        hist: list[list[int]] = [[] for _ in range(q)]
        for j in order:
            k = crane_of[j]
            lj = loc[j]
            key = lj - k * d
            s = self.release[j][k]
            if hist[k]:
                i = hist[k][-1]
                v = end[i] + abs(lj - loc[i]) * t
                if v > s:
                    s = v
            for w in range(k + 1, q):
                for i in reversed(hist[w]):
                    if loc[i] - w * d < key:
                        v = end[i] + (lj + (w - k) * d - loc[i]) * t
                        if v > s:
                            s = v
                        break
            for a in self.preds[j]:
                if not done[a]:
                    return None
                if end[a] > s:
                    s = end[a]
            for a in self.nonsim[j]:
                if done[a] and end[a] > s:
                    s = end[a]
            end[j] = s + p[j]
            done[j] = True
            hist[k].append(j)
        finish = [end[h[-1]] for h in hist if h]
        return max(finish, default=0), sum(finish)

    def run(
        self, crane_of: Sequence[int], deadline: float, target: int = 0, moves: int = 30000
    ) -> tuple[tuple[int, int], list[int]] | None:
        """Anneal from ``crane_of`` until ``deadline`` (time.monotonic) or a makespan of
        ``target``, restarting from the best every ``moves`` moves; the best (value, assignment)
        found."""
        rng, inst, q = self.rng, self.inst, self.inst.cranes
        first = self.evaluate(crane_of)
        if first is None:
            return None
        best = (first, list(crane_of))
        if q == 1:
            return best
        hot, cold = 1.0, 0.02

        def score(value: tuple[int, int]) -> float:
            return value[0] + 0.1 * value[1] / q

        while time.monotonic() < deadline and best[0][0] > target:
            c = list(best[1])
            current = score(best[0])
            for step in range(moves):
                if step % 128 == 0 and (time.monotonic() >= deadline or best[0][0] <= target):
                    break
                temperature = hot * (cold / hot) ** (step / moves)
                i = rng.randrange(inst.tasks)
                old = c[i]
                options = [k for k in self.eligible[i] if abs(k - old) == 1]
                if not options:
                    continue
                new = rng.choice(options)
                moved = [i]
                if rng.random() < 0.3:
                    moved += [
                        j
                        for j in self.bay_tasks[inst.location[i]]
                        if j != i and c[j] == old and new in self.eligible[j]
                    ]
                for j in moved:
                    c[j] = new
                value = self.evaluate(c)
                if value is not None:
                    delta = score(value) - current
                    if delta <= 0 or rng.random() < math.exp(-delta / temperature):
                        current = score(value)
                        if value < best[0]:
                            best = (value, list(c))
                        continue
                for j in moved:
                    c[j] = old
        return best


def _task_vars(m: cp_model.CpModel, inst: Instance, horizon: int, opts: dict) -> dict:
    """Start, end and crane of every task, with the rules that involve one task (reach, release)
    and the redundant global constraints: one task at a time per crane, at most ``q`` tasks at
    a time, one task at a time within any ``d`` neighbouring bays."""
    n, q, d = inst.tasks, inst.cranes, inst.distance
    loc, p = inst.location, inst.processing
    start, end, crane, x, intervals = [], [], [], [], []
    for i in range(n):
        rel = {k: release(inst, i, k) for k in inst.eligible(i)}
        lo = min(rel.values())
        s = m.new_int_var(lo, max(lo, horizon - p[i]), f"s{i}")
        e = m.new_int_var(lo + p[i], max(lo, horizon - p[i]) + p[i], f"e{i}")
        intervals.append(m.new_interval_var(s, p[i], e, f"iv{i}"))
        c = m.new_int_var_from_domain(cp_model.Domain.from_values(list(rel)), f"c{i}")
        xi = {k: m.new_bool_var(f"x{i}_{k}") for k in rel}
        for k, lit in xi.items():
            if rel[k] > lo:
                m.add(s >= rel[k]).only_enforce_if(lit)
        m.add_exactly_one(xi.values())
        m.add(c == sum(k * lit for k, lit in xi.items()))
        start.append(s)
        end.append(e)
        crane.append(c)
        x.append(xi)
    if opts["crane_nooverlap"]:
        for k in range(q):
            m.add_no_overlap(
                [
                    m.new_optional_interval_var(start[i], p[i], end[i], x[i][k], f"iv{i}_{k}")
                    for i in range(n)
                    if k in x[i]
                ]
            )
    if opts["cumulative"]:
        m.add_cumulative(intervals, [1] * n, q)
    if opts["bay_windows"]:
        for lo_bay in range(1, inst.bays - d + 2):
            window = [i for i in range(n) if lo_bay <= loc[i] < lo_bay + d]
            if len(window) > 1:
                m.add_no_overlap([intervals[i] for i in window])
    return {"start": start, "end": end, "crane": crane, "x": x}


def _objective(m: cp_model.CpModel, inst: Instance, var: dict, horizon: int) -> None:
    cmax = var["cmax"] = m.new_int_var(0, horizon, "cmax")
    m.add_max_equality(cmax, var["end"])
    m.add(cmax * inst.cranes >= sum(inst.processing))
    m.minimize(cmax)


def _hint_tasks(m: cp_model.CpModel, var: dict, seed: Sequence[Sequence[ScheduledTask]]) -> None:
    var["hint_crane"], var["hint_start"] = {}, {}
    for k, seq in enumerate(seed):
        for job in seq:
            i = job.task
            var["hint_crane"][i], var["hint_start"][i] = k, job.start
            m.add_hint(var["start"][i], job.start)
            m.add_hint(var["crane"][i], k)
            for kk, lit in var["x"][i].items():
                m.add_hint(lit, kk == k)
    m.add_hint(var["cmax"], makespan(seed))


def _enforce(m: cp_model.CpModel, constraint, lits: list) -> None:
    """Add ``constraint`` under the literals that are not the constant 1."""
    lits = [lit for lit in lits if lit is not True and not isinstance(lit, int)]
    ct = m.add(constraint)
    if lits:
        ct.only_enforce_if(lits)


def _full_model(
    instance: Instance, horizon: int, seed: Sequence[Sequence[ScheduledTask]], opts: dict
) -> tuple[cp_model.CpModel, dict]:
    """Every schedule (cranes may change direction). Each pair of tasks that may not work
    together is ordered by a literal; the time between them depends on the crane difference
    ``dc``: ``max(0, dc d - span) t`` when the right task's crane is to the right (``dc >= 1``),
    ``(span - dc d) t`` otherwise, both linear in the crane indices on their side of ``dc = 1``."""
    inst = instance
    n, d, tt = inst.tasks, inst.distance, inst.travel_time
    m = cp_model.CpModel()
    loc = inst.location
    var = _task_vars(m, inst, horizon, opts)
    start, end, crane = var["start"], var["end"], var["crane"]
    elig = [inst.eligible(i) for i in range(n)]
    prec = set(inst.precedence)
    nonsim = {frozenset(pair) for pair in inst.non_simultaneous}
    pair_vars: dict[tuple[int, int], dict] = {}
    for i in range(n):
        for j in range(i + 1, n):
            a, b = (i, j) if loc[i] <= loc[j] else (j, i)
            span = loc[b] - loc[a]
            diffs = sorted({kb - ka for ka in elig[a] for kb in elig[b]})
            together = frozenset((a, b)) not in nonsim and (a, b) not in prec
            together = together and (b, a) not in prec
            may_together = [x for x in diffs if 1 <= x <= span // d]
            if together and len(may_together) == len(diffs):
                continue
            pv: dict = {}
            before = pv["before"] = m.new_bool_var("")  # a then b
            after = pv["after"] = m.new_bool_var("")  # b then a
            m.add(start[b] >= end[a]).only_enforce_if(before)
            m.add(start[a] >= end[b]).only_enforce_if(after)
            dc = crane[b] - crane[a]
            right = _threshold(m, dc, diffs, lo=1)
            if right is not None and right is not True and not isinstance(right, int):
                pv["o"] = right
            for lit, e_first, s_then in ((before, end[a], start[b]), (after, end[b], start[a])):
                if right is not None and max(diffs) * d > span:
                    _enforce(m, s_then - e_first >= (dc * d - span) * tt, [lit, right])
                if not isinstance(right, int) or right is None:
                    cond = [lit] if right is None else [lit, ~right]
                    m.add(s_then - e_first >= (span - dc * d) * tt).only_enforce_if(cond)
            if (a, b) in prec:
                m.add(before == 1)
            elif (b, a) in prec:
                m.add(after == 1)
            if together and may_together:
                par = pv["par"] = m.new_bool_var("")
                m.add_exactly_one(before, after, par)
                m.add(dc >= 1).only_enforce_if(par)
                m.add(dc <= span // d).only_enforce_if(par)
            else:
                m.add_exactly_one(before, after)
            pair_vars[a, b] = pv
    for a, b in inst.precedence:
        m.add(start[b] >= end[a])
    var["pairs"] = pair_vars
    _objective(m, inst, var, horizon)
    if seed:
        _hint_tasks(m, var, seed)
        at = {job.task: (job, k) for k, seq in enumerate(seed) for job in seq}
        for (a, b), pv in pair_vars.items():
            (ja, ka), (jb, kb) = at[a], at[b]
            gap = separation(inst, loc[a], ka, loc[b], kb)
            first = "par"
            if ja.end + gap <= jb.start:
                first = "before"
            elif jb.end + gap <= ja.start:
                first = "after"
            for key in ("before", "after", "par"):
                if key in pv:
                    m.add_hint(pv[key], key == first)
            if "o" in pv:
                m.add_hint(pv["o"], kb > ka)
    return m, var


def _uds_model(
    instance: Instance, horizon: int, seed: Sequence[Sequence[ScheduledTask]], opts: dict
) -> tuple[cp_model.CpModel, dict]:
    """Unidirectional schedules, all cranes moving right: the crane assignment orders every pair
    that cannot work together (see :func:`uds_decode`), so the pair rules need no ordering
    variables, only a literal for each side of the crane-difference thresholds."""
    inst = instance
    n, d, tt = inst.tasks, inst.distance, inst.travel_time
    m = cp_model.CpModel()
    loc = inst.location
    var = _task_vars(m, inst, horizon, opts)
    start, end, crane = var["start"], var["end"], var["crane"]
    nonsim = {frozenset(pair) for pair in inst.non_simultaneous}
    elig = [inst.eligible(i) for i in range(n)]
    pair_vars: dict[tuple[int, int], dict] = {}
    for i in range(n):
        for j in range(i + 1, n):
            a, b = (i, j) if loc[i] <= loc[j] else (j, i)
            span = loc[b] - loc[a]
            diffs = sorted({kb - ka for ka in elig[a] for kb in elig[b]})
            dc = crane[b] - crane[a]
            pv: dict = {}
            # a first when b's crane is not right of a's (span > 0) or is left of it (span 0)
            lit = _threshold(m, dc, diffs, hi=0 if span > 0 else -1)
            if lit is not None:
                _enforce(m, start[b] - end[a] >= (span - dc * d) * tt, [lit])
                pv["a_first"] = lit
            # b first when b's crane is right of a's but too close
            lit = _threshold(m, dc, diffs, lo=span // d + 1)
            if lit is not None:
                _enforce(m, start[a] - end[b] >= (dc * d - span) * tt, [lit])
                pv["b_first"] = lit
            if frozenset((a, b)) in nonsim:
                first = pv["nonsim"] = m.new_bool_var("")
                m.add(start[b] >= end[a]).only_enforce_if(first)
                m.add(start[a] >= end[b]).only_enforce_if(~first)
            pair_vars[a, b] = pv
    for a, b in inst.precedence:
        m.add(start[b] >= end[a])
    var["pairs"] = pair_vars
    _objective(m, inst, var, horizon)
    if seed:
        _hint_tasks(m, var, seed)
        for (a, b), pv in pair_vars.items():
            ka, kb = var["hint_crane"][a], var["hint_crane"][b]
            span = loc[b] - loc[a]
            for key, holds in (
                ("a_first", kb - ka <= (0 if span > 0 else -1)),
                ("b_first", kb - ka >= span // d + 1),
                ("nonsim", var["hint_start"][a] < var["hint_start"][b]),
            ):
                if key in pv and not isinstance(pv[key], int):
                    m.add_hint(pv[key], holds)
    return m, var


def _threshold(
    m: cp_model.CpModel,
    expr: cp_model.LinearExpr,
    values: list[int],
    lo: int | None = None,
    hi: int | None = None,
) -> cp_model.IntVar | int | None:
    """A literal equivalent to ``expr >= lo`` (or ``expr <= hi``) given the values ``expr`` can
    take: None if it never holds, 1 if it always holds."""
    holds = [v >= lo for v in values] if lo is not None else [v <= hi for v in values]
    if not any(holds):
        return None
    if all(holds):
        return 1
    lit = m.new_bool_var("")
    if lo is not None:
        m.add(expr >= lo).only_enforce_if(lit)
        m.add(expr <= lo - 1).only_enforce_if(~lit)
    else:
        m.add(expr <= hi).only_enforce_if(lit)
        m.add(expr >= hi + 1).only_enforce_if(~lit)
    return lit


OPTS = {
    "crane_nooverlap": True,
    "cumulative": True,
    "bay_windows": True,
    "probing": 1,
    "plan": (("sa", 0.1), ("uds", 0.3), ("uds_other", 0.3), ("full", 0.3)),
    # With a full hint and two workers, the shared LNS thread is better spent on neighbourhoods
    # than on first-solution heuristics (measured on Kim & Park k065-k094).
    "params": {"ignore_subsolvers": ["fj", "feasibility_pump", "ls"]},
}


def _run(
    model: cp_model.CpModel, var: dict, inst: Instance, seconds: float, workers: int, opts: dict
) -> tuple[str, tuple[tuple[ScheduledTask, ...], ...], int | None]:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    solver.parameters.num_workers = workers
    solver.parameters.cp_model_probing_level = opts["probing"]
    for key, value in opts.get("params", {}).items():
        if isinstance(value, list):
            getattr(solver.parameters, key).extend(value)
        else:
            setattr(solver.parameters, key, value)
    if opts.get("log"):
        solver.parameters.log_search_progress = True
    code = solver.solve(model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ("infeasible" if code == cp_model.INFEASIBLE else "unknown"), (), None
    cranes: list[list[ScheduledTask]] = [[] for _ in range(inst.cranes)]
    for i in range(inst.tasks):
        s = solver.value(var["start"][i])
        cranes[solver.value(var["crane"][i])].append(ScheduledTask(i, s, s + inst.processing[i]))
    schedule = tuple(tuple(sorted(seq, key=lambda j: j.start)) for seq in cranes)
    status = "optimal" if code == cp_model.OPTIMAL else "feasible"
    return status, schedule, int(solver.best_objective_bound)


def solve(
    instance: Instance,
    *,
    time_limit: float = 60.0,
    workers: int = 2,
    hint: dict | None = None,
    opts: dict | None = None,
) -> Result:
    """Minimise the makespan: CP-SAT on unidirectional schedules (cranes moving right, then
    left), then on all schedules warm-started from the best found; the greedy schedule and
    ``hint`` (a :func:`solution_json` dict) seed the search."""
    opts = {**OPTS, **(opts or {})}
    began = time.monotonic()
    inst = instance
    problems = validate(inst)
    if problems:
        seconds = time.monotonic() - began
        return Result("infeasible", None, None, seconds, message="; ".join(problems))
    views = {"lr": inst, "rl": mirror(inst)}
    # Per direction: the best assignment seen, as (value, crane_of), value = (makespan, sum).
    found: dict[str, tuple[tuple[int, int], list[int]]] = {}
    searches = {direction: _UdsSearch(view) for direction, view in views.items()}
    for direction, view in views.items():
        for shift in (0, -1, 1):
            zones = _zones(view, shift)
            value = searches[direction].evaluate(zones)
            if value is not None and (direction not in found or value < found[direction][0]):
                found[direction] = (value, zones)

    def schedule_of(direction: str) -> tuple[tuple[ScheduledTask, ...], ...]:
        decoded = uds_decode(views[direction], found[direction][1])
        assert decoded is not None
        return decoded if direction == "lr" else _mirror_schedule(decoded)

    candidates = [best_greedy(inst), *(schedule_of(direction) for direction in found)]
    hinted = _hint_cranes(inst, hint)
    if hinted and _pairwise_feasible(inst, hinted):
        candidates.append(hinted)
    best = min(candidates, key=makespan)
    floor = lower_bound(inst)
    bound: int | None = None
    stats: dict = {"seed": makespan(best)}
    status = "feasible"
    swept: dict[str, tuple[tuple[ScheduledTask, ...], ...]] = {}
    plan = opts["plan"]
    for number, (phase, share) in enumerate(plan):
        left = time_limit - (time.monotonic() - began)
        if left <= 0.05 or makespan(best) <= floor:
            break
        budget = left * share / sum(later for _, later in plan[number:])
        if phase == "sa":
            for direction in list(found):
                deadline = time.monotonic() + budget / len(found)
                found[direction] = searches[direction].run(found[direction][1], deadline, floor)
                stats[f"sa_{direction}"] = found[direction][0][0]
                if makespan(schedule_of(direction)) < makespan(best):
                    best = schedule_of(direction)
            continue
        if phase in ("uds", "uds_other"):
            if not found:
                continue
            ranked = sorted(found, key=lambda direction: found[direction][0])
            direction = ranked[0] if phase == "uds" else ranked[-1]
            view = views[direction]
            # a second run in the same direction (the other has no seed) continues the first
            seed = swept.get(direction) or schedule_of(direction)
            if direction == "rl":
                seed = _mirror_schedule(seed)
            model, var = _uds_model(view, makespan(seed), seed, opts)
        else:
            view = inst
            model, var = _full_model(inst, makespan(best), best, opts)
        code, schedule, phase_bound = _run(model, var, view, budget, workers, opts)
        if phase != "full" and schedule:
            if direction == "rl":
                schedule = _mirror_schedule(schedule)
            swept[direction] = schedule
        stats[phase] = makespan(schedule) if schedule else None
        if schedule and makespan(schedule) <= makespan(best):
            best = schedule
        if phase == "full":
            if code == "optimal":
                status = "optimal"
            if phase_bound is not None:
                bound = phase_bound
            if code == "infeasible":
                seconds = time.monotonic() - began
                message = "model infeasible although a feasible schedule exists"
                return Result("error", None, None, seconds, message=message)
    bound = max(floor, bound or 0)
    if makespan(best) <= bound:
        status = "optimal"
    seconds = time.monotonic() - began
    return Result(status, makespan(best), bound, seconds, best, stats=stats)


def _pairwise_feasible(instance: Instance, cranes: Sequence[Sequence[ScheduledTask]]) -> bool:
    """Whether a schedule keeps every rule (the exact pairwise form of the interference rule)."""
    inst = instance
    jobs = [(job, k) for k, seq in enumerate(cranes) for job in seq]
    if sorted(job.task for job, _ in jobs) != list(range(inst.tasks)):
        return False
    at = {job.task: (job, k) for job, k in jobs}
    nonsim = {frozenset(pair) for pair in inst.non_simultaneous}
    for job, k in jobs:
        i = job.task
        if job.end - job.start != inst.processing[i] or k not in inst.eligible(i):
            return False
        if job.start < release(inst, i, k):
            return False
    for a, b in inst.precedence:
        if at[a][0].end > at[b][0].start:
            return False
    for x, (ja, ka) in enumerate(jobs):
        for jc, kc in jobs[x + 1 :]:
            gap = separation(inst, inst.location[ja.task], ka, inst.location[jc.task], kc)
            apart = max(jc.start - ja.end, ja.start - jc.end)
            together_ok = ka != kc and frozenset((ja.task, jc.task)) not in nonsim
            if gap == 0 and together_ok:
                continue
            if apart < gap or (gap == 0 and apart < 0):
                return False
    return True


# --------------------------------------------------------------------------------------------
# Crane movement and the solution JSON
# --------------------------------------------------------------------------------------------


def crane_paths(
    instance: Instance, cranes: Sequence[Sequence[ScheduledTask]]
) -> list[list[tuple[Fraction, Fraction]]]:
    """Each crane's bay over time as ``(time, bay)`` breakpoints of a piecewise-linear path.

    Works in half time units and positions scaled by ``2 t`` so that everything is an integer
    (every breakpoint of these paths falls on a half time unit). For crane ``k``: ``low``/``high``
    bound where it can be given its own fixed points (its initial bay until its ready time, its
    tasks) and its neighbours' (recursively, with the safety distance); the crane follows its
    lazy path (wait, then leave as late as possible) clamped between ``low`` and the bay the crane
    below it actually takes plus the distance, and ``high``. Requires a schedule that keeps the
    pairwise interference rule, which makes ``low <= high`` everywhere."""
    inst = instance
    q, scale = inst.cranes, 2 * inst.travel_time
    horizon = 2 * max(makespan(cranes), max(inst.ready))
    dist = inst.distance * scale
    pins = []
    for k in range(q):
        own = [(0, 2 * inst.ready[k], inst.initial_bay[k] * scale)]
        own += [(2 * j.start, 2 * j.end, inst.location[j.task] * scale) for j in cranes[k]]
        pins.append(own)

    def profile(own: list[tuple[int, int, int]]) -> tuple[list[int], list[int], list[int]]:
        low, high, lazy = [], [], []
        idx = 0
        for h in range(horizon + 1):
            while idx + 1 < len(own) and own[idx + 1][0] <= h:
                idx += 1
            _, b0, x0 = own[idx]
            if h <= b0 or idx + 1 == len(own):
                past = max(0, h - b0)
                lo, hi = x0 - past, x0 + past
                lz = x0
            else:
                a1, _, x1 = own[idx + 1]
                lo = max(x0 - (h - b0), x1 - (a1 - h))
                hi = min(x0 + (h - b0), x1 + (a1 - h))
                lz = max(x0, x1 - (a1 - h)) if x1 >= x0 else min(x0, x1 + (a1 - h))
            low.append(lo)
            high.append(hi)
            lazy.append(lz)
        return low, high, lazy

    profiles = [profile(own) for own in pins]
    rail_lo, rail_hi = scale, inst.bays * scale
    low = [[max(rail_lo, x) for x in profiles[k][0]] for k in range(q)]
    high = [[min(rail_hi, x) for x in profiles[k][1]] for k in range(q)]
    for k in range(1, q):
        low[k] = [max(a, b + dist) for a, b in zip(low[k], low[k - 1], strict=True)]
    for k in range(q - 2, -1, -1):
        high[k] = [min(a, b - dist) for a, b in zip(high[k], high[k + 1], strict=True)]
    paths: list[list[tuple[Fraction, Fraction]]] = []
    below: list[int] | None = None
    for k in range(q):
        lazy = profiles[k][2]
        xs = []
        for h in range(horizon + 1):
            lo = low[k][h] if below is None else max(low[k][h], below[h] + dist)
            xs.append(min(max(lo, lazy[h]), high[k][h]))
        below = xs
        points = [(0, xs[0])]
        for h in range(1, horizon):
            if xs[h] - xs[h - 1] != xs[h + 1] - xs[h]:
                points.append((h, xs[h]))
        if horizon > 0:
            points.append((horizon, xs[horizon]))
        paths.append([(Fraction(h, 2), Fraction(x, scale)) for h, x in points])
    return paths


def _number(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else round(float(value), 9)


def solution_json(instance: Instance, result: Result) -> dict:
    """The schedule in the documented JSON form (see the module docstring)."""
    paths = crane_paths(instance, result.cranes) if result.cranes else []
    return {
        "problem": "qcsp",
        "instance": instance.name,
        "status": result.status,
        "objective": result.objective,
        "cranes": [
            {
                "crane": k + 1,
                "tasks": [
                    {
                        "task": job.task + 1,
                        "bay": instance.location[job.task],
                        "start": job.start,
                        "end": job.end,
                    }
                    for job in seq
                ],
                "path": [[_number(t), _number(x)] for t, x in paths[k]],
            }
            for k, seq in enumerate(result.cranes)
        ],
    }
