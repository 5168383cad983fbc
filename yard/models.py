"""The yard: blocks (bays × rows × tiers), their dangerous-goods segregation zones, the stacks
that services lock, occupancy as history, slot reservations and yard moves.

Positions are block/bay/row/tier in even-bay notation as on ships: a block of ``bays`` 20' ground
bays numbers them 1, 3, 5 … ``2·bays − 1``; a 20' box stands in an odd bay, a 40'/45' box in the
even bay between two odd ones (bay 6 covers ground bays 5 and 7). Rows and tiers count from 1.
Each occupancy and reservation stores the half-open range of ground bays it covers
(``[ground_from, ground_to)``: ``[b, b+1)`` for a 20' box in bay ``b``, ``[b−1, b+2)`` for a 40'
box in bay ``b``) so that the database can compare 20' and 40' boxes.

The database is the arbiter (DESIGN.md §5.3):

* one box per position and one position per box: partial unique constraints on current rows
  (``valid_to IS NULL``); these hold on SQLite too;
* a 40' box never overlaps a 20' box (nor another 40'): an exclusion constraint over the ground
  bay range on the same block, row and tier, current rows only;
* two live reservations never share a slot: an exclusion constraint over the ground bays and the
  reservation's time range (a released or consumed reservation's range ends when it is let go,
  an expired one's at its expiry, so neither blocks anybody afterwards).

Exclusion constraints exist only on PostgreSQL; on SQLite (embedded mode) :mod:`yard.services`
checks the same rules in Python under the same stack locks.
"""

from __future__ import annotations

from django.contrib.postgres.fields import RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Mod
from django.db.models.lookups import Exact
from simple_history.models import HistoricalRecords

from tos.core.db import Int4Range, PostgresExclusionConstraint, TsTzRange
from tos.core.models import ContainerVisit, SolverRun, Terminal, User
from yard.choices import STACKABLE_LENGTHS, BlockKind, Equipment, MoveKind, MoveStatus


def ground_bays(bay: int, size_ft: int) -> tuple[int, int]:
    """The half-open range ``[from, to)`` of odd ground bays a box of ``size_ft`` in ``bay``
    covers: ``(b, b+1)`` for 20', ``(b−1, b+2)`` for 40'/45'."""
    return (bay, bay + 1) if size_ft == 20 else (bay - 1, bay + 2)


def slot_size(length_ft: int) -> int:
    """20 for a 20' box, 40 for 40'/45' boxes (both take the even bay)."""
    return 20 if length_ft == 20 else 40


def yard_ref(block: str, bay: int, row: int, tier: int) -> str:
    """``A03.14.4.2``: the position reference also kept on the unit (``position_ref``)."""
    return f"{block}.{bay:02d}.{row}.{tier}"


def _geometry_constraints(prefix: str) -> list[models.BaseConstraint]:
    """The size, bay parity and ground-range rules shared by occupancy and reservations."""
    odd = Exact(Mod("bay", 2), 1)
    twenty = Q(odd, size_ft=20, ground_from=F("bay"), ground_to=F("bay") + 1)
    forty = Q(~Q(odd), size_ft__in=[40, 45], ground_from=F("bay") - 1, ground_to=F("bay") + 2)
    return [
        models.CheckConstraint(condition=twenty | forty, name=f"{prefix}_ground_bays_valid"),
        models.CheckConstraint(
            condition=Q(ground_from__gte=1) & Q(row__gte=1) & Q(tier__gte=1),
            name=f"{prefix}_position_positive",
        ),
    ]


