"""Berth planning pages: the overview and the live time-space planner."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from berthing import selectors
from berthing.models import BerthSection
from tos.core.selectors import terminal_for_user, vessel_visits_visible_to
from tos.web.pages import module_page, table


def _sections(request):
    terminal = terminal_for_user(request.user)
    now = timezone.now()
    visits = (
        vessel_visits_visible_to(request.user)
        .filter(terminal=terminal, etd__gte=now, eta__lte=now + timedelta(days=7))
        .exclude(phase__in=["cancelled", "closed", "departed"])
        .select_related("berth_application")
    )
    return [
        table(
            "Vessel visits, next 7 days",
            [
                "Visit",
                "Vessel",
                "Line",
                "LOA (m)",
                "Phase",
                "ETA",
                "ETB",
                "ETD",
                "Requested departure",
                "Moves",
            ],
            visits,
            lambda v: [
                v.reference,
                v.vessel.name,
                v.line.code,
                v.vessel.loa_m,
                v.get_phase_display(),
                v.eta,
                v.etb,
                v.etd,
                selectors.requested_departure(v),
                sum(selectors.visit_expected_moves(v)),
            ],
        ),
        table(
            "Quay and berth sections",
            ["Quay", "Section", "From (m)", "To (m)", "Depth (m)"],
            selectors.berth_sections(terminal=terminal),
            lambda s: [s.quay.name, s.name, s.start_m, s.end_m, s.depth_m],
        ),
        table(
            "Quay cranes",
            ["Crane", "Rail order", "Range (m)", "Outreach (rows)", "GMPH", "Available"],
            selectors.quay_cranes(terminal=terminal),
            lambda c: [
                c.name,
                c.rail_order,
                f"{c.min_position_m}–{c.max_position_m}",
                c.outreach_rows,
                c.gross_moves_per_hour,
                "yes" if c.is_available else "no",
            ],
        ),
    ]


index = module_page(
    "Berth planning",
    "Vessel visits, quay geometry and quay cranes.",
    _sections,
    actions=[("berthing:planner", "Open the berth planner")],
)


@login_required
def planner(request):
    """The time × quay-metre berth planner (terminal staff)."""
    if not request.user.is_terminal_staff:
        raise PermissionDenied("The berth planner is for terminal staff; lines use the API.")
    terminal = terminal_for_user(request.user)
    quays = list(selectors.quays(terminal=terminal).values("id", "name", "length_m"))
    for quay in quays:
        quay["sections"] = list(
            BerthSection.objects.filter(quay_id=quay["id"]).values("name", "start_m", "end_m")
        )
    return render(
        request,
        "berthing/planner.html",
        {
            "terminal": terminal,
            "seq": terminal.event_seq if terminal else 0,
            "quays": quays,
        },
    )
