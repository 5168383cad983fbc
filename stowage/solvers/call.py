"""The load-planning problem of one vessel call, pure Python (no Django).

An :class:`Instance` holds the vessel profile layout (:mod:`stowage.profile`), the boxes to load,
the boxes that stay on board (``remain``, with fixed positions), the number of quay cranes the
berth plan gives the call and the objective :class:`Weights`. A :class:`Result` maps each placed
load box to its position ``(bay, row, tier)`` (a 40'/45' box gets its even bay) and every box that
is not loaded to a reason code.

:class:`Ship` indexes a layout once (cells, stacks, bay pairs, lateral row order, hatches) and is
shared by the checker (:mod:`.check`) and the planner (:mod:`.planner`). The rules it encodes:

* a 20' box occupies one cell ``(bay, row, tier)`` of an odd bay; a 40' or 45' box in even bay
  ``b`` occupies the cells ``(b-1, row, tier)`` and ``(b+1, row, tier)`` and needs both 20' bays
  to be paired with ``b``; a 45' box stands only on deck (it overhangs the cell guides below);
* ``sizes`` of a stack: ``"20"`` admits only 20' boxes, ``"40"`` only 40'/45', ``"any"`` both;
* a stack (one 20' bay, row, hold or deck) carries its boxes' weight (a 40' box puts half its
  weight on each of its two stacks) up to ``max_kg`` and their height (a 40' box counts in full
  on both) up to ``max_mm``;
* dangerous goods are segregated by :func:`segregation` (the IMDG 7.2.4 table in
  ``reference/edifact.md`` §4.3) approximated in cells by :func:`segregation_conflict`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from stowage.profile import DECK_FROM_TIER

SIZES_FT = (20, 40, 45)

#: Unplaced reason codes.
NO_VGM = "no_vgm"
LOADING_HOLD = "loading_hold"
NO_ROOM = "no_room"
NO_REEFER_PLUG = "no_reefer_plug"
NO_SEGREGATION = "no_segregation"
NOT_PLANNED = "not_planned"  # the run was cancelled before the box's turn
REASONS = (NO_VGM, LOADING_HOLD, NO_ROOM, NO_REEFER_PLUG, NO_SEGREGATION, NOT_PLANNED)

Cell = tuple[int, int, int]


@dataclass(frozen=True)
class Box:
    """One container: a load box (``yard`` set, ``position`` None) or a box staying on board
    (``position`` set). ``pod`` is the rank of its port of discharge in the rotation (1 = the next
    port). ``weight_kg`` is the VGM (None: no VGM, so it cannot be loaded). ``imdg`` lists its
    IMDG class and subsidiary classes ("3", "2.1", "6.1", ...)."""

    id: str
    length_ft: int
    height_mm: int
    weight_kg: int | None
    pod: int
    reefer: bool = False
    imdg: tuple[str, ...] = ()
    loading_hold: bool = False
    yard: tuple[str, int, int, int] | None = None
    position: Cell | None = None

    @property
    def forty(self) -> bool:
        return self.length_ft >= 40

    @property
    def kg(self) -> int:
        return self.weight_kg or 0


@dataclass(frozen=True)
class Weights:
    """One weight per objective term: the objective is their weighted sum, each term reported
    separately in :attr:`Result.terms` (units: :mod:`stowage.solvers.check`)."""

    overstows: int = 1000
    rehandles: int = 40
    crane_imbalance: int = 10
    heavy_over_light: int = 5
    long_moment: int = 1
    trans_moment: int = 1

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in TERMS}


TERMS = (
    "overstows",
    "rehandles",
    "crane_imbalance",
    "heavy_over_light",
    "long_moment",
    "trans_moment",
)


@dataclass(frozen=True)
class Stack:
    bay: int
    row: int
    deck: bool
    tiers: tuple[int, ...]
    reefer_tiers: frozenset[int]
    sizes: str
    max_kg: int | None
    max_mm: int | None

    @property
    def key(self) -> tuple[int, int, bool]:
        return (self.bay, self.row, self.deck)


class Ship:
    """An index of a profile layout: every 20' cell, stack, 40' bay pair, hatch and the lateral
    order of rows."""

    def __init__(self, layout: dict[str, Any]) -> None:
        self.layout = layout
        bays = sorted(layout.get("bays", []), key=lambda b: b["bay"])
        self.bays20: list[int] = [b["bay"] for b in bays]
        self.bay_index: dict[int, int] = {b: i for i, b in enumerate(self.bays20)}
        pair_of = {b["bay"]: b.get("pair") for b in bays}
        hatch_of = {b["bay"]: b.get("hatch", b["bay"]) for b in bays}
        self.hatch: dict[int, Any] = hatch_of
        hatches: list[Any] = []
        for b in self.bays20:
            if hatch_of[b] not in hatches:
                hatches.append(hatch_of[b])
        self.hatch_index: dict[Any, int] = {h: i for i, h in enumerate(hatches)}
        #: even 40' bay -> its two 20' bays, when both name it as their pair
        self.pairs: dict[int, tuple[int, int]] = {}
        for b in self.bays20:
            p = pair_of.get(b)
            if p is not None and p == b + 1 and pair_of.get(b + 2) == p:
                self.pairs[p] = (b, b + 2)
        self.stacks: dict[tuple[int, int, bool], Stack] = {}
        self.cells: dict[Cell, Stack] = {}
        for s in layout.get("stacks", []):
            st = Stack(
                bay=s["bay"],
                row=s["row"],
                deck=bool(s["deck"]),
                tiers=tuple(sorted(s["tiers"])),
                reefer_tiers=frozenset(s.get("reefer_tiers") or ()),
                sizes=s.get("sizes", "any"),
                max_kg=s.get("max_kg"),
                max_mm=s.get("max_mm"),
            )
            self.stacks[st.key] = st
            for t in st.tiers:
                self.cells[(st.bay, st.row, t)] = st
        rows = sorted({k[1] for k in self.stacks}, key=lambda r: -r if r % 2 == 0 else r)
        #: row -> lateral rank from port (0) to starboard
        self.row_rank: dict[int, int] = {r: i for i, r in enumerate(rows)}
        self.rows = rows
        #: (20' bay, row, tier) -> the tier below in the same stack, None at the bottom
        self.below: dict[Cell, Cell | None] = {}
        self.above: dict[Cell, Cell | None] = {}
        for st in self.stacks.values():
            prev: Cell | None = None
            for t in st.tiers:
                c = (st.bay, st.row, t)
                self.below[c] = prev
                if prev is not None:
                    self.above[prev] = c
                prev = c
            if prev is not None:
                self.above[prev] = None
        #: work units for the cranes, fore to aft: a 40' bay pair or a lone 20' bay
        units: list[int] = []
        self.unit_of: dict[int, int] = {}
        for b in self.bays20:
            p = pair_of.get(b)
            u = p if p in self.pairs else b
            self.unit_of[b] = u
            if u not in units:
                units.append(u)
        self.units = units
        self.unit_index = {u: i for i, u in enumerate(units)}

    def covers(self, length_ft: int, position: Cell) -> tuple[Cell, ...]:
        """The 20' cells a box of ``length_ft`` at ``position`` occupies (empty if none)."""
        bay, row, tier = position
        if length_ft >= 40:
            pair = self.pairs.get(bay)
            if pair is None:
                return ()
            return ((pair[0], row, tier), (pair[1], row, tier))
        return ((bay, row, tier),)

    def size_problem(self, box: Box, position: Cell) -> tuple[str, str] | None:
        """Why ``box`` cannot stand at ``position`` by size or position, as ``(code, message)``
        with code ``size_mismatch`` or ``unknown_cell`` (None when it can)."""
        bay = position[0]
        if box.length_ft not in SIZES_FT:
            return ("size_mismatch", f"length {box.length_ft}' is not 20, 40 or 45")
        if box.forty and bay % 2 == 1:
            return ("size_mismatch", f"a {box.length_ft}' box needs an even bay, not {bay}")
        if not box.forty and bay % 2 == 0:
            return ("size_mismatch", f"a 20' box needs an odd bay, not {bay}")
        cells = self.covers(box.length_ft, position)
        if not cells:
            return ("unknown_cell", f"bay {bay} is not a 40' bay pair of this vessel")
        for c in cells:
            st = self.cells.get(c)
            if st is None:
                return ("unknown_cell", f"there is no cell {code(c)}")
        for c in cells:
            st = self.cells[c]
            if box.forty and st.sizes == "20":
                return ("size_mismatch", f"stack {st.bay}/{st.row} takes only 20' boxes")
            if not box.forty and st.sizes == "40":
                return ("size_mismatch", f"stack {st.bay}/{st.row} takes only 40'/45' boxes")
            if box.length_ft == 45 and not st.deck:
                return ("size_mismatch", "a 45' box stands only on deck")
        return None

    def on_plug(self, box: Box, position: Cell) -> bool:
        """A reefer at ``position`` reaches a plug (a 40' needs one in either 20' bay)."""
        return any(
            c in self.cells and c[2] in self.cells[c].reefer_tiers
            for c in self.covers(box.length_ft, position)
        )

    def x2(self, length_ft: int, position: Cell) -> int:
        """Longitudinal position in half 20' bays from the forward end."""
        cells = self.covers(length_ft, position)
        return sum(2 * self.bay_index[c[0]] for c in cells) // max(1, len(cells))

    def y2(self, row: int) -> int:
        """Lateral position of a row in half rows from the centre line (port negative)."""
        return 2 * self.row_rank[row] - (len(self.rows) - 1)


