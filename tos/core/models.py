"""The shared terminal model: terminals, organisations and users, containers and their visits,
vessels and vessel visits, holds, the event outbox, solver runs and idempotency records.

Models hold fields, constraints, ``clean()`` and cheap properties (DESIGN.md §5.2). Every write
goes through ``tos.core.services``.
"""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from tos.core import codes
from tos.core.choices import (
    STAFF_ROLES,
    UNIT_ACTIVE_STATES,
    HoldKind,
    IdempotencyState,
    OrganisationKind,
    PositionKind,
    Role,
    SolverRunStatus,
    UnitCategory,
    UnitState,
    VisitPhase,
)

LOCODE_VALIDATOR = RegexValidator(
    r"^[A-Z]{2}[A-Z2-9]{3}$", "Enter a UN/LOCODE: 2 letters and 3 letters or digits, e.g. NLRTM."
)


def _run_code_check(func, value) -> None:
    try:
        func(value)
    except codes.CodeError as exc:
        raise ValidationError(str(exc), code="invalid") from exc


def validate_container_number(value: str) -> None:
    """ISO 6346 format and check digit (the message names the expected digit)."""
    _run_code_check(codes.validate_container_number, value)


def validate_imo(value: str) -> None:
    """IMO number format and check digit."""
    _run_code_check(codes.validate_imo, value)


def validate_size_type(value: str) -> None:
    """ISO 6346 size-type code (1995 letters or legacy numeric)."""
    _run_code_check(codes.decode_size_type, value)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone such as Europe/Rotterdam.")


class Terminal(models.Model):
    """A container terminal. ``event_seq`` is the last sequence number given to its events."""

    name = models.CharField(max_length=120)
    locode = models.CharField("UN/LOCODE", max_length=5, validators=[LOCODE_VALIDATOR])
    code = models.SlugField(max_length=20, unique=True, help_text="Short code, e.g. RTM-DELTA.")
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    event_seq = models.BigIntegerField(default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["event_seq"])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(event_seq__gte=0), name="terminal_event_seq_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.locode})"


