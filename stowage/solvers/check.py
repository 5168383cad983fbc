"""Independent checker of load plans: the hard rules (:func:`check`, :func:`check_move`) and the
objective terms (:func:`terms`), recomputed from the instance and the placements alone. It
shares no code with the planner's models; the planner runs it on every result and a plan with a
violation is never returned as placed.

Violation codes (stable, for the API and the bay view):

``unknown_box`` the id is neither a load nor a remain box · ``unknown_cell`` the position is not
a cell of the vessel · ``size_mismatch`` length vs bay parity, pair, stack sizes, 45' in the hold ·
``no_vgm`` a box without VGM is loaded · ``loading_hold`` a box under an active loading hold is
loaded · ``no_reefer_plug`` a reefer without a plug · ``cell_taken`` two boxes on one cell ·
``floating`` a box without a box or the stack bottom beneath · ``twenty_on_forty`` a 20' box on a
40'/45' box · ``below_remain`` a load box in the hold under a deck stack holding a box that stays
on board (it cannot be loaded without a restow) · ``stack_weight`` · ``stack_height`` ·
``imdg_segregation`` two dangerous boxes closer than their IMDG segregation level allows
(:func:`stowage.solvers.call.segregation_conflict`) · ``remain_moved`` a remain box placed
anywhere but its position.

Objective terms (:func:`terms`):

* ``overstows``: boxes above (same 20' bay and row, hold and deck together) a box with an
  earlier POD, counted once per box, when one of the two is a load box;
* ``rehandles``: load boxes that must be moved out of the way in the yard: a box counts when a
  box below it in the same yard stack (block, bay, row) is loaded before it (or it is not
  loaded at all). The load sequence: the crane split below, each crane working its bays fore to
  aft, a bay hold first then deck, tier by tier bottom up, rows port to starboard; boxes of
  different cranes are ordered by their place in their crane's queue;
* ``crane_imbalance``: the crane split is the exact contiguous split of the work units (40' bay
  pairs, lone 20' bays) fore to aft among the call's cranes minimising the largest crane's load
  moves; the term is that largest load minus the perfect share ⌈moves / cranes⌉;
* ``heavy_over_light``: boxes standing directly on a lighter box (when one of them is loaded);
* ``long_moment`` / ``trans_moment``: |Σ weight × offset| of all boxes on board from the
  middle 20' bay / the centre line, in units of 100 t × half a bay / half a row.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from stowage.solvers.call import (
    TERMS,
    Box,
    Cell,
    CraneShare,
    Instance,
    Ship,
    ceil_div,
    code,
    is_deck,
    linear_partition,
    segregation,
    segregation_conflict,
)

MOMENT_UNIT = 100_000  # kg × half-slot per reported unit (100 t × half a bay or row)


@dataclass(frozen=True)
class Violation:
    code: str
    box: str
    cell: Cell | None
    message: str

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "box": self.box,
            "cell": list(self.cell) if self.cell else None,
            "message": self.message,
        }


class Plan:
    """Occupancy of the vessel for one set of placements, kept up to date by :meth:`place` and
    :meth:`remove`, so that one proposed move is checked in well under a millisecond
    (:meth:`problems`). Building it for a full 5,000-move plan takes about 0.1 s; a plan of the
    bays near one move (``near``), what :func:`check_move` builds, a few milliseconds."""

    def __init__(
        self,
        instance: Instance,
        placements: Mapping[str, Cell] | None = None,
        *,
        near: Iterable[int] | None = None,
    ) -> None:
        """``near``: record only the boxes within two bays of these bays (and all dangerous
        ones), which is all that the rules of a move to or from those bays look at."""
        self.instance = instance
        window = None if near is None else {b + d for b in near for d in range(-2, 3)}

        def wanted(box: Box, cell: Cell) -> bool:
            return window is None or cell[0] in window or bool(box.imdg)

        self.ship: Ship = instance.ship
        self.pos: dict[str, Cell] = {}
        self.occ: dict[Cell, str] = {}
        self.kg2: dict[tuple[int, int, bool], int] = defaultdict(int)
        self.mm: dict[tuple[int, int, bool], int] = defaultdict(int)
        self.dangerous: dict[str, tuple[Cell, ...]] = {}
        self.remain_deck_columns: set[tuple[int, int]] = set()
        for b in instance.remain:
            if (
                b.position is not None
                and wanted(b, b.position)
                and self.ship.covers(b.length_ft, b.position)
            ):
                self.place(b.id, b.position)
                for c in self.ship.covers(b.length_ft, b.position):
                    if is_deck(c[2]):
                        self.remain_deck_columns.add((c[0], c[1]))
        boxes, remain, dangerous = instance.boxes, instance.remain_ids, instance.dangerous_ids
        for box_id, cell in (placements or {}).items():
            if window is not None and cell[0] not in window and box_id not in dangerous:
                continue
            if box_id not in remain and box_id in boxes:
                self.place(box_id, tuple(cell))

    def place(self, box_id: str, cell: Cell) -> None:
        """Record ``box_id`` at ``cell`` (no checks; a taken cell keeps its first box)."""
        box = self.instance.boxes[box_id]
        cells = self.ship.covers(box.length_ft, cell)
        self.pos[box_id] = cell
        for c in cells:
            self.occ.setdefault(c, box_id)
            st = self.ship.cells.get(c)
            if st is not None:
                self.kg2[st.key] += box.kg * (1 if box.forty else 2)
                self.mm[st.key] += box.height_mm
        if box.imdg:
            self.dangerous[box_id] = cells

    def remove(self, box_id: str) -> None:
        box = self.instance.boxes[box_id]
        cell = self.pos.pop(box_id)
        for c in self.ship.covers(box.length_ft, cell):
            if self.occ.get(c) == box_id:
                del self.occ[c]
            st = self.ship.cells.get(c)
            if st is not None:
                self.kg2[st.key] -= box.kg * (1 if box.forty else 2)
                self.mm[st.key] -= box.height_mm
        self.dangerous.pop(box_id, None)

    def problems(self, box: Box, cell: Cell, *, first: bool = False) -> list[Violation]:
        """The hard rules ``box`` would break at ``cell`` given the other boxes (``box`` itself
        must not be placed). ``first`` stops at the first problem (for searches)."""
        out: list[Violation] = []
        ship = self.ship

        def add(code_: str, message: str) -> bool:
            out.append(Violation(code_, box.id, cell, message))
            return first

        if box.weight_kg is None and add("no_vgm", f"{box.id} has no VGM"):
            return out
        if box.loading_hold and add("loading_hold", f"{box.id} is under a loading hold"):
            return out
        problem = ship.size_problem(box, cell)
        if problem:
            code_, why = problem
            if add(code_, f"{box.id} at {code(cell)}: {why}") or code_ == "unknown_cell":
                return out
            if not ship.covers(box.length_ft, cell) or any(
                c not in ship.cells for c in ship.covers(box.length_ft, cell)
            ):
                return out
        cells = ship.covers(box.length_ft, cell)
        unplugged = box.reefer and not ship.on_plug(box, cell)
        if unplugged and add("no_reefer_plug", f"reefer {box.id} at {code(cell)} has no plug"):
            return out
        for c in cells:
            other = self.occ.get(c)
            if other is not None and other != box.id:
                if add("cell_taken", f"{code(c)} already holds {other}"):
                    return out
                break
        for c in cells:
            below = ship.below[c]
            if below is None:
                continue
            under = self.occ.get(below)
            if under is None:
                if add("floating", f"{box.id} at {code(cell)} has nothing beneath in {code(c)}"):
                    return out
                break
            if not box.forty and self.instance.boxes[under].forty:
                if add("twenty_on_forty", f"20' box {box.id} would stand on 40' box {under}"):
                    return out
                break
        under_remain = any(
            not is_deck(c[2]) and (c[0], c[1]) in self.remain_deck_columns for c in cells
        )
        if under_remain and add("below_remain", f"{code(cell)} is under boxes staying on deck"):
            return out
        for c in cells:
            st = ship.cells[c]
            if st.max_kg is not None:
                kg2 = self.kg2[st.key] + box.kg * (1 if box.forty else 2)
                if kg2 > 2 * st.max_kg:
                    msg = f"stack {st.bay}/{st.row} would weigh {kg2 / 2:.0f} kg > {st.max_kg}"
                    if add("stack_weight", msg):
                        return out
                    break
        for c in cells:
            st = ship.cells[c]
            if st.max_mm is not None and self.mm[st.key] + box.height_mm > st.max_mm:
                msg = f"stack {st.bay}/{st.row} would be {self.mm[st.key] + box.height_mm} mm high"
                if add("stack_height", msg + f" > {st.max_mm}"):
                    return out
                break
        if box.imdg:
            for other, other_cells in self.dangerous.items():
                if other == box.id:
                    continue
                level = segregation(box.imdg, self.instance.boxes[other].imdg)
                if level and segregation_conflict(ship, level, cells, other_cells):
                    msg = f"{box.id} and {other} need segregation level {level}"
                    if add("imdg_segregation", msg):
                        return out
        return out


def check(instance: Instance, placements: Mapping[str, Cell]) -> list[Violation]:
    """Every hard rule the plan breaks (remain boxes stand at their positions; ``placements``
    gives the load boxes and may repeat remain boxes at their own positions)."""
    ship = instance.ship
    out: list[Violation] = []
    boxes = instance.boxes
    pos: dict[str, Cell] = {}
    for b in instance.remain:
        if b.position is None:
            continue
        if not ship.covers(b.length_ft, b.position) or any(
            c not in ship.cells for c in ship.covers(b.length_ft, b.position)
        ):
            out.append(Violation("unknown_cell", b.id, b.position, "remain box off the profile"))
            continue
        pos[b.id] = b.position
    for box_id in sorted(placements):
        cell = tuple(placements[box_id])
        box = boxes.get(box_id)
        if box is None:
            out.append(Violation("unknown_box", box_id, cell, f"{box_id} is not on the lists"))
            continue
        if box_id in instance.remain_ids:
            if cell != box.position:
                msg = f"{box_id} stays on board at {code(box.position)}, not {code(cell)}"
                out.append(Violation("remain_moved", box_id, cell, msg))
            continue
        problem = ship.size_problem(box, cell)
        if problem:
            out.append(Violation(problem[0], box_id, cell, f"{box_id}: {problem[1]}"))
        cells = ship.covers(box.length_ft, cell)
        if not cells or any(c not in ship.cells for c in cells):
            if not problem:
                out.append(Violation("unknown_cell", box_id, cell, f"{code(cell)} is no cell"))
            continue
        if box.weight_kg is None:
            out.append(Violation("no_vgm", box_id, cell, f"{box_id} has no VGM"))
        if box.loading_hold:
            out.append(Violation("loading_hold", box_id, cell, f"{box_id} is under a hold"))
        if box.reefer and not ship.on_plug(box, cell):
            out.append(Violation("no_reefer_plug", box_id, cell, f"reefer {box_id} unplugged"))
        pos[box_id] = cell
    occ: dict[Cell, str] = {}
    for box_id in sorted(pos, key=lambda i: (i not in instance.remain_ids, i)):
        box = boxes[box_id]
        for c in ship.covers(box.length_ft, pos[box_id]):
            if c in occ:
                msg = f"{code(c)} holds {occ[c]} and {box_id}"
                out.append(Violation("cell_taken", box_id, pos[box_id], msg))
            else:
                occ[c] = box_id
    load = [i for i in pos if i not in instance.remain_ids]
    remain_deck = {
        (c[0], c[1])
        for i in pos
        if i in instance.remain_ids
        for c in ship.covers(boxes[i].length_ft, pos[i])
        if is_deck(c[2])
    }
    for box_id in sorted(load):
        box = boxes[box_id]
        cells = ship.covers(box.length_ft, pos[box_id])
        for c in cells:
            below = ship.below[c]
            if below is not None and below not in occ:
                msg = f"nothing beneath {box_id} in {code(c)}"
                out.append(Violation("floating", box_id, pos[box_id], msg))
                break
            if below is not None and not box.forty and boxes[occ[below]].forty:
                msg = f"20' box {box_id} stands on 40' box {occ[below]}"
                out.append(Violation("twenty_on_forty", box_id, pos[box_id], msg))
                break
        if any(not is_deck(c[2]) and (c[0], c[1]) in remain_deck for c in cells):
            msg = f"{box_id} is in the hold under boxes staying on deck"
            out.append(Violation("below_remain", box_id, pos[box_id], msg))
    kg2: dict[tuple, int] = defaultdict(int)
    mm: dict[tuple, int] = defaultdict(int)
    top_load: dict[tuple, str] = {}
    for box_id, cell in pos.items():
        box = boxes[box_id]
        for c in ship.covers(box.length_ft, cell):
            key = ship.cells[c].key
            kg2[key] += box.kg * (1 if box.forty else 2)
            mm[key] += box.height_mm
            if box_id not in instance.remain_ids and (
                key not in top_load or pos[top_load[key]][2] < cell[2]
            ):
                top_load[key] = box_id
    for key, box_id in sorted(top_load.items()):
        st = ship.stacks[key]
        if st.max_kg is not None and kg2[key] > 2 * st.max_kg:
            msg = f"stack {key[0]}/{key[1]} weighs {kg2[key] / 2:.0f} kg > {st.max_kg}"
            out.append(Violation("stack_weight", box_id, pos[box_id], msg))
        if st.max_mm is not None and mm[key] > st.max_mm:
            msg = f"stack {key[0]}/{key[1]} is {mm[key]} mm high > {st.max_mm}"
            out.append(Violation("stack_height", box_id, pos[box_id], msg))
    dangerous = sorted(i for i in pos if boxes[i].imdg)
    for i, a in enumerate(dangerous):
        ca = ship.covers(boxes[a].length_ft, pos[a])
        for b in dangerous[i + 1 :]:
            if a in instance.remain_ids and b in instance.remain_ids:
                continue
            level = segregation(boxes[a].imdg, boxes[b].imdg)
            cb = ship.covers(boxes[b].length_ft, pos[b])
            if level and segregation_conflict(ship, level, ca, cb):
                culprit = b if b not in instance.remain_ids else a
                msg = f"{a} and {b} need segregation level {level}"
                out.append(Violation("imdg_segregation", culprit, pos[culprit], msg))
    return out


def check_move(
    instance: Instance,
    placements: Mapping[str, Cell],
    box_id: str,
    cell: Cell,
    *,
    plan: Plan | None = None,
) -> list[Violation]:
    """The hard rules broken by moving (or loading) ``box_id`` to ``cell`` with the other
    placements unchanged, including boxes left floating where it stood. Pass a :class:`Plan`
    built from ``placements`` to skip rebuilding the occupancy (it is left unchanged)."""
    box = instance.boxes.get(box_id)
    cell = tuple(cell)
    if box is None:
        return [Violation("unknown_box", box_id, cell, f"{box_id} is not on the lists")]
    if box_id in instance.remain_ids:
        if cell == box.position:
            return []
        msg = f"{box_id} stays on board at {code(box.position)}"
        return [Violation("remain_moved", box_id, cell, msg)]
    if plan is None:
        bays = [cell[0]]
        if box_id in placements:
            bays.append(placements[box_id][0])
        plan = Plan(instance, placements, near=bays)
    old = plan.pos.get(box_id)
    if old is not None:
        plan.remove(box_id)
    try:
        out = plan.problems(box, cell)
        if old is not None:
            target = set(instance.ship.covers(box.length_ft, cell))
            for c in instance.ship.covers(box.length_ft, old):
                up = instance.ship.above.get(c)
                if up is not None and up in plan.occ and up not in target:
                    msg = f"moving {box_id} leaves {plan.occ[up]} floating"
                    out.append(Violation("floating", plan.occ[up], plan.pos[plan.occ[up]], msg))
                    break
    finally:
        if old is not None:
            plan.place(box_id, old)
    return out


def crane_split(instance: Instance, placements: Mapping[str, Cell]) -> tuple[CraneShare, ...]:
    """The crane split of the load moves (see the module docstring)."""
    ship = instance.ship
    loads = dict.fromkeys(ship.units, 0)
    for box_id, cell in placements.items():
        if box_id in instance.remain_ids or box_id not in instance.boxes:
            continue
        loads[_unit(ship, cell)] += 1
    _, ranges = linear_partition([loads[u] for u in ship.units], max(1, instance.cranes))
    return tuple(
        CraneShare(
            crane=k + 1,
            bays=tuple(ship.units[first : last + 1]),
            moves=sum(loads[u] for u in ship.units[first : last + 1]),
        )
        for k, (first, last) in enumerate(ranges)
    )


def _unit(ship: Ship, cell: Cell) -> int:
    bay = cell[0]
    return bay if bay % 2 == 0 else ship.unit_of[bay]


def load_sequence(instance: Instance, placements: Mapping[str, Cell]) -> dict[str, tuple]:
    """Box id -> a sortable key of when it is loaded (see the module docstring)."""
    ship = instance.ship
    split = crane_split(instance, placements)
    crane_of = {u: share.crane for share in split for u in share.bays}
    queues: dict[int, list[tuple]] = defaultdict(list)
    for box_id, cell in placements.items():
        if box_id in instance.remain_ids or box_id not in instance.boxes:
            continue
        u = _unit(ship, cell)
        key = (ship.unit_index[u], cell[2], ship.row_rank.get(cell[1], 0), cell[0], box_id)
        queues[crane_of.get(u, 1)].append(key)
    seq: dict[str, tuple] = {}
    for crane, queue in queues.items():
        for i, key in enumerate(sorted(queue)):
            seq[key[-1]] = (i, crane)
    return seq


def terms(instance: Instance, placements: Mapping[str, Cell]) -> dict[str, int]:
    """The objective terms of a plan (see the module docstring), recomputed from scratch."""
    ship = instance.ship
    boxes = instance.boxes
    remain = instance.remain_ids
    pos: dict[str, Cell] = {b.id: b.position for b in instance.remain if b.position is not None}
    for box_id, cell in placements.items():
        if box_id in boxes and box_id not in remain:
            pos[box_id] = tuple(cell)
    occ: dict[Cell, str] = {}
    columns: dict[tuple[int, int], list[tuple[int, str]]] = defaultdict(list)
    for box_id, cell in pos.items():
        for c in ship.covers(boxes[box_id].length_ft, cell):
            occ.setdefault(c, box_id)
            columns[(c[0], c[1])].append((c[2], box_id))
    overstowing: set[str] = set()
    for column in columns.values():
        low_all = low_load = math.inf
        for _, box_id in sorted(column):
            box = boxes[box_id]
            limit = low_all if box_id not in remain else low_load
            if limit < box.pod:
                overstowing.add(box_id)
            low_all = min(low_all, box.pod)
            if box_id not in remain:
                low_load = min(low_load, box.pod)
    heavy = set()
    for box_id, cell in pos.items():
        box = boxes[box_id]
        for c in ship.covers(box.length_ft, cell):
            below = ship.below.get(c)
            under = occ.get(below) if below is not None else None
            if under is None or under == box_id:
                continue
            if (box_id not in remain or under not in remain) and box.kg > boxes[under].kg:
                heavy.add(box_id)
    split = crane_split(instance, placements)
    total = sum(s.moves for s in split)
    imbalance = max((s.moves for s in split), default=0) - ceil_div(total, instance.cranes)
    seq = load_sequence(instance, placements)
    never = (math.inf, math.inf)
    yard: dict[tuple, list[tuple[int, str]]] = defaultdict(list)
    for box in instance.load:
        if box.yard is not None:
            yard[box.yard[:3]].append((box.yard[3], box.id))
    rehandles = 0
    for stack in yard.values():
        earliest = never
        for _, box_id in sorted(stack):
            mine = seq.get(box_id, never)
            if earliest < mine:
                rehandles += 1
            earliest = min(earliest, mine)
    mid = len(ship.bays20) - 1
    long_sum = trans_sum = 0
    for box_id, cell in pos.items():
        box = boxes[box_id]
        if not ship.covers(box.length_ft, cell) or cell[1] not in ship.row_rank:
            continue
        if any(c[0] not in ship.bay_index for c in ship.covers(box.length_ft, cell)):
            continue
        long_sum += box.kg * (ship.x2(box.length_ft, cell) - mid)
        trans_sum += box.kg * ship.y2(cell[1])
    return {
        "overstows": len(overstowing),
        "rehandles": rehandles,
        "crane_imbalance": max(0, imbalance),
        "heavy_over_light": len(heavy),
        "long_moment": round(abs(long_sum) / MOMENT_UNIT),
        "trans_moment": round(abs(trans_sum) / MOMENT_UNIT),
    }


def objective(instance: Instance, values: Mapping[str, int]) -> int:
    """The weighted sum of the terms."""
    w = instance.weights.as_dict()
    return sum(w[t] * values.get(t, 0) for t in TERMS)
