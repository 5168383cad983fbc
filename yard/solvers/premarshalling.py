"""The container pre-marshalling problem (CPMP).

A bay holds ``W`` stacks of at most ``max_height`` boxes; each box has a group (1 leaves
first, equal groups are interchangeable). A box is *badly placed* when some box below it in its
stack has a smaller group. Move top boxes between stacks, with the fewest moves, until no box is
badly placed; then every later retrieval is free of relocations.

Method: a randomised greedy (in the spirit of the biased-randomisation heuristics of Hottung &
Tierney) restarted until the time limit, keeping the shortest plan, then shortened by removing
moves that cancel out. Each greedy run repeats:

1. *good moves*: a badly placed box on top of a stack goes onto a clean stack (no badly placed
   box in it) whose top group is at least its own, the tightest fit first;
2. when there is none, it *clears* the part of one stack above a clean prefix, choosing the stack
   whose clearing moves the fewest boxes per box that could afterwards land well on it; the
   cleared boxes go to good places where possible, else onto dirty stacks, else onto the least
   valuable clean stack.

The first run is deterministic; later runs perturb the scores, and half of them keep a random
prefix of the best plan and rebuild the rest. When no run has produced a plan after a quarter
of the time, a weighted A* over all moves (complete, closed set over layouts) gets another
quarter; if it finds nothing either, the restarts go on with growing perturbations.

The lower bound is the number of badly placed boxes plus Bortfeldt & Forster's count of
well-placed boxes that must make room (or plus one when no badly placed top box can move to a
good place).

Solution JSON (``solution_json``)::

    {"problem": "premarshalling", "instance": "cpmp_16_5_48_10_29_1", "objective": 31,
     "bound": 29, "max_height": 5, "stacks": [[2, 10, 1, 2, 2], [9], ...],
     "moves": [{"box": 2, "from": 0, "to": 4}, ...]}
"""

from __future__ import annotations

import heapq
import random
import time
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from yard.solvers.brp import read_stacks

Stacks = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Instance:
    """A bay: ``stacks[s]`` lists the groups of stack ``s`` from bottom to top."""

    name: str
    stacks: Stacks
    max_height: int


@dataclass(frozen=True)
class Config:
    time_limit: float = 10.0
    seed: int = 0
    #: stop the restarts early once this many have not improved the best plan
    patience: int = 100_000
    #: share of the restarts that keep a random prefix of the best plan and rebuild the rest
    rebuild: float = 0.5
    #: scale of the random perturbation of the greedy's scores
    noise: float = 2.5


@dataclass(frozen=True)
class Move:
    box: int
    source: int
    target: int


@dataclass(frozen=True)
class Result:
    status: str  # optimal, feasible, unknown, infeasible
    objective: int | None
    bound: int | None
    seconds: float
    moves: tuple[Move, ...] = ()
    stats: dict = field(default_factory=dict)

    @property
    def shifts(self) -> list[tuple[int, int]]:
        """The moves as (from stack, to stack) pairs, in order."""
        return [(m.source, m.target) for m in self.moves]


def clean_height(stack: Sequence[int]) -> int:
    """Length of the bottom part of ``stack`` in which no box is badly placed."""
    k = 0
    low = None
    for box in stack:
        if low is not None and box > low:
            break
        low = box
        k += 1
    return k


def badly_placed_count(stacks: Sequence[Sequence[int]]) -> int:
    return sum(len(s) - clean_height(s) for s in stacks)


