"""Choices of the yard app."""

from django.db import models


class BlockKind(models.TextChoices):
    DRY = "dry", "Dry"
    REEFER = "reefer", "Reefer"
    DANGEROUS = "dangerous", "Dangerous goods"
    EMPTY = "empty", "Empties"
    OOG = "oog", "Out of gauge"


class Equipment(models.TextChoices):
    RTG = "rtg", "RTG"
    RMG = "rmg", "RMG"
    STRADDLE = "straddle", "Straddle carrier"
    REACH_STACKER = "reach_stacker", "Reach stacker"
