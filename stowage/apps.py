from django.apps import AppConfig


class StowageConfig(AppConfig):
    """Vessel profiles, bay plans, load lists and stowage planning."""

    name = "stowage"
    verbose_name = "Stowage planning"

    def ready(self) -> None:
        from stowage import jobs  # noqa: F401  (registers the stowage.plan solver job)
