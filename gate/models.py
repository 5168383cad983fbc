"""Gate: lanes, appointment slots and appointments, pre-advices, truck visits and their gate
transactions."""

from datetime import timedelta

from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from gate.choices import (
    AppointmentStatus,
    DecidedBy,
    GateDirection,
    LaneDirection,
    PositionStatus,
    PreAdviceStatus,
    TransactionType,
    TruckVisitStatus,
)
from tos.core.choices import OrganisationKind
from tos.core.models import (
    ContainerVisit,
    Organisation,
    Terminal,
    User,
    validate_container_number,
)


class GateLane(models.Model):
    """A truck lane at the gate, with or without an OCR portal."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="gate_lanes")
    name = models.CharField(max_length=20)
    direction = models.CharField(max_length=4, choices=LaneDirection.choices)
    has_ocr = models.BooleanField(default=True)
    is_open = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["terminal", "name"]
        constraints = [
            models.UniqueConstraint(fields=["terminal", "name"], name="gate_lane_name_unique"),
            models.CheckConstraint(
                condition=Q(direction__in=LaneDirection.values), name="gate_lane_direction_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_direction_display()})"


class AppointmentSlot(models.Model):
    """One hour of one transaction type at the gate. ``booked`` counts live appointments; the
    check constraint ``booked <= capacity`` and the conditional ``UPDATE`` in
    :func:`gate.services.appointment_book` make overbooking impossible (DESIGN.md §5.3)."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="gate_slots")
    starts_at = models.DateTimeField(help_text="Start of the hour (minutes and seconds zero).")
    transaction_type = models.CharField(max_length=20, choices=TransactionType.choices)
    capacity = models.PositiveIntegerField()
    booked = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["starts_at", "transaction_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["terminal", "starts_at", "transaction_type"], name="gate_slot_unique"
            ),
            models.CheckConstraint(
                condition=Q(booked__gte=0) & Q(booked__lte=F("capacity")),
                name="gate_slot_booked_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(transaction_type__in=TransactionType.values),
                name="gate_slot_transaction_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.starts_at:%Y-%m-%d %H:%M} {self.transaction_type} {self.booked}/{self.capacity}"
        )

    @property
    def ends_at(self):
        return self.starts_at + timedelta(hours=1)

    @property
    def available(self) -> int:
        return max(0, self.capacity - self.booked)


class Appointment(models.Model):
    """A truck appointment booked by a haulier or agent in a slot."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="appointments")
    reference = models.CharField(max_length=16, unique=True)
    slot = models.ForeignKey(AppointmentSlot, on_delete=models.PROTECT, related_name="appointments")
    transaction_type = models.CharField(max_length=20, choices=TransactionType.choices)
    status = models.CharField(
        max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="gate_appointments",
        help_text="The haulier or agent that booked.",
    )
    line = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrganisationKind.LINE},
    )
    truck_plate = models.CharField(max_length=16, blank=True)
    container_number = models.CharField(max_length=11, blank=True)
    booked_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    arrived_at = models.DateTimeField(
        null=True, blank=True, help_text="When the truck reported at the pre-gate and queued."
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["slot__starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AppointmentStatus.values),
                name="gate_appointment_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(transaction_type__in=TransactionType.values),
                name="gate_appointment_transaction_type_valid",
            ),
        ]
        indexes = [models.Index(fields=["terminal", "status"])]

    def __str__(self) -> str:
        return f"{self.reference} ({self.status})"


class PreAdvice(models.Model):
    """A haulier's or agent's announcement of one container for one gate transaction: export
    drop-off data (booking, seals, VGM, dangerous goods, reefer set point) or an import pick-up
    (release reference; the PIN is issued once no hold blocks gate-out)."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="pre_advices")
    transaction_type = models.CharField(max_length=20, choices=TransactionType.choices)
    status = models.CharField(
        max_length=10, choices=PreAdviceStatus.choices, default=PreAdviceStatus.OPEN
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    line = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrganisationKind.LINE},
    )
    unit = models.ForeignKey(
        ContainerVisit, null=True, blank=True, on_delete=models.PROTECT, related_name="pre_advices"
    )
    container_number = models.CharField(max_length=11, validators=[validate_container_number])
    iso_type = models.CharField(max_length=4, blank=True)
    booking_ref = models.CharField(max_length=35, blank=True)
    release_ref = models.CharField(max_length=35, blank=True)
    seals = models.JSONField(default=list, blank=True)
    vgm_kg = models.PositiveIntegerField(null=True, blank=True)
    imdg_class = models.CharField(max_length=4, blank=True)
    un_number = models.CharField(max_length=4, blank=True)
    is_dangerous = models.BooleanField(default=False)
    reefer_setpoint_c = models.DecimalField(null=True, blank=True, max_digits=4, decimal_places=1)
    pin = models.CharField(max_length=8, blank=True)
    pin_issued_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["terminal", "container_number"],
                condition=Q(status="open"),
                name="gate_pre_advice_one_open_per_container",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PreAdviceStatus.values),
                name="gate_pre_advice_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(transaction_type__in=TransactionType.values),
                name="gate_pre_advice_transaction_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.container_number} {self.transaction_type} ({self.status})"