class YardBlock(models.Model):
    """A yard block of ``bays`` × ``rows`` stacks up to ``max_tier`` high. 20' boxes take one bay,
    40'/45' boxes two adjacent bays (even-bay notation).

    Reefer blocks have ``reefer_plugs_per_row`` plugs on each plugged row (``plugged_rows``;
    empty means every row). ``allow_20_on_40`` lets a 20' box stand on a 40' box here (off by
    default: its corner castings would rest mid-span)."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="yard_blocks")
    name = models.CharField(max_length=10)
    kind = models.CharField(max_length=10, choices=BlockKind.choices, default=BlockKind.DRY)
    equipment = models.CharField(max_length=16, choices=Equipment.choices, default=Equipment.RTG)
    bays = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    rows = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    max_tier = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    reefer_plugs_per_row = models.PositiveSmallIntegerField(default=0)
    plugged_rows = models.JSONField(
        default=list,
        blank=True,
        help_text="Rows with reefer plugs, e.g. [1, 2, 3]; empty: every row of a reefer block.",
    )
    allow_20_on_40 = models.BooleanField(
        "allow 20' on 40'",
        default=False,
        help_text="Let a 20' box stand on a 40' box in this block.",
    )
    x_m = models.IntegerField("plan x (m)", default=0)
    y_m = models.IntegerField("plan y (m)", default=0)
    orientation_deg = models.SmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["terminal", "name"]
        constraints = [
            models.UniqueConstraint(fields=["terminal", "name"], name="yard_block_name_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=BlockKind.values), name="yard_block_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind=BlockKind.REEFER) | Q(reefer_plugs_per_row__gt=0),
                name="yard_block_reefer_has_plugs",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def capacity_teu(self) -> int:
        return self.bays * self.rows * self.max_tier

    @property
    def last_bay(self) -> int:
        """The highest (odd) ground bay number."""
        return 2 * self.bays - 1

    def has_plugs(self, row: int) -> bool:
        """Whether ``row`` has reefer plugs."""
        if self.kind != BlockKind.REEFER or self.reefer_plugs_per_row <= 0:
            return False
        return not self.plugged_rows or row in self.plugged_rows

    def clean(self) -> None:
        rows = self.plugged_rows
        if not isinstance(rows, list) or not all(
            isinstance(r, int) and not isinstance(r, bool) and 1 <= r <= (self.rows or 0)
            for r in rows
        ):
            raise ValidationError(
                {"plugged_rows": f"A list of row numbers from 1 to {self.rows}, e.g. [1, 2]."}
            )
        if rows and self.kind != BlockKind.REEFER:
            raise ValidationError({"plugged_rows": "Only reefer blocks have plugged rows."})


class DgSegregationZone(models.Model):
    """A stretch of a dangerous-goods block, ground bays ``first_bay``–``last_bay`` (odd, both
    included) on every row, kept for the IMDG classes in ``imdg_classes`` (``"3"`` admits 3,
    ``"2"`` admits 2.1, 2.2 and 2.3, ``"2.1"`` only 2.1). Zones of one block never overlap."""

    block = models.ForeignKey(YardBlock, on_delete=models.CASCADE, related_name="dg_zones")
    name = models.CharField(max_length=30)
    first_bay = models.PositiveSmallIntegerField()
    last_bay = models.PositiveSmallIntegerField()
    imdg_classes = models.JSONField(default=list, help_text='IMDG classes, e.g. ["3", "8"].')
    history = HistoricalRecords()

    class Meta:
        ordering = ["block", "first_bay"]
        constraints = [
            models.UniqueConstraint(fields=["block", "name"], name="dg_zone_name_unique"),
            models.CheckConstraint(
                condition=Q(last_bay__gte=F("first_bay")) & Q(first_bay__gte=1),
                name="dg_zone_bays_valid",
            ),
            PostgresExclusionConstraint(
                name="dg_zone_no_overlap",
                expressions=[
                    ("block", RangeOperators.EQUAL),
                    (Int4Range("first_bay", "last_bay", Value("[]")), RangeOperators.OVERLAPS),
                ],
                violation_error_code="dg_zone_overlap",
                violation_error_message="Segregation zones of one block must not overlap.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.block.name} {self.name} (bays {self.first_bay}–{self.last_bay})"

    def admits(self, imdg_class: str) -> bool:
        """Whether a box of ``imdg_class`` may stand in this zone."""
        return any(
            imdg_class == c or imdg_class.split(".", 1)[0] == c for c in self.imdg_classes or []
        )

    def covers(self, ground_from: int, ground_to: int) -> bool:
        """Whether the zone holds all of the ground bays ``[ground_from, ground_to)``."""
        return self.first_bay <= ground_from and ground_to - 1 <= self.last_bay

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.first_bay is not None and self.first_bay % 2 == 0:
            errors["first_bay"] = "Zones start on an odd (20') ground bay."
        if self.last_bay is not None and self.last_bay % 2 == 0:
            errors["last_bay"] = "Zones end on an odd (20') ground bay."
        if (
            self.first_bay is not None
            and self.last_bay is not None
            and self.last_bay < self.first_bay
        ):
            errors["last_bay"] = "The zone must end at or after its first bay."
        if self.block_id and self.last_bay and self.last_bay > self.block.last_bay:
            errors["last_bay"] = f"Block {self.block.name} ends at bay {self.block.last_bay}."
        if self.block_id and self.block.kind != BlockKind.DANGEROUS:
            errors["block"] = "Segregation zones belong to dangerous-goods blocks."
        classes = self.imdg_classes
        if (
            not isinstance(classes, list)
            or not classes
            or not all(isinstance(c, str) and c[:1].isdigit() for c in classes)
        ):
            errors["imdg_classes"] = 'A list of IMDG classes such as ["3", "8"].'
        if errors:
            raise ValidationError(errors)


class YardStack(models.Model):
    """One ground stack (block, odd ground bay, row): the row the services lock with
    ``select_for_update()`` in pk order before they change what stands on it. A 40' box locks
    both ground stacks it covers. Created on first use."""

    block = models.ForeignKey(YardBlock, on_delete=models.CASCADE, related_name="stacks")
    bay = models.PositiveSmallIntegerField()
    row = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["block", "bay", "row"]
        constraints = [
            models.UniqueConstraint(fields=["block", "bay", "row"], name="yard_stack_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.block_id}.{self.bay:02d}.{self.row}"


class YardMove(models.Model):
    """A move of a unit to a yard position: planned (its target slot reserved until the
    reservation expires), then confirmed (the box stands there) or cancelled. ``from_*`` is where
    the box stood when the move was planned (empty for a discharge or gate receival)."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="yard_moves")
    unit = models.ForeignKey(ContainerVisit, on_delete=models.PROTECT, related_name="yard_moves")
    kind = models.CharField(max_length=14, choices=MoveKind.choices, default=MoveKind.SHIFT)
    status = models.CharField(max_length=10, choices=MoveStatus.choices, default=MoveStatus.PLANNED)
    from_block = models.ForeignKey(
        YardBlock, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_bay = models.PositiveSmallIntegerField(null=True, blank=True)
    from_row = models.PositiveSmallIntegerField(null=True, blank=True)
    from_tier = models.PositiveSmallIntegerField(null=True, blank=True)
    to_block = models.ForeignKey(YardBlock, on_delete=models.PROTECT, related_name="+")
    to_bay = models.PositiveSmallIntegerField()
    to_row = models.PositiveSmallIntegerField()
    to_tier = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField(
        null=True, blank=True, help_text="Order within a relocation plan."
    )
    solver_run = models.ForeignKey(
        SolverRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="yard_moves"
    )
    note = models.CharField(max_length=200, blank=True)
    planned_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    planned_at = models.DateTimeField()
    confirmed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-planned_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MoveStatus.values), name="yard_move_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=MoveKind.values), name="yard_move_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=MoveStatus.CONFIRMED) | Q(confirmed_at__isnull=False),
                name="yard_move_confirmed_at_set",
            ),
            models.CheckConstraint(
                condition=~Q(status=MoveStatus.CANCELLED) | Q(cancelled_at__isnull=False),
                name="yard_move_cancelled_at_set",
            ),
            models.CheckConstraint(
                condition=Q(to_row__gte=1) & Q(to_tier__gte=1) & Q(to_bay__gte=1),
                name="yard_move_target_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["terminal", "status"]),
            models.Index(fields=["unit", "status"]),
            models.Index(fields=["to_block", "status"]),
        ]

    def __str__(self) -> str:
        return f"move {self.pk} of unit {self.unit_id} ({self.status})"

    @property
    def target_ref(self) -> str:
        return yard_ref(self.to_block.name, self.to_bay, self.to_row, self.to_tier)


