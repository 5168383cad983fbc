"""The yard's solver job: ``yard.relocation`` plans the shift moves of one bay with the pure
relocation solvers on the ``solvers`` queue (started by
:func:`yard.relocation.yard_relocation_job_start`, which puts the bay's layout and the retrieval
order or groups into the run's parameters). It solves with the run's time limit, replays the
result through the independent checker (:mod:`yard.solvers.check`), and writes the relocations
as planned yard moves through :func:`yard.relocation.yard_relocation_plan_save`. Progress and
the final state are the run's (``solver_run.*`` events); each planned move writes its own
``yard.move_planned`` event."""

from __future__ import annotations

from typing import Any

from tos.core.errors import ApplicationError
from tos.core.jobs import RunContext, register
from tos.core.models import SolverRun
from yard import relocation
from yard.models import YardBlock
from yard.solvers import brp, check, premarshalling


def _solve_brp(layout: list[list[int]], order: list[int], max_height: int, time_limit: float):
    result = brp.plan_relocations(
        layout, order, brp.Config(time_limit=time_limit), max_height=max_height
    )
    rank = {u: i + 1 for i, u in enumerate(order)}
    stay = len(order) + 1
    stacks = tuple(tuple(rank.get(u, stay) for u in s) for s in layout)
    instance = brp.Instance("bay", stacks, max_height, len(order))
    report = check.check_brp(brp.solution_json(instance, result))
    moves = [(m.kind, m.source, m.target) for m in result.moves]
    return result, report, moves


def _solve_premarshalling(
    layout: list[list[int]], groups: dict[int, int], max_height: int, time_limit: float
):
    stacks = [[groups[u] for u in s] for s in layout]
    result = premarshalling.plan_premarshalling(
        stacks, premarshalling.Config(time_limit=time_limit), max_height=max_height
    )
    instance = premarshalling.Instance("bay", tuple(tuple(s) for s in stacks), max_height)
    report = check.check_premarshalling(premarshalling.solution_json(instance, result))
    moves = [("relocate", m.source, m.target) for m in result.moves]
    return result, report, moves


@register(
    relocation.JOB_KIND,
    description="Plan the relocations of one yard bay (block relocation or pre-marshalling) "
    "and store them as planned shift moves.",
)
def relocate(ctx: RunContext) -> dict[str, Any]:
    p = ctx.params
    block = YardBlock.objects.get(pk=p["block_id"])
    layout: list[list[int]] = p["layout"]
    kind = p["kind"]
    time_limit = min(float(p.get("time_limit", relocation.DEFAULT_TIME_LIMIT)), 300.0)
    max_height = int(p["max_height"])
    boxes = sum(len(s) for s in layout)
    ctx.report(0.05, f"{kind}: {boxes} boxes in {len(layout)} rows, up to {max_height} high")
    if kind == relocation.BRP:
        result, report, moves = _solve_brp(layout, p["order"], max_height, time_limit)
    else:
        groups = {int(u): int(g) for u, g in p["groups"]}
        result, report, moves = _solve_premarshalling(layout, groups, max_height, time_limit)
    if result.objective is None:
        raise ApplicationError(
            "no_plan",
            f"The {kind} solver found no plan ({result.status}) in {time_limit:g} s"
            + (
                ": the bay is too full to dig out the boxes."
                if result.status == "infeasible"
                else "."
            ),
        )
    if not report.ok:
        raise ApplicationError(
            "plan_rejected", "The checker rejected the plan: " + "; ".join(report.violations[:3])
        )
    ctx.report(
        0.9,
        f"{result.status}: {result.objective} moves, checked",
        objective=result.objective,
        bound=result.bound,
    )
    steps = relocation.plan_steps(layout, moves)
    run = SolverRun.objects.select_related("requested_by").get(pk=ctx.run_id)
    planned = relocation.yard_relocation_plan_save(
        run=run,
        block=block,
        bay=p["bay"],
        layout=layout,
        steps=steps,
        minutes=p.get("minutes"),
        by=run.requested_by,
    )
    by_unit_seq = {(m.unit_id, m.sequence): m.pk for m in planned}
    out_steps = []
    sequence = 0
    for step in steps:
        row: dict[str, Any] = {
            "kind": step.kind,
            "unit": step.unit_id,
            "from": {"row": step.from_row, "tier": step.from_tier},
        }
        if step.kind == "relocate":
            sequence += 1
            row |= {
                "sequence": sequence,
                "to": {"row": step.to_row, "tier": step.to_tier},
                "move": by_unit_seq.get((step.unit_id, sequence)),
            }
        out_steps.append(row)
    return {
        "block": block.name,
        "bay": p["bay"],
        "kind": kind,
        "solver_status": result.status,
        "objective": result.objective,
        "bound": result.bound,
        "seconds": round(result.seconds, 3),
        "checked": True,
        "moves": [m.pk for m in planned],
        "order": p.get("order", []),
        "steps": out_steps,
    }
