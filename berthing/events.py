"""Live events of berth planning (topic ``berth``), written by the services in their transaction
through :func:`tos.core.realtime.event_record` (DESIGN.md §5.6).

* ``berth.plan_changed`` — any change of a plan (created, moved, locked, solved, published,
  superseded). Planning work: recorded without a line, so only terminal staff receive it (agents'
  sockets get a ``skip``).
* ``berth.visit_rescheduled`` — on publish, for each visit whose berth time or place changed (or
  that is newly placed). Recorded with the visit's line, so that line's agents receive it.
* ``berth.visit_unplanned`` — on publish, for each visit the superseded plan placed and the new
  one does not. Also carries the line.
* ``berth.application_changed`` — a line's berth application was submitted or changed. Recorded
  with the visit's line: its agents and terminal staff receive it.

:func:`suppressed` is for bulk loaders only (``seed_demo`` writes a terminal's starting state, not
changes anybody watches, and records no live events at all).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from tos.core.realtime import Suppression, event_record

if TYPE_CHECKING:
    from berthing.models import BerthApplication, BerthAssignment, BerthPlan
    from tos.core.models import Event, User, VesselVisit

TOPIC = "berth"
PLAN_CHANGED = "berth.plan_changed"
VISIT_RESCHEDULED = "berth.visit_rescheduled"
VISIT_UNPLANNED = "berth.visit_unplanned"
APPLICATION_CHANGED = "berth.application_changed"

suppressed = Suppression("berth")


def _record(**kwargs: Any) -> Event | None:
    if suppressed.active:
        return None
    return event_record(**kwargs)


def _by(user: User | None) -> str | None:
    return user.username if user is not None else None


def plan_changed(*, plan: BerthPlan, change: str, by: User | None, **extra: Any) -> Event | None:
    """``{plan, quay, version, status, revision, change, objective, violations, by, ...}``;
    ``violations`` is the number of violations the checker found, ``extra`` adds detail (the
    assignment and visit a move touched, the plan a publish superseded)."""
    payload = {
        "plan": plan.pk,
        "quay": plan.quay_id,
        "version": plan.version,
        "status": plan.status,
        "revision": plan.revision,
        "change": change,
        "objective": plan.objective,
        "violations": len(plan.violations or []),
        "by": _by(by),
    } | extra
    return _record(terminal_id=plan.terminal_id, topic=TOPIC, type=PLAN_CHANGED, payload=payload)


def _placement(start_m: int, end_m: int, berth_at: datetime, depart_at: datetime) -> dict:
    return {"start_m": start_m, "end_m": end_m, "berth_at": berth_at, "depart_at": depart_at}


def _visit(visit: VesselVisit) -> dict[str, Any]:
    return {
        "visit": visit.pk,
        "reference": visit.reference,
        "vessel": visit.vessel.name,
        "line": visit.line.code,
    }


def visit_rescheduled(
    *,
    plan: BerthPlan,
    assignment: BerthAssignment,
    previous: BerthAssignment | None,
    by: User | None,
) -> Event | None:
    """``{plan, visit, reference, vessel, line, quay, start_m, end_m, berth_at, depart_at,
    previous: {start_m, end_m, berth_at, depart_at} | null, by}`` for the visit's line."""
    visit = assignment.vessel_visit
    payload = {
        "plan": plan.pk,
        **_visit(visit),
        "quay": plan.quay.name,
        **_placement(
            assignment.start_m, assignment.end_m, assignment.berth_at, assignment.depart_at
        ),
        "previous": None
        if previous is None
        else _placement(previous.start_m, previous.end_m, previous.berth_at, previous.depart_at),
        "by": _by(by),
    }
    return _record(
        terminal_id=plan.terminal_id,
        topic=TOPIC,
        type=VISIT_RESCHEDULED,
        payload=payload,
        line_id=visit.line_id,
    )


def visit_unplanned(*, plan: BerthPlan, previous: BerthAssignment, by: User | None) -> Event | None:
    """``{plan, visit, reference, vessel, line, previous: {...}, by}`` for the visit's line."""
    visit = previous.vessel_visit
    payload = {
        "plan": plan.pk,
        **_visit(visit),
        "previous": _placement(
            previous.start_m, previous.end_m, previous.berth_at, previous.depart_at
        ),
        "by": _by(by),
    }
    return _record(
        terminal_id=plan.terminal_id,
        topic=TOPIC,
        type=VISIT_UNPLANNED,
        payload=payload,
        line_id=visit.line_id,
    )


def application_changed(
    *, application: BerthApplication, change: str, by: User | None
) -> Event | None:
    """``{application, visit, reference, vessel, line, change, requested_arrival,
    requested_departure, expected_discharge_moves, expected_load_moves, remarks, revision, by}``
    for the visit's line; ``change`` is ``submitted`` (a new application) or ``updated``."""
    visit = application.vessel_visit
    payload = {
        "application": application.pk,
        **_visit(visit),
        "change": change,
        "requested_arrival": application.requested_arrival,
        "requested_departure": application.requested_departure,
        "expected_discharge_moves": application.expected_discharge_moves,
        "expected_load_moves": application.expected_load_moves,
        "remarks": application.remarks,
        "revision": application.revision,
        "by": _by(by),
    }
    return _record(
        terminal_id=visit.terminal_id,
        topic=TOPIC,
        type=APPLICATION_CHANGED,
        payload=payload,
        line_id=visit.line_id,
    )
