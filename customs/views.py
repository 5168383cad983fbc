"""Customs pages (declarations and smart inspection come with the customs issue)."""

from tos.core.choices import HoldKind
from tos.core.selectors import holds_visible_to, terminal_for_user
from tos.web.pages import module_page, table


def _sections(request):
    terminal = terminal_for_user(request.user)
    holds = holds_visible_to(request.user).filter(
        terminal=terminal, kind=HoldKind.CUSTOMS, released_at__isnull=True
    )
    return [
        table(
            "Active customs holds (first 100)",
            ["Container", "Blocks", "Reason", "Reference", "Applied"],
            holds[:100],
            lambda h: [
                h.unit.container.number,
                ", ".join(h.blocked_events),
                h.reason,
                h.reference,
                h.applied_at,
            ],
            total=holds.count(),
        ),
    ]


index = module_page(
    "Customs", "Customs holds on units; release them through the API or admin.", _sections
)
