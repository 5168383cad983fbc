"""The block relocation problem (BRP), restricted variant.

A bay holds ``W`` stacks of at most ``max_height`` boxes. Boxes carry priorities; the boxes with
priorities ``1..retrieve`` leave in that order (priority 1 first) and any box with a larger
priority stays in the bay (give all of them ``retrieve + 1``: equal values never block each
other). A box can only be taken from the top of its stack, so the boxes above the next one to
leave have to be *relocated* to other stacks first. Restricted BRP: only a box above the current
target may be relocated, it goes onto another stack that has room, and the target is retrieved
as soon as it is on top. Minimise the number of relocations (retrievals are free).

Method (chosen by measuring on the Caserta–Voß–Sniedovich set):

* lower bound: every box above a smaller one is relocated at least once, and a second time when,
  at the moment it has to move, every other stack already holds a smaller box (Zhu et al. 2012,
  "LB3", simulated on the layout in which relocated boxes are removed), with the boxes of one
  batch matched exactly to the stacks they can land on well, within the stacks' free tiers;
* upper bound: the min-max rule of Caserta, Schwarze & Voß (2012) as a greedy, then a pilot
  beam search (widths 1, 2, 4, … up to ``max_beam_width``) that rates every child by its
  relocations so far plus a min-max rollout to the end, keeping the best complete plan it sees;
* proof: iterative-deepening A* (IDA*) on that bound with a transposition table over layouts in
  which stacks are interchangeable; it stops at the time limit with the best proven bound.

Bays of at most ``Config.exact_max_boxes`` boxes give the beams ``beam_share`` of the time and
IDA* the rest; larger bays (a full 10 × 10 bay, say) give the beams all of it and report the
root lower bound. Measured on a shared 2-core machine on the seeded bays of :func:`random_bay`
(10 × 10, maximum height 12): the min-max plan takes under 1 ms, the pilot beams shorten it by
16 % on average within 2 s and hardly more by 10 s (``results/random10x10_*.csv``); the plans
stay 27 % above the lower bound on average (how much of that is the bound's is unknown).

Solution JSON (``solution_json``)::

    {"problem": "brp", "instance": "data3-3-1", "objective": 6, "max_height": 5,
     "stacks": [[3, 7, 1], [2, 6, 5], [8, 9, 4]],      # bottom to top, priorities
     "retrieve": 9,
     "moves": [{"kind": "relocate", "box": 4, "from": 2, "to": 1},
               {"kind": "retrieve", "box": 1, "from": 0}, ...]}

stacks are numbered from 0 in file order; ``objective`` counts the ``relocate`` moves.
"""

from __future__ import annotations

import csv
import random
import time
from bisect import bisect_right
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

INF = 1 << 30
Stacks = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Instance:
    """A bay: ``stacks[s]`` lists the priorities of stack ``s`` from bottom to top."""

    name: str
    stacks: Stacks
    max_height: int
    #: priorities 1..retrieve leave in order; larger ones stay.
    retrieve: int

    @property
    def width(self) -> int:
        return len(self.stacks)

    @property
    def boxes(self) -> int:
        return sum(len(s) for s in self.stacks)


@dataclass(frozen=True)
class Move:
    """One crane move: ``relocate`` a box from one stack to another, or ``retrieve`` it."""

    kind: str
    box: int
    source: int
    target: int | None = None


@dataclass(frozen=True)
class Config:
    time_limit: float = 10.0
    #: share of the time for the pilot beams (widths 1, 2, 4, ...) before the exact search
    beam_share: float = 0.2
    max_beam_width: int = 256
    #: run the exact IDA* phase (on bays of at most ``exact_max_boxes`` boxes)
    exact: bool = True
    exact_max_boxes: int = 40


@dataclass(frozen=True)
class Result:
    status: str  # optimal, feasible, infeasible, unknown
    objective: int | None
    bound: int | None
    seconds: float
    moves: tuple[Move, ...] = ()
    stats: dict = field(default_factory=dict)

    @property
    def relocations(self) -> list[tuple[int, int]]:
        """The shift moves as (from stack, to stack) pairs, in order."""
        return [(m.source, m.target) for m in self.moves if m.kind == "relocate"]


