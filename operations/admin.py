"""Admin of operations: equipment is reference data; work orders, crane queues and problem
reports are read-only here (they change only through the services)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from operations.models import CraneQueue, Equipment, ProblemReport, WorkOrder


@admin.register(Equipment)
class EquipmentAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "state", "pool", "block", "quay_crane", "current_job"]
    list_filter = ["kind", "state", "pool"]
    search_fields = ["name"]
    readonly_fields = ["state", "current_job", "position_block", "position_bay"]


class _ReadOnly(SimpleHistoryAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(_ReadOnly):
    list_display = [
        "id",
        "kind",
        "status",
        "container_number",
        "vessel_visit",
        "priority",
        "pool",
        "crane_queue",
        "sequence",
        "equipment",
        "completed_at",
    ]
    list_filter = ["kind", "status", "source"]
    search_fields = ["container_number"]


@admin.register(CraneQueue)
class CraneQueueAdmin(_ReadOnly):
    list_display = ["id", "vessel_visit", "crane", "first_bay", "last_bay", "revision", "built_at"]


@admin.register(ProblemReport)
class ProblemReportAdmin(admin.ModelAdmin):
    list_display = ["work_order", "kind", "equipment", "reported_by", "reported_at", "resolved_at"]
    list_filter = ["kind"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
