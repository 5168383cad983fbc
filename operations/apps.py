from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Work orders, equipment, crane queues, dispatch, KPIs and the simulator."""

    name = "operations"
    verbose_name = "Operations"
