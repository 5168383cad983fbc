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


# --- control room -------------------------------------------------------------------------------

#: Moves of each crane's queue the control room lists (the crane's next moves).
CONTROL_ROOM_QUEUE = 8
#: How far back the control room lists customs alarms and gate refusals.
CONTROL_ROOM_ALARM_HOURS = 12
#: A berth rate over less work than this (hours) means nothing; the control room shows none.
MIN_RATE_HOURS = 0.25
_ALIVE_PHASES = ("planned", "inbound", "arrived", "working", "completed")


def _job(wo: WorkOrder | None) -> dict[str, Any] | None:
    """A work order as the control room shows it (the same fields as the event payload)."""
    from operations.events import work_order_payload

    return work_order_payload(wo) if wo is not None else None


def _bay_position(*, start_m: int, end_m: int, bay: int, bays: int) -> int:
    """Where along the quay a crane over ``bay`` of a vessel lying on ``[start_m, end_m)``
    stands: bays spread evenly over the hull, bay 1 at the start (the bow at the low end)."""
    span = max(end_m - start_m, 1)
    return start_m + round(span * (bay - 0.5) / max(bays, 1))


def control_room_snapshot(*, terminal: Any, now: datetime | None = None) -> dict[str, Any]:
    """Everything the control room shows, with the event ``seq`` it reflects (DESIGN.md §5.6).

    * ``quays``: length and berth sections;
    * ``vessels``: the calls at berth now — a published berth whose window covers ``now``, or a
      visit alongside (working or completed) or with crane work queues, not departed — with
      their quay stretch, discharge/load/restow done and total, and the berth rate BMPH (moves
      done / hours from the first move's start to the last completion, as :func:`kpi_vessel`;
      None until the work spans a quarter of an hour, when a rate would mean nothing);
    * ``cranes``: every quay crane with its equipment state and job, its queue on a vessel at
      berth (done/total and the next :data:`CONTROL_ROOM_QUEUE` moves), the bay it works and its
      position along the quay, and the completion times of its moves of the last hour (GCR);
    * ``equipment``: the other machines with their state and job;
    * ``alarms``: open problem reports, cranes idle while their queue has moves, customs sensor
      alarms and gate refusals of the last :data:`CONTROL_ROOM_ALARM_HOURS` hours.

    Read in one REPEATABLE READ transaction on PostgreSQL, in a bounded number of queries
    whatever the number of vessels, cranes and moves."""
    from datetime import timedelta

    from django.db import connection, transaction
    from django.db.models import Exists, Max, Min, OuterRef

    from berthing.models import BerthAssignment, BerthSection, Quay, QuayCrane
    from operations.choices import ACTIVE_STATUSES, VESSEL_KINDS, EquipmentKind
    from operations.models import ProblemReport
    from tos.core.models import Event, Terminal

    with transaction.atomic():
        if connection.vendor == "postgresql" and len(connection.atomic_blocks) == 1:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        now = now or timezone.now()
        hour_ago = now - timedelta(hours=1)
        seq = Terminal.objects.filter(pk=terminal.pk).values_list("event_seq", flat=True).get()

        quays = list(Quay.objects.filter(terminal=terminal).order_by("pk"))
        sections: dict[int, list[dict[str, Any]]] = {q.pk: [] for q in quays}
        for s in BerthSection.objects.filter(quay__in=quays).order_by("start_m", "pk"):
            sections[s.quay_id].append({"name": s.name, "start_m": s.start_m, "end_m": s.end_m})

        has_queues = Exists(CraneQueue.objects.filter(vessel_visit=OuterRef("vessel_visit")))
        berths = list(
            BerthAssignment.objects.filter(
                quay__terminal=terminal,
                is_published=True,
                vessel_visit__phase__in=_ALIVE_PHASES,
            )
            .annotate(queued=has_queues)
            .filter(
                Q(berth_at__lte=now, depart_at__gt=now)
                | Q(vessel_visit__phase__in=("working", "completed"))
                | Q(queued=True)
            )
            .select_related("vessel_visit__vessel", "vessel_visit__line")
            .order_by("quay_id", "start_m", "berth_at", "pk")
        )
        berth_of: dict[int, BerthAssignment] = {}
        for a in berths:
            berth_of.setdefault(a.vessel_visit_id, a)
        visit_ids = list(berth_of)

        counts: dict[int, dict[str, dict[str, int]]] = {
            v: {k: {"done": 0, "total": 0} for k in VESSEL_KINDS} for v in visit_ids
        }
        for row in (
            WorkOrder.objects.filter(vessel_visit_id__in=visit_ids, kind__in=VESSEL_KINDS)
            .exclude(status=WorkOrderStatus.CANCELLED)
            .values("vessel_visit_id", "kind")
            .annotate(
                total=Count("pk"),
                done=Count("pk", filter=Q(status=WorkOrderStatus.COMPLETED)),
            )
        ):
            c = counts[row["vessel_visit_id"]][row["kind"]]
            c["done"], c["total"] = row["done"], row["total"]
        spans = {
            row["vessel_visit_id"]: row
            for row in WorkOrder.objects.filter(
                vessel_visit_id__in=visit_ids,
                kind__in=VESSEL_KINDS,
                status=WorkOrderStatus.COMPLETED,
            )
            .values("vessel_visit_id")
            .annotate(
                first_start=Min("started_at"),
                first_done=Min("completed_at"),
                last_done=Max("completed_at"),
            )
        }

        queues = list(
            CraneQueue.objects.filter(vessel_visit_id__in=visit_ids)
            .annotate(
                total=Count(
                    "work_orders", filter=~Q(work_orders__status=WorkOrderStatus.CANCELLED)
                ),
                done=Count("work_orders", filter=Q(work_orders__status=WorkOrderStatus.COMPLETED)),
            )
            .order_by("vessel_visit_id", "rail_order")
        )
        bays_of: dict[int, int] = {}
        for q in queues:
            bays_of[q.vessel_visit_id] = max(bays_of.get(q.vessel_visit_id, 1), q.last_bay)
        open_moves: dict[int, list[WorkOrder]] = {q.pk: [] for q in queues}
        for wo in (
            WorkOrder.objects.filter(crane_queue__in=queues, status__in=ACTIVE_STATUSES)
            .select_related("from_block", "to_block")
            .order_by("crane_queue_id", "sequence")
        ):
            open_moves[wo.crane_queue_id].append(wo)
        recent: dict[int, list[str]] = {}
        for crane_id, at in (
            WorkOrder.objects.filter(
                terminal=terminal,
                crane_queue__isnull=False,
                status=WorkOrderStatus.COMPLETED,
                completed_at__gte=hour_ago,
            )
            .order_by("completed_at", "pk")
            .values_list("crane_queue__crane_id", "completed_at")
        ):
            recent.setdefault(crane_id, []).append(at.isoformat())

        equipment = list(
            Equipment.objects.filter(terminal=terminal)
            .select_related("block", "position_block", "quay_crane", "current_job")
            .select_related("current_job__from_block", "current_job__to_block")
            .order_by("kind", "name")
        )
        crane_equipment = {e.quay_crane_id: e for e in equipment if e.quay_crane_id}

        vessels = []
        for visit_id, a in berth_of.items():
            visit = a.vessel_visit
            c = counts[visit_id]
            span = spans.get(visit_id)
            done = sum(k["done"] for k in c.values())
            start = (span["first_start"] or span["first_done"]) if span else None
            end = span["last_done"] if span else None
            hours = _hours(start, end) or 0.0
            vessels.append(
                {
                    "vessel_visit": visit_id,
                    "reference": visit.reference,
                    "vessel": visit.vessel.name,
                    "line": visit.line.code,
                    "phase": visit.phase,
                    "quay": a.quay_id,
                    "start_m": a.start_m,
                    "end_m": a.end_m,
                    "berth_at": a.berth_at.isoformat(),
                    "depart_at": a.depart_at.isoformat(),
                    "bays": bays_of.get(visit_id, 1),
                    "discharge": c[WorkOrderKind.DISCHARGE],
                    "load": c[WorkOrderKind.LOAD],
                    "restow": c[WorkOrderKind.RESTOW],
                    "done": done,
                    "total": sum(k["total"] for k in c.values()),
                    "first_move_at": start.isoformat() if start else None,
                    "last_move_at": end.isoformat() if end else None,
                    "bmph": _rate(done, hours) if hours >= MIN_RATE_HOURS else None,
                }
            )
        vessel_of = {v["vessel_visit"]: v for v in vessels}

        queue_of_crane: dict[int, CraneQueue] = {}
        for q in queues:
            # A crane with queues on two calls at berth works the one with moves left first.
            held = queue_of_crane.get(q.crane_id)
            if held is None or (held.done >= held.total and q.done < q.total):
                queue_of_crane[q.crane_id] = q

        cranes = []
        alarms: list[dict[str, Any]] = []
        for crane in QuayCrane.objects.filter(quay__in=quays).order_by("quay_id", "rail_order"):
            e = crane_equipment.get(crane.pk)
            q = queue_of_crane.get(crane.pk)
            moves = open_moves.get(q.pk, []) if q else []
            job = e.current_job if e is not None else None
            bay = (job.from_bay if job and job.from_place == "vessel" else None) or (
                job.to_bay if job else None
            )
            if bay is None and moves:
                head = moves[0]
                bay = head.from_bay if head.from_place == "vessel" else head.to_bay
            if bay is None and q is not None:
                bay = q.last_bay
            vessel = vessel_of.get(q.vessel_visit_id) if q else None
            if vessel is not None and bay is not None:
                position = _bay_position(
                    start_m=vessel["start_m"], end_m=vessel["end_m"], bay=bay, bays=vessel["bays"]
                )
            else:
                quay = next(x for x in quays if x.pk == crane.quay_id)
                position = min(
                    max(crane.min_position_m, quay.crane_spacing_m * crane.rail_order),
                    crane.max_position_m,
                )
            state = e.state if e is not None else "offline"
            cranes.append(
                {
                    "crane": crane.pk,
                    "name": crane.name,
                    "quay": crane.quay_id,
                    "rail_order": crane.rail_order,
                    "equipment": e.pk if e is not None else None,
                    "state": state,
                    "position_m": position,
                    "bay": bay,
                    "vessel_visit": q.vessel_visit_id if q else None,
                    "crane_queue": q.pk if q else None,
                    "first_bay": q.first_bay if q else None,
                    "last_bay": q.last_bay if q else None,
                    "done": q.done if q else 0,
                    "total": q.total if q else 0,
                    "job": _job(job),
                    "queue": [_job(wo) for wo in moves[:CONTROL_ROOM_QUEUE]],
                    "open": len(moves),
                    "recent": recent.get(crane.pk, []),
                    "moves_last_hour": len(recent.get(crane.pk, [])),
                }
            )
            workable = [wo for wo in moves if wo.status == WorkOrderStatus.PLANNED]
            if state == "idle" and workable and e is not None:
                alarms.append(
                    {
                        "id": f"idle-{e.pk}",
                        "kind": "crane_idle",
                        "severity": "warning",
                        "at": e.updated_at.isoformat(),
                        "equipment": e.pk,
                        "text": f"{crane.name} is idle with {len(workable)} moves waiting.",
                    }
                )

        machines = [
            {
                "equipment": e.pk,
                "name": e.name,
                "kind": e.kind,
                "state": e.state,
                "pool": e.pool,
                "block": e.block.name if e.block_id else None,
                "where": (
                    f"{e.position_block.name}.{e.position_bay:02d}"
                    if e.position_block_id and e.position_bay
                    else ""
                ),
                "job": _job(e.current_job),
            }
            for e in equipment
            if e.kind != EquipmentKind.QUAY_CRANE
        ]

        for p in (
            ProblemReport.objects.filter(work_order__terminal=terminal, resolved_at__isnull=True)
            .select_related("work_order", "equipment")
            .order_by("-reported_at", "-pk")[:50]
        ):
            alarms.append(
                {
                    "id": f"problem-{p.pk}",
                    "kind": "problem",
                    "severity": "error",
                    "at": p.reported_at.isoformat(),
                    "work_order": p.work_order_id,
                    "equipment": p.equipment_id,
                    "text": f"{p.get_kind_display()}: {p.work_order.container_number} "
                    f"(order {p.work_order_id}"
                    + (f", {p.equipment.name}" if p.equipment else "")
                    + ")"
                    + (f" — {p.note}" if p.note else ""),
                }
            )
        since = now - timedelta(hours=CONTROL_ROOM_ALARM_HOURS)
        for ev in Event.objects.filter(
            terminal=terminal,
            created_at__gte=since,
            seq__lte=seq,
            type__in=("customs.alarm", "truck.refused"),
        ).order_by("-seq")[:50]:
            alarms.append(
                event_alarm(seq=ev.seq, type=ev.type, payload=ev.payload, at=ev.created_at)
            )
        alarms.sort(key=lambda a: a["at"], reverse=True)

        return {
            "seq": seq,
            "generated_at": now.isoformat(),
            "terminal": terminal.pk,
            "yard_map_url": "/yard/map/",
            "quays": [
                {
                    "quay": q.pk,
                    "name": q.name,
                    "length_m": q.length_m,
                    "sections": sections[q.pk],
                }
                for q in quays
            ],
            "vessels": vessels,
            "cranes": cranes,
            "equipment": machines,
            "alarms": alarms,
        }


def event_alarm(*, seq: int, type: str, payload: dict[str, Any], at: datetime) -> dict[str, Any]:
    """A customs sensor alarm or a gate refusal as a control-room alarm (the page builds the
    same from the live event)."""
    if type == "customs.alarm":
        what = payload.get("container") or payload.get("lot_reference") or "a bulk lot"
        reason = payload.get("alarm_reason") or ""
        text = f"Customs {payload.get('kind', 'sensor')} alarm on {what}" + (
            f": {reason}" if reason else ""
        )
        severity = "error"
    else:
        messages = payload.get("reason_messages") or payload.get("reasons") or []
        text = f"Gate refused truck {payload.get('truck_plate', '')}".rstrip() + (
            f": {messages[0]}" if messages else ""
        )
        severity = "warning"
    return {
        "id": f"event-{seq}",
        "kind": type,
        "severity": severity,
        "at": at.isoformat(),
        "text": text,
    }
