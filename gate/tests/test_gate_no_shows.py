"""No-shows on a schedule: the beat entry names the task, and the task marks every appointment
whose check-in window (slot end + tolerance) has closed, once."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from gate.choices import TransactionType
from gate.models import Appointment, AppointmentSlot
from gate.tasks import appointments_mark_no_shows_task
from gate.tests.conftest import this_hour


def past_appointment(terminal, user, hours_ago: int) -> Appointment:
    """An appointment booked in a slot ``hours_ago`` hours back (booked while it was open)."""
    slot = AppointmentSlot.objects.create(
        terminal=terminal,
        starts_at=this_hour() - dt.timedelta(hours=hours_ago),
        transaction_type=TransactionType.DROP_OFF_EXPORT,
        capacity=2,
        booked=1,
    )
    return Appointment.objects.create(
        terminal=terminal,
        reference=f"APPAST{hours_ago}",
        slot=slot,
        transaction_type=slot.transaction_type,
        booked_by=user,
    )


def test_celery_beat_runs_the_no_show_task_every_five_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["gate-mark-no-shows"]
    assert entry == {"task": "gate.appointments_mark_no_shows", "schedule": 300.0}


def test_the_task_marks_only_appointments_whose_window_has_closed_and_only_once(
    terminal, haulier, book
):
    overdue = past_appointment(terminal, haulier, hours_ago=3)
    current = book()
    assert appointments_mark_no_shows_task.apply().get() == {terminal.locode: 1}
    overdue.refresh_from_db()
    assert overdue.status == "no_show"
    assert overdue.no_show_at is not None
    assert overdue.no_show_at <= timezone.now()
    assert Appointment.objects.get(pk=current["id"]).status == "booked"
    assert appointments_mark_no_shows_task.apply().get() == {terminal.locode: 0}
    assert Appointment.objects.filter(status="no_show").count() == 1
