"""Reads of operations: equipment, work orders and crane queues of the caller's terminal, an
equipment client's job list, and the COARRI discharge/load reports of a visit written from the
completed moves through :mod:`tos.edi`."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from operations.choices import ASSIGNED_STATUSES, WorkOrderKind, WorkOrderStatus
from operations.models import CraneQueue, Equipment, WorkOrder
from tos import edi
from tos.core.models import User, VesselVisit
from tos.core.selectors import terminal_for_user


def _terminal_id(user: User) -> int | None:
    terminal = terminal_for_user(user)
    return terminal.pk if terminal else None


def equipment_visible_to(user: User) -> QuerySet[Equipment]:
    """Equipment of the caller's terminal (operations are terminal staff's business)."""
    return Equipment.objects.filter(terminal_id=_terminal_id(user)).select_related(
        "block", "position_block", "quay_crane", "current_job"
    )


def work_orders_visible_to(user: User) -> QuerySet[WorkOrder]:
    return WorkOrder.objects.filter(terminal_id=_terminal_id(user)).select_related(
        "unit__container",
        "vessel_visit",
        "from_block",
        "to_block",
        "equipment",
        "crane_queue__crane",
    )


def crane_queues_of(*, visit: VesselVisit) -> list[CraneQueue]:
    """The visit's crane queues in rail order, each with ``moves`` (its work orders by
    sequence) and ``done``/``total`` counts."""
    queues = list(
        CraneQueue.objects.filter(vessel_visit=visit)
        .select_related("crane")
        .annotate(
            total=Count("work_orders", filter=~Q(work_orders__status=WorkOrderStatus.CANCELLED)),
            done=Count("work_orders", filter=Q(work_orders__status=WorkOrderStatus.COMPLETED)),
        )
        .order_by("rail_order")
    )
    moves: dict[int, list[WorkOrder]] = {q.pk: [] for q in queues}
    for wo in (
        WorkOrder.objects.filter(crane_queue__in=queues)
        .exclude(status=WorkOrderStatus.CANCELLED)
        .order_by("crane_queue_id", "sequence")
    ):
        moves[wo.crane_queue_id].append(wo)
    for q in queues:
        q.moves = moves[q.pk]
    return queues


def equipment_jobs(*, equipment: Equipment, limit: int = 20) -> dict[str, Any]:
    """An equipment client's job list: its job in hand and what it would be given next."""
    from operations.services import dispatch_candidates

    current = (
        WorkOrder.objects.filter(equipment=equipment, status__in=ASSIGNED_STATUSES)
        .select_related("unit__container", "from_block", "to_block")
        .first()
    )
    return {"current": current, "next": dispatch_candidates(equipment=equipment)[:limit]}


def queue_etag(queue: CraneQueue) -> str:
    return f'"queue-{queue.pk}-r{queue.revision}"'


# --- COARRI -------------------------------------------------------------------------------------


def _local(value: datetime | None, visit: VesselVisit) -> datetime | None:
    if value is None:
        return None
    if timezone.is_aware(value):
        value = value.astimezone(zoneinfo.ZoneInfo(visit.terminal.timezone))
    return value.replace(tzinfo=None, microsecond=0)


def _call(visit: VesselVisit, *, outbound: bool) -> edi.VesselCall:
    return edi.VesselCall(
        voyage=visit.outbound_voyage if outbound else visit.inbound_voyage,
        vessel_name=visit.vessel.name,
        imo=visit.vessel.imo,
        call_sign=visit.vessel.call_sign,
        carrier=visit.line.code,
        departure_port=visit.terminal.locode,
        eta=_local(visit.eta, visit),
        etd=_local(visit.etd, visit),
        ata=_local(visit.ata, visit),
        atd=_local(visit.atd, visit),
    )


def coarri_moves(*, visit: VesselVisit, kind: str) -> list[WorkOrder]:
    """The completed discharge or load moves of a visit, in the order they happened."""
    return list(
        WorkOrder.objects.filter(vessel_visit=visit, kind=kind, status=WorkOrderStatus.COMPLETED)
        .select_related("unit__container", "unit__line")
        .order_by("completed_at", "pk")
    )


def coarri_from_moves(*, visit: VesselVisit, kind: str) -> tuple[str, int]:
    """The COARRI discharge (cells discharged from) or load (cells loaded into) report of a
    visit from its completed work orders, and the number of moves in it. The message date is
    the last move's time, so the same moves always give the same text."""
    if kind not in (WorkOrderKind.DISCHARGE, WorkOrderKind.LOAD):
        raise ValueError("kind is discharge or load")
    moves = coarri_moves(visit=visit, kind=kind)
    side = "from" if kind == WorkOrderKind.DISCHARGE else "to"
    lines = []
    for wo in moves:
        unit = wo.unit
        container = unit.container if unit else None
        lines.append(
            edi.ExecutedMove(
                container=wo.container_number,
                size_type=container.iso_type if container else "",
                status="3" if kind == WorkOrderKind.DISCHARGE else "2",
                full=(unit.category != "empty") if unit else None,
                pol=unit.pol if unit else "",
                pod=unit.pod if unit else "",
                position=edi.Position(
                    getattr(wo, f"{side}_bay"),
                    getattr(wo, f"{side}_row"),
                    getattr(wo, f"{side}_tier"),
                ),
                moved_at=_local(wo.completed_at, visit),
                vgm_kg=Decimal(unit.vgm_kg) if unit and unit.vgm_kg else None,
                operator=unit.line.code if unit else "",
            )
        )
    last = moves[-1].completed_at if moves else visit.updated_at
    report = edi.ContainerList(
        message_type="COARRI",
        kind=kind,
        lines=tuple(lines),
        vessel=_call(visit, outbound=kind == WorkOrderKind.LOAD),
        document_number=f"{visit.reference}-{kind[:3].upper()}"[:35],
        message_date=_local(last, visit),
        message_reference=f"{visit.pk}",
    )
    envelope = edi.Envelope(
        sender=visit.terminal.code.upper().replace("-", "")[:35],
        recipient=visit.line.code,
        reference=f"{visit.pk}O{kind[0].upper()}{len(lines)}"[:14],
        prepared_at=_local(last, visit),
    )
    return edi.write_coarri(report, envelope=envelope), len(lines)


