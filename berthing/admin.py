from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from berthing.models import BerthSection, Quay, QuayCrane


class BerthSectionInline(admin.TabularInline):
    model = BerthSection
    extra = 0


@admin.register(Quay)
class QuayAdmin(SimpleHistoryAdmin):
    list_display = ["name", "terminal", "length_m"]
    inlines = [BerthSectionInline]


@admin.register(QuayCrane)
class QuayCraneAdmin(SimpleHistoryAdmin):
    list_display = ["name", "quay", "rail_order", "gross_moves_per_hour", "is_available"]
    list_filter = ["quay", "is_available"]
