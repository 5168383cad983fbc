"""Reads of the berthing app."""

from django.db.models import QuerySet

from berthing.models import BerthSection, QuayCrane
from tos.core.models import Terminal


def berth_sections(*, terminal: Terminal | None) -> QuerySet[BerthSection]:
    return BerthSection.objects.filter(quay__terminal=terminal).select_related("quay")


def quay_cranes(*, terminal: Terminal | None) -> QuerySet[QuayCrane]:
    return QuayCrane.objects.filter(quay__terminal=terminal).select_related("quay")