# --- KPIs ---------------------------------------------------------------------------------------


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end <= start:
        return None
    return (end - start).total_seconds() / 3600


def _rate(moves: int, hours: float | None) -> float | None:
    return round(moves / hours, 1) if hours else None


def kpi_vessel(*, visit: VesselVisit) -> dict[str, Any]:
    """Productivity of one vessel call from its completed moves.

    * per crane: moves done of its queue, the working span (first move started to last move
      completed) and the gross crane rate GCR = moves / span hours (delays included);
    * the berth: BMPH = all vessel moves done / hours from the first start to the last
      completion, and the moves still open.
    """
    from operations.choices import VESSEL_KINDS

    rows = list(
        WorkOrder.objects.filter(vessel_visit=visit, kind__in=VESSEL_KINDS)
        .exclude(status=WorkOrderStatus.CANCELLED)
        .select_related("crane_queue__crane")
        .order_by("pk")
    )
    done = [w for w in rows if w.status == WorkOrderStatus.COMPLETED]
    cranes: dict[str, dict[str, Any]] = {}
    for w in rows:
        if w.crane_queue_id is None:
            continue
        c = cranes.setdefault(
            w.crane_queue.crane.name,
            {"crane": w.crane_queue.crane.name, "done": 0, "total": 0, "start": None, "end": None},
        )
        c["total"] += 1
        if w.status == WorkOrderStatus.COMPLETED:
            c["done"] += 1
            start = w.started_at or w.completed_at
            c["start"] = min(filter(None, [c["start"], start]))
            c["end"] = max(filter(None, [c["end"], w.completed_at]))
    for c in cranes.values():
        hours = _hours(c["start"], c["end"])
        c["hours"] = round(hours, 2) if hours else None
        c["gcr"] = _rate(c["done"], hours)
    start = min((w.started_at or w.completed_at for w in done), default=None)
    end = max((w.completed_at for w in done), default=None)
    hours = _hours(start, end)
    return {
        "vessel_visit": visit.pk,
        "moves_done": len(done),
        "moves_open": len(rows) - len(done),
        "by_kind": {
            kind: sum(1 for w in done if w.kind == kind)
            for kind in (WorkOrderKind.DISCHARGE, WorkOrderKind.LOAD, WorkOrderKind.RESTOW)
        },
        "first_move_at": start,
        "last_move_at": end,
        "hours": round(hours, 2) if hours else None,
        "bmph": _rate(len(done), hours),
        "cranes": sorted(cranes.values(), key=lambda c: c["crane"]),
    }


def _percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (no interpolation): the smallest value with at least
    ``share`` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-int(share * 100) * len(ordered) // 100))
    return ordered[rank - 1]


def kpi_terminal(*, terminal_id: int, since: datetime, until: datetime) -> dict[str, Any]:
    """Moves of the terminal completed in ``[since, until)``: counts by kind, the job cycle time
    per kind (dispatch to completion, mean and 95th percentile, seconds), moves per equipment,
    the equipment by state now and the open problem reports by kind."""
    from operations.models import ProblemReport

    done = list(
        WorkOrder.objects.filter(
            terminal_id=terminal_id,
            status=WorkOrderStatus.COMPLETED,
            completed_at__gte=since,
            completed_at__lt=until,
        ).select_related("equipment")
    )
    cycle: dict[str, list[float]] = {}
    for w in done:
        if w.dispatched_at is not None:
            cycle.setdefault(w.kind, []).append((w.completed_at - w.dispatched_at).total_seconds())
    per_equipment: dict[str, int] = {}
    for w in done:
        if w.equipment is not None:
            per_equipment[w.equipment.name] = per_equipment.get(w.equipment.name, 0) + 1
    states = dict(
        Equipment.objects.filter(terminal_id=terminal_id)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    problems = dict(
        ProblemReport.objects.filter(work_order__terminal_id=terminal_id, resolved_at__isnull=True)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    return {
        "since": since,
        "until": until,
        "moves": len(done),
        "by_kind": {k: sum(1 for w in done if w.kind == k) for k in WorkOrderKind.values},
        "cycle_seconds": {
            kind: {
                "mean": round(sum(values) / len(values), 1),
                "p95": _percentile(values, 0.95),
                "n": len(values),
            }
            for kind, values in sorted(cycle.items())
        },
        "per_equipment": dict(sorted(per_equipment.items())),
        "equipment_states": states,
        "open_problems": problems,
    }
