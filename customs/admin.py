"""Customs records in the admin: read-only, because every change goes through the customs
services (holds through the core engine, decisions audited)."""

from django.contrib import admin

from customs.models import (
    BulkLot,
    Decision,
    Declaration,
    InspectionCase,
    RiskAssessment,
    SensorReading,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Declaration)
class DeclarationAdmin(ReadOnlyAdmin):
    list_display = ["reference", "kind", "status", "bl_ref", "declarant", "lodged_at"]
    list_filter = ["terminal", "kind", "status", "early", "two_step"]
    search_fields = ["reference", "bl_ref", "declarant"]


@admin.register(BulkLot)
class BulkLotAdmin(ReadOnlyAdmin):
    list_display = ["reference", "commodity", "declared_tonnage", "discharged_tonnage", "status"]
    list_filter = ["terminal", "status"]


@admin.register(SensorReading)
class SensorReadingAdmin(ReadOnlyAdmin):
    list_display = ["kind", "sensor_id", "external_id", "unit", "lot", "taken_at", "alarm"]
    list_filter = ["terminal", "kind", "alarm"]


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["unit", "lot", "score", "level", "computed_at"]
    list_filter = ["level"]


@admin.register(InspectionCase)
class InspectionCaseAdmin(ReadOnlyAdmin):
    list_display = ["pk", "unit", "lot", "priority", "status", "opened_at", "closed_at"]
    list_filter = ["terminal", "status"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "source", "officer", "unit", "lot", "declaration", "reason"]
    list_filter = ["action", "source"]
