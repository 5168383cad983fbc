"""Stowage: vessel profiles, arrival and departure bay plans, load and discharge lists, MOVINS
instructions and the EDI uploads that fed them.

Positions are ISO 9711 ``bay``/``row``/``tier`` integers (``code`` gives ``BBBRRTT``). A plan
cell keeps a snapshot of what the bay plan said about the box (size-type, weights, POD,
reefer, dangerous goods) so that bay views and the solver read one table; the unit (when the box
is ours to handle at this call) links to the kernel's ``ContainerVisit``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from stowage.choices import (
    CellMove,
    EdiMessageType,
    ListKind,
    ListSource,
    PlanKind,
    PlanStatus,
    ProfileSource,
)
from stowage.profile import empty_layout, layout_errors
from tos.core.models import (
    Container,
    ContainerVisit,
    Organisation,
    SolverRun,
    Terminal,
    User,
    Vessel,
    VesselVisit,
)


class EdiUpload(models.Model):
    """One accepted EDIFACT file: who sent it when, what it was, its validation report and what it
    created or updated. Rejected files (report not ok) are answered but not stored: they change
    nothing. ``content_sha256`` and ``interchange_keys`` make re-uploads idempotent."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="edi_uploads")
    uploaded_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="edi_uploads"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    message_type = models.CharField(max_length=8, choices=EdiMessageType.choices)
    kind = models.CharField(max_length=12, blank=True, help_text="load/discharge for COPRAR.")
    filename = models.CharField(max_length=200, blank=True)
    size_bytes = models.PositiveIntegerField()
    strict = models.BooleanField(default=False)
    content_sha256 = models.CharField(max_length=64)
    interchange_key = models.CharField(
        max_length=120, blank=True, help_text="The first interchange key, SENDER/REFERENCE."
    )
    interchange_keys = models.JSONField(default=list)
    vessel_visit = models.ForeignKey(
        VesselVisit, null=True, blank=True, on_delete=models.PROTECT, related_name="edi_uploads"
    )
    report = models.JSONField(default=dict)
    result = models.JSONField(default=dict, help_text="What was created and updated.")

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["terminal", "message_type", "content_sha256"],
                name="edi_upload_content_unique",
            ),
            models.CheckConstraint(
                condition=Q(message_type__in=EdiMessageType.values),
                name="edi_upload_message_type_valid",
            ),
        ]
        indexes = [models.Index(fields=["terminal", "interchange_key"])]

    def __str__(self) -> str:
        return f"{self.message_type} #{self.pk} ({self.filename or self.content_sha256[:8]})"


