"""Choices of the berthing app."""

from django.db import models


class OutageKind(models.TextChoices):
    MAINTENANCE = "maintenance", "Planned maintenance"
    BREAKDOWN = "breakdown", "Breakdown"


class LinePriority(models.TextChoices):
    """How the terminal ranks a line when berths are scarce (a label; the weights decide)."""

    STANDARD = "standard", "Standard"
    PRIORITY = "priority", "Priority"
    STRATEGIC = "strategic", "Strategic partner"


class BerthPlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded"


class BerthPlanSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    SOLVER = "solver", "Solver"
    COPY = "copy", "Copy of another plan"


class BerthPlanChange(models.TextChoices):
    """What a ``berth.plan_changed`` event reports."""

    CREATED = "created", "Draft created"
    MOVED = "moved", "Vessel moved"
    LOCKED = "locked", "Vessel locked"
    UNLOCKED = "unlocked", "Vessel unlocked"
    SOLVED = "solved", "Solver result stored"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded"