class TruckVisit(models.Model):
    """One truck through the gate: gate-in (accepted or refused with every reason), gate-out with
    its EIR, and the turn time in between."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="truck_visits")
    lane = models.ForeignKey(GateLane, on_delete=models.PROTECT, related_name="visits_in")
    out_lane = models.ForeignKey(
        GateLane, null=True, blank=True, on_delete=models.PROTECT, related_name="visits_out"
    )
    truck_plate = models.CharField(max_length=16)
    driver_name = models.CharField(max_length=80, blank=True)
    driver_licence = models.CharField(max_length=32, blank=True)
    haulier = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="truck_visits"
    )
    status = models.CharField(max_length=10, choices=TruckVisitStatus.choices)
    reasons = models.JSONField(default=list, blank=True)
    gate_in_at = models.DateTimeField()
    gate_out_at = models.DateTimeField(null=True, blank=True)
    turn_time_s = models.PositiveIntegerField(null=True, blank=True)
    eir_number = models.CharField(max_length=20, blank=True)
    decided_by = models.CharField(
        max_length=6,
        choices=DecidedBy.choices,
        default=DecidedBy.SYSTEM,
        help_text="Who decided the gate-in: the automatic validation or a clerk.",
    )
    out_decided_by = models.CharField(
        max_length=6,
        choices=DecidedBy.choices,
        blank=True,
        help_text="Who let the truck out: the automatic validation or a clerk ('' until out).",
    )
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-gate_in_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["terminal", "truck_plate"],
                condition=Q(status="accepted"),
                name="gate_truck_one_visit_in_terminal",
            ),
            models.CheckConstraint(
                condition=Q(status__in=TruckVisitStatus.values),
                name="gate_truck_visit_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(gate_out_at__isnull=True) | Q(gate_out_at__gte=F("gate_in_at")),
                name="gate_truck_visit_out_after_in",
            ),
            models.CheckConstraint(
                condition=Q(decided_by__in=DecidedBy.values)
                & Q(out_decided_by__in=[*DecidedBy.values, ""]),
                name="gate_truck_visit_decided_by_valid",
            ),
        ]
        indexes = [models.Index(fields=["terminal", "status", "gate_in_at"])]

    def __str__(self) -> str:
        return f"{self.truck_plate} {self.status} {self.gate_in_at:%Y-%m-%d %H:%M}"


class GateTransaction(models.Model):
    """One container of a truck visit: what was presented and what the gate decided."""

    visit = models.ForeignKey(TruckVisit, on_delete=models.CASCADE, related_name="transactions")
    transaction_type = models.CharField(max_length=20, choices=TransactionType.choices, blank=True)
    container_number = models.CharField(max_length=16)
    pre_advice = models.ForeignKey(
        PreAdvice, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    unit = models.ForeignKey(
        ContainerVisit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted = models.BooleanField(default=False)
    seals = models.JSONField(default=list, blank=True)
    damage_codes = models.JSONField(default=list, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    decided_by = models.CharField(max_length=6, choices=DecidedBy.choices, default=DecidedBy.SYSTEM)
    position_status = models.CharField(
        max_length=16, choices=PositionStatus.choices, blank=True, default=PositionStatus.NONE
    )
    yard_position = models.CharField(max_length=32, blank=True)
    yard_move = models.ForeignKey(
        "yard.YardMove", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["visit", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pre_advice"],
                condition=Q(accepted=True),
                name="gate_pre_advice_used_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.container_number} ({'accepted' if self.accepted else 'refused'})"


class CodecoMessage(models.Model):
    """One CODECO (gate-in report, BGM 34, or gate-out report, BGM 36) that the terminal wrote
    for one shipping line about one truck visit: the boxes of that line that passed the gate.
    One message per visit, line and direction (a unique constraint), so a retried gate-in or
    gate-out never produces a second one."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrganisationKind.LINE},
    )
    visit = models.ForeignKey(TruckVisit, on_delete=models.PROTECT, related_name="codeco_messages")
    direction = models.CharField(max_length=8, choices=GateDirection.choices)
    reference = models.CharField(max_length=14, unique=True, help_text="UNB/UNH reference.")
    containers = models.JSONField(default=list)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "line", "direction"], name="gate_codeco_one_per_visit_line"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=GateDirection.values),
                name="gate_codeco_direction_valid",
            ),
        ]
        indexes = [models.Index(fields=["terminal", "line", "created_at"])]

    def __str__(self) -> str:
        return f"CODECO {self.reference} {self.direction} {self.line_id}"


class CoparnUpload(models.Model):
    """One COPARN (container announcement) received: who sent it, its validation report and
    what it did to the pre-advices. ``content_sha256`` makes a re-upload a replay."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=200, blank=True)
    content_sha256 = models.CharField(max_length=64)
    kind = models.CharField(max_length=20, blank=True)
    line = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    report = models.JSONField(default=dict)
    result = models.JSONField(default=dict)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["terminal", "content_sha256"], name="gate_coparn_content_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"COPARN {self.pk} {self.kind}"
