"""Yard pages: the module index and the live yard map."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from tos.core.selectors import terminal_for_user
from tos.web.pages import module_page, table
from yard import selectors


def _sections(request):
    terminal = terminal_for_user(request.user)
    fill = selectors.yard_block_fill(terminal=terminal)

    def block_row(b):
        used = fill.get(b.name, {"units": 0, "teu": 0})
        pct = round(100 * used["teu"] / b.capacity_teu) if b.capacity_teu else 0
        return [
            b.name,
            b.get_kind_display(),
            b.get_equipment_display(),
            f"{b.bays}×{b.rows}×{b.max_tier}",
            b.capacity_teu,
            used["units"],
            used["teu"],
            f"{pct} %",
        ]

    return [
        table(
            "Yard blocks",
            [
                "Block",
                "Kind",
                "Equipment",
                "Bays×rows×tiers",
                "Capacity (TEU)",
                "Units",
                "TEU",
                "Fill",
            ],
            selectors.yard_blocks(terminal=terminal),
            block_row,
        ),
        table(
            "Units on terminal",
            ["Category", "Units", "Reefers", "Dangerous goods"],
            selectors.units_on_terminal_by_category(terminal=terminal),
            lambda r: [r["category"], r["units"], r["reefers"], r["dangerous"]],
        ),
    ]


index = module_page(
    "Yard",
    "Blocks, their capacity and fill, and the units stacked in them.",
    _sections,
    actions=[("yard:map", "Open the live yard map")],
)


@login_required
def yard_map(request):
    """The live yard map (terminal staff): the page loads the snapshot and follows the events
    itself (``static/js/yard_map.js``)."""
    if not request.user.is_terminal_staff:
        raise PermissionDenied("The yard map is for terminal staff; lines use the API.")
    terminal = terminal_for_user(request.user)
    return render(request, "yard/map.html", {"terminal": terminal})
