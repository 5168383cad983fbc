from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from yard.models import YardBlock


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
