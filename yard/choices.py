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


class MoveStatus(models.TextChoices):
    """A yard move is planned (its target slot reserved), then confirmed or cancelled."""

    PLANNED = "planned", "Planned"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"


class MoveKind(models.TextChoices):
    """Why a box moves into or within the yard."""

    DISCHARGE = "discharge", "Discharge (vessel to yard)"
    RECEIVAL = "receival", "Gate receival (truck to yard)"
    SHIFT = "shift", "Shift within the yard"
    RELOCATION = "relocation", "Relocation (rehandle to reach another box)"
    HOUSEKEEPING = "housekeeping", "Housekeeping (pre-marshalling)"


class Origin(models.TextChoices):
    """Where an incoming box comes from, for the travel distance of yard allocation."""

    BERTH = "berth", "Berth (discharge)"
    GATE = "gate", "Gate (receival)"


#: Container lengths the yard stacks, and the slot each takes: a 20' box one (odd) bay, a 40' or
#: 45' box the even bay between two odd ones.
STACKABLE_LENGTHS = (20, 40, 45)
