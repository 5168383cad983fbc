"""Reads of the gate app. Every list the API shows goes through a ``*_visible_to`` selector:
terminal staff see their terminal's data, a haulier its own organisation's, an agent also
everything of the lines it represents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from gate.choices import AppointmentStatus, TruckVisitStatus
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


def truck_visit_row(v: TruckVisit, containers: list[str]) -> dict[str, Any]:
    """A truck visit in the shape of the gate's live event payloads (``truck.*``)."""
    return {
        "id": v.pk,
        "truck_plate": v.truck_plate,
        "lane": v.lane.name,
        "out_lane": v.out_lane.name if v.out_lane_id else None,
        "status": v.status,
        "reasons": [r["code"] for r in v.reasons],
        "reason_messages": [r["message"] for r in v.reasons],
        "containers": containers,
        "decided_by": v.decided_by,
        "out_decided_by": v.out_decided_by,
        "appointment": v.appointment.reference if v.appointment_id else None,
        "gate_in_at": v.gate_in_at.isoformat(),
        "gate_out_at": v.gate_out_at.isoformat() if v.gate_out_at else None,
        "turn_time_s": v.turn_time_s,
    }


def gate_screen_snapshot(*, terminal: Terminal) -> dict[str, Any]:
    """Everything the live gate screen shows, with the event ``seq`` it reflects (DESIGN.md
    §5.6): the lanes; the queue (booked appointments whose truck reported at the pre-gate);
    every truck visit of the last 24 hours and every truck still in the terminal. The screen
    derives the rest (who is at which lane, refusals, counters) from these and the ``gate``
    events after ``seq``. Read in one REPEATABLE READ transaction on PostgreSQL."""
    with transaction.atomic():
        if connection.vendor == "postgresql" and len(connection.atomic_blocks) == 1:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        now = timezone.now()
        seq = Terminal.objects.filter(pk=terminal.pk).values_list("event_seq", flat=True).get()
        since = now - dt.timedelta(hours=24)
        visits = list(
            TruckVisit.objects.filter(terminal=terminal)
            .filter(Q(gate_in_at__gte=since) | Q(status=TruckVisitStatus.ACCEPTED))
            .select_related("lane", "out_lane", "appointment")
            .order_by("gate_in_at", "pk")
        )
        numbers: dict[int, list[str]] = {}
        for visit_id, number in (
            GateTransaction.objects.filter(visit__in=[v.pk for v in visits])
            .order_by("pk")
            .values_list("visit_id", "container_number")
        ):
            numbers.setdefault(visit_id, []).append(number)
        queue = (
            Appointment.objects.filter(
                terminal=terminal, status=AppointmentStatus.BOOKED, arrived_at__isnull=False
            )
            .select_related("slot")
            .order_by("arrived_at", "pk")
        )
        return {
            "seq": seq,
            "generated_at": now.isoformat(),
            "timezone": terminal.timezone,
            "lanes": [
                {
                    "name": lane.name,
                    "direction": lane.direction,
                    "has_ocr": lane.has_ocr,
                    "is_open": lane.is_open,
                }
                for lane in gate_lanes(terminal=terminal).order_by("name")
            ],
            "queue": [
                {
                    "id": a.pk,
                    "reference": a.reference,
                    "truck_plate": a.truck_plate,
                    "transaction_type": a.transaction_type,
                    "starts_at": a.slot.starts_at.isoformat(),
                    "arrived_at": a.arrived_at.isoformat(),
                }
                for a in queue
            ],
            "visits": [truck_visit_row(v, numbers.get(v.pk, [])) for v in visits],
        }


def gate_decision_stats(*, terminal: Terminal, since: dt.datetime | None = None) -> dict[str, Any]:
    """Gate decisions at ``terminal`` (since ``since``) and who made them: gate-ins (per truck),
    gate-outs, container transactions at gate-in, refusal reasons by code, and the share of
    decisions (gate-ins + gate-outs) made without a person."""
    visits = TruckVisit.objects.filter(terminal=terminal)
    outs = visits.filter(gate_out_at__isnull=False)
    txs = GateTransaction.objects.filter(visit__terminal=terminal)
    if since is not None:
        visits = visits.filter(gate_in_at__gte=since)
        outs = outs.filter(gate_out_at__gte=since)
        txs = txs.filter(visit__gate_in_at__gte=since)
    by_in = dict(visits.values_list("decided_by").annotate(n=Count("pk")))
    by_out = dict(outs.values_list("out_decided_by").annotate(n=Count("pk")))
    by_tx = dict(txs.values_list("decided_by").annotate(n=Count("pk")))
    refused = visits.filter(status=TruckVisitStatus.REFUSED)
    reasons: dict[str, int] = {}
    for visit_reasons in refused.values_list("reasons", flat=True):
        for r in visit_reasons:
            reasons[r["code"]] = reasons.get(r["code"], 0) + 1
    gate_in = sum(by_in.values())
    gate_out = sum(by_out.values())
    system = by_in.get("system", 0) + by_out.get("system", 0)
    decisions = gate_in + gate_out
    return {
        "gate_in": gate_in,
        "accepted": gate_in - refused.count(),
        "refused": refused.count(),
        "gate_in_system": by_in.get("system", 0),
        "gate_in_clerk": by_in.get("clerk", 0),
        "gate_out": gate_out,
        "gate_out_system": by_out.get("system", 0),
        "gate_out_clerk": by_out.get("clerk", 0),
        "transactions": sum(by_tx.values()),
        "transactions_system": by_tx.get("system", 0),
        "transactions_clerk": by_tx.get("clerk", 0),
        "reasons": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        "decisions": decisions,
        "decisions_system": system,
        "share_automatic": system / decisions if decisions else None,
    }
