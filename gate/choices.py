"""Choices of the gate app."""

from django.db import models


class LaneDirection(models.TextChoices):
    IN = "in", "In"
    OUT = "out", "Out"
    BOTH = "both", "In and out"


class TransactionType(models.TextChoices):
    """What a truck comes to do with one container."""

    DROP_OFF_EXPORT = "drop_off_export", "Drop-off export"
    PICK_UP_IMPORT = "pick_up_import", "Pick-up import"
    EMPTY_RETURN = "empty_return", "Empty return"
    EMPTY_PICK_UP = "empty_pick_up", "Empty pick-up"


#: Transactions that bring a box into the terminal (it needs a yard position).
RECEIVALS = (TransactionType.DROP_OFF_EXPORT, TransactionType.EMPTY_RETURN)
#: Transactions that take a box out (it passes the holds engine's gate-out check).
DELIVERIES = (TransactionType.PICK_UP_IMPORT, TransactionType.EMPTY_PICK_UP)


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


class PreAdviceStatus(models.TextChoices):
    OPEN = "open", "Open"
    USED = "used", "Used at the gate"
    CANCELLED = "cancelled", "Cancelled"


class TruckVisitStatus(models.TextChoices):
    ACCEPTED = "accepted", "In terminal"
    REFUSED = "refused", "Refused at gate-in"
    DEPARTED = "departed", "Departed"


class PositionStatus(models.TextChoices):
    """The yard position a gate transaction got."""

    NONE = "", "Not applicable"
    ALLOCATED = "allocated", "Allocated (yard move planned)"
    NO_POSITION_YET = "no_position_yet", "No position yet"
    IN_YARD = "in_yard", "Stands in the yard"


class DecidedBy(models.TextChoices):
    """Who decided a gate transaction. ``system``: the automatic validation (OCR portal or API
    call, no person involved); ``clerk``: a person entered or corrected it (manual entry at the
    clerk form, a lane without OCR, or a gate-out confirmed by hand)."""

    SYSTEM = "system", "Automatic"
    CLERK = "clerk", "Gate clerk"


class GateDirection(models.TextChoices):
    GATE_IN = "gate_in", "Gate-in"
    GATE_OUT = "gate_out", "Gate-out"
