"""Stowage pages (bay plans and the load planner come with the stowage issue)."""

from django.db.models import Count, Q

from tos.core.choices import VISIT_EXPECTED, VISIT_IN_PORT, UnitState
from tos.core.selectors import terminal_for_user, vessel_visits_visible_to
from tos.web.pages import module_page, table


def _sections(request):
    terminal = terminal_for_user(request.user)
    visits = (
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
    return [
        table(
            "Vessel visits to plan",
            [
                "Visit",
                "Vessel",
                "TEU capacity",
                "Phase",
                "ETA",
                "Discharge (expected)",
                "Units aboard for us",
                "Load (expected)",
                "Export units in yard",
            ],
            visits,
            lambda v: [
                v.reference,
                v.vessel.name,
                v.vessel.teu_capacity,
                v.get_phase_display(),
                v.eta,
                v.expected_discharge_moves,
                v.on_board,
                v.expected_load_moves,
                v.to_load,
            ],
        ),
    ]


index = module_page(
    "Stowage planning", "Vessel visits with their discharge and load work.", _sections
)
