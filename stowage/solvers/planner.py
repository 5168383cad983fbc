"""The call-level load planner: :func:`solve` places the load list of one call on the vessel.

Decomposition (a 5,000-move call on a 10,000 TEU vessel in well under a minute):

1. Boxes without VGM or under a loading hold go to ``unplaced`` at once (``no_vgm``,
   ``loading_hold``).
2. **Master** (:mod:`.master`, CP-SAT): how many boxes of each group (POD, length, reefer,
   weight band, dangerous-goods classes) go to each section (hold or deck of a 40' bay pair),
   over capacities, plugs, stack weight and height room, compartment segregation, crane balance,
   the longitudinal moment and PODs against the boxes staying on board.
3. **Dealing**: the concrete boxes of a group go to its sections in load order, boxes higher in
   their yard stack first (they are picked first, so no rehandle).
4. **Slots** (:func:`slot_section`, CP-SAT per section, sections fore to aft, hold before deck,
   each with its share of the remaining time): which class of box in which cell, with supports,
   no 20' on a 40', plugs, stack weight (mean weight of each class) and height (tallest box), IMDG
   segregation levels 1-2 inside the section and against dangerous boxes already placed, and
   soft overstows, heavy over light and the transverse moment. A greedy fill of the same section
   (:func:`greedy_place`) comes first; the CP-SAT model runs (warm-started from it) only where
   the greedy fill left boxes over and the section's share of the time is at least a second.
   Inside a class, the box picked first in the yard (then the heavier) goes lower.
5. **Repair**: boxes the sections could not take are placed greedily anywhere legal; the
   independent checker (:func:`stowage.solvers.check.check`) runs on the whole plan, boxes it
   objects to are taken off and re-placed, and what cannot be placed goes to ``unplaced`` with
   ``no_reefer_plug``, ``no_segregation`` or ``no_room``. The returned plan always passes the
   checker.

``objective`` and ``terms`` are the checker's (:func:`stowage.solvers.check.terms`); ``bound`` is
None (the decomposition proves no lower bound on the whole objective).
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable

from ortools.sat.python import cp_model

from stowage.solvers import check as checker
from stowage.solvers.call import (
    LOADING_HOLD,
    NO_REEFER_PLUG,
    NO_ROOM,
    NO_SEGREGATION,
    NO_VGM,
    NOT_PLANNED,
    Box,
    Cell,
    Instance,
    Result,
    Ship,
    instance_errors,
    is_deck,
    segregation,
    segregation_conflict,
)
from stowage.solvers.check import Plan
from stowage.solvers.master import (
    Section,
    band,
    configure,
    group_key,
    sections,
    solve_master,
    warm_start,
)

Progress = Callable[[float, str], object]
SUM = cp_model.LinearExpr.sum


def solve(
    instance: Instance,
    *,
    time_limit: float = 60,
    progress: Progress | None = None,
    workers: int = 2,
) -> Result:
    """Plan the call (see the module docstring). ``progress(fraction, message)`` is called
    after each step; when it returns ``False`` the planner stops at the next step and returns
    the (checked) plan so far with status ``cancelled``, the boxes it did not get to as
    ``not_planned``. ``workers`` is CP-SAT's worker count (1 is deterministic). Raises
    ``ValueError`` listing the data errors of an invalid instance
    (:func:`stowage.solvers.call.instance_errors`)."""
    started = time.monotonic()
    errors = instance_errors(instance)
    if errors:
        raise ValueError("; ".join(errors[:5]))
    stopped = [False]

    def report(fraction: float, message: str) -> None:
        if progress is not None and progress(fraction, message) is False:
            stopped[0] = True

    deadline = started + max(1.0, time_limit)
    unplaced: dict[str, str] = {}
    todo: list[Box] = []
    for box in instance.load:
        if box.weight_kg is None:
            unplaced[box.id] = NO_VGM
        elif box.loading_hold:
            unplaced[box.id] = LOADING_HOLD
        else:
            todo.append(box)
    plan = Plan(instance)
    secs = sections(instance, plan)
    groups: dict[tuple, list[Box]] = defaultdict(list)
    for box in todo:
        groups[group_key(box)].append(box)
    report(0.02, f"master: {len(todo)} boxes in {len(groups)} groups over {len(secs)} sections")
    share: dict[str, tuple[int, bool]] = {}
    master_status = "skipped"
    if not stopped[0]:
        master = solve_master(
            instance,
            secs,
            dict(groups),
            time_limit=min(0.1 * time_limit, 6.0),
            workers=workers,
        )
        master_status = master.status
        report(0.2, f"master {master.status} in {master.seconds:.1f} s")
        share = _deal(instance, secs, groups, master.counts)
    order = sorted(secs, key=lambda s: (s.index, s.deck))
    left: list[Box] = [b for b in todo if b.id not in share]
    stats = {"master": master_status, "sections_cpsat": 0, "sections_greedy": 0}
    trans = [0]
    total_cells = sum(s.free_cells for s in order) or 1
    room_left = total_cells
    skipped: list[Box] = []
    for i, sec in enumerate(order):
        boxes = [instance.boxes[b] for b, k in share.items() if k == sec.key]
        boxes.sort(key=lambda b: b.id)
        if stopped[0]:
            skipped.extend(boxes)
            continue
        remaining = deadline - time.monotonic() - 0.3 * time_limit
        budget = max(0.05, remaining * sec.free_cells / max(1, room_left))
        room_left -= sec.free_cells
        if boxes:
            _placed, rest, used = slot_section(
                instance, plan, sec, boxes, time_limit=budget, workers=workers, trans=trans
            )
            stats["sections_cpsat" if used else "sections_greedy"] += 1
            left.extend(rest)
        report(0.2 + 0.6 * (i + 1) / len(order), f"section {sec.unit}{'D' if sec.deck else 'H'}")
    if stopped[0]:
        skipped.extend(left)
        left = []
    report(0.85, f"repair: {len(left)} boxes left over")
    placed_left, still = repair(instance, plan, left, trans=trans)
    report(0.9, "polish: swaps against rehandles and heavy over light")
    if not stopped[0]:
        polish_started = time.monotonic()
        stats["swaps"] = polish(instance, plan, deadline=deadline - 0.02 * time_limit)
        stats["polish_seconds"] = round(time.monotonic() - polish_started, 1)
    for box in skipped:
        unplaced[box.id] = NOT_PLANNED
    for attempt in range(3):
        violations = checker.check(instance, _load_positions(instance, plan))
        if not violations:
            break
        culprits = {v.box for v in violations if v.box not in instance.remain_ids}
        for b in sorted(culprits):
            if b in plan.pos:
                plan.remove(b)
        _, still_more = repair(
            instance, plan, [instance.boxes[b] for b in sorted(culprits)], trans=trans
        )
        still.extend(still_more)
        stats[f"repair_{attempt}"] = len(culprits)
    placements = _load_positions(instance, plan)
    violations = checker.check(instance, placements)
    while violations:
        # Last resort: never return a plan that breaks a rule (taking a box off can leave the
        # boxes above it floating, hence the loop).
        for v in violations:
            if v.box in placements:
                del placements[v.box]
                still.append(instance.boxes[v.box])
        violations = [v for v in checker.check(instance, placements) if v.box in placements]
    for box in still:
        if box.id not in placements:
            unplaced[box.id] = _reason(instance, plan, box)
    values = checker.terms(instance, placements)
    seconds = time.monotonic() - started
    report(1.0, f"{len(placements)} placed, {len(unplaced)} unplaced in {seconds:.1f} s")
    return Result(
        status="cancelled" if stopped[0] else "feasible",
        placements=placements,
        unplaced=unplaced,
        objective=checker.objective(instance, values),
        terms=values,
        bound=None,
        seconds=seconds,
        crane_split=checker.crane_split(instance, placements),
        stats={**stats, "repaired": len(placed_left)},
    )


def _load_positions(instance: Instance, plan: Plan) -> dict[str, Cell]:
    return {b: c for b, c in plan.pos.items() if b not in instance.remain_ids}


def _reason(instance: Instance, plan: Plan, box: Box) -> str:
    if box.reefer:
        return NO_REEFER_PLUG
    if box.imdg:
        return NO_SEGREGATION
    return NO_ROOM


def _deal(
    instance: Instance,
    secs: list[Section],
    groups: dict[tuple, list[Box]],
    counts: dict[tuple, dict[tuple[int, bool], int]],
) -> dict[str, tuple[int, bool]]:
    """Box id -> section key: each group's boxes to its sections in load order, boxes higher in
    their yard stack to the sections loaded first."""
    ship = instance.ship
    ranges = _ranges(ship, counts, instance.cranes)
    load = defaultdict(int)
    for per in counts.values():
        for key, v in per.items():
            load[key] += v
    when: dict[tuple[int, bool], float] = {}
    for first, last in ranges:
        done = 0
        units = ship.units[first : last + 1]
        total = sum(load[(u, d)] for u in units for d in (False, True)) or 1
        for u in units:
            for deck in (False, True):
                when[(u, deck)] = (done + load[(u, deck)] / 2) / total
                done += load[(u, deck)]
    share: dict[str, tuple[int, bool]] = {}
    for gk, boxes in groups.items():
        per = counts.get(gk, {})
        keys = sorted(per, key=lambda k: (when.get(k, 1.0), k))
        ordered = sorted(boxes, key=lambda b: (-(b.yard[3] if b.yard else 0), b.id))
        i = 0
        for key in keys:
            for b in ordered[i : i + per[key]]:
                share[b.id] = key
            i += per[key]
    return share


def _ranges(ship: Ship, counts: dict, cranes: int) -> list[tuple[int, int]]:
    from stowage.solvers.call import linear_partition

    load = defaultdict(int)
    for per in counts.values():
        for (u, _deck), v in per.items():
            load[u] += v
    _, ranges = linear_partition([load[u] for u in ship.units], max(1, cranes))
    return ranges


# --- greedy placement (hint, fallback and repair) ---------------------------------------------


def repair(
    instance: Instance, plan: Plan, boxes: list[Box], *, trans: list[int]
) -> tuple[dict[str, Cell], list[Box]]:
    """Place left-over boxes greedily, section by section (the bays with the fewest load moves
    first, for the crane split): first only where they overstow nothing, then wherever the rules
    allow."""
    placed: dict[str, Cell] = {}
    left = list(boxes)
    ship = instance.ship
    for strict in (True, False):
        moves: dict[int, int] = defaultdict(int)
        for b, pos in plan.pos.items():
            if b not in instance.remain_ids:
                moves[pos[0] if pos[0] % 2 == 0 else ship.unit_of[pos[0]]] += 1
        order = sorted(
            sections(instance, plan), key=lambda s: (moves[s.unit], -s.free_cells, s.key)
        )
        for sec in order:
            if not left:
                break
            done, left = greedy_place(instance, plan, left, sec=sec, trans=trans, strict=strict)
            placed.update(done)
    return placed, left


def _stack_keys(ship: Ship, sec: Section | None) -> list[tuple[int, int, bool]]:
    if sec is None:
        return sorted(ship.stacks)
    return sorted(k for k in ship.stacks if k[0] in sec.bays and k[2] == sec.deck)


def _top(ship: Ship, plan: Plan, key: tuple[int, int, bool]) -> Cell | None:
    """The lowest free cell of a stack that has support (or the stack bottom)."""
    st = ship.stacks[key]
    for t in st.tiers:
        c = (st.bay, st.row, t)
        if c not in plan.occ:
            return c
    return None


def greedy_place(
    instance: Instance,
    plan: Plan,
    boxes: Iterable[Box],
    *,
    sec: Section | None = None,
    trans: list[int] | None = None,
    strict: bool = False,
) -> tuple[dict[str, Cell], list[Box]]:
    """Place ``boxes`` one by one (later PODs first, then dangerous goods, reefers, 20' before
    40', heavier weight band, higher in the yard, heavier) on the best legal top cell (of
    ``sec``, or anywhere): no overstow first, then keeping reefer plugs for reefers, no heavy
    over light, the closest POD beneath, the lowest tier and the smaller transverse moment.
    ``strict`` refuses cells where the box would overstow. Returns the placements made (also
    recorded in ``plan``) and the boxes that found no legal cell."""
    ship = instance.ship
    keys = _stack_keys(ship, sec)
    tops = {k: _top(ship, plan, k) for k in keys}
    trans = trans if trans is not None else [0]
    placed: dict[str, Cell] = {}
    left: list[Box] = []
    order = sorted(
        boxes,
        key=lambda b: (
            -b.pod,
            -len(b.imdg),
            not b.reefer,
            b.length_ft,
            -band(b),
            -(b.yard[3] if b.yard else 0),
            -b.kg,
            b.id,
        ),
    )
    pairs: list[tuple[int, tuple, tuple]] = []
    for k in keys:
        for even, (a, b) in ship.pairs.items():
            if k[0] == a and (b, k[1], k[2]) in tops:
                pairs.append((even, k, (b, k[1], k[2])))
    for box in order:
        candidates: list[tuple[tuple, Cell]] = []
        if box.forty:
            for even, ka, kb in pairs:
                ca, cb = tops[ka], tops[kb]
                if ca is None or cb is None or ca[2] != cb[2]:
                    continue
                pos = (even, ca[1], ca[2])
                candidates.append((_score(instance, plan, box, (ca, cb), pos, trans[0]), pos))
        else:
            for k in keys:
                c = tops[k]
                if c is not None:
                    candidates.append((_score(instance, plan, box, (c,), c, trans[0]), c))
        candidates.sort()
        if strict:
            candidates = [c for c in candidates if not c[0][0]]
        for _, pos in candidates:
            if not plan.problems(box, pos, first=True):
                plan.place(box.id, pos)
                placed[box.id] = pos
                trans[0] += box.kg // 1000 * ship.y2(pos[1])
                for c in ship.covers(box.length_ft, pos):
                    k = ship.cells[c].key
                    if k in tops:
                        tops[k] = _top(ship, plan, k)
                break
        else:
            left.append(box)
    return placed, left


def _score(
    instance: Instance, plan: Plan, box: Box, cells: tuple[Cell, ...], pos: Cell, trans: int
) -> tuple:
    ship = instance.ship
    over = heavy = 0
    gap = 0
    for c in cells:
        below = ship.below[c]
        under = plan.occ.get(below) if below is not None else None
        if under is not None:
            heavy |= instance.boxes[under].kg < box.kg
        elif below is None and is_deck(c[2]):
            # the hold of the same column, under the hatch cover
            for t in reversed(ship.stacks.get((c[0], c[1], False), _EMPTY).tiers):
                under = plan.occ.get((c[0], c[1], t))
                if under is not None:
                    break
        if under is not None:
            other = instance.boxes[under]
            over |= other.pod < box.pod
            gap = max(gap, other.pod - box.pod)
        if not is_deck(c[2]):
            # boxes already on deck above this column would overstow this one
            for t in ship.stacks.get((c[0], c[1], True), _EMPTY).tiers:
                above = plan.occ.get((c[0], c[1], t))
                if above is None:
                    break
                over |= instance.boxes[above].pod > box.pod
    waste = not box.reefer and any(c[2] in ship.cells[c].reefer_tiers for c in cells)
    return (over, waste, heavy, gap, pos[2], abs(trans + box.kg // 1000 * ship.y2(pos[1])), pos)


class _Empty:
    tiers: tuple[int, ...] = ()


_EMPTY = _Empty()


# --- the slot stage --------------------------------------------------------------------------


def slot_section(
    instance: Instance,
    plan: Plan,
    sec: Section,
    boxes: list[Box],
    *,
    time_limit: float,
    workers: int = 1,
    trans: list[int] | None = None,
) -> tuple[dict[str, Cell], list[Box], bool]:
    """Place ``boxes`` in section ``sec`` (recorded in ``plan``). Returns the placements, the
    boxes left over and whether the CP-SAT model's plan was used (else the greedy one)."""
    trans = trans if trans is not None else [0]
    before = trans[0]
    greedy, left = greedy_place(instance, plan, boxes, sec=sec, trans=trans, strict=True)
    if time_limit < 1.0 or len(boxes) < 2 or not left:
        # CP-SAT is worth its model only where the greedy fill left boxes over
        return greedy, left, False
    for b in greedy:
        plan.remove(b)
    model = _SlotModel(instance, plan, sec, boxes, before)
    found = model.solve(greedy, time_limit=time_limit, workers=workers)
    if found is not None and sum(len(ps) for ps in found.values()) >= len(greedy):
        pending = {
            k: sorted(bs, key=lambda b: (-(b.yard[3] if b.yard else 0), -b.kg, b.id))
            for k, bs in model.classes.items()
        }
        ship = instance.ship
        jobs = sorted(
            ((p, k) for k, ps in found.items() for p in ps),
            key=lambda pk: (pk[0][2], ship.row_rank[pk[0][1]], pk[0][0]),
        )
        placed: dict[str, Cell] = {}
        for pos, k in jobs:
            # the box of the class picked first in the yard (then the heaviest) that fits
            for i, b in enumerate(pending[k][:8]):
                if not plan.problems(b, pos, first=True):
                    plan.place(b.id, pos)
                    placed[b.id] = pos
                    del pending[k][i]
                    break
        if len(placed) >= len(greedy):
            trans[0] = before + sum(
                instance.boxes[b].kg // 1000 * ship.y2(p[1]) for b, p in placed.items()
            )
            return placed, [b for b in boxes if b.id not in placed], True
        for b in placed:
            plan.remove(b)
    for b, pos in greedy.items():
        plan.place(b, pos)
    trans[0] = before + sum(
        instance.boxes[b].kg // 1000 * instance.ship.y2(p[1]) for b, p in greedy.items()
    )
    return greedy, left, False


