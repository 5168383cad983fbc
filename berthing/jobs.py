"""The berth planner's solver job: ``berthing.optimise`` re-plans a draft berth plan with
:func:`berthing.solvers.plan.solve` on the ``solvers`` queue, streams each improving incumbent
to the planners' screens, and stores the result through
:func:`berthing.services.berth_plan_save_result` (which runs the independent checker first)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

from berthing import events, selectors, services
from berthing.models import BerthPlan
from berthing.solvers import plan as planner
from tos.core.jobs import RunCancelled, RunContext, register
from tos.core.models import SolverRun
from tos.core.realtime import event_record

#: Improving incumbents are streamed at most this often (seconds); heartbeats that carry the
#: same incumbent are not re-sent. The stored result replaces the last streamed one.
STREAM_EVERY = 0.5
MAX_TIME_LIMIT = 300.0
#: Event type of a streamed incumbent (topic ``berth``, staff only like every plan event):
#: ``{plan, run, objective, bound, seconds, placements: [{visit, start_m, end_m, berth_at,
#: depart_at}]}``.
INCUMBENT = "berth.incumbent"


@register(
    "berthing.optimise",
    description="Optimise a draft berth plan: berth times, quay positions and quay cranes.",
)
def optimise(ctx: RunContext) -> dict[str, Any]:
    plan = BerthPlan.objects.select_related("quay").get(pk=ctx.params["plan_id"])
    time_limit = min(float(ctx.params.get("time_limit", 10)), MAX_TIME_LIMIT)
    instance, mapping = selectors.plan_instance(plan)
    ctx.report(0.02, f"planning {len(instance.vessels)} vessels with {len(instance.cranes)} cranes")
    last_sent = [0.0]
    sent_objective: list[int | None] = [None]
    cancelled = [False]

    def on_progress(p: planner.Progress) -> bool:
        try:
            ctx.report(
                min(0.95, 0.05 + 0.9 * p.seconds / time_limit),
                "searching" if p.objective is None else "improving",
                objective=p.objective,
                bound=p.bound,
            )
        except RunCancelled:
            cancelled[0] = True
            return False
        now = time.monotonic()
        improved = p.objective is not None and p.objective != sent_objective[0]
        if p.assignments and improved and now - last_sent[0] >= STREAM_EVERY:
            last_sent[0] = now
            sent_objective[0] = p.objective
            event_record(
                terminal_id=plan.terminal_id,
                topic=events.TOPIC,
                type=INCUMBENT,
                payload={
                    "plan": plan.pk,
                    "run": ctx.run_id,
                    "objective": p.objective,
                    "bound": p.bound,
                    "seconds": round(p.seconds, 2),
                    "placements": [
                        {
                            "visit": mapping.visit_id(a.vessel),
                            "start_m": a.start_m,
                            "end_m": mapping.end_m(a.vessel, a.start_m),
                            "berth_at": mapping.moment(a.berth_min),
                            "depart_at": mapping.moment(a.depart_min),
                        }
                        for a in p.assignments
                    ],
                },
            )
        return True

    result = planner.solve(
        instance,
        time_limit=time_limit,
        workers=settings.TOS_SOLVER_WORKERS,
        on_progress=on_progress,
    )
    if cancelled[0]:
        raise RunCancelled
    run = SolverRun.objects.get(pk=ctx.run_id)
    services.berth_plan_save_result(plan=plan, result=result, mapping=mapping, run=run)
    return {
        "plan": plan.pk,
        "status": result.status,
        "objective": result.objective,
        "bound": result.bound,
        "seconds": round(result.seconds, 2),
        "components": result.components,
        "explanations": {
            str(mapping.visit_id(vessel)): sentences
            for vessel, sentences in result.explanations.items()
        },
        "vessels": len(result.assignments),
    }
