"""``python manage.py serve``: the whole application in one process (what ``make run`` starts).

HTTP and WebSockets are served by daphne. In the embedded mode (Celery on its in-memory broker,
no ``REDIS_URL``) a Celery worker consuming the ``default`` and ``solvers`` queues runs in a
thread of this process, so solver jobs go through Celery's real API and still run
asynchronously. In server mode the worker is a separate ``celery worker`` process instead.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from daphne.cli import CommandLineInterface
from django.conf import settings
from django.core.management.base import BaseCommand

from tos.celery import app as celery_app

logger = logging.getLogger(__name__)


def start_embedded_worker(concurrency: int = 2) -> Any:
    """Start a Celery worker on a daemon thread of this process and return its controller."""
    worker = celery_app.WorkController(
        app=celery_app,
        pool_cls="threads",
        concurrency=concurrency,
        queues=["default", "solvers"],
        loglevel="WARNING",
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
        hostname="embedded@localhost",
    )
    thread = threading.Thread(target=worker.start, name="celery-embedded", daemon=True)
    thread.start()
    return worker


class Command(BaseCommand):
    help = "Serve TOS: HTTP + WebSockets (daphne) and, in the embedded mode, a Celery worker."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start the embedded Celery worker."
        )

    def handle(self, *args: Any, host: str, port: int, no_worker: bool, **options: Any) -> None:
        embedded = settings.CELERY_EMBEDDED and not no_worker
        worker = start_embedded_worker() if embedded else None
        self.stdout.write(self.style.SUCCESS(f"TOS is serving at http://{host}:{port}/"))
        self.stdout.write(
            f"  database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
            f" · channel layer: {settings.CHANNEL_LAYERS['default']['BACKEND'].rsplit('.', 1)[-1]}"
            f" · celery worker: {'embedded' if embedded else 'separate process'}"
        )
        self.stdout.write(
            f"  API docs: http://{host}:{port}/api/docs/ · admin: http://{host}:{port}/admin/"
        )
        self._print_demo_logins()
        self.stdout.write("  Press Ctrl-C to stop.")
        try:
            CommandLineInterface().run(
                ["--bind", host, "--port", str(port), "--verbosity", "0", "tos.asgi:application"]
            )
        finally:
            if worker is not None:
                worker.stop(in_sighandler=False)

    def _print_demo_logins(self) -> None:
        from tos.core.demo import DEMO_PASSWORD, DEMO_USERS
        from tos.core.models import User

        present = set(
            User.objects.filter(username__in=[u[0] for u in DEMO_USERS]).values_list(
                "username", flat=True
            )
        )
        if not present:
            return
        self.stdout.write(f"  Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, description in DEMO_USERS:
            if username in present:
                self.stdout.write(f"    {username:<14} {role:<16} {description}")