class _Timeout(Exception):
    pass


def retrieve_free(stacks: list[tuple[int, ...]], t: int, last: int, out: list[Move] | None = None):
    """Retrieve while the next target ``t`` is on top of a stack; returns the next target."""
    while t <= last:
        for s, st in enumerate(stacks):
            if st and st[-1] == t:
                stacks[s] = st[:-1]
                if out is not None:
                    out.append(Move("retrieve", t, s))
                t += 1
                break
        else:
            break
    return t


def lower_bound(
    stacks: Sequence[tuple[int, ...]], t: int, last: int, max_height: int | None = None
) -> int:
    """Relocations still needed to retrieve ``t..last`` from ``stacks`` (a valid lower bound).

    The retrievals are simulated on the layout from which every relocated box is removed (so
    stacks are never higher and their smallest boxes never smaller than in any real plan).
    Every box above the next target costs one relocation, and one more for each box of that
    batch that cannot land on a stack whose smallest box is later than it: the most boxes
    that can land well are counted exactly over the order in which the batch is relocated,
    each stack taking at most as many of them as it has free tiers (``max_height``; no limit
    when it is None)."""
    pos: dict[int, tuple[int, int]] = {}
    mins: list[int] = []
    prefix: list[list[int]] = []
    heights: list[int] = []
    for s, st in enumerate(stacks):
        m = INF
        pm = []
        for j, c in enumerate(st):
            if c <= last:
                pos[c] = (s, j)
            if c < m:
                m = c
            pm.append(m)
        prefix.append(pm)
        mins.append(m)
        heights.append(len(st))
    width = len(stacks)
    hmax = max_height if max_height is not None else INF
    lb = 0
    for p in range(t, last + 1):
        s, i = pos[p]
        h = heights[s]
        if i >= h:
            continue  # p was above an earlier target: it has been relocated already
        if i + 1 < h:
            st = stacks[s]
            lb += h - i - 1
            if h - i - 1 == 1:
                best = -1
                for d in range(width):
                    if d != s and mins[d] > best and heights[d] < hmax:
                        best = mins[d]
                lb += st[i + 1] > best
            else:
                batch = st[i + 1 : h][::-1]  # in the order they are relocated
                piles = [
                    (mins[d], hmax - heights[d])
                    for d in range(width)
                    if d != s and heights[d] < hmax
                ]
                lb += len(batch) - _most_placed_well(batch, piles)
        heights[s] = i
        mins[s] = prefix[s][i - 1] if i else INF
    return lb


_WELL: dict[tuple, int] = {}


def _most_placed_well(batch: Sequence[int], piles: list[tuple[int, int]]) -> int:
    """How many of ``batch`` (relocated in this order) can at best land on a stack whose
    smallest box is at least as large, when ``piles`` are (smallest box, free tiers) of the
    other stacks (optimistic: the boxes that land badly take no room)."""
    order = sorted(batch)
    n = len(batch)
    # only the order of the values matters: boxes by rank, piles by how many boxes fit on them
    ranks = tuple(order.index(x) + 1 for x in batch)
    fit = tuple(
        sorted(
            (r, min(room, n)) for r, room in ((bisect_right(order, m), c) for m, c in piles) if r
        )
    )
    key = (ranks, fit)
    found = _WELL.get(key)
    if found is None:
        if len(_WELL) > 200_000:
            _WELL.clear()
        found = _WELL[key] = _placed_well(ranks, [list(f) for f in fit])
    return found


def _placed_well(ranks: tuple[int, ...], piles: list[list[int]]) -> int:
    n = len(ranks)
    if not piles:
        return 0
    top = max(p[0] for p in piles)
    fits = [0] * (n + 1)
    for j in range(n - 1, -1, -1):
        fits[j] = fits[j + 1] + (ranks[j] <= top)
    best = 0

    def rec(j: int, good: int) -> None:
        nonlocal best
        if good + fits[j] <= best:
            return
        if j == n:
            best = good
            return
        x = ranks[j]
        tried = set()
        for pile in piles:
            m, room = pile
            if m >= x and room and (m, room) not in tried:
                tried.add((m, room))
                pile[0], pile[1] = x, room - 1
                rec(j + 1, good + 1)
                pile[0], pile[1] = m, room
                if best == fits[0]:
                    return
        rec(j + 1, good)

    rec(0, 0)
    return best


