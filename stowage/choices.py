"""Choices of the stowage app."""

from django.db import models


class EdiMessageType(models.TextChoices):
    BAPLIE = "BAPLIE", "BAPLIE (bay plan)"
    COPRAR = "COPRAR", "COPRAR (load/discharge orders)"
    MOVINS = "MOVINS", "MOVINS (stowage instructions)"
    VERMAS = "VERMAS", "VERMAS (verified gross mass)"
    COARRI = "COARRI", "COARRI (executed discharge/load)"


class ProfileSource(models.TextChoices):
    BAPLIE = "baplie", "Inferred from a BAPLIE"
    ADMIN = "admin", "Entered in admin"


class PlanKind(models.TextChoices):
    ARRIVAL = "arrival", "Arrival (as the vessel comes in)"
    DEPARTURE = "departure", "Departure (as the vessel leaves)"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    FINAL = "final", "Final"


class CellMove(models.TextChoices):
    """What happens to the box in the cell at this call."""

    REMAIN = "remain", "Remains on board"
    DISCHARGE = "discharge", "Discharge"
    LOAD = "load", "Load"
    RESTOW = "restow", "Restow"


class ListKind(models.TextChoices):
    LOAD = "load", "Load list"
    DISCHARGE = "discharge", "Discharge list"


class ListSource(models.TextChoices):
    BAPLIE = "baplie", "Arrival BAPLIE"
    COPRAR = "coprar", "COPRAR"
    YARD = "yard", "Export units in the yard"
