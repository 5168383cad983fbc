"""Choices of the gate app."""

from django.db import models


class LaneDirection(models.TextChoices):
    IN = "in", "In"
    OUT = "out", "Out"
    BOTH = "both", "In and out"
