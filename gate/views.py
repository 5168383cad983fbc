"""Gate pages: the live gate screen for terminal staff (``static/js/gate_screen.js``), the module
overview (lanes and announced units) for everyone else."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

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


overview = module_page("Gate", "Lanes and the units announced for delivery by truck.", _sections)


@login_required
def index(request):
    """Terminal staff get the live gate screen: lanes, the queue, trucks in the terminal with
    their wait and turn times, refusals and counters, following the ``gate`` events. Lines,
    agents and hauliers get the overview."""
    if not request.user.is_terminal_staff:
        return overview(request)
    terminal = terminal_for_user(request.user)
    lanes = selectors.gate_lanes(terminal=terminal).order_by("name") if terminal else []
    return render(request, "gate/screen.html", {"terminal": terminal, "lanes": lanes})
