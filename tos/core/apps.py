from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The shared kernel: terminal model, holds, events, solver runs, API base classes."""

    name = "tos.core"
    label = "core"
    verbose_name = "Terminal (shared)"
