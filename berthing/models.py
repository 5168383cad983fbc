"""Quay geometry: a continuous quay in metres with named berth sections, and its quay cranes."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from tos.core.models import Terminal


class Quay(models.Model):
    """A continuous quay wall; positions along it are metres from its start."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="quays")
    name = models.CharField(max_length=60)
    length_m = models.PositiveIntegerField(
        validators=[MinValueValidator(50), MaxValueValidator(10000)]
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["terminal", "name"]
        constraints = [
            models.UniqueConstraint(fields=["terminal", "name"], name="quay_name_unique"),
            models.CheckConstraint(condition=Q(length_m__gt=0), name="quay_length_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.length_m} m)"


class BerthSection(models.Model):
    """A named stretch of the quay with its water depth and bollard marks."""

    quay = models.ForeignKey(Quay, on_delete=models.CASCADE, related_name="sections")
    name = models.CharField(max_length=30)
    start_m = models.PositiveIntegerField()
    end_m = models.PositiveIntegerField()
    depth_m = models.DecimalField(
        max_digits=4, decimal_places=1, validators=[MinValueValidator(2), MaxValueValidator(30)]
    )
    first_bollard = models.PositiveSmallIntegerField(default=1)
    bollard_spacing_m = models.PositiveSmallIntegerField(default=25)
    history = HistoricalRecords()

    class Meta:
        ordering = ["quay", "start_m"]
        constraints = [
            models.UniqueConstraint(fields=["quay", "name"], name="berth_section_name_unique"),
            models.CheckConstraint(
                condition=Q(end_m__gt=F("start_m")), name="berth_section_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.start_m}–{self.end_m} m, {self.depth_m} m deep)"


class QuayCrane(models.Model):
    """A ship-to-shore crane on the quay's rails; cranes keep their rail order (no crossing)."""

    quay = models.ForeignKey(Quay, on_delete=models.CASCADE, related_name="cranes")
    name = models.CharField(max_length=20)
    rail_order = models.PositiveSmallIntegerField()
    min_position_m = models.PositiveIntegerField(default=0)
    max_position_m = models.PositiveIntegerField()
    outreach_rows = models.PositiveSmallIntegerField(default=22)
    gross_moves_per_hour = models.PositiveSmallIntegerField(
        default=28, validators=[MinValueValidator(5), MaxValueValidator(80)]
    )
    is_available = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["quay", "rail_order"]
        constraints = [
            models.UniqueConstraint(fields=["quay", "name"], name="quay_crane_name_unique"),
            models.UniqueConstraint(
                fields=["quay", "rail_order"], name="quay_crane_rail_order_unique"
            ),
            models.CheckConstraint(
                condition=Q(max_position_m__gt=F("min_position_m")), name="quay_crane_range_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name
