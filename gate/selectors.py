"""Reads of the gate app. Every list the API shows goes through a ``*_visible_to`` selector:
terminal staff see their terminal's data, a haulier its own organisation's, an agent also
everything of the lines it represents."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from gate.models import (
    Appointment,
    AppointmentSlot,
    CodecoMessage,
    CoparnUpload,
    GateLane,
    GateTransaction,
    PreAdvice,
    TruckVisit,
)
from tos.core.models import Terminal, User
from tos.core.selectors import user_line_ids, user_sees_all_lines


def gate_lanes(*, terminal: Terminal | None) -> QuerySet[GateLane]:
    return GateLane.objects.filter(terminal=terminal)


def _staff_terminal(qs: QuerySet, user: User) -> QuerySet:
    if user.terminal_id and not user.is_superuser:
        return qs.filter(terminal_id=user.terminal_id)
    return qs


def _own_or_lines(qs: QuerySet, user: User, org_field: str, line_field: str) -> QuerySet:
    if user_sees_all_lines(user):
        return _staff_terminal(qs, user)
    cond = Q(**{f"{line_field}__in": user_line_ids(user)})
    if user.organisation_id:
        cond |= Q(**{org_field: user.organisation_id})
    qs = qs.filter(cond)
    if user.terminal_id:
        qs = qs.filter(terminal_id=user.terminal_id)
    return qs


def slots_visible_to(user: User) -> QuerySet[AppointmentSlot]:
    """Slots and their free capacity are public to everyone signed in at the terminal."""
    qs = AppointmentSlot.objects.all()
    if user.terminal_id and not user.is_superuser:
        qs = qs.filter(terminal_id=user.terminal_id)
    return qs


def appointments_visible_to(user: User) -> QuerySet[Appointment]:
    qs = Appointment.objects.select_related("slot", "organisation", "line")
    return _own_or_lines(qs, user, "organisation", "line")


def pre_advices_visible_to(user: User) -> QuerySet[PreAdvice]:
    qs = PreAdvice.objects.select_related("line", "organisation", "unit")
    return _own_or_lines(qs, user, "organisation", "line")


def truck_visits_visible_to(user: User) -> QuerySet[TruckVisit]:
    qs = TruckVisit.objects.select_related("lane", "out_lane", "haulier", "appointment")
    if user_sees_all_lines(user):
        return _staff_terminal(qs, user)
    lines = user_line_ids(user)
    of_my_lines = GateTransaction.objects.filter(visit=OuterRef("pk"), pre_advice__line__in=lines)
    cond = Q(Exists(of_my_lines))
    if user.organisation_id:
        cond |= Q(haulier_id=user.organisation_id)
    qs = qs.filter(cond)
    if user.terminal_id:
        qs = qs.filter(terminal_id=user.terminal_id)
    return qs


def codeco_visible_to(user: User) -> QuerySet[CodecoMessage]:
    """CODECO messages: terminal staff see their terminal's, an agent or line only its lines'."""
    qs = CodecoMessage.objects.select_related("line", "visit")
    if user_sees_all_lines(user):
        return _staff_terminal(qs, user)
    qs = qs.filter(line_id__in=user_line_ids(user))
    if user.terminal_id:
        qs = qs.filter(terminal_id=user.terminal_id)
    return qs


def coparn_uploads_visible_to(user: User) -> QuerySet[CoparnUpload]:
    """COPARN uploads: staff see their terminal's, others the ones they sent."""
    qs = CoparnUpload.objects.select_related("line", "uploaded_by")
    if user_sees_all_lines(user):
        return _staff_terminal(qs, user)
    return qs.filter(uploaded_by=user)
