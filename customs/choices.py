"""Choices of the customs app."""

from django.db import models


class DeclarationKind(models.TextChoices):
    IMPORT = "import", "Import"
    EXPORT = "export", "Export"
    TRANSIT = "transit", "Transit"


class DeclarationStatus(models.TextChoices):
    """Lifecycle of a declaration. ``held``: a customs hold blocks its units until an officer
    (or a CUSRES release) lifts it; ``released``: every unit may leave."""

    LODGED = "lodged", "Lodged"
    UNDER_REVIEW = "under_review", "Under review"
    HELD = "held", "Held"
    RELEASED = "released", "Released"
    CANCELLED = "cancelled", "Cancelled"


#: Statuses in which the declaration's units are held by customs.
DECLARATION_OPEN = (
    DeclarationStatus.LODGED,
    DeclarationStatus.UNDER_REVIEW,
    DeclarationStatus.HELD,
)


class SensorKind(models.TextChoices):
    RADIATION = "radiation", "Radiation portal monitor"
    NIR = "nir", "Near-infrared spectrometer"
    IMAGE = "image", "Image recognition"
    XRAY = "xray", "X-ray / NII scan"
    SEAL = "seal", "Smart container / e-seal"


class RiskLevel(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    EXAMINATION = "examination", "Physical examination ordered"
    SAMPLING = "sampling", "Sampling ordered"
    CLOSED = "closed", "Closed"


#: Case statuses that keep the subject in the inspection queue.
CASE_ACTIVE = (CaseStatus.OPEN, CaseStatus.EXAMINATION, CaseStatus.SAMPLING)


class DecisionAction(models.TextChoices):
    RELEASE = "release", "Release"
    HOLD = "hold", "Hold"
    EXAMINE = "examine", "Physical examination"
    SAMPLE = "sample", "Sampling order"


class DecisionSource(models.TextChoices):
    OFFICER = "officer", "Officer"
    SYSTEM = "system", "Risk engine (automatic)"
    API = "api", "Customs response (JSON)"
    CUSRES = "cusres", "Customs response (EDIFACT CUSRES)"


class LotStatus(models.TextChoices):
    DISCHARGING = "discharging", "Discharging"
    DISCHARGED = "discharged", "Discharged"
    HELD = "held", "Held"
    CLEARED = "cleared", "Cleared"
