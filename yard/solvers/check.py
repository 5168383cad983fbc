"""Independent checkers for relocation plans. They read only the solution JSON (the bay, its
height limit and the move list written by :func:`yard.solvers.brp.solution_json` or
:func:`yard.solvers.premarshalling.solution_json`) and replay it move by move; they share no code
with the solvers.

* :func:`check_brp`: every move takes the top box of a stack that holds it, a stack never grows
  above ``max_height``, boxes ``1..retrieve`` are retrieved in that order and no other box is,
  all of them are gone at the end, a ``relocate`` only moves a box above the current target
  (restricted variant; pass ``restricted=False`` to allow any box) and never onto the stack it
  came from; the objective is the number of ``relocate`` moves.
* :func:`check_premarshalling`: every move takes a top box to another stack with room, and at the
  end no box sits above a box with a smaller value; the objective is the number of moves.

Both take an optional ``instance`` (stacks, height limit) to compare the solution's copy of the
bay with the benchmark file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CheckReport:
    violations: list[str]
    objective: int

    @property
    def ok(self) -> bool:
        return not self.violations


def _bay(solution: dict, instance: Any, violations: list[str]) -> tuple[list[list[int]], int]:
    stacks = [[int(c) for c in s] for s in solution.get("stacks", [])]
    hmax = int(solution.get("max_height", 0))
    if instance is not None:
        if [list(s) for s in instance.stacks] != stacks:
            violations.append("the solution's bay differs from the instance")
            stacks = [list(s) for s in instance.stacks]
        if instance.max_height != hmax:
            violations.append(
                f"max_height {hmax} differs from the instance's {instance.max_height}"
            )
            hmax = instance.max_height
    for s, st in enumerate(stacks):
        if len(st) > hmax:
            violations.append(f"stack {s} starts with {len(st)} boxes, above {hmax}")
    return stacks, hmax


def _take(stacks: list[list[int]], i: int, row: dict, violations: list[str]) -> int | None:
    source = row.get("from")
    if not isinstance(source, int) or not 0 <= source < len(stacks):
        violations.append(f"move {i}: no stack {source!r}")
        return None
    if not stacks[source]:
        violations.append(f"move {i}: stack {source} is empty")
        return None
    top = stacks[source][-1]
    if "box" in row and row["box"] != top:
        where = [s for s, st in enumerate(stacks) if row["box"] in st]
        buried = f" (buried in stack {where[0]})" if where else ""
        violations.append(
            f"move {i}: box {row['box']}{buried} is not on top of stack {source} (box {top} is)"
        )
        return None
    return stacks[source].pop()


def _put(
    stacks: list[list[int]], hmax: int, i: int, row: dict, box: int, violations: list[str]
) -> bool:
    target = row.get("to")
    if not isinstance(target, int) or not 0 <= target < len(stacks):
        violations.append(f"move {i}: no stack {target!r} to put box {box} on")
        return False
    if target == row["from"]:
        violations.append(f"move {i}: box {box} is put back onto stack {target}")
        return False
    if len(stacks[target]) >= hmax:
        violations.append(f"move {i}: stack {target} is full ({hmax} boxes), box {box} cannot go")
        return False
    stacks[target].append(box)
    return True


def check_brp(solution: dict, instance: Any = None, *, restricted: bool = True) -> CheckReport:
    violations: list[str] = []
    stacks, hmax = _bay(solution, instance, violations)
    last = int(solution.get("retrieve", sum(len(s) for s in stacks)))
    if instance is not None and instance.retrieve != last:
        violations.append(f"retrieve {last} differs from the instance's {instance.retrieve}")
        last = instance.retrieve
    target = 1
    relocations = 0
    for i, row in enumerate(solution.get("moves", [])):
        if violations:
            break
        kind = row.get("kind")
        if kind not in ("relocate", "retrieve"):
            violations.append(f"move {i}: unknown kind {kind!r}")
            break
        box = _take(stacks, i, row, violations)
        if box is None:
            break
        if kind == "retrieve":
            if box != target or target > last:
                violations.append(
                    f"move {i}: retrieves box {box} but the next box to leave is "
                    f"{target if target <= last else 'none'}"
                )
                break
            target += 1
            continue
        if target > last:
            violations.append(f"move {i}: relocates box {box} after every retrieval")
            break
        if restricted and target not in stacks[row["from"]]:
            violations.append(
                f"move {i}: box {box} is not above the target box {target} (restricted BRP)"
            )
            break
        if not _put(stacks, hmax, i, row, box, violations):
            break
        relocations += 1
    if not violations and target <= last:
        violations.append(f"box {target} and later ones are never retrieved")
    objective = solution.get("objective")
    if objective is not None and int(objective) != relocations and not violations:
        violations.append(f"objective {objective} differs from the {relocations} relocations")
    return CheckReport(violations, relocations)


def badly_placed(stacks: list[list[int]]) -> list[tuple[int, int]]:
    """(stack, tier) of every box above a box with a smaller value."""
    out = []
    for s, st in enumerate(stacks):
        low = None
        for tier, box in enumerate(st):
            if low is not None and box > low:
                out.append((s, tier))
            low = box if low is None else min(low, box)
    return out


def check_premarshalling(solution: dict, instance: Any = None) -> CheckReport:
    violations: list[str] = []
    stacks, hmax = _bay(solution, instance, violations)
    moves = 0
    for i, row in enumerate(solution.get("moves", [])):
        if violations:
            break
        box = _take(stacks, i, row, violations)
        if box is None or not _put(stacks, hmax, i, row, box, violations):
            break
        moves += 1
    if not violations:
        bad = badly_placed(stacks)
        if bad:
            s, tier = bad[0]
            violations.append(
                f"{len(bad)} boxes are still badly placed at the end, e.g. box {stacks[s][tier]} "
                f"in stack {s} tier {tier}"
            )
    objective = solution.get("objective")
    if objective is not None and int(objective) != moves and not violations:
        violations.append(f"objective {objective} differs from the {moves} moves")
    return CheckReport(violations, moves)
