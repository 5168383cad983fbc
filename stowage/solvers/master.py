"""The master problem of the load planner: how many boxes of each group go to each section.

A *section* is the hold or the deck of one work unit (a 40' bay pair or a lone 20' bay). A
*group* gathers interchangeable load boxes: same POD, length, reefer or not, weight band and
dangerous-goods classes. :func:`solve_master` decides the counts ``n[group, section]`` with
CP-SAT over aggregated capacities:

* hard: TEU cells, 20' cells, 40' positions (45' on deck only), reefer plugs, stack weight and
  height capacity (heights with a margin for whole boxes), dangerous-goods classes that need a
  complete compartment (levels 3 and 4) never under one hatch, level 4 not in neighbouring
  hatches either, and a cap on dangerous boxes per section so that levels 1-2 leave room;
* soft (weighted as the call's :class:`~stowage.solvers.call.Weights`): boxes left over (by far
  the largest), TEU that would stand above a box staying on board for an earlier port, deck
  PODs later than hold PODs under one hatch, the largest crane load of a fixed contiguous split
  of the units (balanced by free capacity), the longitudinal weight moment, heavy boxes on deck.

The slot stage (:mod:`.planner`) then places concrete boxes in each section.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from stowage.solvers.call import Box, Cell, Instance, is_deck, segregation
from stowage.solvers.check import Plan

HEAVY_KG = 20_000
LIGHT_KG = 10_000
HEIGHT_MARGIN = 0.93
FILL = 0.95  # share of a section's free cells the master fills (20'/40' mixing loses a few)


def band(box: Box) -> int:
    """Weight band: 0 light (≤ 10 t), 1 medium, 2 heavy (> 20 t)."""
    return 0 if box.kg <= LIGHT_KG else 1 if box.kg <= HEAVY_KG else 2


def group_key(box: Box) -> tuple:
    """Master group: POD, length, reefer, heavy (> 20 t) or not, dangerous-goods classes."""
    return (box.pod, box.length_ft, box.reefer, int(band(box) == 2), tuple(sorted(box.imdg)))


@dataclass
class Section:
    """Free room of the hold or deck of one work unit."""

    unit: int
    deck: bool
    index: int  # position of the unit fore to aft
    bays: tuple[int, ...]
    cells20: list[Cell] = field(default_factory=list)  # free cells taking 20'
    pos40: list[Cell] = field(default_factory=list)  # free 40' positions (even bay)
    free_cells: int = 0
    plugs: int = 0
    kg: int = 0  # weight the stacks can still carry
    mm: int = 0  # height the stacks can still take
    x2: int = 0  # longitudinal position (half 20' bays)
    clean: dict[int, int] = field(default_factory=dict)  # pod -> free cells not over earlier pods

    @property
    def key(self) -> tuple[int, bool]:
        return (self.unit, self.deck)


def sections(instance: Instance, plan: Plan) -> list[Section]:
    """The free room of every section given the boxes already in ``plan``."""
    ship = instance.ship
    pods = sorted({b.pod for b in instance.load} | {1})
    out: dict[tuple[int, bool], Section] = {}
    for u in ship.units:
        bays = ship.pairs.get(u, (u,))
        for deck in (False, True):
            out[(u, deck)] = Section(u, deck, ship.unit_index[u], tuple(bays))
    column_min: dict[tuple[int, int], int] = {}
    for box_id, pos in plan.pos.items():
        box = instance.boxes[box_id]
        for c in ship.covers(box.length_ft, pos):
            k = (c[0], c[1])
            column_min[k] = min(column_min.get(k, 99), box.pod)
    used_stacks: set = set()
    for cell, st in ship.cells.items():
        if cell in plan.occ:
            continue
        if not st.deck and (cell[0], cell[1]) in plan.remain_deck_columns:
            continue
        s = out[(ship.unit_of[cell[0]], st.deck)]
        s.free_cells += 1
        if st.sizes != "40":
            s.cells20.append(cell)
        if cell[2] in st.reefer_tiers:
            s.plugs += 1
        low = column_min.get((cell[0], cell[1]), 99)
        for p in pods:
            if low >= p:
                s.clean[p] = s.clean.get(p, 0) + 1
        if st.key not in used_stacks:
            used_stacks.add(st.key)
            if st.max_kg is not None:
                s.kg += max(0, st.max_kg - plan.kg2[st.key] // 2)
            else:
                s.kg += 40_000 * len(st.tiers)
            cap = st.max_mm if st.max_mm is not None else 2900 * len(st.tiers)
            s.mm += max(0, cap - plan.mm[st.key])
    for even, (a, b) in ship.pairs.items():
        for deck in (False, True):
            s = out[(even, deck)]
            for cell in list(s.cells20) + [
                c for c in _free(ship, plan, a, deck) if ship.cells[c].sizes == "40"
            ]:
                if cell[0] != a:
                    continue
                other = (b, cell[1], cell[2])
                if other in plan.occ or other not in ship.cells:
                    continue
                if ship.cells[other].sizes == "20" or ship.cells[cell].sizes == "20":
                    continue
                if not deck and (b, cell[1]) in plan.remain_deck_columns:
                    continue
                s.pos40.append((even, cell[1], cell[2]))
    mid = len(ship.bays20) - 1
    for s in out.values():
        s.x2 = sum(2 * ship.bay_index[b] for b in s.bays) // len(s.bays) - mid
        s.pos40 = sorted(set(s.pos40))
    return [s for s in out.values() if s.free_cells]


def _free(ship, plan: Plan, bay: int, deck: bool) -> list[Cell]:
    return [
        c
        for c, st in ship.cells.items()
        if c[0] == bay
        and st.deck == deck
        and c not in plan.occ
        and (deck or (c[0], c[1]) not in plan.remain_deck_columns)
    ]


@dataclass
class MasterResult:
    counts: dict[tuple, dict[tuple[int, bool], int]]  # group -> section key -> boxes
    status: str
    objective: float | None
    bound: float | None
    seconds: float
    crane_ranges: list[tuple[int, int]]


def crane_ranges(secs: list[Section], units: list[int], cranes: int) -> list[tuple[int, int]]:
    """A contiguous split of the units fore to aft into ``cranes`` ranges of about equal free
    room (index ranges into ``units``)."""
    room = defaultdict(int)
    for s in secs:
        room[s.unit] += s.free_cells
    total = sum(room.values())
    ranges: list[tuple[int, int]] = []
    first, acc = 0, 0
    for i, u in enumerate(units):
        acc += room[u]
        left = cranes - len(ranges) - 1
        if left > 0 and acc >= total * (len(ranges) + 1) / cranes and len(units) - i - 1 >= left:
            ranges.append((first, i))
            first = i + 1
    ranges.append((first, len(units) - 1))
    return [r for r in ranges if r[0] <= r[1]]


def solve_master(
    instance: Instance,
    secs: list[Section],
    groups: dict[tuple, list[Box]],
    *,
    time_limit: float,
    workers: int = 1,
) -> MasterResult:
    started = time.monotonic()
    w = instance.weights
    ship = instance.ship
    m = cp_model.CpModel()
    n: dict[tuple[tuple, int], cp_model.IntVar] = {}
    for gk, boxes in groups.items():
        _pod, length, reefer, _band, _dg = gk
        for j, s in enumerate(secs):
            if length == 45 and not s.deck:
                continue
            cap = len(s.cells20) if length == 20 else len(s.pos40)
            if reefer:
                cap = min(cap, s.plugs)
            if cap <= 0:
                continue
            n[(gk, j)] = m.new_int_var(0, min(len(boxes), cap), f"n{j}")
    by_sec: dict[int, list[tuple[tuple, cp_model.IntVar]]] = defaultdict(list)
    by_group: dict[tuple, list[cp_model.IntVar]] = defaultdict(list)
    for (gk, j), v in n.items():
        by_sec[j].append((gk, v))
        by_group[gk].append(v)
    cost = []
    left = {}
    for gk, boxes in groups.items():
        left[gk] = m.new_int_var(0, len(boxes), "left")
        m.add(sum(by_group[gk]) + left[gk] == len(boxes))
        cost.append(10_000_000 * left[gk])
    avg_kg = {gk: sum(b.kg for b in boxes) // len(boxes) for gk, boxes in groups.items()}
    avg_mm = {gk: sum(b.height_mm for b in boxes) // len(boxes) for gk, boxes in groups.items()}
    pods = sorted({gk[0] for gk in groups})
    pod_present: dict[tuple[int, int], cp_model.IntVar] = {}
    dg_keys = sorted({gk[4] for gk in groups if gk[4]})
    dg_present: dict[tuple[tuple, int], cp_model.IntVar] = {}
    for j, s in enumerate(secs):
        items = by_sec.get(j, [])
        if not items:
            continue
        teu = [(2 if gk[1] >= 40 else 1) * v for gk, v in items]
        m.add(sum(teu) <= int(s.free_cells * FILL))
        m.add(sum(v for gk, v in items if gk[1] == 20) <= len(s.cells20))
        m.add(sum(v for gk, v in items if gk[1] >= 40) <= len(s.pos40))
        reefers = [(2 if gk[1] >= 40 else 1) * v for gk, v in items if gk[2]]
        if reefers:
            m.add(sum(reefers) <= s.plugs)
        m.add(sum(avg_kg[gk] // 100 * v for gk, v in items) <= s.kg // 100)
        m.add(
            sum((2 if gk[1] >= 40 else 1) * avg_mm[gk] * v for gk, v in items)
            <= int(s.mm * HEIGHT_MARGIN)
        )
        for p in pods:
            mine = [v for gk, v in items if gk[0] == p]
            if mine:
                y = m.new_bool_var("pod")
                m.add(sum(mine) == 0).only_enforce_if(~y)
                pod_present[(p, j)] = y
            later = [(2 if gk[1] >= 40 else 1) * v for gk, v in items if gk[0] >= p]
            clean = s.clean.get(p, s.free_cells)
            if later and clean < s.free_cells:
                over = m.new_int_var(0, 2 * s.free_cells, "over")
                m.add(over >= sum(later) - clean)
                cost.append(50 * w.overstows * over)
        dangerous = [v for gk, v in items if gk[4]]
        if dangerous:
            m.add(sum(dangerous) <= max(1, s.free_cells // 16))
            for k in dg_keys:
                mine = [v for gk, v in items if gk[4] == k]
                if mine:
                    y = m.new_bool_var("dg")
                    m.add(sum(mine) == 0).only_enforce_if(~y)
                    dg_present[(k, j)] = y
        if s.deck:
            heavy = [v for gk, v in items if gk[3]]
            cost.extend(100 * v for v in heavy)
    # dangerous goods needing a compartment (3) or an intervening one (4)
    by_unit: dict[int, list[int]] = defaultdict(list)
    for j, s in enumerate(secs):
        by_unit[s.index].append(j)
    for a_i, ka in enumerate(dg_keys):
        for kb in dg_keys[a_i:]:
            level = segregation(ka, kb)
            if level < 3:
                continue
            for ui, js in by_unit.items():
                near = [ui] if level == 3 else [ui - 1, ui, ui + 1]
                for ja in js:
                    for uj in near:
                        for jb in by_unit.get(uj, []):
                            if (ka, ja) in dg_present and (kb, jb) in dg_present:
                                if ka == kb and ja == jb:
                                    m.add(sum(v for gk, v in by_sec[ja] if gk[4] == ka) <= 1)
                                    continue
                                m.add_bool_or([~dg_present[(ka, ja)], ~dg_present[(kb, jb)]])
    # deck PODs later than hold PODs under one hatch
    for js in by_unit.values():
        holds = [j for j in js if not secs[j].deck]
        decks = [j for j in js if secs[j].deck]
        for jh in holds:
            for jd in decks:
                for p in pods:
                    for q in pods:
                        if q > p and (p, jh) in pod_present and (q, jd) in pod_present:
                            z = m.new_bool_var("mix")
                            m.add_bool_or([~pod_present[(p, jh)], ~pod_present[(q, jd)], z])
                            cost.append(100 * w.overstows * 2 * z)
    # crane balance over a fixed contiguous split
    ranges = crane_ranges(secs, ship.units, max(1, instance.cranes))
    total_boxes = sum(len(b) for b in groups.values())
    top = m.new_int_var(0, total_boxes, "crane_max")
    unit_pos = {u: i for i, u in enumerate(ship.units)}
    for first, last in ranges:
        inside = [
            v for j, s in enumerate(secs) if first <= unit_pos[s.unit] <= last for _, v in by_sec[j]
        ]
        if inside:
            m.add(sum(inside) <= top)
    cost.append(100 * w.crane_imbalance * top)
    # longitudinal moment (tonnes × half bays) including the boxes already on board
    fixed = 0
    mid = len(ship.bays20) - 1
    for box_id, pos in [(b.id, b.position) for b in instance.remain if b.position]:
        box = instance.boxes[box_id]
        if ship.covers(box.length_ft, pos):
            fixed += box.kg * (ship.x2(box.length_ft, pos) - mid) // 1000
    moment = sum(avg_kg[gk] // 1000 * secs[j].x2 * v for (gk, j), v in n.items()) + fixed
    bound = 40 * total_boxes * (mid + 1) + abs(fixed)
    absm = m.new_int_var(0, bound, "abs_moment")
    m.add(absm >= moment)
    m.add(absm >= -moment)
    cost.append(w.long_moment * absm)
    m.minimize(sum(cost))
    start = greedy_counts(instance, secs, groups)
    warm_start(m, {v: start.get(key, 0) for key, v in n.items()}, time_limit=time_limit / 4)
    solver = cp_model.CpSolver()
    configure(solver, time_limit=time_limit, workers=workers)
    status = solver.solve(m)
    counts: dict[tuple, dict[tuple[int, bool], int]] = defaultdict(dict)
    ok = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    for (gk, j), v in n.items():
        value = solver.value(v) if ok else start.get((gk, j), 0)
        if value:
            counts[gk][secs[j].key] = value
    return MasterResult(
        counts=dict(counts),
        status=solver.status_name(status).lower() if ok else "greedy",
        objective=solver.objective_value if ok else None,
        bound=solver.best_objective_bound if ok else None,
        seconds=time.monotonic() - started,
        crane_ranges=ranges,
    )


def configure(
    solver: cp_model.CpSolver, *, time_limit: float, workers: int, presolve: bool = True
) -> None:
    """Solver parameters of the planner: ``workers`` > 1 run portfolio workers in parallel;
    ``workers`` <= 0 interleaves four of them in one thread (deterministic up to the wall-clock
    limit)."""
    solver.parameters.max_time_in_seconds = max(0.2, time_limit)
    solver.parameters.random_seed = 1
    # Probing in presolve costs seconds on the slot models and buys little here.
    solver.parameters.cp_model_probing_level = 0
    solver.parameters.symmetry_level = 0
    solver.parameters.cp_model_presolve = presolve
    if workers <= 0:
        solver.parameters.num_workers = 4
        solver.parameters.interleave_search = True
    else:
        solver.parameters.num_workers = workers


def warm_start(
    m: cp_model.CpModel, values: dict[cp_model.IntVar, int], *, time_limit: float
) -> bool:
    """Hint every variable of ``m`` with a solution that extends ``values`` (found by solving a
    copy of the model with those variables fixed), so that CP-SAT starts from a complete
    feasible solution. Returns False (and hints ``values`` alone) when none is found in time."""
    copy = m.clone()
    for v, value in values.items():
        copy.add(copy.get_int_var_from_proto_index(v.index) == value)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.2, time_limit)
    solver.parameters.num_workers = 1
    status = solver.solve(copy)
    m.clear_hints()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for v, value in values.items():
            m.add_hint(v, value)
        return False
    for i in range(len(m.proto.variables)):
        v = m.get_int_var_from_proto_index(i)
        m.add_hint(v, solver.value(copy.get_int_var_from_proto_index(i)))
    return True


def greedy_counts(
    instance: Instance, secs: list[Section], groups: dict[tuple, list[Box]]
) -> dict[tuple[tuple, int], int]:
    """A feasible assignment of the master (its hard constraints): each group spread over its
    sections in proportion to their free room, what does not fit first-fit. It is the hint of
    the CP-SAT model and its fallback when the model finds nothing in time."""
    room = [int(s.free_cells * FILL) for s in secs]
    c20 = [len(s.cells20) for s in secs]
    c40 = [len(s.pos40) for s in secs]
    plugs = [s.plugs for s in secs]
    kg = [s.kg // 100 for s in secs]
    mm = [int(s.mm * HEIGHT_MARGIN) for s in secs]
    dg_cap = [max(1, s.free_cells // 16) for s in secs]
    dg_units: dict[int, set[tuple]] = defaultdict(set)
    out: dict[tuple[tuple, int], int] = {}

    def fits(gk: tuple, j: int, avg_kg: int, avg_mm: int) -> int:
        s = secs[j]
        _pod, length, reefer, _band, dg = gk
        if length == 45 and not s.deck:
            return 0
        teu = 2 if length >= 40 else 1
        k = min(room[j] // teu, c20[j] if length == 20 else c40[j])
        if reefer:
            k = min(k, plugs[j] // teu)
        k = min(k, kg[j] // max(1, avg_kg // 100), mm[j] // max(1, teu * avg_mm))
        if dg:
            k = min(k, dg_cap[j])
            for other in [*dg_units[s.index - 1], *dg_units[s.index], *dg_units[s.index + 1]]:
                level = segregation(dg, other)
                near = other in dg_units[s.index]
                if (level >= 3 and near) or level >= 4:
                    return 0
            if segregation(dg, dg) >= 3:
                k = min(k, 1)
        return max(0, k)

    def take(gk: tuple, j: int, k: int, avg_kg: int, avg_mm: int) -> None:
        teu = 2 if gk[1] >= 40 else 1
        out[(gk, j)] = out.get((gk, j), 0) + k
        room[j] -= teu * k
        if gk[1] == 20:
            c20[j] -= k
        else:
            c40[j] -= k
        if gk[2]:
            plugs[j] -= teu * k
        kg[j] -= k * (avg_kg // 100)
        mm[j] -= k * teu * avg_mm
        if gk[4]:
            dg_cap[j] -= k
            dg_units[secs[j].index].add(gk[4])

    order = sorted(groups, key=lambda g: (not g[4], not g[2], g[1] != 45, -g[0], -g[1], g))
    for gk in order:
        boxes = groups[gk]
        avg_kg = sum(b.kg for b in boxes) // len(boxes)
        avg_mm = sum(b.height_mm for b in boxes) // len(boxes)
        need = len(boxes)
        if not gk[4]:
            # later ports into the holds first, spread by free room (crane balance)
            for deck in (False, True):
                layer = [j for j, s in enumerate(secs) if s.deck == deck]
                fit = {j: fits(gk, j, avg_kg, avg_mm) for j in layer}
                teu = 2 if gk[1] >= 40 else 1
                room_layer = sum(min(room[j], fit[j] * teu) for j in layer)
                if room_layer <= 0 or need <= 0:
                    continue
                share = min(1.0, need * teu / room_layer)
                for j in layer:
                    k = min(need, fit[j], int(share * min(room[j], fit[j] * teu) / teu + 0.5))
                    if k > 0:
                        take(gk, j, k, avg_kg, avg_mm)
                        need -= k
        for j in sorted(range(len(secs)), key=lambda j: (secs[j].deck, -room[j])):
            if need <= 0:
                break
            k = min(need, fits(gk, j, avg_kg, avg_mm), 1 if gk[4] else need)
            if k > 0:
                take(gk, j, k, avg_kg, avg_mm)
                need -= k
    return out


def is_hold(cell: Cell) -> bool:
    return not is_deck(cell[2])