def _key(stacks: Sequence[tuple[int, ...]]) -> Hashable:
    return tuple(sorted(stacks))


def _children(stacks: Stacks, t: int, last: int, hmax: int):
    """(source, target, child stacks, next target) for each distinct relocation of the box on
    top of the target's stack."""
    s = next(i for i, st in enumerate(stacks) if t in st)
    st = stacks[s]
    box = st[-1]
    rest = st[:-1]
    seen = set()
    for d, dt in enumerate(stacks):
        if d == s or len(dt) >= hmax or dt in seen:
            continue
        seen.add(dt)
        child = list(stacks)
        child[s] = rest
        child[d] = (*dt, box)
        t2 = retrieve_free(child, t, last)
        yield s, d, tuple(child), t2


class _Search:
    def __init__(self, instance: Instance, deadline: float):
        self.hmax = instance.max_height
        self.last = instance.retrieve
        self.deadline = deadline
        self.nodes = 0
        self.table: dict[Hashable, int] = {}

    def tick(self) -> None:
        self.nodes += 1
        if not self.nodes & 1023 and time.monotonic() > self.deadline:
            raise _Timeout

    def h(self, stacks: Stacks, t: int) -> int:
        if t > self.last:
            return 0
        key = _key(stacks)
        known = self.table.get(key)
        if known is None:
            known = self.table[key] = lower_bound(stacks, t, self.last, self.hmax)
        return known

    def probe(self, root: Stacks, t0: int, h: int, threshold: int, budget: int):
        """A plan with at most ``threshold`` relocations found within ``budget`` more nodes."""
        deadline, limit = self.deadline, self.nodes + budget
        path: list[tuple[int, int]] = []

        class _Budget(Exception):
            pass

        def tick() -> None:
            self.nodes += 1
            if self.nodes > limit:
                raise _Budget
            if not self.nodes & 1023 and time.monotonic() > deadline:
                raise _Timeout

        self.tick = tick  # type: ignore[method-assign]
        try:
            return path if self.ida(root, t0, 0, h, threshold, path) < 0 else None
        except _Budget:
            return None
        finally:
            del self.tick

    # -- exact -------------------------------------------------------------------------------
    def ida(self, stacks: Stacks, t: int, g: int, h: int, threshold: int, path: list) -> int:
        """-1 when a plan within ``threshold`` was found (left in ``path``), else the smallest
        f-value above it."""
        self.tick()
        if t > self.last:
            return -1
        kids = []
        for s, d, child, t2 in _children(stacks, t, self.last, self.hmax):
            kids.append((self.h(child, t2), s, d, child, t2))
        kids.sort(key=lambda e: e[0])
        best = INF
        for h2, s, d, child, t2 in kids:
            f = g + 1 + h2
            if f > threshold:
                best = min(best, f)
                break  # sorted: the rest are no better
            path.append((s, d))
            r = self.ida(child, t2, g + 1, h2, threshold, path)
            if r < 0:
                return -1
            path.pop()
            best = min(best, r)
        if best > g + h:
            key = _key(stacks)
            if self.table.get(key, 0) < best - g:
                self.table[key] = best - g
        return best


# -- the min-max heuristic and the pilot beam search (upper bounds) --------------------------


def _unpack(stacks: Sequence[tuple[int, ...]], last: int):
    """Mutable copies for :func:`_rollout`: stacks, their smallest boxes and where each box to
    retrieve lies."""
    lists = [list(st) for st in stacks]
    mins = [min(st) if st else INF for st in lists]
    where = [0] * (last + 2)
    for s, st in enumerate(lists):
        for b in st:
            if b <= last:
                where[b] = s
    return lists, mins, where


