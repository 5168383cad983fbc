from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from gate.models import (
    Appointment,
    AppointmentSlot,
    GateLane,
    GateTransaction,
    PreAdvice,
    TruckVisit,
)


@admin.register(GateLane)
class GateLaneAdmin(SimpleHistoryAdmin):
    list_display = ["name", "terminal", "direction", "has_ocr", "is_open"]
    list_filter = ["terminal", "direction", "is_open"]


@admin.register(AppointmentSlot)
class AppointmentSlotAdmin(admin.ModelAdmin):
    """Read-only here: capacity changes go through the API (``booked`` is the guarded counter)."""

    list_display = ["starts_at", "transaction_type", "capacity", "booked", "terminal"]
    list_filter = ["terminal", "transaction_type"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """Gate records change only through the gate services."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyHistoryAdmin):
    list_display = ["reference", "slot", "transaction_type", "status", "organisation", "line"]
    list_filter = ["status", "transaction_type"]
    search_fields = ["reference", "truck_plate", "container_number"]


@admin.register(PreAdvice)
class PreAdviceAdmin(ReadOnlyHistoryAdmin):
    list_display = ["container_number", "transaction_type", "status", "line", "created_at"]
    list_filter = ["status", "transaction_type"]
    search_fields = ["container_number", "booking_ref", "release_ref"]


class GateTransactionInline(admin.TabularInline):
    model = GateTransaction
    extra = 0
    can_delete = False
    fields = [
        "container_number",
        "transaction_type",
        "accepted",
        "position_status",
        "yard_position",
    ]
    readonly_fields = fields


@admin.register(TruckVisit)
class TruckVisitAdmin(ReadOnlyHistoryAdmin):
    list_display = ["truck_plate", "status", "lane", "gate_in_at", "gate_out_at", "turn_time_s"]
    list_filter = ["status", "lane"]
    search_fields = ["truck_plate", "eir_number"]
    inlines = [GateTransactionInline]
