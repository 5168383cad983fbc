from django.apps import AppConfig


class WebConfig(AppConfig):
    """Home, navigation, login and the dashboards shared by all apps."""

    name = "tos.web"
    label = "web"
    verbose_name = "Web"