def lower_bound(stacks: Sequence[Sequence[int]], max_height: int) -> int:
    """Moves still needed to sort ``stacks``: every badly placed box moves at least once, plus
    the larger of two extras:

    * Bortfeldt & Forster (2012): for a group ``g``, the badly placed boxes of group ``g`` or
      later need as many final places on stacks whose well-placed part ends with a group of at
      least ``g``; when the free tiers above such stacks (``supply``) are fewer than this
      ``demand``, at least ``ceil((demand - supply) / max_height)`` more stacks must be
      freed of their well-placed boxes of groups below ``g``, each at a cost of that many moves
      (the cheapest stacks are counted);
    * one more move when no badly placed top box can go straight to a good place.
    """
    cleans = [clean_height(s) for s in stacks]
    bad_groups = sorted(b for s, k in zip(stacks, cleans, strict=True) for b in s[k:])
    bad = len(bad_groups)
    if not bad:
        return 0
    extra = 0
    for g in sorted(set(bad_groups)):
        demand = bad - bisect_left(bad_groups, g)
        supply = 0
        costs = []
        for st, k in zip(stacks, cleans, strict=True):
            if k == 0 or st[k - 1] >= g:
                supply += max_height - k
            else:
                costs.append(sum(1 for b in st[:k] if b < g))
        if demand > supply:
            need = -(-(demand - supply) // max_height)
            costs.sort()
            extra = max(extra, sum(costs[:need]))
    if extra == 0:
        mins = [min(s) if s else 1 << 30 for s in stacks]
        for s, st in enumerate(stacks):
            if st and cleans[s] < len(st):
                c = st[-1]
                for d, dt in enumerate(stacks):
                    if d != s and len(dt) < max_height and mins[d] >= c:
                        return bad
        return bad + 1
    return bad + extra


class _Greedy:
    def __init__(self, instance: Instance, rng: random.Random | None, cap: int, scale: float = 2.5):
        self.scale = scale
        self.h = instance.max_height
        self.stacks = [list(s) for s in instance.stacks]
        self.clean = [clean_height(s) for s in self.stacks]
        self.rng = rng
        self.cap = cap
        self.moves: list[tuple[int, int]] = []
        self.big = max((b for s in self.stacks for b in s), default=0) + 1

    def noise(self) -> float:
        return self.rng.random() * self.scale if self.rng else 0.0

    def accept(self, d: int) -> int:
        """The largest group that can land well on clean stack ``d``."""
        st = self.stacks[d]
        return st[-1] if st else self.big

    def move(self, s: int, d: int) -> None:
        box = self.stacks[s].pop()
        if self.clean[s] > len(self.stacks[s]):
            self.clean[s] = len(self.stacks[s])
        st = self.stacks[d]
        if self.clean[d] == len(st) and (not st or st[-1] >= box):
            self.clean[d] += 1
        st.append(box)
        self.moves.append((s, d))
        if len(self.moves) > self.cap:
            raise OverflowError

    def dirty(self, s: int) -> bool:
        return self.clean[s] < len(self.stacks[s])

    def good_move(self) -> tuple[int, int] | None:
        best = None
        for s, st in enumerate(self.stacks):
            if not self.dirty(s):
                continue
            c = st[-1]
            rest = len(st) - self.clean[s]
            for d, dt in enumerate(self.stacks):
                if d == s or self.dirty(d) or len(dt) >= self.h:
                    continue
                a = dt[-1] if dt else self.big
                if a < c:
                    continue
                score = (a - c) + 0.1 * rest + self.noise()
                if best is None or score < best[0]:
                    best = (score, s, d)
        return None if best is None else (best[1], best[2])

    def clear_one(self) -> bool:
        """Clear the top of one stack down to a clean prefix; False when impossible."""
        bad_boxes = [b for s, st in enumerate(self.stacks) for b in st[self.clean[s] :]]
        free = sum(self.h - len(st) for st in self.stacks)
        best = None
        for d, st in enumerate(self.stacks):
            for k in range(self.clean[d], -1, -1):
                removed = len(st) - k
                if removed == 0 or removed > free - (self.h - len(st)):
                    continue
                a = st[k - 1] if k else self.big
                candidates = sum(1 for b in bad_boxes if b <= a) - sum(
                    1 for b in st[max(k, self.clean[d]) :] if b <= a
                )
                gain = min(self.h - k, candidates)
                if gain <= 0:
                    continue
                score = removed / gain + 0.15 * self.noise()
                if best is None or score < best[0]:
                    best = (score, d, k)
                if k < self.clean[d] - 2:
                    break
        if best is None:
            return False
        _score, d, k = best
        while len(self.stacks[d]) > k:
            box = self.stacks[d][-1]
            target = self.place(d, box)
            if target is None:
                return False
            self.move(d, target)
        return True

    def place(self, s: int, box: int) -> int | None:
        good, dirty, clean = None, None, None
        for d, dt in enumerate(self.stacks):
            if d == s or len(dt) >= self.h:
                continue
            if not self.dirty(d):
                a = dt[-1] if dt else self.big
                if a >= box:
                    score = a - box + self.noise()
                    if good is None or score < good[0]:
                        good = (score, d)
                else:
                    score = a + self.noise()  # spoil the least valuable clean stack
                    if clean is None or score < clean[0]:
                        clean = (score, d)
            else:
                score = -(self.h - len(dt)) + self.noise()
                if dirty is None or score < dirty[0]:
                    dirty = (score, d)
        for option in (good, dirty, clean):
            if option is not None:
                return option[1]
        return None

    def run(self) -> list[tuple[int, int]] | None:
        try:
            while any(self.dirty(s) for s in range(len(self.stacks))):
                pick = self.good_move()
                if pick is not None:
                    self.move(*pick)
                elif not self.clear_one():
                    return None
        except OverflowError:
            return None
        return self.moves


def best_first(instance: Instance, deadline: float, weight: float = 2.0):
    """Weighted A* over all moves (f = moves + ``weight`` · lower bound) with a closed set over
    layouts in which stacks are interchangeable: slower than the greedy but complete, so it
    finds a plan where the greedy keeps failing (``None`` only on time-out or when there is
    none)."""
    h = instance.max_height
    root = tuple(instance.stacks)
    heap = [(weight * lower_bound(root, h), 0, 0, root, ())]
    closed = {tuple(sorted(root))}
    count = pops = 0
    while heap:
        _f, g, _n, stacks, path = heapq.heappop(heap)
        if badly_placed_count(stacks) == 0:
            return list(path)
        pops += 1
        if not pops & 15 and time.monotonic() > deadline:
            return None
        for s, st in enumerate(stacks):
            if not st:
                continue
            for d, dt in enumerate(stacks):
                if d == s or len(dt) >= h:
                    continue
                child = list(stacks)
                child[s] = st[:-1]
                child[d] = (*dt, st[-1])
                key = tuple(sorted(child))
                if key in closed:
                    continue
                closed.add(key)
                count += 1
                child_t = tuple(child)
                f = g + 1 + weight * lower_bound(child_t, h)
                heapq.heappush(heap, (f, g + 1, count, child_t, (*path, (s, d))))
    return None


def shorten(instance: Instance, moves: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop wasted moves: a box moved s→a and later a→b with stack ``a`` untouched in between
    becomes one move s→b (or none when b = s), if the plan stays legal."""
    changed = True
    while changed:
        changed = False
        for i, (s, a) in enumerate(moves):
            for j in range(i + 1, len(moves)):
                s2, d2 = moves[j]
                if s2 == a:
                    if d2 == s:
                        candidate = moves[:i] + moves[i + 1 : j] + moves[j + 1 :]
                    else:
                        candidate = [*moves[:i], (s, d2), *moves[i + 1 : j], *moves[j + 1 :]]
                    if _legal(instance, candidate):
                        moves = candidate
                        changed = True
                    break
                if d2 == a:
                    break
            if changed:
                break
    return moves


def _legal(instance: Instance, moves: Sequence[tuple[int, int]]) -> bool:
    stacks = [list(s) for s in instance.stacks]
    for s, d in moves:
        if s == d or not stacks[s] or len(stacks[d]) >= instance.max_height:
            return False
        stacks[d].append(stacks[s].pop())
    return badly_placed_count(stacks) == 0


def solve(instance: Instance, config: Config | None = None) -> Result:
    """A short move sequence that leaves no box badly placed, within ``config.time_limit``."""
    config = config or Config()
    started = time.monotonic()
    bound = lower_bound(instance.stacks, instance.max_height)
    if any(len(s) > instance.max_height for s in instance.stacks):
        return Result("infeasible", None, None, time.monotonic() - started)
    boxes = sum(len(s) for s in instance.stacks)
    rng = random.Random(config.seed)
    best: list[tuple[int, int]] | None = None
    runs = stale = 0
    stats_fallback = False
    scale = config.noise
    while True:
        # a run that has not finished within the cap is cycling: cut it short and restart
        cap = (len(best) - 1) if best is not None else 2 * bound + boxes + 50
        if best and config.rebuild and rng.random() < config.rebuild:
            # keep a random prefix of the best plan and rebuild the rest (ruin and recreate)
            k = rng.randrange(len(best))
            start = [list(st) for st in instance.stacks]
            for s, d in best[:k]:
                start[d].append(start[s].pop())
            part = Instance(instance.name, tuple(map(tuple, start)), instance.max_height)
            tail = _Greedy(part, rng, cap - k, scale).run() if cap > k else None
            plan = None if tail is None else [*best[:k], *tail]
        else:
            plan = _Greedy(instance, rng if runs else None, cap, scale).run()
        runs += 1
        stale += 1
        if plan is not None:
            plan = shorten(instance, plan)
            if best is None or len(plan) < len(best):
                best, stale = plan, 0
        if best is not None and len(best) <= bound:
            break
        elapsed = time.monotonic() - started
        if stale >= config.patience or elapsed > config.time_limit:
            break
        if best is None and not stats_fallback and elapsed > config.time_limit / 4:
            # the greedy keeps failing: a complete search for a quarter of the time, then
            # greedy restarts with ever larger perturbations
            stats_fallback = True
            plan = best_first(instance, time.monotonic() + config.time_limit / 4)
            if plan is not None:
                best = shorten(instance, plan)
                if len(best) <= bound:
                    break
            else:
                scale = 2 * config.noise
        if best is None and stats_fallback:
            scale = min(scale * 1.25, 8 * config.noise)
    seconds = time.monotonic() - started
    stats = {"runs": runs, "best_first": stats_fallback}
    if best is None:
        return Result("unknown", None, bound, seconds, stats=stats)
    stacks = [list(s) for s in instance.stacks]
    moves = []
    for s, d in best:
        box = stacks[s].pop()
        stacks[d].append(box)
        moves.append(Move(box, s, d))
    status = "optimal" if len(best) == bound else "feasible"
    return Result(status, len(best), bound, seconds, tuple(moves), stats)


def plan_premarshalling(
    bay_state: Sequence[Sequence[int]], config: Config | None = None, *, max_height: int
) -> Result:
    """Shift moves that sort ``bay_state`` (stacks of retrieval groups from bottom to top, 1
    leaves first) so that no box is above one that leaves earlier. Use ``Result.shifts`` for
    the (from stack, to stack) moves in order."""
    stacks = tuple(tuple(int(b) for b in s) for s in bay_state)
    return solve(Instance("bay", stacks, max_height), config)


# -- benchmark files -------------------------------------------------------------------------


def read_instance(path: Path, *, max_height: int | None = None) -> Instance:
    """A ``.bay`` file of the BF set (height from the name ``cpmp_S_H_…``) or a Caserta-style
    ``.dat`` file (height = initial fill + 2), unless ``max_height`` is given."""
    stacks = read_stacks(path)
    if max_height is None:
        parts = path.stem.split("_")
        if parts[0] == "cpmp" and len(parts) > 2:
            max_height = int(parts[2])
        else:
            max_height = max(len(s) for s in stacks) + 2
    return Instance(instance_name(path), stacks, max_height)


def instance_files(set_dir: Path) -> list[Path]:
    def order(path: Path):
        numbers = [int(x) for x in path.stem.replace("-", "_").split("_") if x.isdigit()]
        klass = path.parent.name
        digits = "".join(ch for ch in klass if ch.isdigit())
        return (int(digits) if digits else 0, klass, numbers)

    files = [p for ext in ("*.bay", "*.dat") for p in (set_dir / "instances").rglob(ext)]
    return sorted(files, key=order)


def instance_name(path: Path) -> str:
    return path.stem


def read_best_known(set_dir: Path) -> dict[str, float]:
    """Values from the set's ``best_known.csv`` (columns instance and moves) if there is one."""
    import csv

    path = set_dir / "best_known.csv"
    if not path.exists():
        return {}
    with path.open() as f:
        return {
            Path(row["instance"]).stem: float(row["moves"])
            for row in csv.DictReader(f)
            if row.get("moves") and row.get("status", "optimal") == "optimal"
        }


def solution_json(instance: Instance, result: Result) -> dict:
    return {
        "problem": "premarshalling",
        "instance": instance.name,
        "objective": result.objective,
        "bound": result.bound,
        "status": result.status,
        "max_height": instance.max_height,
        "stacks": [list(s) for s in instance.stacks],
        "moves": [{"box": m.box, "from": m.source, "to": m.target} for m in result.moves],
    }
