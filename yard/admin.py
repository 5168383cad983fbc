"""Admin of the yard: blocks with their segregation zones (reference data). Occupancy,
reservations and moves are read-only here; they change only through :mod:`yard.services`."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from yard.models import DgSegregationZone, YardBlock, YardMove, YardOccupancy, YardReservation


class DgSegregationZoneInline(admin.TabularInline):
    model = DgSegregationZone
    extra = 0


@admin.register(YardBlock)
class YardBlockAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "terminal",
        "kind",
        "equipment",
        "bays",
        "rows",
        "max_tier",
        "capacity_teu",
    ]
    list_filter = ["terminal", "kind", "equipment"]
    search_fields = ["name"]
    inlines = [DgSegregationZoneInline]


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(YardOccupancy)
class YardOccupancyAdmin(_ReadOnlyAdmin):
    list_display = ["unit", "block", "bay", "row", "tier", "size_ft", "valid_from", "valid_to"]
    list_filter = ["block"]
    search_fields = ["unit__container__number"]


@admin.register(YardReservation)
class YardReservationAdmin(_ReadOnlyAdmin):
    list_display = ["unit", "block", "bay", "row", "tier", "reserved_from", "reserved_until"]
    search_fields = ["unit__container__number"]


@admin.register(YardMove)
class YardMoveAdmin(_ReadOnlyAdmin):
    list_display = ["pk", "unit", "kind", "status", "to_block", "to_bay", "to_row", "to_tier"]
    list_filter = ["status", "kind"]
    search_fields = ["unit__container__number"]