class Organisation(models.Model):
    """A shipping line, agent, haulier or customs authority.

    Lines carry their SMDG line code and/or SCAC. An agent represents one or more lines.
    """

    kind = models.CharField(max_length=16, choices=OrganisationKind.choices)
    name = models.CharField(max_length=120)
    code = models.CharField(
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9]{2,6}$", "2 to 6 capital letters or digits.")],
        help_text="SMDG line code for lines (e.g. MSC), an own short code for others.",
    )
    scac = models.CharField(
        "SCAC",
        max_length=4,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{2,4}$", "2 to 4 capital letters.")],
    )
    represents = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="represented_by",
        limit_choices_to={"kind": OrganisationKind.LINE},
        help_text="For agents: the shipping lines this agent acts for.",
    )
    history = HistoricalRecords(m2m_fields=[represents])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OrganisationKind.values), name="organisation_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class User(AbstractUser):
    """A person or machine client with one role. Agents belong to one organisation and see the
    lines it represents (a line's own staff see that line)."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.OPERATOR)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    terminal = models.ForeignKey(
        Terminal, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    history = HistoricalRecords(excluded_fields=["last_login", "password"])

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.AGENT) | Q(organisation__isnull=False),
                name="user_agent_has_organisation",
            ),
        ]

    @property
    def is_terminal_staff(self) -> bool:
        return self.is_superuser or self.role in STAFF_ROLES

    def clean(self) -> None:
        super().clean()
        if self.role == Role.AGENT and self.organisation_id is None:
            raise ValidationError({"organisation": "An agent must belong to an organisation."})


class Container(models.Model):
    """A physical container (equipment), identified by its ISO 6346 number."""

    number = models.CharField(max_length=11, unique=True, validators=[validate_container_number])
    iso_type = models.CharField(
        "ISO size-type",
        max_length=4,
        validators=[validate_size_type],
        help_text="ISO 6346 size-type code (legacy numeric codes are translated).",
    )
    legacy_iso_type = models.CharField(max_length=4, blank=True)
    length_ft = models.PositiveSmallIntegerField()
    height_mm = models.PositiveSmallIntegerField()
    type_group = models.CharField(max_length=1)
    teu = models.PositiveSmallIntegerField()
    tare_kg = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(500), MaxValueValidator(15000)]
    )
    max_gross_kg = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1000), MaxValueValidator(80000)]
    )
    owner_line = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="containers",
        limit_choices_to={"kind": OrganisationKind.LINE},
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(number__regex=r"^[A-Z]{3}[UJZ][0-9]{7}$"),
                name="container_number_format",
            ),
            models.CheckConstraint(condition=Q(teu__in=[1, 2]), name="container_teu_1_or_2"),
            models.CheckConstraint(
                condition=Q(length_ft__in=[10, 20, 30, 40, 45, 48]), name="container_length_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_reefer(self) -> bool:
        return self.type_group == "R"


class Vessel(models.Model):
    """A ship, identified by its IMO number."""

    imo = models.CharField("IMO number", max_length=7, unique=True, validators=[validate_imo])
    name = models.CharField(max_length=80)
    call_sign = models.CharField(max_length=10, blank=True)
    flag = models.CharField(
        max_length=2,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{2}$", "ISO 3166 country code, e.g. PA.")],
    )
    loa_m = models.DecimalField(
        "length overall (m)",
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(20), MaxValueValidator(450)],
    )
    beam_m = models.DecimalField(
        "beam (m)",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(5), MaxValueValidator(70)],
    )
    max_draft_m = models.DecimalField(
        "max draft (m)",
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(2), MaxValueValidator(25)],
    )
    teu_capacity = models.PositiveIntegerField(
        "TEU capacity", validators=[MinValueValidator(1), MaxValueValidator(30000)]
    )
    operator_line = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="vessels",
        limit_choices_to={"kind": OrganisationKind.LINE},
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(imo__regex=r"^[0-9]{7}$"), name="vessel_imo_format"),
            models.CheckConstraint(
                condition=Q(loa_m__gt=0) & Q(beam_m__gt=0) & Q(max_draft_m__gt=0),
                name="vessel_dimensions_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (IMO {self.imo})"


class VesselVisit(models.Model):
    """One call of a vessel at the terminal: the agent's berth application and its lifecycle."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="vessel_visits")
    vessel = models.ForeignKey(Vessel, on_delete=models.PROTECT, related_name="visits")
    line = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="vessel_visits",
        limit_choices_to={"kind": OrganisationKind.LINE},
    )
    reference = models.CharField(max_length=32, help_text="Terminal visit id, e.g. MAEU-2611A.")
    inbound_voyage = models.CharField(max_length=17)
    outbound_voyage = models.CharField(max_length=17)
    service = models.CharField(max_length=32, blank=True, help_text="Line service name, e.g. AE7.")
    eta = models.DateTimeField("ETA")
    etb = models.DateTimeField("ETB", null=True, blank=True)
    etd = models.DateTimeField("ETD")
    ata = models.DateTimeField("ATA", null=True, blank=True)
    atd = models.DateTimeField("ATD", null=True, blank=True)
    phase = models.CharField(max_length=12, choices=VisitPhase.choices, default=VisitPhase.PLANNED)
    expected_discharge_moves = models.PositiveIntegerField(default=0)
    expected_load_moves = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["eta", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["terminal", "reference"], name="vessel_visit_reference_unique"
            ),
            models.UniqueConstraint(
                fields=["terminal", "vessel", "inbound_voyage"], name="vessel_visit_voyage_unique"
            ),
            models.CheckConstraint(
                condition=Q(etd__gt=F("eta")), name="vessel_visit_etd_after_eta"
            ),
            models.CheckConstraint(
                condition=Q(etb__isnull=True) | (Q(etb__gte=F("eta")) & Q(etb__lt=F("etd"))),
                name="vessel_visit_etb_within_eta_etd",
            ),
            models.CheckConstraint(
                condition=Q(atd__isnull=True) | (Q(ata__isnull=False) & Q(atd__gt=F("ata"))),
                name="vessel_visit_atd_after_ata",
            ),
            models.CheckConstraint(
                condition=Q(phase__in=VisitPhase.values), name="vessel_visit_phase_valid"
            ),
        ]
        indexes = [models.Index(fields=["terminal", "phase", "eta"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.vessel.name}"

    def clean(self) -> None:
        errors = {}
        if self.eta and self.etd and self.etd <= self.eta:
            errors["etd"] = "ETD must be after ETA."
        if self.etb and self.eta and self.etd and not (self.eta <= self.etb < self.etd):
            errors["etb"] = "ETB must be at or after ETA and before ETD."
        if self.atd and (not self.ata or self.atd <= self.ata):
            errors["atd"] = "ATD needs an ATA before it."
        if self.line_id and self.line.kind != OrganisationKind.LINE:
            errors["line"] = "The line must be an organisation of kind 'line'."
        if errors:
            raise ValidationError(errors)


class ContainerVisit(models.Model):
    """A unit: one stay of a container at the terminal, from advice to departure.

    At most one active visit per container (partial unique constraint). The current position is a
    typed reference: ``position_kind`` plus ``position_ref`` (yard ``BLOCK.bay.row.tier`` such as
    ``A03.14.4.2``, vessel cell ``0120482``, truck plate, gate lane) and, on a vessel, the vessel
    visit.
    """

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="units")
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="visits")
    category = models.CharField(max_length=12, choices=UnitCategory.choices)
    state = models.CharField(max_length=12, choices=UnitState.choices, default=UnitState.ADVISED)
    line = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="units",
        limit_choices_to={"kind": OrganisationKind.LINE},
    )
    inbound_visit = models.ForeignKey(
        VesselVisit, null=True, blank=True, on_delete=models.PROTECT, related_name="inbound_units"
    )
    outbound_visit = models.ForeignKey(
        VesselVisit, null=True, blank=True, on_delete=models.PROTECT, related_name="outbound_units"
    )
    gross_weight_kg = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1000), MaxValueValidator(80000)]
    )
    vgm_kg = models.PositiveIntegerField(
        "VGM (kg)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1000), MaxValueValidator(80000)],
    )
    seals = models.JSONField(default=list, blank=True)
    reefer_setpoint_c = models.DecimalField(
        null=True,
        blank=True,
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(-70), MaxValueValidator(40)],
    )
    imdg_class = models.CharField(
        "IMDG class",
        max_length=4,
        blank=True,
        validators=[RegexValidator(r"^[1-9](\.[1-6])?$", "An IMDG class such as 3, 2.1 or 6.1.")],
    )
    un_number = models.CharField(
        "UN number",
        max_length=4,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{4}$", "Four digits, e.g. 1203.")],
    )
    pol = models.CharField("POL", max_length=5, blank=True, validators=[LOCODE_VALIDATOR])
    pod = models.CharField("POD", max_length=5, blank=True, validators=[LOCODE_VALIDATOR])
    booking_ref = models.CharField(max_length=35, blank=True)
    bl_ref = models.CharField("bill of lading", max_length=35, blank=True)
    position_kind = models.CharField(
        max_length=8, choices=PositionKind.choices, default=PositionKind.NONE
    )
    position_ref = models.CharField(max_length=32, blank=True)
    position_visit = models.ForeignKey(
        VesselVisit, null=True, blank=True, on_delete=models.PROTECT, related_name="units_aboard"
    )
    time_in = models.DateTimeField(null=True, blank=True)
    time_out = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["container"],
                condition=Q(state__in=UNIT_ACTIVE_STATES),
                name="unit_one_active_visit_per_container",
            ),
            models.CheckConstraint(
                condition=Q(state__in=UnitState.values), name="unit_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(category__in=UnitCategory.values), name="unit_category_valid"
            ),
            models.CheckConstraint(
                condition=~Q(position_kind=PositionKind.VESSEL) | Q(position_visit__isnull=False),
                name="unit_vessel_position_has_visit",
            ),
            models.CheckConstraint(
                condition=Q(position_kind=PositionKind.VESSEL) | Q(position_visit__isnull=True),
                name="unit_visit_only_for_vessel_position",
            ),
            models.CheckConstraint(
                condition=Q(un_number="") | ~Q(imdg_class=""),
                name="unit_un_number_needs_imdg_class",
            ),
            models.CheckConstraint(
                condition=Q(time_out__isnull=True)
                | Q(time_in__isnull=True)
                | Q(time_out__gte=F("time_in")),
                name="unit_time_out_after_time_in",
            ),
        ]
        indexes = [
            models.Index(fields=["terminal", "state", "category"]),
            models.Index(fields=["line", "state"]),
            models.Index(fields=["pod"]),
        ]

    def __str__(self) -> str:
        return f"{self.container.number} ({self.get_category_display()}, {self.state})"

    @property
    def is_dangerous(self) -> bool:
        return bool(self.imdg_class)

    def clean(self) -> None:
        errors = {}
        if (
            self.vgm_kg
            and self.container_id
            and self.container.tare_kg
            and self.vgm_kg < self.container.tare_kg
        ):
            errors["vgm_kg"] = (
                f"VGM {self.vgm_kg} kg is below the container's tare {self.container.tare_kg} kg."
            )
        if (
            self.reefer_setpoint_c is not None
            and self.container_id
            and not self.container.is_reefer
        ):
            errors["reefer_setpoint_c"] = (
                f"{self.container.number} ({self.container.iso_type}) "
                "is not a reefer; a set point makes no sense."
            )
        if self.un_number and not self.imdg_class:
            errors["imdg_class"] = "A UN number needs its IMDG class."
        if not isinstance(self.seals, list) or not all(
            isinstance(s, str) and 0 < len(s) <= 20 for s in self.seals
        ):
            errors["seals"] = "Seals are a list of seal numbers (text, 1 to 20 characters each)."
        if self.line_id and self.line.kind != OrganisationKind.LINE:
            errors["line"] = "The line must be an organisation of kind 'line'."
        if errors:
            raise ValidationError(errors)