def _rollout(
    stacks: list[list[int]],
    mins: list[int],
    where: list[int],
    t: int,
    last: int,
    hmax: int,
    limit: int,
    out: list[tuple[int, int]] | None = None,
) -> int:
    """Finish the retrieval from a state with the min-max rule (Caserta, Schwarze & Voß 2012):
    a relocated box goes onto the stack with the smallest "smallest box" that is still later
    than it (it will not move again), or, when there is none, onto the stack whose smallest
    box is the latest (its next relocation is as late as possible); ties go to the lower
    stack. Mutates its arguments; returns the relocations, or -1 when more than ``limit`` are
    needed or no stack has room."""
    n = 0
    width = len(stacks)
    while t <= last:
        s = where[t]
        st = stacks[s]
        b = st.pop()
        if b == t:
            mins[s] = min(st) if st else INF
            t += 1
            continue
        good = bad = -1
        gm = INF + 1
        bm = -1
        for d in range(width):
            if d == s:
                continue
            h = len(stacks[d])
            if h >= hmax:
                continue
            m = mins[d]
            if m >= b:
                if m < gm or (m == gm and h < len(stacks[good])):
                    gm, good = m, d
            elif m > bm or (m == bm and h < len(stacks[bad])):
                bm, bad = m, d
        d = good if good >= 0 else bad
        if d < 0 or n >= limit:
            return -1
        stacks[d].append(b)
        if b <= last:
            where[b] = d
        if b < mins[d]:
            mins[d] = b
        n += 1
        if out is not None:
            out.append((s, d))
    return n


def greedy(instance: Instance) -> list[tuple[int, int]] | None:
    """The min-max plan (relocations as (from, to) pairs), or None when it gets stuck."""
    stacks, mins, where = _unpack(instance.stacks, instance.retrieve)
    out: list[tuple[int, int]] = []
    n = _rollout(stacks, mins, where, 1, instance.retrieve, instance.max_height, INF, out)
    return out if n >= 0 else None


def pilot_beam(
    root: Stacks,
    t0: int,
    last: int,
    hmax: int,
    width: int,
    best: list[tuple[int, int]] | None,
    deadline: float,
) -> list[tuple[int, int]] | None:
    """Beam search in which every child is rated by its relocations so far plus a min-max
    rollout to the end (the pilot method; Ting & Wu 2017 use the same idea). Each rollout is a
    complete plan, so the search improves ``best`` as it goes; returns the best plan seen
    (``best`` itself when nothing better turns up, even on time-out)."""
    bound = len(best) if best is not None else INF
    layer: list[tuple[Stacks, int, tuple]] = [(root, t0, ())]
    g = 0
    checks = 0
    while layer:
        pool: dict[Hashable, tuple] = {}
        for stacks, t, path in layer:
            s = next(i for i, st in enumerate(stacks) if t in st)
            st = stacks[s]
            box = st[-1]
            rest = st[:-1]
            seen = set()
            for d, dt in enumerate(stacks):
                if d == s or len(dt) >= hmax or dt in seen:
                    continue
                seen.add(dt)
                child = list(stacks)
                child[s] = rest
                child[d] = (*dt, box)
                t2 = retrieve_free(child, t, last)
                key = tuple(sorted(child))
                if key in pool:
                    continue
                checks += 1
                if not checks & 63 and time.monotonic() > deadline:
                    return best
                path2 = (*path, (s, d))
                if t2 > last:
                    if g + 1 < bound:
                        best, bound = list(path2), g + 1
                    continue
                lists, mins, where = _unpack(child, last)
                n = _rollout(lists, mins, where, t2, last, hmax, INF)
                if n < 0:
                    continue  # min-max gets stuck: no room left
                value = g + 1 + n
                if value < bound:
                    tail: list[tuple[int, int]] = []
                    lists, mins, where = _unpack(child, last)
                    _rollout(lists, mins, where, t2, last, hmax, INF, tail)
                    best, bound = [*path2, *tail], value
                pool[key] = (value, n, tuple(child), t2, path2)
        ranked = sorted(pool.values(), key=lambda e: (e[0], e[1]))[:width]
        layer = [(e[2], e[3], e[4]) for e in ranked]
        g += 1
    return best


