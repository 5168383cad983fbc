"""Customs pages: the inspection console for customs officers; for everyone else the customs
holds they may see (agents: their own lines')."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from customs.selectors import user_is_customs
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


holds_page = module_page(
    "Customs",
    "Customs holds on your units; the status API tells whether a box is released.",
    _sections,
)


@login_required
def index(request):
    """The inspection console (ranked queue, evidence, decisions) for customs users."""
    if not user_is_customs(request.user):
        return holds_page(request)
    terminal = terminal_for_user(request.user)
    return render(request, "customs/console.html", {"terminal": terminal})