class Hold(models.Model):
    """A block on events of a unit (customs, line or terminal), active until released."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="holds")
    unit = models.ForeignKey(ContainerVisit, on_delete=models.PROTECT, related_name="holds")
    kind = models.CharField(max_length=10, choices=HoldKind.choices)
    blocks_gate_out = models.BooleanField(default=False)
    blocks_loading = models.BooleanField(default=False)
    blocks_discharge = models.BooleanField(default=False)
    blocks_delivery = models.BooleanField(default=False)
    reason = models.CharField(max_length=200)
    reference = models.CharField(
        max_length=64, blank=True, help_text="External reference, e.g. a customs declaration."
    )
    applied_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField()
    released_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    release_note = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-applied_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(blocks_gate_out=True)
                | Q(blocks_loading=True)
                | Q(blocks_discharge=True)
                | Q(blocks_delivery=True),
                name="hold_blocks_something",
            ),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True) | Q(released_at__gte=F("applied_at")),
                name="hold_released_after_applied",
            ),
            models.CheckConstraint(condition=Q(kind__in=HoldKind.values), name="hold_kind_valid"),
            models.UniqueConstraint(
                fields=["unit", "kind", "reference"],
                condition=Q(released_at__isnull=True),
                name="hold_one_active_per_unit_kind_reference",
            ),
        ]
        indexes = [models.Index(fields=["unit", "released_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} hold on {self.unit_id}: {self.reason}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None

    @property
    def blocked_events(self) -> list[str]:
        return [
            e
            for e in ("gate_out", "loading", "discharge", "delivery")
            if getattr(self, f"blocks_{e}")
        ]


class Event(models.Model):
    """The outbox of live events: one row per state change a screen shows, written in the same
    transaction as the change, with a per-terminal contiguous ``seq`` (DESIGN.md §5.6)."""

    terminal = models.ForeignKey(Terminal, on_delete=models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    topic = models.CharField(max_length=40, help_text="Screen area, e.g. units, vessels, holds.")
    type = models.CharField(max_length=60, help_text="<domain>.<verb>, e.g. unit.state_changed.")
    payload = models.JSONField(default=dict)
    line = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The line whose data this is, if any.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["terminal", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["terminal", "seq"], name="event_seq_unique"),
            models.CheckConstraint(condition=Q(seq__gt=0), name="event_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.type}"


class SolverRun(models.Model):
    """One solve or long job (DESIGN.md §5.4): the UI's and the WebSocket's source of progress."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="solver_runs")
    kind = models.CharField(max_length=60, help_text="Registered job kind, e.g. berthing.bap.")
    status = models.CharField(
        max_length=10, choices=SolverRunStatus.choices, default=SolverRunStatus.QUEUED
    )
    input_hash = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict, blank=True)
    progress = models.FloatField(default=0.0)
    message = models.CharField(max_length=200, blank=True)
    objective = models.FloatField(null=True, blank=True)
    bound = models.FloatField(null=True, blank=True)
    gap = models.FloatField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempt = models.PositiveSmallIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="solver_runs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=1), name="solver_run_progress_0_1"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SolverRunStatus.values), name="solver_run_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["kind", "input_hash", "status"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"


class IdempotencyRecord(models.Model):
    """A claimed ``Idempotency-Key`` of one principal, with the response to replay."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(
        max_length=12, choices=IdempotencyState.choices, default=IdempotencyState.IN_PROGRESS
    )
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique"),
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key} ({self.state})"