class YardOccupancy(models.Model):
    """A box standing at a yard position from ``valid_from`` until ``valid_to`` (NULL: now).
    Rows are never updated except to close them: the yard's history is the table itself."""

    terminal = models.ForeignKey(
        Terminal, on_delete=models.PROTECT, related_name="yard_occupancies"
    )
    unit = models.ForeignKey(
        ContainerVisit, on_delete=models.PROTECT, related_name="yard_occupancies"
    )
    block = models.ForeignKey(YardBlock, on_delete=models.PROTECT, related_name="occupancies")
    bay = models.PositiveSmallIntegerField()
    row = models.PositiveSmallIntegerField()
    tier = models.PositiveSmallIntegerField()
    size_ft = models.PositiveSmallIntegerField(choices=[(n, f"{n}'") for n in STACKABLE_LENGTHS])
    ground_from = models.PositiveSmallIntegerField(editable=False)
    ground_to = models.PositiveSmallIntegerField(editable=False)
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    move = models.ForeignKey(
        YardMove, null=True, blank=True, on_delete=models.SET_NULL, related_name="occupancies"
    )
    placed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["block", "bay", "row", "tier", "-valid_from"]
        verbose_name_plural = "yard occupancies"
        constraints = [
            models.UniqueConstraint(
                fields=["block", "bay", "row", "tier"],
                condition=Q(valid_to__isnull=True),
                name="yard_occupancy_one_box_per_position",
                violation_error_code="slot_occupied",
            ),
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(valid_to__isnull=True),
                name="yard_occupancy_one_position_per_unit",
                violation_error_code="unit_already_in_yard",
            ),
            PostgresExclusionConstraint(
                name="yard_occupancy_no_overlap",
                expressions=[
                    ("block", RangeOperators.EQUAL),
                    ("row", RangeOperators.EQUAL),
                    ("tier", RangeOperators.EQUAL),
                    (Int4Range("ground_from", "ground_to"), RangeOperators.OVERLAPS),
                ],
                condition=Q(valid_to__isnull=True),
                violation_error_code="slot_overlap",
                violation_error_message="Another box stands on one of these ground bays at "
                "this row and tier.",
            ),
            *_geometry_constraints("yard_occupancy"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="yard_occupancy_valid_to_after_from",
            ),
        ]
        indexes = [
            models.Index(
                fields=["terminal", "block"],
                condition=Q(valid_to__isnull=True),
                name="yard_occupancy_current",
            ),
            models.Index(fields=["unit", "valid_from"]),
        ]

    def __str__(self) -> str:
        return f"unit {self.unit_id} at {self.ref}" + ("" if self.is_current else " (past)")

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    @property
    def ref(self) -> str:
        return yard_ref(self.block.name, self.bay, self.row, self.tier)


