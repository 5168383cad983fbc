from django.apps import AppConfig


class YardConfig(AppConfig):
    """Yard blocks, slots, occupancy, yard allocation and relocation planning."""

    name = "yard"
    verbose_name = "Yard"

    def ready(self) -> None:
        from yard import jobs  # noqa: F401  (registers the yard.relocation solver job)