def replay(instance: Instance, relocations: Sequence[tuple[int, int]]) -> list[Move]:
    """The full move list (relocations and the free retrievals) of a relocation plan."""
    stacks = list(instance.stacks)
    moves: list[Move] = []
    t = retrieve_free(stacks, 1, instance.retrieve, moves)
    for s, d in relocations:
        box = stacks[s][-1]
        stacks[s] = stacks[s][:-1]
        stacks[d] = (*stacks[d], box)
        moves.append(Move("relocate", box, s, d))
        t = retrieve_free(stacks, t, instance.retrieve, moves)
    return moves


def solve(instance: Instance, config: Config | None = None) -> Result:
    """Fewest relocations for ``instance`` within ``config.time_limit`` seconds."""
    config = config or Config()
    started = time.monotonic()
    deadline = started + config.time_limit
    search = _Search(instance, deadline)
    stacks = list(instance.stacks)
    t0 = retrieve_free(stacks, 1, instance.retrieve)
    root: Stacks = tuple(stacks)
    if any(len(s) > instance.max_height for s in root):
        return Result("infeasible", None, None, time.monotonic() - started)
    root_lb = search.h(root, t0)
    bound = root_lb
    best: list[tuple[int, int]] | None = [] if t0 > instance.retrieve else None
    stats: dict = {"root_lb": root_lb}
    try:
        if best is None:
            best = greedy(instance)
            stats["greedy"] = None if best is None else len(best)
        # pilot beams of growing width: all the time when the bay is too large for the exact
        # search to finish, else a share of it
        exact = config.exact and instance.boxes <= config.exact_max_boxes
        share = config.beam_share if exact else 1.0
        beam_deadline = min(deadline, started + share * config.time_limit)
        width = 1
        stale = 0
        while (best is None or len(best) > bound) and time.monotonic() < beam_deadline:
            plan = pilot_beam(
                root, t0, instance.retrieve, instance.max_height, width, best, beam_deadline
            )
            stale += 1
            if plan is not None and (best is None or len(plan) < len(best)):
                best, stale = plan, 0
                stats["beam_width"] = width
            if width >= config.max_beam_width or (exact and stale >= 3):
                break  # on small bays IDA* does better with the time than wider beams
            width *= 2
        stats["widest_beam"] = width
        if not exact:
            raise _Timeout
        search.deadline = deadline
        if config.exact:
            threshold = root_lb
            while best is None or threshold < len(best):
                if best is not None and len(best) - 1 > threshold:
                    # probe just below the incumbent: usually finds a better plan quickly
                    plan = search.probe(root, t0, root_lb, len(best) - 1, search.nodes + 5000)
                    if plan is not None:
                        best = plan
                        stats["probe"] = stats.get("probe", 0) + 1
                        continue
                path: list[tuple[int, int]] = []
                r = search.ida(root, t0, 0, root_lb, threshold, path)
                if r < 0:
                    best = path
                    bound = len(path)
                    break
                if r >= INF:
                    bound = INF
                    break
                threshold = r
                bound = threshold
            else:
                bound = len(best)
    except _Timeout:
        pass
    stats["nodes"] = search.nodes
    seconds = time.monotonic() - started
    if best is None:
        status = "infeasible" if bound >= INF else "unknown"
        return Result(status, None, None if bound >= INF else bound, seconds, stats=stats)
    bound = min(bound, len(best))
    status = "optimal" if bound == len(best) else "feasible"
    return Result(status, len(best), bound, seconds, tuple(replay(instance, best)), stats)


# -- the function the yard services call -----------------------------------------------------


def plan_relocations(
    bay_state: Sequence[Sequence[Hashable]],
    retrieval_order: Sequence[Hashable],
    config: Config | None = None,
    *,
    max_height: int,
) -> Result:
    """Relocations that retrieve ``retrieval_order`` from ``bay_state`` (stacks of box ids from
    bottom to top; boxes not in the order stay). ``Result.moves`` names boxes by their index in
    ``retrieval_order`` (priority 1 = first) or ``len(order) + 1`` for boxes that stay; use
    ``Result.relocations`` for the (from stack, to stack) shift moves in order."""
    rank = {box: i + 1 for i, box in enumerate(retrieval_order)}
    if len(rank) != len(retrieval_order):
        raise ValueError("retrieval_order names a box twice")
    present = {box for stack in bay_state for box in stack}
    missing = [box for box in retrieval_order if box not in present]
    if missing:
        raise ValueError(f"boxes not in the bay: {missing}")
    stay = len(retrieval_order) + 1
    stacks = tuple(tuple(rank.get(box, stay) for box in stack) for stack in bay_state)
    instance = Instance("bay", stacks, max_height, len(retrieval_order))
    return solve(instance, config)