def code(position: Cell) -> str:
    """``BBBRRTT`` of a position."""
    return f"{position[0]:03d}{position[1]:02d}{position[2]:02d}"


def is_deck(tier: int) -> bool:
    return tier >= DECK_FROM_TIER


@dataclass(frozen=True)
class Instance:
    layout: dict[str, Any]
    load: tuple[Box, ...]
    remain: tuple[Box, ...] = ()
    cranes: int = 2
    weights: Weights = field(default_factory=Weights)

    @cached_property
    def ship(self) -> Ship:
        return Ship(self.layout)

    @cached_property
    def boxes(self) -> dict[str, Box]:
        return {b.id: b for b in (*self.remain, *self.load)}

    @cached_property
    def remain_ids(self) -> frozenset[str]:
        return frozenset(b.id for b in self.remain)

    @cached_property
    def dangerous_ids(self) -> frozenset[str]:
        return frozenset(b.id for b in (*self.remain, *self.load) if b.imdg)


@dataclass(frozen=True)
class CraneShare:
    """One crane's part of the crane split: the work units (40' bay or lone 20' bay) it works,
    fore to aft, and its number of load moves."""

    crane: int
    bays: tuple[int, ...]
    moves: int


@dataclass
class Result:
    status: str
    placements: dict[str, Cell]
    unplaced: dict[str, str]
    objective: int
    terms: dict[str, int]
    bound: int | None
    seconds: float
    crane_split: tuple[CraneShare, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)


