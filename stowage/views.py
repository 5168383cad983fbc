"""Stowage pages: the visits to plan, EDI upload with its validation report, downloads per visit,
and per visit the bay plan page (ship profile, bay cross-sections, planner, drag to move)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render

from stowage import selectors, services
from stowage.choices import EdiMessageType
from tos.core.choices import VISIT_EXPECTED, VISIT_IN_PORT, UnitState
from tos.core.errors import ApplicationError
from tos.core.selectors import terminal_for_user, vessel_visits_visible_to


def _visits(request: Any):
    terminal = terminal_for_user(request.user)
    return (
        vessel_visits_visible_to(request.user)
        .filter(terminal=terminal, phase__in=[*VISIT_EXPECTED, *VISIT_IN_PORT])
        .annotate(
            on_board=Count(
                "inbound_units", filter=Q(inbound_units__state=UnitState.INBOUND), distinct=True
            ),
            to_load=Count(
                "outbound_units",
                filter=Q(outbound_units__state=UnitState.ON_TERMINAL),
                distinct=True,
            ),
        )
    )


def _receive(request: Any) -> dict[str, Any]:
    """Run one upload from the form; the outcome as the template shows it."""
    file = request.FILES.get("file")
    if file is None:
        return {"error": {"code": "validation_error", "message": "Choose a file to upload."}}
    visit = None
    if request.POST.get("vessel_visit"):
        visit = (
            vessel_visits_visible_to(request.user).filter(pk=request.POST["vessel_visit"]).first()
            if request.POST["vessel_visit"].isdigit()
            else None
        )
        if visit is None:
            return {"error": {"code": "not_found", "message": "No such vessel visit."}}
    if file.size > services.EDI_MAX_BYTES:
        return {
            "error": {
                "code": "edi_too_large",
                "message": f"The file has {file.size} bytes; at most {services.EDI_MAX_BYTES}.",
            }
        }
    try:
        outcome = services.edi_upload_receive(
            terminal=visit.terminal if visit else terminal_for_user(request.user),
            data=file.read(),
            by=request.user,
            message_type=request.POST.get("message_type") or None,
            strict=request.POST.get("strict") == "on",
            vessel_visit=visit,
            filename=file.name or "",
        )
    except ApplicationError as exc:
        return {
            "error": {"code": exc.code, "message": exc.message},
            "report": exc.details.get("report"),
        }
    upload = outcome.upload
    return {
        "upload": upload,
        "replayed": outcome.replayed,
        "report": upload.report,
        "result": upload.result,
    }


@login_required
def index(request: Any) -> Any:
    outcome: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        outcome = _receive(request)
        status = 400 if "error" in outcome else 200
    visits = list(_visits(request))
    return render(
        request,
        "stowage/index.html",
        {
            "title": "Stowage planning",
            "visits": visits,
            "message_types": EdiMessageType.choices,
            "uploads": selectors.edi_uploads_visible_to(request.user)[:10],
            "outcome": outcome,
        },
        status=status,
    )


@login_required
def visit_plan(request: Any, pk: int) -> Any:
    """The bay plan page of one visit: ship profile, bay cross-sections, colour modes, the
    planner button and drag-to-move (terminal staff), live updates. Agents see their own lines'
    visits read-only; another line's visit is a 404."""
    visit = get_object_or_404(
        vessel_visits_visible_to(request.user).select_related("vessel", "terminal", "line"), pk=pk
    )
    terminal = visit.terminal
    return render(
        request,
        "stowage/visit.html",
        {
            "title": f"Bay plan {visit.reference}",
            "visit": visit,
            "terminal": terminal,
            "seq": terminal.event_seq,
            "page_data": {
                "visit": visit.pk,
                "reference": visit.reference,
                "vessel": visit.vessel.name,
                "port": terminal.locode,
                "terminal": terminal.pk,
                "can_edit": bool(request.user.is_terminal_staff),
                "has_profile": selectors.vessel_profile_get(visit=visit) is not None,
                "plans": sorted(visit.stowage_plans.values_list("kind", flat=True)),
            },
        },
    )
