"""Admin of the stowage app. Vessel profiles are reference data edited here (the layout JSON is
validated on save, see :mod:`stowage.profile`); uploads, plans, lists and MOVINS records are
read-only here because only :mod:`stowage.services` writes them (one transaction per file)."""

from django.contrib import admin

from stowage.models import (
    EdiUpload,
    ListEntry,
    PlanCell,
    StowageInstructionRecord,
    StowagePlan,
    VesselProfile,
)
from stowage.profile import cell_count


@admin.register(VesselProfile)
class VesselProfileAdmin(admin.ModelAdmin):
    list_display = ["vessel", "source", "cells", "updated_at"]
    search_fields = ["vessel__name", "vessel__imo"]
    readonly_fields = ["cells", "source_upload", "updated_at"]
    fields = ["vessel", "source", "layout", "cells", "source_upload", "updated_at"]

    def save_model(self, request, obj, form, change):
        # Reference data: the admin is its editor; the cell count follows the layout.
        obj.cells = cell_count(obj.layout)
        super().save_model(request, obj, form, change)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EdiUpload)
class EdiUploadAdmin(_ReadOnly):
    list_display = ["pk", "message_type", "kind", "filename", "vessel_visit", "uploaded_by"]
    list_filter = ["message_type"]
    search_fields = ["filename", "content_sha256", "interchange_key"]


class PlanCellInline(admin.TabularInline):
    model = PlanCell
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["bay", "row", "tier", "container_number", "move", "iso_type", "pod", "vgm_kg"]
    readonly_fields = fields


@admin.register(StowagePlan)
class StowagePlanAdmin(_ReadOnly):
    list_display = ["vessel_visit", "kind", "status", "revision", "updated_at"]
    list_filter = ["kind", "status"]
    inlines = [PlanCellInline]


@admin.register(ListEntry)
class ListEntryAdmin(_ReadOnly):
    list_display = ["vessel_visit", "kind", "source", "container_number", "pod", "vgm_kg"]
    list_filter = ["kind", "source"]
    search_fields = ["container_number", "booking"]


@admin.register(StowageInstructionRecord)
class StowageInstructionRecordAdmin(_ReadOnly):
    list_display = ["vessel_visit", "instruction", "position", "container_number", "iso_type"]