# IMDG 7.2.4 general segregation table (reference/edifact.md §4.3). 0 = X (no general
# requirement), 1 away from, 2 separated from, 3 separated by a complete compartment or hold,
# 4 separated longitudinally by an intervening complete compartment or hold. "*" (class 1 among
# itself: compatibility groups, not modelled) counts as 1.
IMDG_GROUPS = (
    "1.1",
    "1.3",
    "1.4",
    "2.1",
    "2.2",
    "2.3",
    "3",
    "4.1",
    "4.2",
    "4.3",
    "5.1",
    "5.2",
    "6.1",
    "6.2",
    "7",
    "8",
    "9",
)
_TABLE = """
* * * 4 2 2 4 4 4 4 4 4 2 4 2 4 X
* * * 4 2 2 4 3 3 4 4 4 2 4 2 2 X
* * * 2 1 1 2 2 2 2 2 2 X 4 2 2 X
4 4 2 X X X 2 1 2 X 2 2 X 4 2 1 X
2 2 1 X X X 1 X 1 X X 1 X 2 1 X X
2 2 1 X X X 2 X 2 X X 2 X 2 1 X X
4 4 2 2 1 2 X X 2 1 2 2 X 3 2 X X
4 3 2 1 X X X X 1 X 1 2 X 3 2 1 X
4 3 2 2 1 2 2 1 X 1 2 2 1 3 2 1 X
4 4 2 X X X 1 X 1 X 2 2 X 2 2 1 X
4 4 2 2 X X 2 1 2 2 X 2 1 3 1 2 X
4 4 2 2 1 2 2 2 2 2 2 X 1 3 2 2 X
2 2 X X X X X X 1 X 1 1 X 1 X X X
4 4 4 4 2 2 3 3 3 2 3 3 1 X 3 3 X
2 2 2 2 1 1 2 2 2 2 1 2 X 3 X 2 X
4 2 2 1 X X X 1 1 1 2 2 X 3 2 X X
X X X X X X X X X X X X X X X X X
"""
SEGREGATION: dict[tuple[str, str], int] = {}
for _i, _line in enumerate(_TABLE.strip().splitlines()):
    for _j, _v in enumerate(_line.split()):
        SEGREGATION[(IMDG_GROUPS[_i], IMDG_GROUPS[_j])] = (
            0 if _v == "X" else 1 if _v == "*" else int(_v)
        )

_GROUP_OF = {
    "1": "1.1",
    "1.1": "1.1",
    "1.2": "1.1",
    "1.5": "1.1",
    "1.3": "1.3",
    "1.6": "1.3",
    "1.4": "1.4",
    "2": "2.1",
    "4": "4.1",
    "5": "5.1",
    "6": "6.1",
}


def imdg_group(imdg_class: str) -> str | None:
    """The table row of an IMDG class ("1.2" -> "1.1", "3" -> "3"); None if unknown."""
    c = imdg_class.strip()
    group = _GROUP_OF.get(c, c)
    return group if group in IMDG_GROUPS else None


