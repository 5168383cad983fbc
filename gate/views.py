"""Gate pages (appointments and truck visits come with the gate issue)."""

from gate import selectors
from tos.core.choices import PositionKind, UnitCategory, UnitState
from tos.core.selectors import terminal_for_user, units_visible_to
from tos.web.pages import module_page, table


def _sections(request):
    terminal = terminal_for_user(request.user)
    advised = (
        units_visible_to(request.user)
        .filter(
            terminal=terminal,
            state=UnitState.ADVISED,
            category__in=[UnitCategory.EXPORT, UnitCategory.EMPTY, UnitCategory.STORAGE],
        )
        .exclude(position_kind=PositionKind.VESSEL)
    )
    return [
        table(
            "Lanes",
            ["Lane", "Direction", "OCR", "Open"],
            selectors.gate_lanes(terminal=terminal),
            lambda lane: [
                lane.name,
                lane.get_direction_display(),
                "yes" if lane.has_ocr else "no",
                "yes" if lane.is_open else "no",
            ],
        ),
        table(
            "Units expected by truck (first 50)",
            ["Container", "Type", "Category", "Line", "Booking", "POD"],
            advised[:50],
            lambda u: [
                u.container.number,
                u.container.iso_type,
                u.get_category_display(),
                u.line.code,
                u.booking_ref,
                u.pod,
            ],
            total=advised.count(),
        ),
    ]


index = module_page("Gate", "Lanes and the units announced for delivery by truck.", _sections)
