"""Customs: declarations and their units, bulk cargo lots, sensor readings, risk assessments,
the inspection queue and the audit trail of decisions.

A declaration holds its units through the core holds engine (``tos.core.services.hold_apply``
with kind ``customs`` and the declaration's reference), so gate-out and loading ask one place.
Decisions are immutable audit rows: who, when, what and why.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from customs.choices import (
    CaseStatus,
    DecisionAction,
    DecisionSource,
    DeclarationKind,
    DeclarationStatus,
    LotStatus,
    RiskLevel,
    SensorKind,
)
from tos.core.models import ContainerVisit, Hold, Organisation, Terminal, User, VesselVisit

REFERENCE_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,34}$",
    "1 to 35 letters, digits or / . _ - (starting with a letter or digit).",
)
ONE_SUBJECT = Q(unit__isnull=False, lot__isnull=True) | Q(unit__isnull=True, lot__isnull=False)


class Declaration(models.Model):
    """A customs declaration (import, export or transit) for units and/or bulk lots of one bill
    of lading. ``early``: lodged before the goods arrived; ``two_step``: a summary declaration
    that may be released before the complete one (``completed_at``) follows."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="declarations")
    reference = models.CharField(max_length=35, validators=[REFERENCE_VALIDATOR])
    kind = models.CharField(max_length=8, choices=DeclarationKind.choices)
    status = models.CharField(
        max_length=14, choices=DeclarationStatus.choices, default=DeclarationStatus.LODGED
    )
    line = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customs_declarations",
        help_text="The shipping line of the goods (tenant scoping for agents).",
    )
    bl_ref = models.CharField("bill of lading", max_length=35, blank=True)
    declarant = models.CharField(max_length=70)
    consignee = models.CharField(max_length=70, blank=True)
    goods_description = models.CharField(max_length=200)
    hs_code = models.CharField(
        "HS code",
        max_length=10,
        validators=[RegexValidator(r"^[0-9]{4,10}$", "4 to 10 digits, e.g. 260111.")],
    )
    origin_country = models.CharField(
        max_length=2, validators=[RegexValidator(r"^[A-Z]{2}$", "ISO 3166 code, e.g. BR.")]
    )
    declared_gross_kg = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    units = models.ManyToManyField(
        ContainerVisit, through="DeclarationUnit", related_name="declarations", blank=True
    )
    early = models.BooleanField(default=False, help_text="Lodged before the goods arrived.")
    two_step = models.BooleanField(default=False)
    lodged_at = models.DateTimeField()
    lodged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(
        null=True, blank=True, help_text="Two-step flow: when the complete declaration followed."
    )

    class Meta:
        ordering = ["-lodged_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["terminal", "reference"], name="customs_declaration_reference_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=DeclarationKind.values), name="customs_declaration_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeclarationStatus.values),
                name="customs_declaration_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=DeclarationStatus.RELEASED) | Q(released_at__isnull=False),
                name="customs_declaration_released_has_time",
            ),
        ]
        indexes = [models.Index(fields=["terminal", "status"])]

    def __str__(self) -> str:
        return f"{self.reference} ({self.kind}, {self.status})"


class DeclarationUnit(models.Model):
    """A unit covered by a declaration, with the customs hold that declaration put on it."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="lines")
    unit = models.ForeignKey(ContainerVisit, on_delete=models.PROTECT, related_name="+")
    hold = models.ForeignKey(
        Hold, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    declared_gross_kg = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["declaration", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "unit"], name="customs_declaration_unit_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id}/{self.unit_id}"


class BulkLot(models.Model):
    """A bulk cargo lot (iron ore, coal …) discharged from one vessel visit, inspected in step with
    the discharge: readings per time window, clearance only once the last part is ashore."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="bulk_lots")
    reference = models.CharField(max_length=35, validators=[REFERENCE_VALIDATOR])
    vessel_visit = models.ForeignKey(
        VesselVisit, on_delete=models.PROTECT, related_name="bulk_lots"
    )
    declaration = models.ForeignKey(
        Declaration, null=True, blank=True, on_delete=models.PROTECT, related_name="lots"
    )
    commodity = models.CharField(max_length=60)
    declared_tonnage = models.DecimalField(
        max_digits=10, decimal_places=1, validators=[MinValueValidator(Decimal("0.1"))]
    )
    declared_composition = models.JSONField(
        default=dict, blank=True, help_text='Declared mass fractions in %, e.g. {"Fe": 62.0}.'
    )
    discharged_tonnage = models.DecimalField(max_digits=10, decimal_places=1, default=0)
    status = models.CharField(
        max_length=12, choices=LotStatus.choices, default=LotStatus.DISCHARGING
    )
    discharge_completed_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["terminal", "reference"], name="customs_lot_reference_unique"
            ),
            models.CheckConstraint(
                condition=Q(declared_tonnage__gt=0) & Q(discharged_tonnage__gte=0),
                name="customs_lot_tonnage_positive",
            ),
            models.CheckConstraint(
                condition=Q(status__in=LotStatus.values), name="customs_lot_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=LotStatus.CLEARED) | Q(discharge_completed_at__isnull=False),
                name="customs_lot_cleared_after_discharge",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.commodity}"

    @property
    def discharge_pct(self) -> float:
        if not self.declared_tonnage:
            return 0.0
        return round(min(100.0, float(self.discharged_tonnage / self.declared_tonnage) * 100), 1)


