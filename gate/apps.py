from django.apps import AppConfig


class GateConfig(AppConfig):
    """Gate lanes, truck appointments, truck visits and EIRs."""

    name = "gate"
    verbose_name = "Gate"
