"""TOS: an open-source container Terminal Operating System."""

from tos.celery import app as celery_app

__all__ = ["celery_app"]
