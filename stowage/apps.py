from django.apps import AppConfig


class StowageConfig(AppConfig):
    """Vessel profiles, bay plans, load lists and stowage planning."""

    name = "stowage"
    verbose_name = "Stowage planning"
