from django.apps import AppConfig


class BerthingConfig(AppConfig):
    """Quay, berth sections, quay cranes; berth plans and the BAP/QC solvers."""

    name = "berthing"
    verbose_name = "Berth planning"

    def ready(self) -> None:
        from berthing import jobs  # noqa: F401  (registers the berthing.optimise solver job)
