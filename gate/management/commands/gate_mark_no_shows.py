"""Mark booked appointments whose check-in window has closed as no-shows (run every few
minutes, e.g. from cron or Celery beat)."""

from django.core.management.base import BaseCommand

from gate.services import appointments_mark_no_shows
from tos.core.models import Terminal


class Command(BaseCommand):
    help = "Mark appointments whose check-in window has closed as no-shows."

    def handle(self, *args, **options):
        total = 0
        for terminal in Terminal.objects.order_by("pk"):
            total += appointments_mark_no_shows(terminal=terminal)
        self.stdout.write(f"{total} no-shows marked")