class _SlotModel:
    """CP-SAT model of one section: ``x[class, position]``."""

    def __init__(
        self, instance: Instance, plan: Plan, sec: Section, boxes: list[Box], trans: int
    ) -> None:
        self.instance, self.plan, self.sec, self.trans = instance, plan, sec, trans
        ship = instance.ship
        self.ship = ship
        keys = _stack_keys(ship, sec)
        self.keys = keys
        self.free: list[Cell] = []
        for k in keys:
            st = ship.stacks[k]
            for t in st.tiers:
                c = (st.bay, st.row, t)
                if c in plan.occ:
                    continue
                if not st.deck and (c[0], c[1]) in plan.remain_deck_columns:
                    continue
                self.free.append(c)
        free = set(self.free)
        self.p20 = [c for c in self.free if ship.cells[c].sizes != "40"]
        self.p40: list[Cell] = []
        self.pair_of: dict[int, int] = {}
        for even, (a, b) in ship.pairs.items():
            if even != sec.unit:
                continue
            self.pair_of[a] = even
            self.pair_of[b] = even
            for c in self.free:
                if c[0] != a:
                    continue
                o = (b, c[1], c[2])
                if o in free and "20" not in (ship.cells[c].sizes, ship.cells[o].sizes):
                    self.p40.append((even, c[1], c[2]))
        self.classes: dict[tuple, list[Box]] = defaultdict(list)
        for box in boxes:
            if box.imdg:
                key = ("dg", box.id)
            else:
                key = (box.pod, box.length_ft, box.reefer, band(box), box.height_mm)
            self.classes[key].append(box)
        self.class_of = {b.id: k for k, bs in self.classes.items() for b in bs}

    def _allowed(self, box: Box, positions: list[Cell]) -> list[Cell]:
        ship, plan = self.ship, self.plan
        near: list[tuple[int, tuple[Cell, ...]]] = []
        if box.imdg:
            for o, oc in plan.dangerous.items():
                level = segregation(box.imdg, self.instance.boxes[o].imdg)
                if level:
                    near.append((level, oc))
        out = []
        for p in positions:
            if box.length_ft == 45 and not self.sec.deck:
                continue
            if box.reefer and not ship.on_plug(box, p):
                continue
            cells = ship.covers(box.length_ft, p)
            if any(segregation_conflict(ship, level, cells, oc) for level, oc in near):
                continue
            if not box.forty:
                below = ship.below[p]
                if below in plan.occ and self.instance.boxes[plan.occ[below]].forty:
                    continue
            out.append(p)
        return out

    def solve(
        self, hint: dict[str, Cell], *, time_limit: float, workers: int
    ) -> dict[tuple, list[Cell]] | None:
        """The positions chosen for each class (None if the model found nothing)."""
        ship, plan, inst = self.ship, self.plan, self.instance
        w = inst.weights
        m = cp_model.CpModel()
        x: dict[tuple, dict[Cell, cp_model.IntVar]] = {}
        occ_terms: dict[Cell, list] = defaultdict(list)
        pod_terms: dict[Cell, list] = defaultdict(list)
        kg_terms: dict[Cell, list] = defaultdict(list)
        a20: dict[Cell, list] = defaultdict(list)
        y40: dict[Cell, list] = defaultdict(list)
        stack_kg: dict[tuple, list] = defaultdict(list)
        stack_mm: dict[tuple, list] = defaultdict(list)
        cost = []
        trans_terms = []
        misses = []
        for k, boxes in self.classes.items():
            rep = boxes[0]
            wmean = sum(b.kg for b in boxes) // len(boxes)
            wavg_t = sum(b.kg for b in boxes) // len(boxes) // 1000
            hmax = max(b.height_mm for b in boxes)
            positions = self._allowed(rep, self.p40 if rep.forty else self.p20)
            x[k] = {p: m.new_bool_var("x") for p in positions}
            count = SUM(list(x[k].values())) if positions else 0
            miss = m.new_int_var(0, len(boxes), "miss")
            m.add(count + miss == len(boxes))
            misses.append(miss)
            for p, v in x[k].items():
                trans_terms.append(wavg_t * ship.y2(p[1]) * v)
                for c in ship.covers(rep.length_ft, p):
                    occ_terms[c].append(v)
                    pod_terms[c].append(rep.pod * v)
                    kg_terms[c].append(wavg_t * v)
                    st = ship.cells[c]
                    stack_kg[st.key].append(wmean * (1 if rep.forty else 2) * v)
                    stack_mm[st.key].append(hmax * v)
                (y40 if rep.forty else a20)[p].append(v)
        free = set(self.free)
        occ: dict[Cell, cp_model.LinearExpr] = {}
        for c in self.free:
            if occ_terms[c]:
                m.add(SUM(occ_terms[c]) <= 1)
            occ[c] = SUM(occ_terms[c])
        max_pod = max(b.pod for b in inst.boxes.values())
        ov_vars, hol_vars = [], []
        for c in self.free:
            if not occ_terms[c]:
                continue
            below = ship.below[c]
            fixed_pod = fixed_kg = None
            if below is None:
                if is_deck(c[2]):
                    hold = ship.stacks.get((c[0], c[1], False))
                    pods = [
                        inst.boxes[plan.occ[(c[0], c[1], t)]].pod
                        for t in (hold.tiers if hold else ())
                        if (c[0], c[1], t) in plan.occ
                    ]
                    fixed_pod = min(pods) if pods else None
            elif below in free:
                m.add(occ[c] <= occ[below])
                ov = m.new_bool_var("ov")
                m.add(SUM(pod_terms[c]) - SUM(pod_terms[below]) <= max_pod * ov)
                ov_vars.append(ov)
                hol = m.new_bool_var("hol")
                m.add(SUM(kg_terms[c]) - SUM(kg_terms[below]) <= 40 * hol)
                hol_vars.append(hol)
                if a20.get(c) and below[0] in self.pair_of:
                    p = (self.pair_of[below[0]], below[1], below[2])
                    if y40.get(p):
                        m.add(SUM(a20[c]) + SUM(y40[p]) <= 1)
            elif below in plan.occ:
                under = inst.boxes[plan.occ[below]]
                fixed_pod, fixed_kg = under.pod, under.kg // 1000
            else:
                m.add(occ[c] == 0)
            if fixed_pod is not None:
                ov = m.new_bool_var("ov")
                m.add(SUM(pod_terms[c]) <= fixed_pod + max_pod * ov)
                ov_vars.append(ov)
            if fixed_kg is not None:
                hol = m.new_bool_var("hol")
                m.add(SUM(kg_terms[c]) <= fixed_kg + 40 * hol)
                hol_vars.append(hol)
        for key in self.keys:
            st = ship.stacks[key]
            if st.max_kg is not None and stack_kg[key]:
                m.add(SUM(stack_kg[key]) <= 2 * st.max_kg - plan.kg2[key])
            if st.max_mm is not None and stack_mm[key]:
                m.add(SUM(stack_mm[key]) <= st.max_mm - plan.mm[key])
        dg = [k for k in self.classes if k[0] == "dg"]
        rows = {p[1] for k in dg for p in x[k]}
        for i, ka in enumerate(dg):
            for kb in dg[i + 1 :]:
                level = segregation(self.classes[ka][0].imdg, self.classes[kb][0].imdg)
                if level >= 3:
                    m.add(SUM(list(x[ka].values())) + SUM(list(x[kb].values())) <= 1)
                elif level:
                    for r in rows:
                        ra = [v for p, v in x[ka].items() if p[1] == r]
                        if not ra:
                            continue
                        near = [
                            v
                            for p, v in x[kb].items()
                            if abs(ship.row_rank[p[1]] - ship.row_rank[r]) <= 1
                        ]
                        if near:
                            m.add(SUM(ra) + SUM(near) <= 1)
        t = m.new_int_var(-(10**9), 10**9, "trans")
        m.add(t == self.trans + SUM(trans_terms))
        abs_t = m.new_int_var(0, 10**9, "abs_trans")
        m.add_abs_equality(abs_t, t)
        # A box left over costs half an overstow: the repair may find it a clean cell elsewhere.
        cost.append(50 * w.overstows * SUM(misses))
        cost.append(100 * w.overstows * SUM(ov_vars))
        cost.append(100 * w.heavy_over_light * SUM(hol_vars))
        cost.append(w.trans_moment * abs_t)
        m.minimize(SUM(cost))
        start: dict[cp_model.IntVar, int] = {v: 0 for per in x.values() for v in per.values()}
        for b, p in hint.items():
            k = self.class_of[b]
            if p in x[k]:
                start[x[k][p]] = 1
        warm_start(m, start, time_limit=min(1.0, time_limit / 3))
        solver = cp_model.CpSolver()
        # The slot models are large and shallow: presolve costs more than it saves.
        configure(solver, time_limit=time_limit, workers=workers, presolve=False)
        status = solver.solve(m)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        return {k: [p for p, v in x[k].items() if solver.value(v)] for k in self.classes}


