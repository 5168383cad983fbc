"""Quay geometry (a continuous quay in metres with named berth sections, its quay cranes and their
outages), the terminal's planning rules and line berth terms, the lines' berth applications (when
a line asks to arrive and to leave), and berth plans: where and when each vessel visit berths and
which cranes work it over time.

Plans are written only through :mod:`berthing.services`. The database guards the two rules a
published plan must never break (DESIGN.md §5.3): no two published vessels on the same quay share
quay metres at the same time, and no crane is allocated twice at once among published rows. Both
are PostgreSQL exclusion constraints over ``is_published`` rows; the embedded SQLite mode has no
exclusion constraints, so there the publish service checks the same rules in Python.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

from django.contrib.postgres.fields import RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from berthing.choices import BerthPlanSource, BerthPlanStatus, LinePriority, OutageKind
from berthing.solvers.instance import DEFAULT_EFFICIENCY_PCT
from tos.core.choices import OrganisationKind
from tos.core.db import Int4Range, PostgresExclusionConstraint, TsTzRange
from tos.core.models import Organisation, SolverRun, Terminal, User, VesselVisit

#: No vessel is worked by more cranes than this, however long it is.
MAX_CRANES_PER_VESSEL = 6
#: From this length overall a vessel is always worked by at least two cranes.
TWO_CRANE_LOA_M = 300


def vessel_crane_limits(loa_m: int, *, spacing_m: int) -> tuple[int, int]:
    """The fewest and most quay cranes that may work a vessel at once, from its length overall.

    Cranes need ``spacing_m`` of hull each (their own width plus the safety gap to the next), so a
    vessel takes at most ``floor(loa_m / spacing_m)`` cranes, clamped to 1 … 6. Any crane work
    needs at least one crane; vessels of 300 m and more need two (a single crane on a ULCV makes
    the call far longer than the line's schedule allows) unless the maximum is lower.
    """
    most = max(1, min(MAX_CRANES_PER_VESSEL, loa_m // max(1, spacing_m)))
    fewest = 2 if loa_m >= TWO_CRANE_LOA_M else 1
    return min(fewest, most), most


def default_efficiency_pct() -> list[int]:
    return list(DEFAULT_EFFICIENCY_PCT)


class Quay(models.Model):
    """A continuous quay wall; positions along it are metres from its start. It also carries the
    terminal's berth-planning rules for this quay."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="quays")
    name = models.CharField(max_length=60)
    length_m = models.PositiveIntegerField(
        validators=[MinValueValidator(50), MaxValueValidator(10000)]
    )
    clearance_m = models.PositiveSmallIntegerField(
        "mooring clearance (m)",
        default=20,
        validators=[MaxValueValidator(100)],
        help_text="Gap kept after each vessel's length overall to its neighbour.",
    )
    crane_spacing_m = models.PositiveSmallIntegerField(
        "crane spacing (m)",
        default=50,
        validators=[MinValueValidator(20), MaxValueValidator(200)],
        help_text="Hull length each working crane needs; a vessel takes at most "
        "LOA / spacing cranes (1 to 6).",
    )
    crane_efficiency_pct = models.JSONField(
        "crane interference (%)",
        default=default_efficiency_pct,
        help_text="Share of nominal productivity each crane keeps with 1, 2, 3 … cranes on one "
        "vessel; 6 to 12 whole percentages, not increasing.",
    )
    stability_weight = models.PositiveSmallIntegerField(
        default=1,
        validators=[MaxValueValidator(1000)],
        help_text="Cost per minute and per metre a re-plan moves a vessel from the current plan.",
    )
    planning_period_min = models.PositiveSmallIntegerField(
        "planning period (min)",
        default=60,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
        help_text="Time step of the solver's crane allocation.",
    )
    planning_horizon_hours = models.PositiveSmallIntegerField(
        "planning horizon (h)",
        default=168,
        validators=[MinValueValidator(24), MaxValueValidator(720)],
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["terminal", "name"]
        constraints = [
            models.UniqueConstraint(fields=["terminal", "name"], name="quay_name_unique"),
            models.CheckConstraint(condition=Q(length_m__gt=0), name="quay_length_positive"),
            models.CheckConstraint(
                condition=Q(crane_spacing_m__gt=0), name="quay_crane_spacing_positive"
            ),
            models.CheckConstraint(
                condition=Q(planning_period_min__gt=0), name="quay_planning_period_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.length_m} m)"

    def crane_limits(self, loa_m: int) -> tuple[int, int]:
        """(fewest, most) cranes for a vessel of ``loa_m`` metres at this quay."""
        return vessel_crane_limits(loa_m, spacing_m=self.crane_spacing_m)

    def clean(self) -> None:
        table = self.crane_efficiency_pct
        if not (
            isinstance(table, list)
            and MAX_CRANES_PER_VESSEL <= len(table) <= 12
            and all(isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= 100 for p in table)
            and all(a >= b for a, b in pairwise(table))
        ):
            raise ValidationError(
                {
                    "crane_efficiency_pct": (
                        f"A list of {MAX_CRANES_PER_VESSEL} to 12 whole percentages (1–100) for "
                        "1, 2, 3 … cranes on one vessel, not increasing, e.g. "
                        f"{list(DEFAULT_EFFICIENCY_PCT)}."
                    )
                }
            )


class BerthSection(models.Model):
    """A named stretch of the quay with its water depth and bollard marks."""

    quay = models.ForeignKey(Quay, on_delete=models.CASCADE, related_name="sections")
    name = models.CharField(max_length=30)
    start_m = models.PositiveIntegerField()
    end_m = models.PositiveIntegerField()
    depth_m = models.DecimalField(
        max_digits=4, decimal_places=1, validators=[MinValueValidator(2), MaxValueValidator(30)]
    )
    first_bollard = models.PositiveSmallIntegerField(default=1)
    bollard_spacing_m = models.PositiveSmallIntegerField(default=25)
    history = HistoricalRecords()

    class Meta:
        ordering = ["quay", "start_m"]
        constraints = [
            models.UniqueConstraint(fields=["quay", "name"], name="berth_section_name_unique"),
            models.CheckConstraint(
                condition=Q(end_m__gt=F("start_m")), name="berth_section_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.start_m}–{self.end_m} m, {self.depth_m} m deep)"


class QuayCrane(models.Model):
    """A ship-to-shore crane on the quay's rails; cranes keep their rail order (no crossing)."""

    quay = models.ForeignKey(Quay, on_delete=models.CASCADE, related_name="cranes")
    name = models.CharField(max_length=20)
    rail_order = models.PositiveSmallIntegerField()
    min_position_m = models.PositiveIntegerField(default=0)
    max_position_m = models.PositiveIntegerField()
    outreach_rows = models.PositiveSmallIntegerField(default=22)
    gross_moves_per_hour = models.PositiveSmallIntegerField(
        default=28, validators=[MinValueValidator(5), MaxValueValidator(80)]
    )
    is_available = models.BooleanField(
        default=True, help_text="Off: out of service until further notice (not planned at all)."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["quay", "rail_order"]
        constraints = [
            models.UniqueConstraint(fields=["quay", "name"], name="quay_crane_name_unique"),
            models.UniqueConstraint(
                fields=["quay", "rail_order"], name="quay_crane_rail_order_unique"
            ),
            models.CheckConstraint(
                condition=Q(max_position_m__gt=F("min_position_m")), name="quay_crane_range_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class QuayCraneOutage(models.Model):
    """A period in which a quay crane cannot work: planned maintenance or a breakdown."""

    crane = models.ForeignKey(QuayCrane, on_delete=models.CASCADE, related_name="outages")
    start = models.DateTimeField()
    end = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=OutageKind.choices)
    note = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["crane", "start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="quay_crane_outage_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=OutageKind.values), name="quay_crane_outage_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["crane", "end"])]

    def __str__(self) -> str:
        return f"{self.crane} {self.get_kind_display().lower()} {self.start:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "The outage must end after it starts."})


class LineBerthTerms(models.Model):
    """What a line's waiting and lateness cost the terminal (its service agreement): the solver
    weighs each hour between arrival and departure by ``weight_service`` and each hour of departure
    after the requested ETD by ``weight_late``."""

    terminal = models.ForeignKey(Terminal, on_delete=models.CASCADE, related_name="berth_terms")
    line = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="berth_terms",
        limit_choices_to={"kind": OrganisationKind.LINE},
    )
    weight_service = models.PositiveSmallIntegerField(
        default=1, validators=[MaxValueValidator(1000)], help_text="Cost per hour in port."
    )
    weight_late = models.PositiveSmallIntegerField(
        default=3,
        validators=[MaxValueValidator(1000)],
        help_text="Cost per hour of departure after the requested ETD.",
    )
    priority = models.CharField(
        max_length=12, choices=LinePriority.choices, default=LinePriority.STANDARD
    )
    note = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["terminal", "line"]
        verbose_name_plural = "line berth terms"
        constraints = [
            models.UniqueConstraint(fields=["terminal", "line"], name="line_berth_terms_unique"),
            models.CheckConstraint(
                condition=Q(priority__in=LinePriority.values), name="line_berth_terms_priority"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line} berth terms ({self.get_priority_display()})"

    def clean(self) -> None:
        if self.line_id and self.line.kind != OrganisationKind.LINE:
            raise ValidationError({"line": "Berth terms are agreed with a shipping line."})


class BerthWindow(models.Model):
    """A berth window agreed with a line: berth at or after ``start`` and depart by ``end``.

    A weekly window repeats every seven days at the same local time in the terminal's time zone
    (``valid_until`` ends the series); a dated one happens once. ``service`` narrows it to one of
    the line's services. The optional quay stretch (``quay``, ``start_m``, ``end_m``) is where the
    line expects to lie; it is shown to planners, the solver only prices the times.
    """

    terminal = models.ForeignKey(Terminal, on_delete=models.CASCADE, related_name="berth_windows")
    line = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="berth_windows",
        limit_choices_to={"kind": OrganisationKind.LINE},
    )
    service = models.CharField(
        max_length=32, blank=True, help_text="Only visits of this service (empty: any)."
    )
    start = models.DateTimeField(help_text="Start of the (first) window.")
    end = models.DateTimeField(help_text="End of the (first) window.")
    repeats_weekly = models.BooleanField(default=False)
    valid_until = models.DateField(null=True, blank=True)
    quay = models.ForeignKey(
        Quay, null=True, blank=True, on_delete=models.CASCADE, related_name="berth_windows"
    )
    start_m = models.PositiveIntegerField(null=True, blank=True)
    end_m = models.PositiveIntegerField(null=True, blank=True)
    penalty_per_hour = models.PositiveSmallIntegerField(
        default=10,
        validators=[MaxValueValidator(1000)],
        help_text="Cost per hour of berthing before or departing after the window.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["terminal", "line", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="berth_window_end_after_start"
            ),
            models.CheckConstraint(
                condition=(Q(start_m__isnull=True) & Q(end_m__isnull=True))
                | (
                    Q(quay__isnull=False)
                    & Q(start_m__isnull=False)
                    & Q(end_m__isnull=False)
                    & Q(end_m__gt=F("start_m"))
                ),
                name="berth_window_stretch_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line} window {self.start:%a %H:%M}" + (
            " weekly" if self.repeats_weekly else ""
        )

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.start and self.end:
            if self.end <= self.start:
                errors["end"] = "The window must end after it starts."
            elif self.repeats_weekly and self.end - self.start > dt.timedelta(days=7):
                errors["end"] = "A weekly window lasts at most seven days."
        if (self.start_m is None) != (self.end_m is None):
            errors["end_m" if self.end_m is None else "start_m"] = (
                "Give both ends of the quay stretch, or neither."
            )
        elif self.start_m is not None:
            if self.quay_id is None:
                errors["quay"] = "A quay stretch needs its quay."
            elif self.end_m <= self.start_m:
                errors["end_m"] = "The stretch must end after it starts."
            elif self.end_m > self.quay.length_m:
                errors["end_m"] = f"The quay is {self.quay.length_m} m long."
        if self.quay_id and self.terminal_id and self.quay.terminal_id != self.terminal_id:
            errors["quay"] = "The quay belongs to another terminal."
        if self.line_id and self.line.kind != OrganisationKind.LINE:
            errors["line"] = "Berth windows are agreed with a shipping line."
        if errors:
            raise ValidationError(errors)


#: The longest stay a berth application may ask for.
MAX_APPLICATION_STAY = dt.timedelta(days=30)
#: A berth application never asks for moves beyond this (a ULCV call is some 20,000).
MAX_APPLICATION_MOVES = 100_000


class BerthApplication(models.Model):
    """A shipping line's berth application for one vessel visit: when the line asks to arrive and
    to leave, and the moves it brings. ``requested_departure`` is what the planner measures
    lateness against; the visit's ETB and ETD are the published plan's and change with every
    publish. ``revision`` goes up with every change (the API's ETag). Written only through
    :func:`berthing.services.berth_application_submit`, which keeps the visit's ETA and expected
    moves equal to the application's."""

    vessel_visit = models.OneToOneField(
        VesselVisit, on_delete=models.CASCADE, related_name="berth_application"
    )
    requested_arrival = models.DateTimeField()
    requested_departure = models.DateTimeField()
    expected_discharge_moves = models.PositiveIntegerField(
        validators=[MaxValueValidator(MAX_APPLICATION_MOVES)]
    )
    expected_load_moves = models.PositiveIntegerField(
        validators=[MaxValueValidator(MAX_APPLICATION_MOVES)]
    )
    remarks = models.CharField(max_length=500, blank=True)
    submitted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    revision = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["requested_arrival", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(requested_departure__gt=F("requested_arrival")),
                name="berth_application_departure_after_arrival",
            ),
            models.CheckConstraint(
                condition=Q(revision__gte=1), name="berth_application_revision_gte_1"
            ),
        ]
        indexes = [models.Index(fields=["updated_at"])]

    def __str__(self) -> str:
        return f"Berth application for visit {self.vessel_visit_id} r{self.revision}"

    def clean(self) -> None:
        if self.requested_arrival and self.requested_departure:
            if self.requested_departure <= self.requested_arrival:
                raise ValidationError(
                    {"requested_departure": "The requested departure must be after the arrival."}
                )
            if self.requested_departure - self.requested_arrival > MAX_APPLICATION_STAY:
                raise ValidationError(
                    {
                        "requested_departure": "A stay lasts at most "
                        f"{MAX_APPLICATION_STAY.days} days."
                    }
                )


class BerthPlan(models.Model):
    """One version of a quay's berth plan. Drafts are edited by planners and the solver; publishing
    one supersedes the quay's published plan. ``revision`` goes up with every change (the API's
    ETag); ``objective``, ``components`` and ``violations`` are what the plan checker said after
    the last change."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="berth_plans")
    quay = models.ForeignKey(Quay, on_delete=models.PROTECT, related_name="berth_plans")
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=12, choices=BerthPlanStatus.choices, default=BerthPlanStatus.DRAFT
    )
    source = models.CharField(
        max_length=8, choices=BerthPlanSource.choices, default=BerthPlanSource.MANUAL
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )
    solver_run = models.ForeignKey(
        SolverRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="berth_plans"
    )
    revision = models.PositiveIntegerField(default=1)
    objective = models.BigIntegerField(null=True, blank=True)
    components = models.JSONField(default=dict, blank=True)
    violations = models.JSONField(
        default=list, blank=True, help_text="[{code, vessel, message}] from the plan checker."
    )
    horizon_start = models.DateTimeField()
    horizon_end = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["quay", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["quay", "version"], name="berth_plan_version_unique"),
            models.UniqueConstraint(
                fields=["quay"],
                condition=Q(status=BerthPlanStatus.PUBLISHED),
                name="berth_plan_one_published_per_quay",
            ),
            models.CheckConstraint(
                condition=Q(horizon_end__gt=F("horizon_start")), name="berth_plan_horizon_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=BerthPlanStatus.values), name="berth_plan_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=BerthPlanSource.values), name="berth_plan_source_valid"
            ),
            models.CheckConstraint(condition=Q(revision__gte=1), name="berth_plan_revision_gte_1"),
            models.CheckConstraint(
                condition=Q(status=BerthPlanStatus.DRAFT) | Q(published_at__isnull=False),
                name="berth_plan_published_at_set",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quay.name} plan v{self.version} ({self.status})"

    @property
    def is_draft(self) -> bool:
        return self.status == BerthPlanStatus.DRAFT

    @property
    def has_violations(self) -> bool:
        return bool(self.violations)

    def clean(self) -> None:
        if self.quay_id and self.terminal_id and self.quay.terminal_id != self.terminal_id:
            raise ValidationError({"quay": "The quay belongs to another terminal."})


class BerthAssignment(models.Model):
    """Where and when one vessel visit lies in a plan: the quay stretch ``[start_m, end_m)`` (its
    length overall rounded up to whole metres plus the quay's mooring clearance) during
    ``[berth_at, depart_at)``. ``quay`` and ``is_published`` repeat the plan's so that the database
    can refuse overlapping published berths."""

    plan = models.ForeignKey(BerthPlan, on_delete=models.CASCADE, related_name="assignments")
    vessel_visit = models.ForeignKey(
        VesselVisit, on_delete=models.PROTECT, related_name="berth_assignments"
    )
    quay = models.ForeignKey(Quay, on_delete=models.PROTECT, related_name="berth_assignments")
    start_m = models.PositiveIntegerField()
    end_m = models.PositiveIntegerField()
    berth_at = models.DateTimeField()
    depart_at = models.DateTimeField()
    locked = models.BooleanField(default=False)
    is_published = models.BooleanField(default=False, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "berth_at", "start_m", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "vessel_visit"], name="berth_assignment_one_per_visit"
            ),
            models.CheckConstraint(
                condition=Q(end_m__gt=F("start_m")), name="berth_assignment_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(depart_at__gt=F("berth_at")),
                name="berth_assignment_depart_after_berth",
            ),
            PostgresExclusionConstraint(
                name="berth_assignment_no_overlap",
                expressions=[
                    ("quay", RangeOperators.EQUAL),
                    (Int4Range("start_m", "end_m"), RangeOperators.OVERLAPS),
                    (TsTzRange("berth_at", "depart_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(is_published=True),
                violation_error_code="berth_overlap",
                violation_error_message="Another published vessel lies on this quay stretch "
                "at this time.",
            ),
        ]
        indexes = [models.Index(fields=["vessel_visit", "is_published"])]

    def __str__(self) -> str:
        return f"{self.vessel_visit_id} at {self.start_m}–{self.end_m} m"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.start_m is not None and self.end_m is not None and self.end_m <= self.start_m:
            errors["end_m"] = "The stretch must end after it starts."
        if self.berth_at and self.depart_at and self.depart_at <= self.berth_at:
            errors["depart_at"] = "The vessel must depart after it berths."
        if self.plan_id and self.quay_id and self.plan.quay_id != self.quay_id:
            errors["quay"] = "The assignment's quay is its plan's quay."
        if errors:
            raise ValidationError(errors)


class CraneAllocation(models.Model):
    """A quay crane working one planned vessel during ``[start, end)``."""

    assignment = models.ForeignKey(
        BerthAssignment, on_delete=models.CASCADE, related_name="allocations"
    )
    crane = models.ForeignKey(QuayCrane, on_delete=models.PROTECT, related_name="allocations")
    start = models.DateTimeField()
    end = models.DateTimeField()
    is_published = models.BooleanField(default=False, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["assignment", "start", "crane", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="crane_allocation_end_after_start"
            ),
            PostgresExclusionConstraint(
                name="crane_allocation_no_double_booking",
                expressions=[
                    ("crane", RangeOperators.EQUAL),
                    (TsTzRange("start", "end"), RangeOperators.OVERLAPS),
                ],
                condition=Q(is_published=True),
                violation_error_code="crane_double_booked",
                violation_error_message="This crane is already allocated at this time in the "
                "published plan.",
            ),
        ]
        indexes = [models.Index(fields=["crane", "is_published", "start"])]

    def __str__(self) -> str:
        return f"{self.crane} {self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "The allocation must end after it starts."})