class YardReservation(models.Model):
    """A slot held for a planned move from ``reserved_from`` until ``reserved_until``. The end is
    the expiry; releasing, cancelling or confirming the move brings it forward to that moment,
    so a reservation is live exactly while ``now`` lies in its range."""

    terminal = models.ForeignKey(
        Terminal, on_delete=models.PROTECT, related_name="yard_reservations"
    )
    unit = models.ForeignKey(
        ContainerVisit, on_delete=models.PROTECT, related_name="yard_reservations"
    )
    move = models.OneToOneField(
        YardMove, null=True, blank=True, on_delete=models.CASCADE, related_name="reservation"
    )
    block = models.ForeignKey(YardBlock, on_delete=models.PROTECT, related_name="reservations")
    bay = models.PositiveSmallIntegerField()
    row = models.PositiveSmallIntegerField()
    tier = models.PositiveSmallIntegerField()
    size_ft = models.PositiveSmallIntegerField(choices=[(n, f"{n}'") for n in STACKABLE_LENGTHS])
    ground_from = models.PositiveSmallIntegerField(editable=False)
    ground_to = models.PositiveSmallIntegerField(editable=False)
    reserved_from = models.DateTimeField()
    reserved_until = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="When the reservation lapses if nobody uses it.")
    released_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-reserved_from", "-pk"]
        constraints = [
            PostgresExclusionConstraint(
                name="yard_reservation_no_overlap",
                expressions=[
                    ("block", RangeOperators.EQUAL),
                    ("row", RangeOperators.EQUAL),
                    ("tier", RangeOperators.EQUAL),
                    (Int4Range("ground_from", "ground_to"), RangeOperators.OVERLAPS),
                    (TsTzRange("reserved_from", "reserved_until"), RangeOperators.OVERLAPS),
                ],
                violation_error_code="slot_reserved",
                violation_error_message="Another live reservation holds one of these ground "
                "bays at this row and tier.",
            ),
            *_geometry_constraints("yard_reservation"),
            models.CheckConstraint(
                condition=Q(reserved_until__gte=F("reserved_from")),
                name="yard_reservation_until_after_from",
            ),
        ]
        indexes = [
            models.Index(fields=["terminal", "reserved_until"]),
            models.Index(fields=["block", "row", "tier", "reserved_until"]),
        ]

    def __str__(self) -> str:
        return f"reservation {self.pk} of {self.block_id}.{self.bay}.{self.row}.{self.tier}"

    def is_live(self, now) -> bool:
        return self.reserved_from <= now < self.reserved_until