class LotWindow(models.Model):
    """One reported stretch of a lot's discharge: ``tonnage`` came ashore between ``started_at``
    and ``ended_at``. Readings taken in that stretch belong to the window."""

    lot = models.ForeignKey(BulkLot, on_delete=models.CASCADE, related_name="windows")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    tonnage = models.DecimalField(max_digits=10, decimal_places=1)
    last = models.BooleanField(default=False, help_text="The last part of the lot.")

    class Meta:
        ordering = ["lot", "number"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "number"], name="customs_window_number_unique"),
            models.UniqueConstraint(
                fields=["lot"], condition=Q(last=True), name="customs_window_one_last"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__gt=F("started_at")), name="customs_window_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(tonnage__gt=0), name="customs_window_tonnage_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot_id} window {self.number}"


class SensorReading(models.Model):
    """One reading of a sensor about a unit or a lot. ``(terminal, sensor_id, external_id)`` is
    unique, so a sensor gateway that sends a reading twice stores it once."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="sensor_readings")
    kind = models.CharField(max_length=10, choices=SensorKind.choices)
    unit = models.ForeignKey(
        ContainerVisit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lot = models.ForeignKey(
        BulkLot, null=True, blank=True, on_delete=models.PROTECT, related_name="readings"
    )
    sensor_id = models.CharField(max_length=40)
    external_id = models.CharField(max_length=64)
    taken_at = models.DateTimeField()
    payload = models.JSONField()
    alarm = models.BooleanField(default=False)
    alarm_reason = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    received_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["taken_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["terminal", "sensor_id", "external_id"],
                name="customs_reading_idempotent",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=SensorKind.values), name="customs_reading_kind_valid"
            ),
            models.CheckConstraint(condition=ONE_SUBJECT, name="customs_reading_one_subject"),
        ]
        indexes = [
            models.Index(fields=["unit", "taken_at"]),
            models.Index(fields=["lot", "taken_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.sensor_id}/{self.external_id}"


class RiskAssessment(models.Model):
    """One run of the risk models on the evidence of a unit or lot: the combined score, the level
    and every model's result with its reasons (``results``: list of dicts)."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        ContainerVisit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lot = models.ForeignKey(
        BulkLot, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments"
    )
    declaration = models.ForeignKey(
        Declaration, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments"
    )
    score = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    level = models.CharField(max_length=6, choices=RiskLevel.choices)
    results = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-computed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100), name="customs_assessment_score_0_100"
            ),
            models.CheckConstraint(
                condition=Q(level__in=RiskLevel.values), name="customs_assessment_level_valid"
            ),
            models.CheckConstraint(condition=ONE_SUBJECT, name="customs_assessment_one_subject"),
        ]
        indexes = [
            models.Index(fields=["unit", "computed_at"]),
            models.Index(fields=["lot", "computed_at"]),
        ]

    def __str__(self) -> str:
        return f"risk {self.score} ({self.level})"


class InspectionCase(models.Model):
    """An item of the inspection queue: a unit or lot whose risk needs an officer. ``priority``
    is the latest score; at most one active case per unit and per lot."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        ContainerVisit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lot = models.ForeignKey(
        BulkLot, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    declaration = models.ForeignKey(
        Declaration, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    assessment = models.ForeignKey(RiskAssessment, on_delete=models.PROTECT, related_name="+")
    priority = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    status = models.CharField(max_length=12, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    hold = models.ForeignKey(
        Hold,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The inspection hold this case put on a unit that had no customs hold.",
    )
    scheduled_from = models.DateTimeField(
        null=True, blank=True, help_text="Examination or sampling window: a door may open then."
    )
    scheduled_until = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-priority", "opened_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=ONE_SUBJECT, name="customs_case_one_subject"),
            models.CheckConstraint(
                condition=Q(status__in=CaseStatus.values), name="customs_case_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__lte=100), name="customs_case_priority_0_100"
            ),
            models.CheckConstraint(
                condition=Q(status=CaseStatus.CLOSED, closed_at__isnull=False)
                | (~Q(status=CaseStatus.CLOSED) & Q(closed_at__isnull=True)),
                name="customs_case_closed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(scheduled_from__isnull=True, scheduled_until__isnull=True)
                | Q(scheduled_until__gt=F("scheduled_from")),
                name="customs_case_schedule_ordered",
            ),
            models.UniqueConstraint(
                fields=["unit"],
                condition=~Q(status=CaseStatus.CLOSED) & Q(unit__isnull=False),
                name="customs_case_one_active_per_unit",
            ),
            models.UniqueConstraint(
                fields=["lot"],
                condition=~Q(status=CaseStatus.CLOSED) & Q(lot__isnull=False),
                name="customs_case_one_active_per_lot",
            ),
        ]
        indexes = [models.Index(fields=["terminal", "status", "-priority"])]

    def __str__(self) -> str:
        return f"case {self.pk} ({self.status}, priority {self.priority})"


class Decision(models.Model):
    """An audited customs decision: who (``officer``, none for the risk engine or a customs
    message), when, what and why. Rows are never changed or deleted."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        InspectionCase, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    declaration = models.ForeignKey(
        Declaration, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    unit = models.ForeignKey(
        ContainerVisit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lot = models.ForeignKey(
        BulkLot, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    action = models.CharField(max_length=8, choices=DecisionAction.choices)
    source = models.CharField(max_length=8, choices=DecisionSource.choices)
    officer = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=500)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=DecisionAction.values), name="customs_decision_action_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=DecisionSource.values), name="customs_decision_source_valid"
            ),
            models.CheckConstraint(
                condition=~Q(source=DecisionSource.OFFICER) | Q(officer__isnull=False),
                name="customs_decision_officer_named",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""), name="customs_decision_reason_required"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.officer or self.source} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Customs decisions are audit records; they are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Customs decisions are audit records; they are never deleted.")
