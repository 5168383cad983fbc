"""Reads of the gate app."""

from django.db.models import QuerySet

from gate.models import GateLane
from tos.core.models import Terminal


def gate_lanes(*, terminal: Terminal | None) -> QuerySet[GateLane]:
    return GateLane.objects.filter(terminal=terminal)