# --- polish: improving swaps ----------------------------------------------------------------


class _Swapper:
    """Exact objective deltas of swapping two placed load boxes of the same length (their
    positions, hence the crane split and load sequence, stay the same)."""

    def __init__(self, instance: Instance, plan: Plan) -> None:
        self.instance, self.plan, self.ship = instance, plan, instance.ship
        placements = _load_positions(instance, plan)
        self.seq = checker.load_sequence(instance, placements)
        self.yard: dict[tuple, list[tuple[int, str]]] = defaultdict(list)
        for box in instance.load:
            if box.yard is not None:
                self.yard[box.yard[:3]].append((box.yard[3], box.id))
        for stack in self.yard.values():
            stack.sort()
        self.w = instance.weights
        ship = self.ship
        mid = len(ship.bays20) - 1
        self.long = self.trans = 0
        for b, pos in plan.pos.items():
            box = instance.boxes[b]
            self.long += box.kg * (ship.x2(box.length_ft, pos) - mid)
            self.trans += box.kg * ship.y2(pos[1])
        self.mid = mid

    def rehandles(self, stack_key: tuple, seq: dict[str, tuple]) -> int:
        never = (float("inf"), float("inf"))
        earliest, count = never, 0
        for _, b in self.yard[stack_key]:
            mine = seq.get(b, never)
            if earliest < mine:
                count += 1
            earliest = min(earliest, mine)
        return count

    def victims(self) -> list[tuple[str, str]]:
        """(rehandled box, the box below it in the yard loaded before it)."""
        never = (float("inf"), float("inf"))
        out = []
        for stack in self.yard.values():
            earliest, first = never, None
            for _, b in stack:
                mine = self.seq.get(b, never)
                if earliest < mine and b in self.seq and first is not None:
                    out.append((b, first))
                if mine < earliest:
                    earliest, first = mine, b
        return out

    def heavy_pairs(self) -> list[tuple[str, str]]:
        """(load box, the lighter load box of the same length directly beneath it)."""
        inst, ship, plan = self.instance, self.ship, self.plan
        out = []
        for b, pos in sorted(plan.pos.items()):
            box = inst.boxes[b]
            if b in inst.remain_ids:
                continue
            below = ship.below.get(ship.covers(box.length_ft, pos)[0])
            u = plan.occ.get(below) if below is not None else None
            if (
                u is not None
                and u not in inst.remain_ids
                and inst.boxes[u].length_ft == box.length_ft
                and plan.pos[u][0] == pos[0]
                and inst.boxes[u].kg < box.kg
            ):
                out.append((b, u))
        return out

    def _local(self, a: str, b: str, swapped: bool) -> int:
        inst, ship, plan = self.instance, self.ship, self.plan
        pa, pb = plan.pos[a], plan.pos[b]
        la, lb = inst.boxes[a].length_ft, inst.boxes[b].length_ft
        ca, cb = ship.covers(la, pa), ship.covers(lb, pb)
        where = {**dict.fromkeys(ca, b), **dict.fromkeys(cb, a)} if swapped else {}

        def at(c: Cell) -> str | None:
            return where.get(c, plan.occ.get(c))

        columns = {(c[0], c[1]) for c in (*ca, *cb)}
        in_columns: set[str] = set()
        for col in columns:
            for deck in (False, True):
                st = ship.stacks.get((col[0], col[1], deck))
                for t in st.tiers if st else ():
                    o = at((col[0], col[1], t))
                    if o is not None:
                        in_columns.add(o)
        remain = inst.remain_ids
        over = 0
        for o in in_columns:
            box = inst.boxes[o]
            pos = plan.pos[o] if not swapped or o not in (a, b) else (pb if o == a else pa)
            hit = False
            for c in ship.covers(box.length_ft, pos):
                for deck in (False, True):
                    st = ship.stacks.get((c[0], c[1], deck))
                    for t in st.tiers if st else ():
                        if t >= c[2]:
                            break
                        u = at((c[0], c[1], t))
                        if (
                            u is not None
                            and u != o
                            and inst.boxes[u].pod < box.pod
                            and (o not in remain or u not in remain)
                        ):
                            hit = True
            over += hit
        heavy = 0
        touched = {a, b}
        for c in (*ca, *cb):
            up = ship.above.get(c)
            if up is not None and at(up) is not None:
                touched.add(at(up))
        for o in touched:
            box = inst.boxes[o]
            pos = plan.pos[o] if not swapped or o not in (a, b) else (pb if o == a else pa)
            hit = False
            for c in ship.covers(box.length_ft, pos):
                below = ship.below.get(c)
                u = at(below) if below is not None else None
                if u is not None and u != o and inst.boxes[u].kg < box.kg:
                    hit |= o not in remain or u not in remain
            heavy += hit
        seq = self.seq
        if swapped:
            seq = {**seq, a: self.seq[b], b: self.seq[a]}
        stacks = {inst.boxes[o].yard[:3] for o in (a, b) if inst.boxes[o].yard}
        rehandles = sum(self.rehandles(k, seq) for k in stacks)
        long, trans = self.long, self.trans
        if swapped:
            ka, kb = inst.boxes[a].kg, inst.boxes[b].kg
            long += (ka - kb) * (ship.x2(lb, pb) - ship.x2(la, pa))
            trans += (ka - kb) * (ship.y2(pb[1]) - ship.y2(pa[1]))
        w = self.w
        return (
            w.overstows * over
            + w.heavy_over_light * heavy
            + w.rehandles * rehandles
            + w.long_moment * round(abs(long) / checker.MOMENT_UNIT)
            + w.trans_moment * round(abs(trans) / checker.MOMENT_UNIT)
        )

    def rehandle_delta(self, a: str, b: str) -> int:
        """The change in rehandles alone (cheap: two yard stacks), to filter candidates."""
        inst = self.instance
        stacks = {inst.boxes[o].yard[:3] for o in (a, b) if inst.boxes[o].yard}
        seq = {**self.seq, a: self.seq[b], b: self.seq[a]}
        return sum(self.rehandles(k, seq) - self.rehandles(k, self.seq) for k in stacks)

    def delta(self, a: str, b: str) -> int:
        return self._local(a, b, True) - self._local(a, b, False)

    def apply(self, a: str, b: str) -> bool:
        """Swap if both boxes are legal at each other's positions; True when done."""
        inst, plan, ship = self.instance, self.plan, self.ship
        pa, pb = plan.pos[a], plan.pos[b]
        plan.remove(a)
        plan.remove(b)
        if not plan.problems(inst.boxes[a], pb, first=True):
            plan.place(a, pb)
            if not plan.problems(inst.boxes[b], pa, first=True):
                plan.place(b, pa)
                self.seq[a], self.seq[b] = self.seq[b], self.seq[a]
                ka, kb = inst.boxes[a].kg, inst.boxes[b].kg
                la, lb = inst.boxes[a].length_ft, inst.boxes[b].length_ft
                self.long += (ka - kb) * (ship.x2(lb, pb) - ship.x2(la, pa))
                self.trans += (ka - kb) * (ship.y2(pb[1]) - ship.y2(pa[1]))
                return True
            plan.remove(a)
        plan.place(a, pa)
        plan.place(b, pb)
        return False


