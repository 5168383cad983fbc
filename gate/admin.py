from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from gate.models import GateLane


@admin.register(GateLane)
class GateLaneAdmin(SimpleHistoryAdmin):
    list_display = ["name", "terminal", "direction", "has_ocr", "is_open"]
    list_filter = ["terminal", "direction", "is_open"]
