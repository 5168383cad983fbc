"""The stowage planner's solver job: ``stowage.plan`` plans a visit's departure plan with
:func:`stowage.solvers.planner.solve` on the ``solvers`` queue. Progress goes through the run
(``solver_run.progress`` events, which the bay-plan page shows); the result is replayed through
the independent checker and saved by :func:`stowage.services.departure_plan_from_result` only
when it finds no violation (otherwise the run fails with ``plan_rejected`` and the previous
departure plan stays)."""

from __future__ import annotations

from typing import Any

from stowage import selectors, services
from tos.core.jobs import RunCancelled, RunContext, register
from tos.core.models import SolverRun, VesselVisit

JOB_KIND = "stowage.plan"
DEFAULT_TIME_LIMIT = 10.0
MAX_TIME_LIMIT = 300.0


def _solve(instance: Any, *, time_limit: float, progress: Any) -> Any:
    """The planner (a seam for tests that need a result of their own)."""
    from django.conf import settings

    from stowage.solvers import planner

    return planner.solve(
        instance, time_limit=time_limit, progress=progress, workers=settings.TOS_SOLVER_WORKERS
    )


@register(
    JOB_KIND,
    description="Plan a vessel visit's departure stowage: load list and boxes remaining on "
    "board into the vessel profile, checked before it is saved.",
)
def plan(ctx: RunContext) -> dict[str, Any]:
    visit = VesselVisit.objects.select_related("terminal", "vessel").get(pk=ctx.params["visit_id"])
    time_limit = min(float(ctx.params.get("time_limit", DEFAULT_TIME_LIMIT)), MAX_TIME_LIMIT)
    rotation = tuple(ctx.params.get("rotation") or ())
    instance, mapping = selectors.plan_instance(visit, rotation=rotation)
    ctx.report(
        0.02,
        f"planning {len(instance.load)} boxes to load and {len(instance.remain)} on board, "
        f"ports {' → '.join(mapping.rotation) or '–'}",
    )
    cancelled = [False]

    def progress(fraction: float, message: str = "") -> bool:
        if cancelled[0]:
            return False
        try:
            ctx.report(0.05 + 0.85 * max(0.0, min(1.0, float(fraction))), message)
        except RunCancelled:
            cancelled[0] = True
            return False
        return True

    result = _solve(instance, time_limit=time_limit, progress=progress)
    if cancelled[0]:
        raise RunCancelled
    ctx.report(0.92, f"{result.status}: checking {len(result.placements)} placements")
    run = SolverRun.objects.select_related("requested_by").get(pk=ctx.run_id)
    saved = services.departure_plan_from_result(
        visit=visit,
        instance=instance,
        mapping=mapping,
        result=result,
        by=run.requested_by,
        run=run,
    )
    return {
        "vessel_visit": visit.pk,
        "revision": saved.revision,
        "checked": True,
        **saved.summary,
    }
