"""Celery application. Tasks are enqueued after commit (DjangoTask.delay_on_commit)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tos.settings.dev")

app = Celery("tos", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