# -- benchmark files -------------------------------------------------------------------------


def random_bay(seed: int, tiers: int = 10, stacks: int = 10, *, extra_tiers: int = 2) -> Instance:
    """A full bay of ``tiers`` × ``stacks`` boxes as in the Caserta–Voß–Sniedovich generator:
    the priorities ``1..tiers·stacks`` shuffled by ``random.Random(seed)`` and dealt stack by
    stack from bottom to top; maximum height ``tiers + extra_tiers``. Named
    ``random<tiers>x<stacks>-<seed>``. The benchmark's seeded 10 × 10 set is seeds 1..10."""
    boxes = list(range(1, tiers * stacks + 1))
    random.Random(seed).shuffle(boxes)
    bay = tuple(tuple(boxes[s * tiers : (s + 1) * tiers]) for s in range(stacks))
    return Instance(f"random{tiers}x{stacks}-{seed}", bay, tiers + extra_tiers, tiers * stacks)


def read_stacks(path: Path) -> tuple[tuple[int, ...], ...]:
    """The stacks (bottom to top) of a Caserta-style file: width, box count, then per stack its
    height and boxes. The pre-marshalling sets use the same layout."""
    numbers = path.read_text().split()
    if len(numbers) < 2:
        raise ValueError(f"{path}: not an instance file")
    width, n = int(numbers[0]), int(numbers[1])
    stacks = []
    i = 2
    for s in range(width):
        if i >= len(numbers):
            raise ValueError(f"{path}: {width} stacks announced, the file ends at stack {s}")
        h = int(numbers[i])
        stacks.append(tuple(int(x) for x in numbers[i + 1 : i + 1 + h]))
        i += 1 + h
    if sum(len(s) for s in stacks) != n:
        raise ValueError(f"{path}: {n} boxes announced, {sum(len(s) for s in stacks)} found")
    return tuple(stacks)


def read_instance(path: Path, *, extra_tiers: int = 2) -> Instance:
    """A Caserta-style file; the maximum height is the initial fill plus ``extra_tiers``."""
    stacks = read_stacks(path)
    fill = max(len(s) for s in stacks)
    return Instance(instance_name(path), stacks, fill + extra_tiers, sum(len(s) for s in stacks))


def instance_files(set_dir: Path) -> list[Path]:
    def order(path: Path):
        h, w, i = path.stem.removeprefix("data").split("-")
        return (int(h), int(w), int(i))

    return sorted((set_dir / "instances").rglob("*.dat"), key=order)


def instance_name(path: Path) -> str:
    return path.stem


def read_best_known(set_dir: Path) -> dict[str, float]:
    """Proven optima (status=optimal rows) of the set's ``best_known.csv``, by instance name."""
    path = set_dir / "best_known.csv"
    if not path.exists():
        return {}
    out = {}
    with path.open() as f:
        for row in csv.DictReader(f):
            if row.get("status", "optimal") == "optimal":
                out[Path(row["instance"]).stem] = float(row["relocations"])
    return out


def solution_json(instance: Instance, result: Result) -> dict:
    return {
        "problem": "brp",
        "instance": instance.name,
        "objective": result.objective,
        "bound": result.bound,
        "status": result.status,
        "max_height": instance.max_height,
        "retrieve": instance.retrieve,
        "stacks": [list(s) for s in instance.stacks],
        "moves": [_move_json(m) for m in result.moves],
    }


def _move_json(move: Move) -> dict:
    row = {"kind": move.kind, "box": move.box, "from": move.source}
    if move.target is not None:
        row["to"] = move.target
    return row
