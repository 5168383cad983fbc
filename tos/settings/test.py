"""Settings for pytest.

Tests use real PostgreSQL and Redis whenever they are reachable (CI always, DESIGN.md §3): an
explicit ``DATABASE_URL``/``REDIS_URL`` wins, otherwise 127.0.0.1:5432 and 127.0.0.1:6379 are
probed, and only a machine with neither falls back to the embedded mode.
"""

import os
import socket


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


if "DATABASE_URL" not in os.environ and _reachable("127.0.0.1", 5432):
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/tos"
if "REDIS_URL" not in os.environ and _reachable("127.0.0.1", 6379):
    os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/15"

from .base import *  # noqa: E402, F403
from .base import DATABASES, VAR_DIR  # noqa: E402

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
TOS_WS_HEARTBEAT_SECONDS = 2
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