def segregation(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """The segregation level (0-4) between two boxes: the maximum over all pairs of their
    classes (subsidiary risks count as classes too)."""
    level = 0
    for ca in a:
        ga = imdg_group(ca)
        if ga is None:
            continue
        for cb in b:
            gb = imdg_group(cb)
            if gb is not None:
                level = max(level, SEGREGATION[(ga, gb)])
    return level


def segregation_conflict(ship: Ship, level: int, cells_a: tuple[Cell, ...], cells_b) -> bool:
    """Whether two boxes on these cells break segregation ``level``, approximated in cells:

    1. away from: not in the same stack, nor in adjacent cells (one bay, row or tier apart,
       diagonals included) on the same side of the hatch cover;
    2. separated from: one container space fore/aft and athwartships on the same side of the
       hatch cover (the same vertical line is allowed only with the hatch cover between);
    3. separated by a complete compartment or hold: not under the same hatch, and on deck two
       rows athwartships;
    4. separated longitudinally by an intervening compartment: hatches at least two apart and
       at least four 20' bays (about 24 m) apart.
    """
    if level <= 0:
        return False
    for a in cells_a:
        for b in cells_b:
            da = is_deck(a[2])
            same_side = da == is_deck(b[2])
            dbay = abs(ship.bay_index[a[0]] - ship.bay_index[b[0]])
            drow = abs(ship.row_rank[a[1]] - ship.row_rank[b[1]])
            if level == 1:
                if same_side and dbay == 0 and drow == 0:
                    return True
                if same_side and dbay <= 1 and drow <= 1 and abs(a[2] - b[2]) <= 2:
                    return True
            elif level == 2:
                if same_side and dbay <= 1 and drow <= 1:
                    return True
            elif level == 3:
                if ship.hatch[a[0]] == ship.hatch[b[0]]:
                    return True
                if same_side and dbay <= 1 and drow <= 2:
                    return True
            else:
                ha, hb = ship.hatch_index[ship.hatch[a[0]]], ship.hatch_index[ship.hatch[b[0]]]
                if abs(ha - hb) <= 1 or dbay < 4:
                    return True
    return False


def instance_errors(instance: Instance) -> list[str]:
    """Everything wrong with an instance's data, as sentences naming the field (empty if valid).
    Rule breaks of a plan are the checker's business, not this function's."""
    errors: list[str] = []
    seen: set[str] = set()
    if not isinstance(instance.cranes, int) or instance.cranes < 1:
        errors.append(f"cranes must be a positive integer, not {instance.cranes!r}.")
    for kind, boxes in (("load", instance.load), ("remain", instance.remain)):
        for i, b in enumerate(boxes):
            where = f"{kind}[{i}] ({b.id})"
            if b.id in seen:
                errors.append(f"{where}: id {b.id!r} appears twice.")
            seen.add(b.id)
            if b.length_ft not in SIZES_FT:
                errors.append(f"{where}: length_ft must be 20, 40 or 45.")
            if b.height_mm <= 0:
                errors.append(f"{where}: height_mm must be positive.")
            if b.weight_kg is not None and b.weight_kg <= 0:
                errors.append(f"{where}: weight_kg must be positive or null.")
            if b.pod < 1:
                errors.append(f"{where}: pod must be 1 or more.")
            for c in b.imdg:
                if imdg_group(c) is None:
                    errors.append(f"{where}: imdg class {c!r} is not an IMDG class.")
            if kind == "remain" and b.position is None:
                errors.append(f"{where}: a box staying on board needs its position.")
            if kind == "load" and b.position is not None:
                errors.append(f"{where}: a load box has no position yet.")
    return errors


def ceil_div(a: int, b: int) -> int:
    return -(-a // b) if b else 0


def linear_partition(loads: list[int], parts: int) -> tuple[int, list[tuple[int, int]]]:
    """Split ``loads`` (in order) into at most ``parts`` contiguous ranges minimising the largest
    range sum. Returns that sum and the ranges as ``(first, last)`` index pairs (exact dynamic
    programme, O(n² · parts))."""
    n = len(loads)
    if n == 0:
        return 0, []
    parts = max(1, min(parts, n))
    prefix = [0]
    for v in loads:
        prefix.append(prefix[-1] + v)
    best = [[math.inf] * (n + 1) for _ in range(parts + 1)]
    cut = [[0] * (n + 1) for _ in range(parts + 1)]
    best[0][0] = 0
    for k in range(1, parts + 1):
        for i in range(1, n + 1):
            for j in range(k - 1, i):
                v = max(best[k - 1][j], prefix[i] - prefix[j])
                if v < best[k][i]:
                    best[k][i], cut[k][i] = v, j
    k = min(range(1, parts + 1), key=lambda k: (best[k][n], -k))
    value = int(best[k][n])
    ranges = []
    i = n
    while k > 0 and i > 0:
        j = cut[k][i]
        ranges.append((j, i - 1))
        i, k = j, k - 1
    return value, ranges[::-1]
