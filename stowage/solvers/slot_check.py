"""Independent checker of a slot plan: replays the plan on the bay of the instance file and
recomputes every rule and the objective from scratch. It shares no code with the model in
:mod:`stowage.solvers.slot`; it reads only the instance (:mod:`stowage.solvers.delgado`) and the
plan as written to JSON by the benchmark::

    {"placements": [{"container": 0, "stack": 3, "cell": 1, "for": 1}, ...],
     "rolled_out": [17, ...]}

``container`` is the 0-based line number in ``#CONTAINERS_TOLOAD``; ``stack``, ``cell`` and
``for`` use the file's own numbering for loaded containers (1-based stack, 1-based cell from the
bottom, ``1`` aft 20', ``-1`` fore 20', ``0`` a 40').

Objective (the weights of Delgado et al. 2012 as given in ``results/NOTES.md``): 100 per
overstowing container, 20 per discharge port beyond the first in a stack, 10 per stack holding
anything, 5 per non-reefer container on a plug, 1000 per container left behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stowage.solvers.delgado import Instance

COST = {"overstow": 100, "pods": 20, "stacks": 10, "reefer": 5, "rollout": 1000}


@dataclass
class Report:
    """``ok`` when no rule is broken; ``objective`` and its parts recomputed from the plan."""

    ok: bool
    violations: list[str] = field(default_factory=list)
    objective: int | None = None
    components: dict[str, int] = field(default_factory=dict)


def check_plan(instance: Instance, plan: dict) -> Report:
    """Check ``plan`` (the JSON shape above) against ``instance``."""
    bad: list[str] = []
    n_stacks, n_tiers = len(instance.stacks), instance.tiers
    # slots[(stack, tier)] = {"A": box, "F": box} where a 40' sits in both halves
    halves: dict[tuple[int, int], dict[str, object]] = {}
    boxes: list[tuple[object, int, int, int]] = []  # (container, stack, tier, for)

    def put(box, stack: int, tier: int, code: int, label: str) -> None:
        if not (0 <= stack < n_stacks and 0 <= tier < n_tiers):
            bad.append(f"{label}: stack {stack + 1} cell {tier + 1} is not in the bay")
            return
        if code not in (1, -1, 0):
            bad.append(f"{label}: 'for' must be 1, -1 or 0, not {code}")
            return
        if (code == 0) != (box.length == 40):
            bad.append(f"{label}: a {box.length}' container cannot take 'for' {code}")
            return
        cell = instance.stacks[stack].cells[tier]
        allowed = {1: cell.aft, -1: cell.fore, 0: cell.forty}[code]
        if not allowed:
            bad.append(f"{label}: stack {stack + 1} cell {tier + 1} has no such slot")
        here = halves.setdefault((stack, tier), {})
        for half in {1: "A", -1: "F", 0: "AF"}[code]:
            if half in here:
                bad.append(f"{label}: stack {stack + 1} cell {tier + 1} is already taken")
            here[half] = box
        boxes.append((box, stack, tier, code))

    for box in instance.loaded:
        stack, tier, position = box.position
        code = {"aft": 1, "fore": -1, "40": 0}[position]
        put(box, stack, tier, code, f"loaded container {box.index}")
    seen: set[int] = set()
    for number, entry in enumerate(plan.get("placements", [])):
        try:
            index = int(entry["container"])
            stack, tier, code = int(entry["stack"]) - 1, int(entry["cell"]) - 1, int(entry["for"])
        except (KeyError, TypeError, ValueError):
            bad.append(f"placement {number}: needs integer container, stack, cell and for")
            continue
        if not 0 <= index < len(instance.to_load):
            bad.append(f"placement {number}: there is no container {index} to load")
            continue
        if index in seen:
            bad.append(f"container {index} is placed twice")
            continue
        seen.add(index)
        put(instance.to_load[index], stack, tier, code, f"container {index}")
    rolled = {int(i) for i in plan.get("rolled_out", [])}
    for index in range(len(instance.to_load)):
        if index not in seen and index not in rolled:
            bad.append(f"container {index} is neither placed nor rolled out")
        if index in seen and index in rolled:
            bad.append(f"container {index} is placed and rolled out")

    def below_floor(stack: int, tier: int) -> bool:
        if tier == 0:
            return True
        cell = instance.stacks[stack].cells[tier - 1]
        return not (cell.aft or cell.fore or cell.forty)

    for _, stack, tier, code in boxes:
        if below_floor(stack, tier):
            continue
        under = halves.get((stack, tier - 1), {})
        if code == 0:
            if "A" not in under or "F" not in under:
                bad.append(
                    f"the 40' in stack {stack + 1} cell {tier + 1} does not stand on both ends"
                )
        else:
            half = "A" if code == 1 else "F"
            support = under.get(half)
            if support is None:
                bad.append(f"the 20' in stack {stack + 1} cell {tier + 1} hangs in the air")
            elif support.length == 40:
                bad.append(f"the 20' in stack {stack + 1} cell {tier + 1} stands on a 40'")

    for s, stack in enumerate(instance.stacks):
        on_stack = {id(box): box for box, bs, _, _ in boxes if bs == s}
        weight = sum(box.weight for box in on_stack.values())
        if weight > stack.max_weight:
            bad.append(f"stack {s + 1} weighs {weight} g, the limit is {stack.max_weight} g")
        for half, name in (("A", "aft"), ("F", "fore")):
            height = sum(
                halves[(s, t)][half].height
                for t in range(n_tiers)
                if half in halves.get((s, t), {})
            )
            if height > stack.max_height:
                bad.append(
                    f"stack {s + 1} {name} column is {height} cm high, the limit is "
                    f"{stack.max_height} cm"
                )

    reefer_waste = 0
    for box, stack, tier, code in boxes:
        cell = instance.stacks[stack].cells[tier]
        plug = {1: cell.aft_reefer, -1: cell.fore_reefer, 0: cell.aft_reefer or cell.fore_reefer}[
            code
        ]
        if box.reefer and not plug:
            bad.append(f"reefer in stack {stack + 1} cell {tier + 1} has no plug")
        if plug and not box.reefer:
            reefer_waste += 1

    dangerous = {(stack, tier) for box, stack, tier, _ in boxes if box.imo > 0}
    for stack, tier in sorted(dangerous):
        if (stack + 1, tier) in dangerous:
            bad.append(
                f"dangerous containers side by side in stacks {stack + 1} and {stack + 2}, "
                f"cell {tier + 1}"
            )

    overstow = 0
    for box, stack, tier, code in boxes:
        columns = {1: "A", -1: "F", 0: "AF"}[code]
        if any(
            halves[(stack, t)][half].pod < box.pod
            for t in range(tier)
            for half in columns
            if half in halves.get((stack, t), {})
        ):
            overstow += 1
    pods = used = 0
    for s in range(n_stacks):
        ports = {box.pod for box, bs, _, _ in boxes if bs == s}
        if ports:
            used += 1
            pods += len(ports) - 1
    components = {
        "overstow": overstow,
        "pods": pods,
        "stacks": used,
        "reefer": reefer_waste,
        "rollout": len(instance.to_load) - len(seen),
    }
    objective = sum(COST[name] * value for name, value in components.items())
    return Report(ok=not bad, violations=bad, objective=objective, components=components)