class VesselProfile(models.Model):
    """The stowage geometry of one vessel, reused at every call. ``layout`` is the compact JSON
    document described in :mod:`stowage.profile` (bays with their 40' pairs and hatch covers,
    stacks with tiers, reefer plugs, size rules and weight/height limits)."""

    vessel = models.OneToOneField(Vessel, on_delete=models.PROTECT, related_name="stowage_profile")
    source = models.CharField(
        max_length=8, choices=ProfileSource.choices, default=ProfileSource.ADMIN
    )
    source_upload = models.ForeignKey(
        EdiUpload, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    layout = models.JSONField(default=empty_layout)
    cells = models.PositiveIntegerField(default=0, help_text="20' cells in the layout.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["vessel__name"]

    def __str__(self) -> str:
        return f"Profile of {self.vessel.name}"

    def clean(self) -> None:
        errors = layout_errors(self.layout)
        if errors:
            raise ValidationError({"layout": errors})


class StowagePlan(models.Model):
    """A bay plan of one vessel visit: the arrival plan (from the inbound BAPLIE) or the
    departure plan (the solver's output, draft until final)."""

    vessel_visit = models.ForeignKey(
        VesselVisit, on_delete=models.PROTECT, related_name="stowage_plans"
    )
    kind = models.CharField(max_length=10, choices=PlanKind.choices)
    status = models.CharField(max_length=8, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    source_upload = models.ForeignKey(
        EdiUpload, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revision = models.PositiveIntegerField(default=1)
    solver_run = models.ForeignKey(
        SolverRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.JSONField(
        default=dict,
        blank=True,
        help_text="The planner's outcome: status, objective, terms, bound, rotation and the "
        "boxes it could not place with their reasons.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["vessel_visit", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["vessel_visit", "kind"], name="stowage_plan_one_per_visit_kind"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=PlanKind.values), name="stowage_plan_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values), name="stowage_plan_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} plan of {self.vessel_visit_id}"


class PlanCell(models.Model):
    """One box in one cell of a plan, with a snapshot of what the bay plan said about it.

    ``unit`` is set when the box is handled at this terminal (discharge or load); boxes that
    remain on board have no unit here. ``confirmed`` marks a move executed (COARRI source until
    an operations moves model exists)."""

    plan = models.ForeignKey(StowagePlan, on_delete=models.CASCADE, related_name="cells")
    bay = models.PositiveSmallIntegerField()
    row = models.PositiveSmallIntegerField()
    tier = models.PositiveSmallIntegerField()
    container_number = models.CharField(max_length=17)
    container = models.ForeignKey(
        Container, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        ContainerVisit, null=True, blank=True, on_delete=models.PROTECT, related_name="plan_cells"
    )
    move = models.CharField(max_length=10, choices=CellMove.choices, default=CellMove.REMAIN)
    iso_type = models.CharField(max_length=4, blank=True)
    length_ft = models.PositiveSmallIntegerField(null=True, blank=True)
    full = models.BooleanField(null=True)
    gross_kg = models.PositiveIntegerField(null=True, blank=True)
    vgm_kg = models.PositiveIntegerField(null=True, blank=True)
    pol = models.CharField(max_length=5, blank=True)
    pod = models.CharField(max_length=5, blank=True)
    final_destination = models.CharField(max_length=5, blank=True)
    operator = models.CharField(max_length=17, blank=True, help_text="Line code as sent.")
    line = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reefer_c = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    imdg_classes = models.CharField(max_length=40, blank=True, help_text="e.g. '3,6.1'.")
    un_numbers = models.CharField(max_length=60, blank=True)
    confirmed = models.BooleanField(default=False)
    moved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "bay", "row", "tier"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "bay", "row", "tier"], name="plan_cell_one_box_per_cell"
            ),
            models.UniqueConstraint(
                fields=["plan", "container_number"], name="plan_cell_one_cell_per_box"
            ),
            models.CheckConstraint(
                condition=Q(move__in=CellMove.values), name="plan_cell_move_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.container_number} @ {self.position}"

    @property
    def position(self) -> str:
        return f"{self.bay:03d}{self.row:02d}{self.tier:02d}"


class ListEntry(models.Model):
    """One box on a visit's load list or discharge list, from the arrival BAPLIE, a COPRAR or
    the export units in the yard."""

    vessel_visit = models.ForeignKey(
        VesselVisit, on_delete=models.PROTECT, related_name="stowage_list_entries"
    )
    kind = models.CharField(max_length=10, choices=ListKind.choices)
    source = models.CharField(max_length=8, choices=ListSource.choices)
    upload = models.ForeignKey(
        EdiUpload, null=True, blank=True, on_delete=models.SET_NULL, related_name="list_entries"
    )
    container_number = models.CharField(max_length=17)
    container = models.ForeignKey(
        Container, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        ContainerVisit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    iso_type = models.CharField(max_length=4, blank=True)
    full = models.BooleanField(null=True)
    booking = models.CharField(max_length=35, blank=True)
    pol = models.CharField(max_length=5, blank=True)
    pod = models.CharField(max_length=5, blank=True)
    vgm_kg = models.PositiveIntegerField(null=True, blank=True)
    operator = models.CharField(max_length=17, blank=True)
    reefer_c = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    imdg_classes = models.CharField(max_length=40, blank=True)
    position = models.CharField(
        max_length=32, blank=True, help_text="Vessel cell BBBRRTT, or the yard position (yard)."
    )

    class Meta:
        ordering = ["vessel_visit", "kind", "container_number"]
        verbose_name_plural = "list entries"
        constraints = [
            models.UniqueConstraint(
                fields=["vessel_visit", "kind", "container_number"],
                name="list_entry_once_per_list",
            ),
            models.CheckConstraint(condition=Q(kind__in=ListKind.values), name="list_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.container_number}"


class StowageInstructionRecord(models.Model):
    """One MOVINS instruction (HAN code per cell) as the line sent it."""

    vessel_visit = models.ForeignKey(
        VesselVisit, on_delete=models.PROTECT, related_name="stowage_instructions"
    )
    upload = models.ForeignKey(EdiUpload, on_delete=models.CASCADE, related_name="instructions")
    instruction = models.CharField(max_length=3)
    position = models.CharField(max_length=7, blank=True)
    container_number = models.CharField(max_length=17, blank=True)
    iso_type = models.CharField(max_length=4, blank=True)
    weight_kg = models.PositiveIntegerField(null=True, blank=True)
    pod = models.CharField(max_length=5, blank=True)
    operator = models.CharField(max_length=17, blank=True)

    class Meta:
        ordering = ["upload", "pk"]

    def __str__(self) -> str:
        return f"{self.instruction} {self.position} {self.container_number}"


class PlanEdit(models.Model):
    """One planner's move of one box in a departure plan, kept so that the last edit can be
    undone. ``revision`` is the plan revision the edit produced; an undone edit stays with
    ``undone_at`` set (the undo itself makes a new revision)."""

    plan = models.ForeignKey(StowagePlan, on_delete=models.CASCADE, related_name="edits")
    revision = models.PositiveIntegerField()
    container_number = models.CharField(max_length=17)
    from_bay = models.PositiveSmallIntegerField()
    from_row = models.PositiveSmallIntegerField()
    from_tier = models.PositiveSmallIntegerField()
    from_move = models.CharField(max_length=10, choices=CellMove.choices)
    to_bay = models.PositiveSmallIntegerField()
    to_row = models.PositiveSmallIntegerField()
    to_tier = models.PositiveSmallIntegerField()
    to_move = models.CharField(max_length=10, choices=CellMove.choices)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "-revision", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "revision"], name="plan_edit_one_per_revision"),
        ]

    def __str__(self) -> str:
        return f"{self.container_number} to {self.to_bay:03d}{self.to_row:02d}{self.to_tier:02d}"
