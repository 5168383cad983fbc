"""Gate lanes (appointments and truck visits come with the gate issue)."""

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from gate.choices import LaneDirection
from tos.core.models import Terminal


class GateLane(models.Model):
    """A truck lane at the gate, with or without an OCR portal."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="gate_lanes")
    name = models.CharField(max_length=20)
    direction = models.CharField(max_length=4, choices=LaneDirection.choices)
    has_ocr = models.BooleanField(default=True)
    is_open = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["terminal", "name"]
        constraints = [
            models.UniqueConstraint(fields=["terminal", "name"], name="gate_lane_name_unique"),
            models.CheckConstraint(
                condition=Q(direction__in=LaneDirection.values), name="gate_lane_direction_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_direction_display()})"
