"""WSGI entry point (HTTP only; the full application with WebSockets is tos.asgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tos.settings.dev")
application = get_wsgi_application()
