"""Admin of the berthing app. Quay geometry, cranes, outages, line terms and windows are reference
data edited here; berth applications and berth plans are read-only here because only
:mod:`berthing.services` may change them (applications keep the visit's ETA and moves in step and
tell the line; plans have locks, revision, checker verdict, published flags)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from berthing.models import (
    BerthApplication,
    BerthAssignment,
    BerthPlan,
    BerthSection,
    BerthWindow,
    CraneAllocation,
    LineBerthTerms,
    Quay,
    QuayCrane,
    QuayCraneOutage,
)


class BerthSectionInline(admin.TabularInline):
    model = BerthSection
    extra = 0


@admin.register(Quay)
class QuayAdmin(SimpleHistoryAdmin):
    list_display = ["name", "terminal", "length_m", "clearance_m", "crane_spacing_m"]
    inlines = [BerthSectionInline]
    fieldsets = [
        (None, {"fields": ["terminal", "name", "length_m"]}),
        (
            "Planning rules",
            {
                "fields": [
                    "clearance_m",
                    "crane_spacing_m",
                    "crane_efficiency_pct",
                    "stability_weight",
                    "planning_period_min",
                    "planning_horizon_hours",
                ]
            },
        ),
    ]


class QuayCraneOutageInline(admin.TabularInline):
    model = QuayCraneOutage
    extra = 0


@admin.register(QuayCrane)
class QuayCraneAdmin(SimpleHistoryAdmin):
    list_display = ["name", "quay", "rail_order", "gross_moves_per_hour", "is_available"]
    list_filter = ["quay", "is_available"]
    inlines = [QuayCraneOutageInline]


@admin.register(QuayCraneOutage)
class QuayCraneOutageAdmin(SimpleHistoryAdmin):
    list_display = ["crane", "kind", "start", "end", "note"]
    list_filter = ["kind", "crane__quay"]
    date_hierarchy = "start"


@admin.register(LineBerthTerms)
class LineBerthTermsAdmin(SimpleHistoryAdmin):
    list_display = ["line", "terminal", "priority", "weight_service", "weight_late"]
    list_filter = ["terminal", "priority"]


@admin.register(BerthWindow)
class BerthWindowAdmin(SimpleHistoryAdmin):
    list_display = [
        "line",
        "service",
        "start",
        "end",
        "repeats_weekly",
        "valid_until",
        "quay",
        "start_m",
        "end_m",
        "penalty_per_hour",
    ]
    list_filter = ["terminal", "line", "repeats_weekly"]


class _ReadOnly:
    """Visible, never changed here: berth plans change only through the services."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class BerthAssignmentInline(_ReadOnly, admin.TabularInline):
    model = BerthAssignment
    extra = 0
    fields = ["vessel_visit", "start_m", "end_m", "berth_at", "depart_at", "locked", "is_published"]
    readonly_fields = fields
    show_change_link = True


@admin.register(BerthPlan)
class BerthPlanAdmin(_ReadOnly, SimpleHistoryAdmin):
    list_display = [
        "__str__",
        "terminal",
        "status",
        "source",
        "revision",
        "objective",
        "created_at",
        "published_at",
    ]
    list_filter = ["terminal", "quay", "status", "source"]
    inlines = [BerthAssignmentInline]


class CraneAllocationInline(_ReadOnly, admin.TabularInline):
    model = CraneAllocation
    extra = 0
    fields = ["crane", "start", "end", "is_published"]
    readonly_fields = fields


@admin.register(BerthAssignment)
class BerthAssignmentAdmin(_ReadOnly, SimpleHistoryAdmin):
    list_display = [
        "vessel_visit",
        "plan",
        "start_m",
        "end_m",
        "berth_at",
        "depart_at",
        "locked",
        "is_published",
    ]
    list_filter = ["quay", "is_published", "locked"]
    list_select_related = ["vessel_visit__vessel", "plan__quay"]
    inlines = [CraneAllocationInline]


@admin.register(CraneAllocation)
class CraneAllocationAdmin(_ReadOnly, SimpleHistoryAdmin):
    list_display = ["crane", "assignment", "start", "end", "is_published"]
    list_filter = ["crane", "is_published"]
    list_select_related = ["crane", "assignment__vessel_visit"]


@admin.register(BerthApplication)
class BerthApplicationAdmin(_ReadOnly, SimpleHistoryAdmin):
    list_display = [
        "vessel_visit",
        "requested_arrival",
        "requested_departure",
        "expected_discharge_moves",
        "expected_load_moves",
        "revision",
        "submitted_by",
        "updated_at",
    ]
    list_filter = ["vessel_visit__terminal", "vessel_visit__line"]
    list_select_related = ["vessel_visit__vessel", "submitted_by"]
    search_fields = ["vessel_visit__reference", "vessel_visit__vessel__name"]
    date_hierarchy = "requested_arrival"
