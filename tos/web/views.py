"""Home dashboard."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from tos.core import selectors
from tos.core.api.serializers import EventSerializer


@login_required
def home(request: Any) -> Any:
    """The terminal's live numbers and event feed; the page keeps itself current over the
    WebSocket (static/js/dashboard.js on static/js/live.js)."""
    terminal = selectors.terminal_for_user(request.user)
    summary = selectors.terminal_summary(terminal=terminal, user=request.user) if terminal else None
    events = []
    if terminal is not None:
        events = EventSerializer(
            selectors.events_visible_to(request.user, terminal).order_by("-seq")[:25], many=True
        ).data
    for event in events:
        payload = event["payload"] or {}
        event["desc"] = (
            payload.get("container") or payload.get("reference") or payload.get("kind", "")
        )
    return render(
        request, "web/home.html", {"terminal": terminal, "summary": summary, "events": events}
    )
