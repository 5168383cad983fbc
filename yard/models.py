"""Yard blocks: where containers are stacked (bays × rows × tiers)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from tos.core.models import Terminal
from yard.choices import BlockKind, Equipment


class YardBlock(models.Model):
    """A yard block of ``bays`` × ``rows`` stacks up to ``max_tier`` high. 20' boxes take one bay,
    40'/45' boxes two adjacent bays (even-bay notation)."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="yard_blocks")
    name = models.CharField(max_length=10)
    kind = models.CharField(max_length=10, choices=BlockKind.choices, default=BlockKind.DRY)
    equipment = models.CharField(max_length=16, choices=Equipment.choices, default=Equipment.RTG)
    bays = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    rows = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    max_tier = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    reefer_plugs_per_row = models.PositiveSmallIntegerField(default=0)
    x_m = models.IntegerField("plan x (m)", default=0)
    y_m = models.IntegerField("plan y (m)", default=0)
    orientation_deg = models.SmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["terminal", "name"]
        constraints = [
            models.UniqueConstraint(fields=["terminal", "name"], name="yard_block_name_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=BlockKind.values), name="yard_block_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind=BlockKind.REEFER) | Q(reefer_plugs_per_row__gt=0),
                name="yard_block_reefer_has_plugs",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def capacity_teu(self) -> int:
        return self.bays * self.rows * self.max_tier