def polish(instance: Instance, plan: Plan, *, deadline: float, candidates: int = 16) -> int:
    """Improving swaps of same-length load boxes against yard rehandles (and whatever else the
    exact delta sees: overstows, heavy over light, moments) until no swap helps or the deadline.
    Returns the number of swaps made.

    A swap exchanges two boxes' positions, hence their places in the load sequence, so each
    length keeps one list of its boxes in load order (the order of the positions never
    changes, only which box holds which) and candidates are found by bisection."""
    sw = _Swapper(instance, plan)
    order: dict[int, list[str]] = defaultdict(list)
    for b in plan.pos:
        if b not in instance.remain_ids:
            order[instance.boxes[b].length_ft].append(b)
    keys: dict[int, list[tuple]] = {}
    index: dict[str, int] = {}
    for length, ids in order.items():
        ids.sort(key=lambda b: sw.seq[b])
        keys[length] = [sw.seq[b] for b in ids]
        index.update((b, i) for i, b in enumerate(ids))

    def swap(a: str, b: str) -> bool:
        if not sw.apply(a, b):
            return False
        ids = order[instance.boxes[a].length_ft]
        ia, ib = index[a], index[b]
        ids[ia], ids[ib] = b, a
        index[a], index[b] = ib, ia
        return True

    swaps = 0
    for _round in range(4):
        improved = False
        for victim, blocker in sw.victims():
            if time.monotonic() > deadline:
                return swaps
            if sw.seq[blocker] >= sw.seq[victim]:
                continue
            best: tuple[int, str, str] | None = None
            length = instance.boxes[victim].length_ft
            cut = bisect_left(keys[length], sw.seq[blocker])
            for c in order[length][max(0, cut - candidates) : cut]:
                if c == victim or sw.rehandle_delta(victim, c) >= 0:
                    continue
                d = sw.delta(victim, c)
                if d < 0 and (best is None or d < best[0]):
                    best = (d, victim, c)
            length = instance.boxes[blocker].length_ft
            cut = bisect_right(keys[length], sw.seq[victim])
            for c in order[length][cut : cut + candidates]:
                if c == blocker or sw.rehandle_delta(blocker, c) >= 0:
                    continue
                d = sw.delta(blocker, c)
                if d < 0 and (best is None or d < best[0]):
                    best = (d, blocker, c)
            if best is not None and swap(best[1], best[2]):
                swaps += 1
                improved = True
        for upper, lower in sw.heavy_pairs():
            if time.monotonic() > deadline:
                return swaps
            if sw.delta(upper, lower) < 0 and swap(upper, lower):
                swaps += 1
                improved = True
        if not improved:
            break
    return swaps
