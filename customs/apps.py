from django.apps import AppConfig


class CustomsConfig(AppConfig):
    """Declarations, customs holds and releases, smart inspection."""

    name = "customs"
    verbose_name = "Customs"
