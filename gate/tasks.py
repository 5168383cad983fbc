"""Celery tasks of the gate (thin wrappers over the services, DESIGN.md §4)."""

from __future__ import annotations

from celery import shared_task

from gate.services import appointments_mark_no_shows
from tos.core.models import Terminal


@shared_task(name="gate.appointments_mark_no_shows")
def appointments_mark_no_shows_task() -> dict[str, int]:
    """Mark every booked appointment whose check-in window has closed as a no-show, terminal by
    terminal (each in its own transaction). Scheduled by Celery beat every five minutes; running
    it twice marks nothing twice. Returns the count per terminal code (UN/LOCODE)."""
    counts: dict[str, int] = {}
    for terminal in Terminal.objects.order_by("pk"):
        counts[terminal.locode] = appointments_mark_no_shows(terminal=terminal)
    return counts
