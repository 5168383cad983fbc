from django.apps import AppConfig


class YardConfig(AppConfig):
    """Yard blocks, slots, occupancy, yard allocation and relocation planning."""

    name = "yard"
    verbose_name = "Yard"
