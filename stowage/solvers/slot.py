"""Slot planning of one bay section with CP-SAT (Delgado et al. 2012; Parreño et al. 2016).

Decide for every container to load the slot it goes to: the aft or fore 20' slot of a cell, or
the whole cell for a 40'. Hard rules:

* a slot holds one container; a 40' fills both slots of its cell; flags of the cell say which
  of aft 20', fore 20' and 40' it accepts; containers already on board stay where they are;
* a 20' stands on a 20' in the same slot below (so never on a 40'); a 40' stands on a 40' or on
  two 20's (aft and fore) below; the lowest usable cell of a stack stands on the floor;
* stack weight (sum of all its containers) and stack height (aft column and fore column, a 40'
  counting in both) within the stack's limits;
* a 20' reefer needs the plug of its slot, a 40' reefer a cell with a plug;
* IMO segregation (Parreño IMO sets): two dangerous containers (category ≥ 1) never sit in
  neighbouring stacks at the same tier (one container space athwartships). See
  ``results/NOTES.md`` for where this rule comes from.

Objective (weights :data:`WEIGHTS`): 100 per overstowing container (a container above one,
in the same column, that leaves at an earlier port), 20 per port beyond the first in each
stack, 10 per used stack, 5 per non-reefer container on a reefer plug, 1000 per container left
behind ("rolled out", Parreño et al.). Containers on board count like the others.

Modelling: identical containers (length, weight, height, port, reefer, IMO) form one class, so
the model chooses how many of each class go where, never which of twins (no symmetric copies).
Overstowage uses per column a monotone "some container at or below this tier leaves at port
rank ≤ r" indicator. A greedy plan is the search hint.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from stowage.solvers.delgado import AFT, FORE, FORTY, Container, Instance

WEIGHTS = {"overstow": 100, "pods": 20, "stacks": 10, "reefer": 5, "rollout": 1000}

STATUS = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "error",
    cp_model.UNKNOWN: "unknown",
}


@dataclass
class Result:
    """The outcome of one solve: ``assignment`` maps a to-load container index to (stack, tier,
    position) with 0-based stack and tier and position ``aft``/``fore``/``40``."""

    status: str
    objective: int | None
    bound: int | None
    seconds: float
    assignment: dict[int, tuple[int, int, str]] = field(default_factory=dict)
    rolled_out: list[int] = field(default_factory=list)
    components: dict[str, int] = field(default_factory=dict)


def _key(container: Container) -> tuple:
    return (
        container.length,
        container.weight,
        container.height,
        container.pod,
        container.reefer,
        container.imo,
    )


def _floor_below(instance: Instance, stack: int, tier: int) -> bool:
    return tier == 0 or not instance.stacks[stack].cells[tier - 1].usable


ORDERS = {
    "forties first": lambda c: (-c.pod, not c.reefer, -c.length, -c.height, -c.weight),
    "twenties first": lambda c: (-c.pod, not c.reefer, c.length, -c.height, -c.weight),
    "high cubes last": lambda c: (-c.pod, not c.reefer, c.length, c.height, -c.weight),
    "reefers first": lambda c: (not c.reefer, -c.pod, c.length, -c.height, -c.weight),
}


def greedy(instance: Instance) -> dict[int, tuple[int, int, str]]:
    """A quick feasible plan: the best of a few loading orders (:data:`ORDERS`, latest port
    first) by containers placed, then stacks used; see :func:`greedy_order`."""
    plans = [greedy_order(instance, order) for order in ORDERS.values()]
    return max(plans, key=lambda plan: (len(plan), -len({s for s, _, _ in plan.values()})))


def greedy_order(instance: Instance, order) -> dict[int, tuple[int, int, str]]:
    """Containers in the order of the sort key ``order``, each to the lowest free slot that
    keeps every hard rule, preferring: plugs kept free while reefers wait, no overstow, stacks
    that already hold its port, no new stack, no dry box on a plug. Containers that fit
    nowhere are left out."""
    n_stacks, n_tiers = len(instance.stacks), instance.tiers
    grid: dict[tuple[int, int, str], Container] = {}
    for c in instance.loaded:
        grid[c.position] = c
    weight = [sum(c.weight for c in instance.loaded if c.position[0] == s) for s in range(n_stacks)]

    def occupant(s: int, t: int, p: str) -> Container | None:
        if p == FORTY:
            return grid.get((s, t, FORTY))
        return grid.get((s, t, p)) or grid.get((s, t, FORTY))

    def column_height(s: int, p: str) -> int:
        return sum(occ.height for t in range(n_tiers) if (occ := occupant(s, t, p)) is not None)

    def dangerous(s: int, t: int) -> bool:
        return any(
            (occ := grid.get((s, t, p))) is not None and occ.imo > 0 for p in (AFT, FORE, FORTY)
        )

    def fits(c: Container, s: int, t: int, p: str) -> bool:
        stack = instance.stacks[s]
        cell = stack.cells[t]
        if weight[s] + c.weight > stack.max_weight:
            return False
        if p == FORTY:
            if not cell.forty or any(occupant(s, t, q) for q in (AFT, FORE)):
                return False
            if c.reefer and not (cell.aft_reefer or cell.fore_reefer):
                return False
            if not _floor_below(instance, s, t) and not all(
                occupant(s, t - 1, q) for q in (AFT, FORE)
            ):
                return False
            if any(column_height(s, q) + c.height > stack.max_height for q in (AFT, FORE)):
                return False
        else:
            if not (cell.aft if p == AFT else cell.fore) or occupant(s, t, p):
                return False
            if c.reefer and not (cell.aft_reefer if p == AFT else cell.fore_reefer):
                return False
            if not _floor_below(instance, s, t) and grid.get((s, t - 1, p)) is None:
                return False
            if column_height(s, p) + c.height > stack.max_height:
                return False
        if c.imo > 0:
            for n in (s - 1, s + 1):
                if 0 <= n < n_stacks and dangerous(n, t):
                    return False
        return True

    assignment: dict[int, tuple[int, int, str]] = {}
    reefers_left = sum(1 for c in instance.to_load if c.reefer)
    for c in sorted(instance.to_load, key=order):
        reefers_left -= c.reefer
        best = None
        for s in range(n_stacks):
            pods = {occ.pod for (ss, _, _), occ in grid.items() if ss == s}
            for t in range(n_tiers):
                for p in (FORTY,) if c.length == 40 else (AFT, FORE):
                    if not fits(c, s, t, p):
                        continue
                    below = [
                        occ
                        for tt in range(t)
                        for q in ((AFT, FORE) if p == FORTY else (p,))
                        if (occ := occupant(s, tt, q)) is not None
                    ]
                    overstow = any(occ.pod < c.pod for occ in below)
                    cell = instance.stacks[s].cells[t]
                    plug = (
                        (cell.aft_reefer or cell.fore_reefer)
                        if p == FORTY
                        else (cell.aft_reefer if p == AFT else cell.fore_reefer)
                    )
                    score = (
                        plug and not c.reefer and reefers_left > 0,  # keep plugs for reefers
                        overstow,
                        bool(pods) and c.pod not in pods,
                        not pods,
                        plug and not c.reefer,
                        t,
                        s,
                    )
                    if best is None or score < best[0]:
                        best = (score, (s, t, p))
                    break
        if best is not None:
            s, t, p = best[1]
            grid[(s, t, p)] = c
            weight[s] += c.weight
            assignment[c.index] = (s, t, p)
    return assignment


def _type(container: Container) -> tuple[int, int, int, bool, int]:
    """What the slot model tells apart: length, height, port, reefer flag, IMO category."""
    return (container.length, container.height, container.pod, container.reefer, container.imo)


def _twin_stacks(instance: Instance) -> list[list[int]]:
    """Groups of stacks with equal limits and cells and nothing on board."""
    loaded = {c.position[0] for c in instance.loaded}
    groups: dict[tuple, list[int]] = defaultdict(list)
    for s, stack in enumerate(instance.stacks):
        if s not in loaded:
            groups[(stack.max_weight, stack.max_height, stack.cells)].append(s)
    return [group for group in groups.values() if len(group) > 1]


def _sorted_twins(
    instance: Instance,
    plan: dict[int, tuple[int, int, str]],
    group: list[int],
    type_index: dict[tuple, int],
) -> dict[int, tuple[int, int, str]]:
    """The plan with the contents of the twin stacks of ``group`` reordered so that the content
    signature of :func:`solve` does not increase (same cost, same feasibility)."""
    contents = {s: {} for s in group}
    for index, (s, t, p) in plan.items():
        if s in contents:
            contents[s][index] = (t, p)

    def signature(content: dict) -> int:
        return sum(type_index[_type(instance.to_load[i])] + 1 for i in content)

    ordered = sorted(contents.values(), key=signature, reverse=True)
    result = {i: pos for i, pos in plan.items() if pos[0] not in contents}
    for s, content in zip(group, ordered, strict=True):
        for index, (t, p) in content.items():
            result[index] = (s, t, p)
    return result


def _complete_hint(
    model: cp_model.CpModel, seconds: float, workers: int
) -> cp_model.CpSolver | None:
    """Turn the partial greedy hint into a full solution: solve with the hinted variables fixed
    (quick, the rest follows), then hint every variable with that solution. CP-SAT repairs an
    incomplete hint poorly on the larger bays; a complete one is its first solution. Returns
    the solver holding that solution (the fallback plan), or None."""
    probe = cp_model.CpSolver()
    probe.parameters.fix_variables_to_their_hinted_value = True
    probe.parameters.max_time_in_seconds = seconds
    probe.parameters.num_workers = workers
    if probe.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    values = [
        probe.value(model.get_int_var_from_proto_index(i))
        for i in range(len(model.proto.variables))
    ]
    model.clear_hints()
    for i, value in enumerate(values):
        model.add_hint(model.get_int_var_from_proto_index(i), value)
    return probe


def price(instance: Instance, plan: dict[int, tuple[int, int, str]]) -> dict[str, int]:
    """The cost components of a complete plan (to-load index -> (stack, tier, position))."""
    where = {c.position: c for c in instance.loaded}
    for index, position in plan.items():
        where[position] = instance.to_load[index]

    def columns(position: str) -> set[str]:
        return {AFT, FORE, FORTY} if position == FORTY else {position, FORTY}

    overstow = sum(
        1
        for (s, t, p), c in where.items()
        if any(
            d.pod < c.pod
            for (ss, tt, pp), d in where.items()
            if ss == s and tt < t and pp in columns(p)
        )
    )
    ports = defaultdict(set)
    for (s, _, _), c in where.items():
        ports[s].add(c.pod)
    return {
        "overstow": overstow,
        "pods": sum(len(pods) - 1 for pods in ports.values()),
        "stacks": len(ports),
        "reefer": sum(
            1
            for (s, t, p), c in where.items()
            if not c.reefer and _plug(instance.stacks[s].cells[t], p)
        ),
        "rollout": len(instance.to_load) - len(plan),
    }


def floor(instance: Instance) -> int:
    """A lower bound on the objective that the LP relaxation does not see by itself: what the
    containers on board already cost (their overstows, ports per stack, stacks and dry boxes on
    plugs), plus 10 for every port of the load list that no stack holds yet (it opens a stack,
    10, or adds a port to one, 20)."""
    on_board = {c.position: c for c in instance.loaded}
    cost = 0
    for (s, t, p), c in on_board.items():
        columns = {p, FORTY} if p != FORTY else {AFT, FORE, FORTY}
        if any(
            d.pod < c.pod
            for (ss, tt, pp), d in on_board.items()
            if ss == s and tt < t and (pp in columns or pp == FORTY or p == FORTY)
        ):
            cost += WEIGHTS["overstow"]
        if not c.reefer and _plug(instance.stacks[s].cells[t], p):
            cost += WEIGHTS["reefer"]
    stacks = defaultdict(set)
    for (s, _, _), c in on_board.items():
        stacks[s].add(c.pod)
    cost += sum(WEIGHTS["stacks"] + WEIGHTS["pods"] * (len(pods) - 1) for pods in stacks.values())
    new_ports = {c.pod for c in instance.to_load} - {c.pod for c in instance.loaded}
    return cost + WEIGHTS["stacks"] * len(new_ports)


def _plug(cell, position: str) -> bool:
    if position == FORTY:
        return cell.aft_reefer or cell.fore_reefer
    return cell.aft_reefer if position == AFT else cell.fore_reefer


def _add_stack_links(
    model: cp_model.CpModel,
    stack,
    items: list[tuple[int, int, str, cp_model.IntVar]],
    height_of: list[int],
    rank_of: list[int],
    share: dict[tuple[int, int, int], cp_model.IntVar],
    s: int,
    used: cp_model.IntVar,
    units: dict[int, cp_model.IntVar],
) -> None:
    """Height and weight limits scaled by the stack's ``used`` and per-port ``units`` Booleans
    (a stack without anything on board): the LP then charges a stack, or a port in it, by the
    share of height or weight its boxes take, not only by their TEU."""
    for p in (AFT, FORE):
        terms = [(rank_of[k], height_of[k] * v) for k, _, pp, v in items if pp in (p, FORTY)]
        if not terms:
            continue
        model.add(sum(t for _, t in terms) <= stack.max_height * used)
        for r, u in units.items():
            mine = [t for rr, t in terms if rr == r]
            if mine:
                model.add(sum(mine) <= stack.max_height * u)
    weights = [(rank_of[k], w * x) for (k, w, ss), x in share.items() if ss == s]
    if weights:
        model.add(sum(t for _, t in weights) <= stack.max_weight * used)
        for r, u in units.items():
            mine = [t for rr, t in weights if rr == r]
            if mine:
                model.add(sum(mine) <= stack.max_weight * u)


def _add_counting_bounds(
    model: cp_model.CpModel,
    instance: Instance,
    by_type: dict[tuple, list[Container]],
    types: list[tuple],
    rank_of: list[int],
    rolled: list,
    present_at: dict[int, list],
    used_terms: list,
) -> None:
    """Rounded counting cuts the LP relaxation does not find by itself: the containers of a
    port rank (and all of them) need at least ``ceil(TEU / largest stack TEU)`` and
    ``ceil(weight / largest stack weight)`` stacks; each rolled-out container lowers either
    count by at most one (it is at most one stack's TEU and weight)."""
    capacity = max(2 * sum(1 for c in stack.cells if c.usable) for stack in instance.stacks)
    heaviest = max(stack.max_weight for stack in instance.stacks)
    if capacity <= 0 or heaviest <= 0:
        return

    tallest = max(stack.max_height for stack in instance.stacks)
    lowest = min(c.height for c in instance.containers)
    capacity = min(capacity, 2 * (tallest // lowest)) if lowest > 0 else capacity

    def needed(boxes: list[Container]) -> int:
        teu = sum(c.length // 20 for c in boxes)
        weight = sum(c.weight for c in boxes)
        height = sum(c.height * (c.length // 20) for c in boxes)  # a 40' fills both columns
        if any(
            c.length // 20 > capacity or c.weight > heaviest or c.height > tallest for c in boxes
        ):
            return 0
        return max(-(-teu // capacity), -(-weight // heaviest), -(-height // (2 * tallest)))

    ranks = sorted(set(rank_of))
    for r in ranks:
        ks = [k for k in range(len(types)) if rank_of[k] == r]
        boxes = [c for k in ks for c in by_type[types[k]]]
        boxes += [c for c in instance.loaded if _rank_key(instance, c) == r]
        need = needed(boxes)
        if need > 1 and present_at[r]:
            model.add(sum(present_at[r]) + sum(rolled[k] for k in ks) >= need)
    need = needed(list(instance.containers))
    if need > 1 and used_terms:
        model.add(sum(used_terms) + sum(rolled) >= need)


def _rank_key(instance: Instance, container: Container) -> int:
    pods = sorted({c.pod for c in instance.containers})
    return pods.index(container.pod)


def solve(instance: Instance, *, time_limit: float, workers: int = 8) -> Result:
    """Solve ``instance`` to proven optimality or until ``time_limit`` seconds have passed."""
    started = time.monotonic()
    model = cp_model.CpModel()
    n_stacks, n_tiers = len(instance.stacks), instance.tiers
    pods = sorted({c.pod for c in instance.containers})
    rank = {pod: index for index, pod in enumerate(pods)}
    n_ranks = len(pods)

    by_type: dict[tuple, list[Container]] = defaultdict(list)
    for c in instance.to_load:
        by_type[_type(c)].append(c)
    types = list(by_type)
    type_index = {key: k for k, key in enumerate(types)}
    length_of = [key[0] for key in types]
    height_of = [key[1] for key in types]
    rank_of = [rank[key[2]] for key in types]
    reefer_of = [key[3] for key in types]
    imo_of = [key[4] for key in types]

    fixed: dict[tuple[int, int, str], Container] = {c.position: c for c in instance.loaded}
    fixed_cells = {(s, t) for (s, t, _) in fixed}

    # place[k, s, t, p]: a container of type k in slot p (aft, fore, or the cell for a 40')
    place: dict[tuple[int, int, int, str], cp_model.IntVar] = {}
    for k in range(len(types)):
        for s, stack in enumerate(instance.stacks):
            for t, cell in enumerate(stack.cells):
                if length_of[k] == 40:
                    if not cell.forty or (s, t) in fixed_cells:
                        continue
                    if reefer_of[k] and not _plug(cell, FORTY):
                        continue
                    place[k, s, t, FORTY] = model.new_bool_var(f"p{k}_{s}_{t}_40")
                    continue
                for p, ok in ((AFT, cell.aft), (FORE, cell.fore)):
                    if not ok or (s, t, p) in fixed or (s, t, FORTY) in fixed:
                        continue
                    if reefer_of[k] and not _plug(cell, p):
                        continue
                    place[k, s, t, p] = model.new_bool_var(f"p{k}_{s}_{t}_{p}")
    at: dict[tuple[int, int, str], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    in_stack: dict[int, list[tuple[int, int, str, cp_model.IntVar]]] = defaultdict(list)
    for (k, s, t, p), var in place.items():
        at[s, t, p].append((k, var))
        in_stack[s].append((k, t, p, var))

    def occupancy(s: int, t: int, p: str):
        """1 if the slot (or the 40' of the cell) is taken: a constant or a Boolean."""
        if (s, t, p) in fixed:
            return 1
        if not at[s, t, p]:
            return 0
        var = model.new_bool_var(f"o{s}_{t}_{p}")
        model.add(sum(v for _, v in at[s, t, p]) == var)
        return var

    occ = {
        (s, t, p): occupancy(s, t, p)
        for s in range(n_stacks)
        for t in range(n_tiers)
        for p in (AFT, FORE, FORTY)
    }
    for s in range(n_stacks):
        for t in range(n_tiers):
            a, f, q = occ[s, t, AFT], occ[s, t, FORE], occ[s, t, FORTY]
            model.add(q + a <= 1)
            model.add(q + f <= 1)
            if not _floor_below(instance, s, t):
                a0, f0, q0 = occ[s, t - 1, AFT], occ[s, t - 1, FORE], occ[s, t - 1, FORTY]
                model.add(a <= a0)
                model.add(f <= f0)
                model.add(q <= a0 + q0)
                model.add(q <= f0 + q0)

    dangerous = any(imo_of) or any(c.imo for c in instance.loaded)
    twins = [] if dangerous else _twin_stacks(instance)
    for group in twins:
        # identical stacks can swap contents: keep the order of a content signature
        keys = [sum((k + 1) * v for k, _, _, v in in_stack[s]) for s in group]
        for a, b in itertools.pairwise(keys):
            model.add(a >= b)

    # how many of each type go on board; the rest is rolled out
    rolled = []
    for k, key in enumerate(types):
        vars_ = [v for (kk, _, _, _), v in place.items() if kk == k]
        count = len(by_type[key])
        left = model.new_int_var(0, count, f"rolled{k}")
        model.add(left + sum(vars_) == count)
        rolled.append(left)

    # stack height per column
    for s, stack in enumerate(instance.stacks):
        for p in (AFT, FORE):
            fixed_height = sum(
                c.height for pos, c in fixed.items() if pos[0] == s and pos[2] in (p, FORTY)
            )
            terms = [height_of[k] * v for k, _, pp, v in in_stack[s] if pp in (p, FORTY)]
            if terms:
                model.add(sum(terms) + fixed_height <= stack.max_height)

    # stack weight: per stack, how many containers of each weight of a type it takes; only for
    # stacks whose limit the heaviest possible load could exceed
    weights_of = {
        k: sorted({c.weight for c in by_type[key]}, reverse=True) for k, key in enumerate(types)
    }
    heaviest = sorted((c.weight for c in instance.to_load), reverse=True)
    share: dict[tuple[int, int, int], cp_model.IntVar] = {}
    for s, stack in enumerate(instance.stacks):
        fixed_weight = sum(c.weight for pos, c in fixed.items() if pos[0] == s)
        slots = len({(t, p) for _, t, p, _ in in_stack[s]}) * 1
        if fixed_weight + sum(heaviest[:slots]) <= stack.max_weight:
            continue
        weight_terms = []
        for k in range(len(types)):
            vars_ = [v for kk, _, _, v in in_stack[s] if kk == k]
            if not vars_:
                continue
            parts = []
            for w in weights_of[k]:
                count = sum(1 for c in by_type[types[k]] if c.weight == w)
                x = model.new_int_var(0, min(count, len(vars_)), f"x{k}_{w}_{s}")
                share[k, w, s] = x
                parts.append(x)
                weight_terms.append(w * x)
            model.add(sum(parts) == sum(vars_))
        model.add(sum(weight_terms) + fixed_weight <= stack.max_weight)
    for k, key in enumerate(types):
        for w in weights_of[k]:
            xs = [x for (kk, ww, _), x in share.items() if kk == k and ww == w]
            if xs:
                model.add(sum(xs) <= sum(1 for c in by_type[key] if c.weight == w))

    # IMO segregation: no two dangerous containers in neighbouring stacks at one tier
    if dangerous:
        danger = {}
        for s in range(n_stacks):
            for t in range(n_tiers):
                if any(c.imo > 0 for pos, c in fixed.items() if pos[:2] == (s, t)):
                    danger[s, t] = 1
                    continue
                vars_ = [v for p in (AFT, FORE, FORTY) for k, v in at[s, t, p] if imo_of[k]]
                if not vars_:
                    danger[s, t] = 0
                    continue
                d = model.new_bool_var(f"d{s}_{t}")
                for v in vars_:
                    model.add_implication(v, d)
                danger[s, t] = d
        for s in range(n_stacks - 1):
            for t in range(n_tiers):
                model.add(danger[s, t] + danger[s + 1, t] <= 1)

    def column_rank(s: int, t: int, p: str, r: int):
        """1 if the container in column p of cell (s, t) leaves at port rank r."""
        total = 0
        for pos in (p, FORTY):
            c = fixed.get((s, t, pos))
            if c is not None and rank[c.pod] == r:
                total += 1
            total += sum(v for k, v in at[s, t, pos] if rank_of[k] == r)
        return total

    overstow_terms = []
    if n_ranks > 1:
        for s in range(n_stacks):
            # early[p, t][r]: some container at or below tier t of column p leaves at rank <= r
            early = {}
            for p in (AFT, FORE):
                previous = None
                for t in range(n_tiers):
                    current = []
                    cumulative = 0
                    for r in range(n_ranks - 1):
                        cumulative = cumulative + column_rank(s, t, p, r)
                        e = model.new_bool_var(f"e{s}_{p}_{t}_{r}")
                        model.add(e >= cumulative)
                        if previous is not None:
                            model.add(e >= previous[r])
                            model.add(e <= previous[r] + cumulative)  # exact, not just above
                        else:
                            model.add(e <= cumulative)
                        if r > 0:
                            model.add(e >= current[r - 1])
                        current.append(e)
                    early[p, t] = current
                    previous = current
            # lowest[p, t]: the smallest rank at or below tier t of column p (n_ranks if none);
            # redundant with ``early`` but propagates much better in the search
            lowest = {}
            for p in (AFT, FORE):
                below = None
                for t in range(n_tiers):
                    column_occupied = occ[s, t, p] + occ[s, t, FORTY]
                    here = model.new_int_var(0, n_ranks, f"rk{s}_{p}_{t}")
                    model.add(
                        here
                        == sum(r * column_rank(s, t, p, r) for r in range(1, n_ranks))
                        + n_ranks * (1 - column_occupied)
                    )
                    if below is None:
                        lowest[p, t] = here
                    else:
                        lowest[p, t] = model.new_int_var(0, n_ranks, f"lo{s}_{p}_{t}")
                        model.add_min_equality(lowest[p, t], [below, here])
                    below = lowest[p, t]
            for t in range(1, n_tiers):
                for p in (AFT, FORE, FORTY):
                    items = []
                    c = fixed.get((s, t, p))
                    if c is not None:
                        items.append((rank[c.pod], 1))
                    items.extend((rank_of[k], v) for k, v in at[s, t, p])
                    items = [(r, v) for r, v in items if r > 0]
                    if not items:
                        continue
                    ov = model.new_bool_var(f"ov{s}_{t}_{p}")
                    columns = (AFT, FORE) if p == FORTY else (p,)
                    for r, v in items:
                        for column in columns:
                            model.add(ov >= v + early[column, t - 1][r - 1] - 1)
                    slot_rank = sum(r * v for r, v in items)
                    occupied = occ[s, t, p]
                    enforce = [ov.Not()] + ([] if isinstance(occupied, int) else [occupied])
                    for column in columns:
                        model.add(slot_rank <= lowest[column, t - 1]).only_enforce_if(enforce)
                    # and ov only when it really overstows, so every solution prices exactly
                    if not isinstance(occupied, int):
                        model.add_implication(ov, occupied)
                    if len(columns) == 1:
                        under = lowest[p, t - 1]
                    else:
                        under = model.new_int_var(0, n_ranks, f"under{s}_{t}")
                        model.add_min_equality(under, [lowest[AFT, t - 1], lowest[FORE, t - 1]])
                    model.add(slot_rank >= under + 1).only_enforce_if(ov)
                    overstow_terms.append(ov)

    pod_terms, used_terms = [], []
    present_at: dict[int, list] = defaultdict(list)
    lowest_box = max(1, min(c.height for c in instance.containers))
    for s in range(n_stacks):
        # the TEU of each port rank the stack takes; it holds at most its usable cells' TEU, so
        # the LP sees that a port (or any box) in a stack costs the stack's whole share
        capacity = 2 * sum(1 for cell in instance.stacks[s].cells if cell.usable)
        capacity = min(capacity, 2 * (instance.stacks[s].max_height // lowest_box))
        teu_by_rank: dict[int, list] = defaultdict(list)
        for k, _, _, v in in_stack[s]:
            teu_by_rank[rank_of[k]].append((length_of[k] // 20) * v)
        fixed_ranks = {rank[c.pod] for pos, c in fixed.items() if pos[0] == s}
        present = []
        units: dict[int, cp_model.IntVar] = {}
        for r in range(n_ranks):
            if r in fixed_ranks:
                present.append(1)
                present_at[r].append(1)
            elif teu_by_rank[r]:
                u = model.new_bool_var(f"u{s}_{r}")
                model.add(sum(teu_by_rank[r]) <= capacity * u)
                model.add(sum(teu_by_rank[r]) >= 1).only_enforce_if(u)
                present.append(u)
                present_at[r].append(u)
                units[r] = u
        if not present:
            continue
        extra = model.new_int_var(0, n_ranks, f"extra{s}")
        ports_here = model.new_int_var(-1, n_ranks, f"ports{s}")
        model.add(ports_here == sum(present) - 1)
        model.add_max_equality(extra, [ports_here, 0])
        pod_terms.append(extra)
        if fixed_ranks:
            used_terms.append(1)
            continue
        used = model.new_bool_var(f"used{s}")
        model.add(sum(sum(terms) for terms in teu_by_rank.values()) <= capacity * used)
        model.add(sum(present) >= 1).only_enforce_if(used)
        # the same for the slots without a plug: a dry box kept off the plugs needs a stack
        cells = instance.stacks[s].cells
        dry = [(length_of[k] // 20) * v for k, t, p, v in in_stack[s] if not _plug(cells[t], p)]
        dry_capacity = sum(
            (cell.aft and not cell.aft_reefer) + (cell.fore and not cell.fore_reefer)
            or 2 * (cell.forty and not _plug(cell, FORTY))
            for cell in cells
        )
        if dry:
            model.add(sum(dry) <= dry_capacity * used)
        for u in present:
            model.add_implication(u, used)
        _add_stack_links(
            model, instance.stacks[s], in_stack[s], height_of, rank_of, share, s, used, units
        )
        # ports beyond the first: with ``used`` instead of 1 the LP cannot spread a port over
        # fractions of stacks for free
        model.add(extra >= sum(present) - used)
        used_terms.append(used)

    # counting bounds: a port's boxes need at least as many stacks as their TEU (and weight)
    # over the largest stack's; every rolled-out box lowers that by at most one
    _add_counting_bounds(model, instance, by_type, types, rank_of, rolled, present_at, used_terms)

    # every plug below an occupied slot of a column holds a box: a reefer or a dry box (cost)
    for s, stack in enumerate(instance.stacks):
        for p, flag in ((AFT, "aft_reefer"), (FORE, "fore_reefer")):
            plugged = [t for t, cell in enumerate(stack.cells) if getattr(cell, flag)]
            if not plugged:
                continue
            covering = [
                v
                for k, t, pp, v in in_stack[s]
                if pp in (p, FORTY) and getattr(stack.cells[t], flag)
            ]
            fixed_cover = sum(
                1
                for (ss, t, pp) in fixed
                if ss == s and pp in (p, FORTY) and getattr(stack.cells[t], flag)
            )
            for t in range(n_tiers):
                below = sum(1 for u in plugged if u < t)
                occupied = occ[s, t, p] + occ[s, t, FORTY]
                if below and not isinstance(occupied, int):
                    model.add(sum(covering) + fixed_cover >= below * occupied)

    reefer_terms: list = [
        1
        for pos, c in fixed.items()
        if not c.reefer and _plug(instance.stacks[pos[0]].cells[pos[1]], pos[2])
    ]
    reefer_terms += [
        v
        for (k, s, t, p), v in place.items()
        if not reefer_of[k] and _plug(instance.stacks[s].cells[t], p)
    ]

    components = {
        "overstow": sum(overstow_terms),
        "pods": sum(pod_terms),
        "stacks": sum(used_terms),
        "reefer": sum(reefer_terms),
        "rollout": sum(rolled),
    }
    total = sum(WEIGHTS[name] * expr for name, expr in components.items())
    model.add(total >= floor(instance))
    model.minimize(total)

    hint = greedy(instance)
    for group in twins:
        hint = _sorted_twins(instance, hint, group, type_index)
    hinted = {(type_index[_type(instance.to_load[i])], s, t, p) for i, (s, t, p) in hint.items()}
    for key, var in place.items():
        model.add_hint(var, key in hinted)
    for (k, w, s), x in share.items():
        model.add_hint(
            x,
            sum(
                1
                for i, (ss, _, _) in hint.items()
                if ss == s
                and type_index[_type(instance.to_load[i])] == k
                and instance.to_load[i].weight == w
            ),
        )

    probe = _complete_hint(model, min(2.0, time_limit / 4), workers)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit - (time.monotonic() - started))
    solver.parameters.num_workers = workers
    solver.parameters.linearization_level = 2  # the LP bound is what proves these optimal
    code = solver.solve(model)
    status = STATUS.get(code, "unknown")
    seconds = time.monotonic() - started
    bound = max(0, math.ceil(solver.best_objective_bound - 1e-6))
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if code == cp_model.INFEASIBLE:
            return Result(status, None, None, seconds)
        if probe is None:
            # no time even to complete the warm start: the greedy plan is the answer
            components = price(instance, hint)
            objective = sum(WEIGHTS[name] * value for name, value in components.items())
            placed = set(hint)
            return Result(
                status="feasible",
                objective=objective,
                bound=min(objective, max(bound, floor(instance))),
                seconds=seconds,
                assignment=dict(hint),
                rolled_out=[c.index for c in instance.to_load if c.index not in placed],
                components=components,
            )
        # the search found nothing in time: the completed greedy plan is the answer
        solver, status, bound = probe, "feasible", max(bound, floor(instance))

    # which containers: stacks with a weight model take the weights the model chose, the
    # others any container left of the type
    pool = {
        (k, w): [c.index for c in by_type[types[k]] if c.weight == w]
        for k in range(len(types))
        for w in weights_of[k]
    }
    chosen: dict[tuple[int, int], list[int]] = defaultdict(list)
    for (k, w, s), x in share.items():
        for _ in range(solver.value(x)):
            chosen[k, s].append(pool[k, w].pop())
    assignment: dict[int, tuple[int, int, str]] = {}
    for (k, s, t, p), var in sorted(
        place.items(), key=lambda item: (item[0][1] in {ss for (_, _, ss) in share}, item[0])
    ):
        if not solver.value(var):
            continue
        if chosen[k, s]:
            index = chosen[k, s].pop()
        else:
            index = next(pool[k, w].pop() for w in weights_of[k] if pool[k, w])
        assignment[index] = (s, t, p)
    placed = set(assignment)
    rolled_out = sorted(c.index for c in instance.to_load if c.index not in placed)
    values = {
        name: int(solver.value(expr)) if not isinstance(expr, int) else expr
        for name, expr in components.items()
    }
    # the cost of the plan returned, from its own values: CP-SAT's objective_value was once
    # seen 20 above it after a time-limited parallel search (57_slotPlanningMax_Weight_4_100_4)
    objective = sum(WEIGHTS[name] * value for name, value in values.items())
    return Result(
        status=status,
        objective=objective,
        bound=min(bound, objective),
        seconds=seconds,
        assignment=assignment,
        rolled_out=rolled_out,
        components=values,
    )
