"""Operations: equipment, work orders (every move a box makes at the terminal), quay-crane work
queues and the problems equipment drivers report.

A work order knows its unit (and the box number, also for boxes that only stay on board), its
from/to positions as structured fields (a vessel cell bay/row/tier, a yard slot block/bay/row/
tier, or a truck plate and gate lane), its priority, the pool that does it, the crane queue and
sequence (vessel moves) and the equipment working it.

The database is the arbiter (DESIGN.md §5.3):

* one active work order per unit and per box number (partial unique constraints on the active
  statuses), so two generators or two clicks never create the same move twice;
* one assigned job per equipment (partial unique on dispatched/in-progress orders) and one
  equipment per current job (``Equipment.current_job`` is one-to-one);
* one work order per sequence number of a crane queue (a deferred unique constraint, so that a
  resequence can renumber the whole queue in one transaction);
* a completed order has its completion time, an assigned one its equipment, and every position
  of a kind has its fields.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Deferrable, Q
from simple_history.models import HistoricalRecords

from operations.choices import (
    ACTIVE_STATUSES,
    ASSIGNED_STATUSES,
    VESSEL_KINDS,
    YARD_CRANES,
    EquipmentKind,
    EquipmentState,
    Place,
    ProblemKind,
    WorkOrderKind,
    WorkOrderStatus,
)
from tos.core.models import ContainerVisit, Terminal, User, VesselVisit


def _place_complete(prefix: str) -> Q:
    """A position of each kind carries the fields that kind needs. A yard position may be
    undecided (no block yet: a discharge whose slot is chosen when the box is put down)."""
    p = prefix
    decided = Q(
        **{f"{p}_block__isnull": False, f"{p}_bay__gte": 1, f"{p}_row__gte": 1, f"{p}_tier__gte": 1}
    )
    undecided = Q(
        **{f"{p}_block__isnull": True, f"{p}_bay__isnull": True, f"{p}_row__isnull": True}
    ) & Q(**{f"{p}_tier__isnull": True})
    yard = Q(**{f"{p}_place": Place.YARD}) & (decided | undecided)
    vessel = Q(**{f"{p}_place": Place.VESSEL}) & Q(
        **{f"{p}_bay__gte": 1, f"{p}_row__gte": 0, f"{p}_tier__gte": 1}
    )
    truck = Q(**{f"{p}_place": Place.TRUCK})
    return yard | vessel | truck


class Equipment(models.Model):
    """A machine that moves boxes: quay crane, yard crane (RTG/RMG, working ``block``), straddle
    carrier, terminal truck or IGV/AGV. ``pool`` groups horizontal transport (a pool serves one
    crane or the yard); ``position_*`` and ``x_m``/``y_m`` are where it was last reported."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="equipment")
    kind = models.CharField(max_length=12, choices=EquipmentKind.choices)
    name = models.CharField(max_length=20)
    state = models.CharField(
        max_length=10, choices=EquipmentState.choices, default=EquipmentState.IDLE
    )
    pool = models.CharField(max_length=20, blank=True, help_text="Dispatch pool, e.g. HT1.")
    quay_crane = models.OneToOneField(
        "berthing.QuayCrane",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="equipment",
        help_text="For quay cranes: the crane of the berth plan.",
    )
    block = models.ForeignKey(
        "yard.YardBlock",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cranes",
        help_text="For yard cranes: the block it works.",
    )
    position_block = models.ForeignKey(
        "yard.YardBlock", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position_bay = models.PositiveSmallIntegerField(null=True, blank=True)
    x_m = models.IntegerField("plan x (m)", default=0)
    y_m = models.IntegerField("plan y (m)", default=0)
    current_job = models.OneToOneField(
        "operations.WorkOrder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="current_of",
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["terminal", "kind", "name"]
        verbose_name_plural = "equipment"
        constraints = [
            models.UniqueConstraint(fields=["terminal", "name"], name="equipment_name_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=EquipmentKind.values), name="equipment_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=EquipmentState.values), name="equipment_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=YARD_CRANES) | Q(block__isnull=False),
                name="equipment_yard_crane_has_block",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EquipmentKind.QUAY_CRANE) | Q(quay_crane__isnull=False),
                name="equipment_quay_crane_has_crane",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class CraneQueue(models.Model):
    """The ordered work of one quay crane on one vessel visit: its work orders by ``sequence``.
    ``first_bay``/``last_bay`` is the crane's contiguous stretch of vessel bays; ``revision``
    goes up with every change (the API's ETag)."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="+")
    vessel_visit = models.ForeignKey(
        VesselVisit, on_delete=models.PROTECT, related_name="crane_queues"
    )
    crane = models.ForeignKey(
        "berthing.QuayCrane", on_delete=models.PROTECT, related_name="work_queues"
    )
    rail_order = models.PositiveSmallIntegerField()
    first_bay = models.PositiveSmallIntegerField()
    last_bay = models.PositiveSmallIntegerField()
    revision = models.PositiveIntegerField(default=1)
    built_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["vessel_visit", "rail_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["vessel_visit", "crane"], name="crane_queue_one_per_visit_crane"
            ),
            models.CheckConstraint(
                condition=Q(last_bay__gte=models.F("first_bay")), name="crane_queue_bays_valid"
            ),
            models.CheckConstraint(condition=Q(revision__gte=1), name="crane_queue_revision_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.crane} on {self.vessel_visit_id} (bays {self.first_bay}–{self.last_bay})"


class WorkOrder(models.Model):
    """One move of one box. See the module docstring for the rules the database keeps."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="work_orders")
    kind = models.CharField(max_length=10, choices=WorkOrderKind.choices)
    status = models.CharField(
        max_length=12, choices=WorkOrderStatus.choices, default=WorkOrderStatus.PLANNED
    )
    unit = models.ForeignKey(
        ContainerVisit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
        help_text="Empty only for a restow of a box that stays on board (no unit here).",
    )
    container_number = models.CharField(max_length=17)
    vessel_visit = models.ForeignKey(
        VesselVisit, null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders"
    )
    from_place = models.CharField(max_length=6, choices=Place.choices)
    from_block = models.ForeignKey(
        "yard.YardBlock", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_bay = models.PositiveSmallIntegerField(null=True, blank=True)
    from_row = models.PositiveSmallIntegerField(null=True, blank=True)
    from_tier = models.PositiveSmallIntegerField(null=True, blank=True)
    from_truck = models.CharField(max_length=16, blank=True)
    from_lane = models.CharField(max_length=20, blank=True)
    to_place = models.CharField(max_length=6, choices=Place.choices)
    to_block = models.ForeignKey(
        "yard.YardBlock", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_bay = models.PositiveSmallIntegerField(null=True, blank=True)
    to_row = models.PositiveSmallIntegerField(null=True, blank=True)
    to_tier = models.PositiveSmallIntegerField(null=True, blank=True)
    to_truck = models.CharField(max_length=16, blank=True)
    to_lane = models.CharField(max_length=20, blank=True)
    priority = models.PositiveSmallIntegerField(
        default=5, help_text="0 (whenever) to 9 (at once); higher goes first."
    )
    pool = models.CharField(max_length=20, blank=True, help_text="The equipment pool that does it.")
    crane_queue = models.ForeignKey(
        CraneQueue, null=True, blank=True, on_delete=models.SET_NULL, related_name="work_orders"
    )
    sequence = models.PositiveIntegerField(null=True, blank=True)
    paired_with = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Dual cycling: the load (or discharge) done in the same crane cycle.",
    )
    equipment = models.ForeignKey(
        Equipment, null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders"
    )
    yard_move = models.ForeignKey(
        "yard.YardMove", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    gate_transaction = models.ForeignKey(
        "gate.GateTransaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=12, help_text="stowage, gate, relocation or manual.")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completion = models.JSONField(
        null=True, blank=True, help_text="What the completion said: equipment and actual position."
    )
    idempotency_key = models.CharField(max_length=255, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["terminal", "-priority", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=WorkOrderKind.values), name="work_order_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=WorkOrderStatus.values), name="work_order_status_valid"
            ),
            models.CheckConstraint(condition=Q(priority__lte=9), name="work_order_priority_0_9"),
            models.CheckConstraint(
                condition=_place_complete("from"), name="work_order_from_complete"
            ),
            models.CheckConstraint(condition=_place_complete("to"), name="work_order_to_complete"),
            models.CheckConstraint(
                condition=~Q(kind__in=VESSEL_KINDS) | Q(vessel_visit__isnull=False),
                name="work_order_vessel_move_has_visit",
            ),
            models.CheckConstraint(
                condition=~Q(status=WorkOrderStatus.COMPLETED) | Q(completed_at__isnull=False),
                name="work_order_completed_at_set",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=ASSIGNED_STATUSES) | Q(equipment__isnull=False),
                name="work_order_assigned_has_equipment",
            ),
            models.CheckConstraint(
                condition=Q(crane_queue__isnull=True, sequence__isnull=True)
                | Q(crane_queue__isnull=False, sequence__isnull=False),
                name="work_order_queue_and_sequence_together",
            ),
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="work_order_one_active_per_unit",
                violation_error_code="unit_has_active_work_order",
            ),
            models.UniqueConstraint(
                fields=["terminal", "container_number"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="work_order_one_active_per_box",
                violation_error_code="unit_has_active_work_order",
            ),
            models.UniqueConstraint(
                fields=["equipment"],
                condition=Q(status__in=ASSIGNED_STATUSES),
                name="work_order_one_job_per_equipment",
                violation_error_code="equipment_busy",
            ),
            models.UniqueConstraint(
                fields=["crane_queue", "sequence"],
                name="work_order_one_per_queue_sequence",
                deferrable=Deferrable.DEFERRED,
            ),
        ]
        indexes = [
            models.Index(fields=["terminal", "status", "kind"]),
            models.Index(fields=["vessel_visit", "kind", "status"]),
            models.Index(fields=["crane_queue", "sequence"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.container_number} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class ProblemReport(models.Model):
    """A driver's report that a job cannot be done as planned (blocked slot, damaged box, wrong
    box); the work order waits in ``problem`` until a planner resolves it."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="problems")
    equipment = models.ForeignKey(
        Equipment, null=True, blank=True, on_delete=models.SET_NULL, related_name="problems"
    )
    kind = models.CharField(max_length=14, choices=ProblemKind.choices)
    note = models.CharField(max_length=500, blank=True)
    reported_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-reported_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ProblemKind.values), name="problem_report_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on work order {self.work_order_id}"
