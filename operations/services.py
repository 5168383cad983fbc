"""Writes of operations (DESIGN.md §5.1): generating work orders, building and resequencing crane
work queues, dispatching jobs to equipment, and accepting, completing and reporting problems on
them.

Completion is the heart: :func:`work_order_complete` locks the work order, then the equipment,
checks the holds at the moment of the move, and changes the vessel side (the stowage plan cell
through :func:`stowage.services.plan_moves_confirm`), the unit's lifecycle and position (through
:func:`tos.core.services.unit_transition`), the yard (through :mod:`yard.services`, which lock
the stacks), the work order, the equipment and the queue progress, with their live events, in one
transaction: all of it happens or none of it. It is idempotent: completing a completed order
again with the same equipment and position answers the first result and writes nothing; any
other completion of it is a 409.

Refusal codes (400 unless said): ``wrong_place``, ``vessel_cell_mismatch``, ``unknown_block``,
``invalid_order``, ``order_incomplete``, ``overstow``, ``crane_crossing``, ``wrong_equipment``;
409: ``work_order_completed``, ``work_order_not_open``, ``not_your_job``, ``equipment_busy``,
``equipment_unavailable``, ``held``, ``unit_has_active_work_order``, ``no_berth_plan``,
``queue_started``, ``not_ready``; 412 ``stale_revision``; and the yard's and the unit
lifecycle's own codes, passed through unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from operations import events
from operations.choices import (
    ACTIVE_STATUSES,
    ASSIGNED_STATUSES,
    HORIZONTAL,
    VESSEL_KINDS,
    YARD_CRANES,
    YARD_KINDS,
    EquipmentKind,
    EquipmentState,
    Place,
    ProblemKind,
    WorkOrderKind,
    WorkOrderStatus,
)
from operations.models import CraneQueue, Equipment, ProblemReport, WorkOrder
from operations.sequencing import (
    Move,
    crane_order,
    crossing_violations,
    hatch_of,
    overstow_violations,
    split_hatches,
)
from tos.core.choices import HoldEvent, PositionKind, UnitState
from tos.core.errors import ApplicationError
from tos.core.models import ContainerVisit, SolverRun, User, VesselVisit
from tos.core.realtime import event_record
from tos.core.selectors import unit_event_check

#: Default priorities (0–9, higher first): trucks wait at the gate, ships keep their schedule.
PRIORITY = {
    WorkOrderKind.RECEIVAL: 7,
    WorkOrderKind.DELIVERY: 7,
    WorkOrderKind.DISCHARGE: 5,
    WorkOrderKind.LOAD: 5,
    WorkOrderKind.RESTOW: 5,
    WorkOrderKind.SHIFT: 3,
}

#: Where each kind's actual position (the ``to`` side) is.
TO_PLACE = {
    WorkOrderKind.DISCHARGE: Place.YARD,
    WorkOrderKind.RECEIVAL: Place.YARD,
    WorkOrderKind.SHIFT: Place.YARD,
    WorkOrderKind.LOAD: Place.VESSEL,
    WorkOrderKind.RESTOW: Place.VESSEL,
    WorkOrderKind.DELIVERY: Place.TRUCK,
}

#: Metres along a yard block per ground bay, for "nearest" in dispatch (a 20' slot plus gap).
BAY_PITCH_M = 7

_CONSTRAINT_ERRORS = {
    "work_order_one_active_per_unit": (
        "unit_has_active_work_order",
        "This unit already has an open work order.",
    ),
    "work_order_one_active_per_box": (
        "unit_has_active_work_order",
        "This box already has an open work order.",
    ),
    "work_order_one_job_per_equipment": ("equipment_busy", "This equipment already has a job."),
    "operations_equipment_current_job_id_key": (
        "equipment_busy",
        "This job is already another equipment's current job.",
    ),
}


def _refuse(code: str, message: str, field: str, *, status: int = 400, **extra: Any):
    raise ApplicationError(code, message, details={field: [message], **extra}, status=status)


def _write(obj: Any, **kwargs: Any) -> Any:
    """Save in a savepoint; a constraint the database enforces answers 409 with its code."""
    try:
        with transaction.atomic():
            obj.save(**kwargs)
    except IntegrityError as exc:
        name = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) or ""
        code, message = _CONSTRAINT_ERRORS.get(
            name, ("conflict", "The change conflicts with the work as it is now.")
        )
        raise ApplicationError(
            code, message, details={"constraint": [name]} if name else {}, status=409
        ) from exc
    return obj


# --- positions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """A checked position: a yard slot (``block`` a :class:`yard.models.YardBlock`), a vessel
    cell (``visit`` optional) or a truck (``truck`` plate, ``lane``)."""

    place: str
    block: Any = None
    bay: int | None = None
    row: int | None = None
    tier: int | None = None
    truck: str = ""
    lane: str = ""

    def as_dict(self) -> dict[str, Any]:
        if self.place == Place.TRUCK:
            return {"place": self.place, "truck": self.truck, "lane": self.lane}
        out: dict[str, Any] = {"place": self.place}
        if self.place == Place.YARD:
            out["block"] = self.block.name if self.block is not None else None
        return out | {"bay": self.bay, "row": self.row, "tier": self.tier}

    @property
    def cell(self) -> str:
        return f"{self.bay:03d}{self.row:02d}{self.tier:02d}"

    def fields(self, side: str) -> dict[str, Any]:
        return {
            f"{side}_place": self.place,
            f"{side}_block": self.block,
            f"{side}_bay": self.bay,
            f"{side}_row": self.row,
            f"{side}_tier": self.tier,
            f"{side}_truck": self.truck,
            f"{side}_lane": self.lane,
        }


YARD_UNDECIDED = Position(place=Place.YARD)


def _int(data: dict[str, Any], key: str, low: int, high: int) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not (low <= value <= high):
        _refuse(
            "validation_error",
            f"position.{key} must be a whole number from {low} to {high}.",
            f"position.{key}",
        )
    return value


def position_parse(*, terminal_id: int, data: Any) -> Position:
    """A position from client input ``{"place": "yard", "block": "A01", "bay": 3, "row": 1,
    "tier": 1}``, ``{"place": "vessel", "bay": 2, "row": 1, "tier": 82}`` or ``{"place":
    "truck", "truck": "AB-123", "lane": "L1"}``; a 400 naming the field otherwise."""
    from yard.models import YardBlock

    if not isinstance(data, dict):
        _refuse("validation_error", "position must be an object with a place.", "position")
    place = data.get("place")
    if place not in Place.values:
        _refuse(
            "validation_error",
            f"position.place must be one of {', '.join(Place.values)}.",
            "position.place",
        )
    if place == Place.TRUCK:
        truck = data.get("truck")
        if not isinstance(truck, str) or not (1 <= len(truck.strip()) <= 16):
            _refuse(
                "validation_error",
                "position.truck must be the truck's plate (1 to 16 characters).",
                "position.truck",
            )
        lane = data.get("lane", "")
        if not isinstance(lane, str) or len(lane) > 20:
            _refuse("validation_error", "position.lane is at most 20 characters.", "position.lane")
        return Position(place=place, truck=truck.strip().upper(), lane=lane.strip())
    if place == Place.VESSEL:
        return Position(
            place=place,
            bay=_int(data, "bay", 1, 199),
            row=_int(data, "row", 0, 99),
            tier=_int(data, "tier", 1, 99),
        )
    name = data.get("block")
    if not isinstance(name, str) or not name:
        _refuse("validation_error", "position.block must be a yard block name.", "position.block")
    block = YardBlock.objects.filter(terminal_id=terminal_id, name=name).first()
    if block is None:
        _refuse(
            "unknown_block",
            f"position.block: there is no yard block {name[:10]!r} at this terminal.",
            "position.block",
        )
    return Position(
        place=place,
        block=block,
        bay=_int(data, "bay", 1, 999),
        row=_int(data, "row", 1, 99),
        tier=_int(data, "tier", 1, 99),
    )


def _yard_position(occ: Any) -> Position:
    return Position(place=Place.YARD, block=occ.block, bay=occ.bay, row=occ.row, tier=occ.tier)


def _current_yard(units: list[ContainerVisit]) -> dict[int, Position]:
    from yard.models import YardOccupancy

    return {
        occ.unit_id: _yard_position(occ)
        for occ in YardOccupancy.objects.filter(
            unit__in=[u.pk for u in units], valid_to__isnull=True
        ).select_related("block")
    }


# --- generation ---------------------------------------------------------------------------------


def _open_boxes(terminal_id: int) -> set[str]:
    return set(
        WorkOrder.objects.filter(terminal_id=terminal_id, status__in=ACTIVE_STATUSES).values_list(
            "container_number", flat=True
        )
    )


def _bulk(orders: list[WorkOrder]) -> list[WorkOrder]:
    try:
        with transaction.atomic():
            return WorkOrder.objects.bulk_create(orders)
    except IntegrityError as exc:
        raise ApplicationError(
            "unit_has_active_work_order",
            "Another request created work orders for some of these boxes at the same time; "
            "generate again.",
            status=409,
        ) from exc


@transaction.atomic
def work_orders_from_stowage(*, visit: VesselVisit, by: User | None = None) -> dict[str, int]:
    """Discharge orders from the arrival plan's discharge cells, load and restow orders from the
    departure plan. Boxes that already have an open work order (or whose cell is confirmed) are
    skipped, so generating again adds only what is new. Answers the counts."""
    from stowage.choices import CellMove, PlanKind
    from stowage.selectors import stowage_plan_get

    VesselVisit.objects.select_for_update().filter(pk=visit.pk).first()
    open_boxes = _open_boxes(visit.terminal_id)
    counts = {"discharge": 0, "load": 0, "restow": 0, "existing": 0, "no_unit": 0}
    orders: list[WorkOrder] = []
    arrival = stowage_plan_get(visit=visit, kind=PlanKind.ARRIVAL)
    departure = stowage_plan_get(visit=visit, kind=PlanKind.DEPARTURE)
    arrival_cells = {c.container_number: c for c in arrival.cells.all()} if arrival else {}

    def base(cell: Any, kind: str) -> dict[str, Any]:
        return {
            "terminal_id": visit.terminal_id,
            "kind": kind,
            "unit_id": cell.unit_id,
            "container_number": cell.container_number,
            "vessel_visit": visit,
            "priority": PRIORITY[kind],
            "source": "stowage",
        }

    def vessel(cell: Any) -> Position:
        return Position(place=Place.VESSEL, bay=cell.bay, row=cell.row, tier=cell.tier)

    for cell in arrival_cells.values():
        if cell.move != CellMove.DISCHARGE or cell.confirmed:
            continue
        if cell.unit_id is None:
            counts["no_unit"] += 1
            continue
        if cell.container_number in open_boxes:
            counts["existing"] += 1
            continue
        orders.append(
            WorkOrder(
                **base(cell, WorkOrderKind.DISCHARGE),
                **vessel(cell).fields("from"),
                **YARD_UNDECIDED.fields("to"),
            )
        )
        counts["discharge"] += 1
    if departure is not None:
        cells = list(departure.cells.filter(move__in=[CellMove.LOAD, CellMove.RESTOW]))
        loads = [c for c in cells if c.move == CellMove.LOAD and c.unit_id is not None]
        units = list(ContainerVisit.objects.filter(pk__in=[c.unit_id for c in loads]))
        in_yard = _current_yard(units)
        for cell in cells:
            if cell.confirmed:
                continue
            if cell.container_number in open_boxes:
                counts["existing"] += 1
                continue
            if cell.move == CellMove.LOAD:
                if cell.unit_id is None:
                    counts["no_unit"] += 1
                    continue
                source = in_yard.get(cell.unit_id, YARD_UNDECIDED)
                kind = WorkOrderKind.LOAD
            else:
                before = arrival_cells.get(cell.container_number)
                if before is None:
                    counts["no_unit"] += 1
                    continue
                source = vessel(before)
                kind = WorkOrderKind.RESTOW
            orders.append(
                WorkOrder(**base(cell, kind), **source.fields("from"), **vessel(cell).fields("to"))
            )
            counts[kind] += 1
    _bulk(orders)
    events.record(
        terminal_id=visit.terminal_id,
        type="work_orders.generated",
        payload={"source": "stowage", "vessel_visit": visit.pk, "created": len(orders)}
        | {"skipped": counts["existing"] + counts["no_unit"]},
        by=by,
    )
    return counts


@transaction.atomic
def work_order_from_gate(*, gate_transaction: Any, by: User | None = None) -> WorkOrder:
    """The receival (truck → yard, to the slot the gate's planned yard move reserved, if any) or
    delivery (yard → truck) of an accepted gate transaction. Idempotent: the same transaction
    answers its open work order."""
    from gate.choices import DELIVERIES, RECEIVALS

    tx = gate_transaction
    existing = WorkOrder.objects.filter(gate_transaction=tx, status__in=ACTIVE_STATUSES).first()
    if existing is not None:
        return existing
    if not tx.accepted or tx.unit_id is None:
        _refuse(
            "not_ready",
            f"Gate transaction {tx.pk} was not accepted; only accepted boxes get work orders.",
            "gate_transaction",
            status=409,
        )
    unit = ContainerVisit.objects.select_related("container").get(pk=tx.unit_id)
    truck = Position(
        place=Place.TRUCK, truck=tx.visit.truck_plate, lane=tx.visit.lane.name if tx.visit else ""
    )
    if tx.transaction_type in RECEIVALS:
        kind = WorkOrderKind.RECEIVAL
        move = tx.yard_move if tx.yard_move_id and tx.yard_move.status == "planned" else None
        target = (
            Position(
                place=Place.YARD,
                block=move.to_block,
                bay=move.to_bay,
                row=move.to_row,
                tier=move.to_tier,
            )
            if move
            else YARD_UNDECIDED
        )
        sides = truck.fields("from") | target.fields("to")
    elif tx.transaction_type in DELIVERIES:
        kind, move = WorkOrderKind.DELIVERY, None
        source = _current_yard([unit]).get(unit.pk)
        if source is None:
            _refuse(
                "not_ready",
                f"{unit.container.number} is not in the yard; there is nothing to deliver.",
                "gate_transaction",
                status=409,
            )
        sides = source.fields("from") | truck.fields("to")
    else:
        _refuse(
            "validation_error",
            f"Gate transaction {tx.pk} has no transaction type.",
            "gate_transaction",
        )
    wo = WorkOrder(
        terminal_id=unit.terminal_id,
        kind=kind,
        unit=unit,
        container_number=unit.container.number,
        priority=PRIORITY[kind],
        yard_move=move,
        gate_transaction=tx,
        source="gate",
        **sides,
    )
    _write(wo)
    events.work_order_changed(wo=wo, type="created", by=by)
    return wo


@transaction.atomic
def work_orders_from_relocation(*, run: SolverRun, by: User | None = None) -> list[WorkOrder]:
    """Shift orders for the planned yard moves of a relocation job, in the job's sequence (a
    yard crane is dispatched them one after the other). Moves that already have an open work
    order are skipped."""
    from yard.models import YardMove

    moves = list(
        YardMove.objects.filter(solver_run=run, status="planned")
        .select_related("unit__container", "from_block", "to_block")
        .order_by("sequence", "pk")
    )
    open_boxes = _open_boxes(run.terminal_id)
    orders = [
        WorkOrder(
            terminal_id=run.terminal_id,
            kind=WorkOrderKind.SHIFT,
            unit=m.unit,
            container_number=m.unit.container.number,
            priority=PRIORITY[WorkOrderKind.SHIFT],
            yard_move=m,
            source="relocation",
            note=f"relocation job {run.pk}, step {m.sequence}",
            **Position(
                place=Place.YARD,
                block=m.from_block,
                bay=m.from_bay,
                row=m.from_row,
                tier=m.from_tier,
            ).fields("from"),
            **Position(
                place=Place.YARD, block=m.to_block, bay=m.to_bay, row=m.to_row, tier=m.to_tier
            ).fields("to"),
        )
        for m in moves
        if m.unit.container.number not in open_boxes and m.from_block_id is not None
    ]
    created = _bulk(orders)
    events.record(
        terminal_id=run.terminal_id,
        type="work_orders.generated",
        payload={"source": "relocation", "solver_run": run.pk, "created": len(created)}
        | {"skipped": len(moves) - len(created)},
        by=by,
    )
    return created


# --- crane queues -------------------------------------------------------------------------------


def _vessel_cell(wo: WorkOrder) -> tuple[int, int, int]:
    side = "to" if wo.kind == WorkOrderKind.LOAD else "from"
    return (getattr(wo, f"{side}_bay"), getattr(wo, f"{side}_row"), getattr(wo, f"{side}_tier"))


def _move(wo: WorkOrder) -> Move:
    bay, row, tier = _vessel_cell(wo)
    return Move(
        id=wo.pk,
        off=wo.kind != WorkOrderKind.LOAD,
        bay=bay,
        row=row,
        tier=tier,
        label=wo.container_number,
    )


def _visit_cranes(visit: VesselVisit) -> list[Any]:
    """The quay cranes the published berth plan allocates to the visit, in rail order."""
    from berthing.models import BerthAssignment, QuayCrane

    assignment = (
        BerthAssignment.objects.filter(vessel_visit=visit, is_published=True)
        .order_by("berth_at", "pk")
        .first()
    )
    if assignment is None:
        return []
    return list(
        QuayCrane.objects.filter(allocations__assignment=assignment)
        .distinct()
        .order_by("rail_order", "pk")
    )


@transaction.atomic
def crane_queues_build(*, visit: VesselVisit, by: User | None = None) -> list[CraneQueue]:
    """Build the visit's crane work queues from the published berth plan's crane split: each
    crane gets a contiguous range of hatches (balanced by moves, in rail order), and its moves
    in the order of :func:`operations.sequencing.crane_order` (discharge before load per hatch,
    deck before hold on discharge, the reverse on load, dual cycling where a hatch has both).
    Rebuilding replaces the queues while no vessel move of the visit has started."""
    VesselVisit.objects.select_for_update().filter(pk=visit.pk).first()
    cranes = _visit_cranes(visit)
    if not cranes:
        _refuse(
            "no_berth_plan",
            f"{visit.reference} has no cranes in the published berth plan; publish a berth "
            "plan with a crane split first.",
            "vessel_visit",
            status=409,
        )
    orders = list(
        WorkOrder.objects.select_for_update()
        .filter(vessel_visit=visit, kind__in=VESSEL_KINDS)
        .exclude(status=WorkOrderStatus.CANCELLED)
        .order_by("pk")
    )
    started = [o for o in orders if o.status != WorkOrderStatus.PLANNED]
    if started:
        _refuse(
            "queue_started",
            f"{len(started)} vessel moves of {visit.reference} have started (e.g. "
            f"{started[0].container_number}, {started[0].status}); resequence the queues "
            "instead of rebuilding them.",
            "vessel_visit",
            status=409,
        )
    if not orders:
        _refuse(
            "not_ready",
            f"{visit.reference} has no vessel work orders; generate them from the stowage "
            "plans first.",
            "vessel_visit",
            status=409,
        )
    WorkOrder.objects.filter(pk__in=[o.pk for o in orders]).update(
        crane_queue=None, sequence=None, paired_with=None
    )
    CraneQueue.objects.filter(vessel_visit=visit).delete()
    moves = {o.pk: _move(o) for o in orders}
    workload: dict[int, int] = defaultdict(int)
    for m in moves.values():
        workload[m.hatch] += 1
    groups = split_hatches(dict(workload), len(cranes))
    now = timezone.now()
    by_id = {o.pk: o for o in orders}
    queues: list[CraneQueue] = []
    summary = []
    for crane, hatches in zip(cranes, groups, strict=False):
        mine = [m for m in moves.values() if m.hatch in set(hatches)]
        bays = [m.bay for m in mine]
        queue = CraneQueue.objects.create(
            terminal_id=visit.terminal_id,
            vessel_visit=visit,
            crane=crane,
            rail_order=crane.rail_order,
            first_bay=min(bays),
            last_bay=max(bays),
            built_at=now,
        )
        queues.append(queue)
        sequence = 0
        changed = []
        for move, pair in crane_order(mine):
            for m in (move, pair) if pair else (move,):
                sequence += 1
                wo = by_id[m.id]
                wo.crane_queue, wo.sequence, wo.pool = queue, sequence, crane.name
                changed.append(wo)
            if pair is not None:
                by_id[move.id].paired_with = by_id[pair.id]
        WorkOrder.objects.bulk_update(changed, ["crane_queue", "sequence", "pool", "paired_with"])
        summary.append(
            {
                "id": queue.pk,
                "crane": crane.name,
                "first_bay": queue.first_bay,
                "last_bay": queue.last_bay,
                "moves": len(mine),
            }
        )
    events.record(
        terminal_id=visit.terminal_id,
        type="crane_queues.built",
        payload={"vessel_visit": visit.pk, "queues": summary},
        by=by,
    )
    return queues


@transaction.atomic
def crane_queue_resequence(
    *, queue: CraneQueue, order: list[int], revision: int, by: User | None = None
) -> list[CraneQueue]:
    """Give the queue's open (planned) moves a new order. ``order`` lists work order ids: every
    planned move of this queue, and any planned move of another queue of the same visit to take
    it over. Moves that have started keep their place ahead. Refused: a stale ``revision`` (412),
    an incomplete or foreign list, a discharge before a box above it that is still on board
    (``overstow``), and a take-over that makes cranes cross (``crane_crossing``). Answers the
    queues that changed."""
    queues = list(
        CraneQueue.objects.select_for_update()
        .filter(vessel_visit_id=queue.vessel_visit_id)
        .select_related("crane")
        .order_by("pk")
    )
    queue = next(q for q in queues if q.pk == queue.pk)
    if queue.revision != revision:
        _refuse(
            "stale_revision",
            f"The queue of {queue.crane.name} changed (revision {queue.revision}, you edited "
            f"{revision}); reload it.",
            "If-Match",
            status=412,
        )
    if (
        not isinstance(order, list)
        or not order
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in order)
    ):
        _refuse("invalid_order", "order must be a non-empty list of work order ids.", "order")
    if len(set(order)) != len(order):
        _refuse("invalid_order", "order lists a work order twice.", "order")
    orders = {
        o.pk: o
        for o in WorkOrder.objects.select_for_update()
        .filter(vessel_visit_id=queue.vessel_visit_id, kind__in=VESSEL_KINDS)
        .exclude(status=WorkOrderStatus.CANCELLED)
        .order_by("pk")
    }
    unknown = [i for i in order if i not in orders]
    if unknown:
        _refuse(
            "invalid_order",
            f"order: work orders {unknown[:10]} are not vessel moves of this visit.",
            "order",
        )
    not_planned = [i for i in order if orders[i].status != WorkOrderStatus.PLANNED]
    if not_planned:
        o = orders[not_planned[0]]
        _refuse(
            "invalid_order",
            f"order: {o.container_number} is {o.status}; only planned moves can be resequenced.",
            "order",
        )
    own_planned = {
        pk for pk, o in orders.items() if o.crane_queue_id == queue.pk and o.status == "planned"
    }
    missing = sorted(own_planned - set(order))
    if missing:
        _refuse(
            "order_incomplete",
            f"order leaves out {len(missing)} planned moves of this queue (e.g. work order "
            f"{missing[0]}); list them all, or move them in the neighbour's queue.",
            "order",
            missing=missing,
        )
    fixed = sorted(
        (o for o in orders.values() if o.crane_queue_id == queue.pk and o.status != "planned"),
        key=lambda o: o.sequence or 0,
    )
    new_order = [o.pk for o in fixed] + order
    still_on_board = [
        _move(orders[pk]) for pk in new_order if orders[pk].status != WorkOrderStatus.COMPLETED
    ]
    clashes = overstow_violations(still_on_board)
    if clashes:
        early, blocker = clashes[0]
        _refuse(
            "overstow",
            f"{early.label} ({early.cell}) cannot be discharged before {blocker.label} "
            f"({blocker.cell}), which is still on board above it.",
            "order",
            work_orders=[early.id, blocker.id],
        )
    membership = {pk: o.crane_queue_id for pk, o in orders.items()}
    for pk in order:
        membership[pk] = queue.pk
    hatches: dict[int, list[int]] = defaultdict(list)
    for pk, queue_id in membership.items():
        if queue_id is not None:
            hatches[queue_id].append(hatch_of(_vessel_cell(orders[pk])[0]))
    spans = [
        (q.crane.name, min(hatches[q.pk], default=None), max(hatches[q.pk], default=None))
        for q in sorted(queues, key=lambda q: q.rail_order)
    ]
    crossing = crossing_violations(spans)
    if crossing:
        _refuse("crane_crossing", crossing[0][:1].upper() + crossing[0][1:] + ".", "order")
    touched = {queue.pk} | {orders[pk].crane_queue_id for pk in order} - {None}
    changed: list[WorkOrder] = []
    for seq, pk in enumerate(new_order, start=1):
        wo = orders[pk]
        wo.crane_queue_id, wo.sequence, wo.pool = queue.pk, seq, queue.crane.name
        changed.append(wo)
    for q in queues:
        if q.pk == queue.pk or q.pk not in touched:
            continue
        rest = sorted(
            (o for o in orders.values() if o.crane_queue_id == q.pk and o.pk not in set(order)),
            key=lambda o: o.sequence or 0,
        )
        for seq, wo in enumerate(rest, start=1):
            wo.sequence = seq
            changed.append(wo)
    by_queue: dict[int, list[WorkOrder]] = defaultdict(list)
    for wo in changed:
        by_queue[wo.crane_queue_id].append(wo)
    for members in by_queue.values():
        members.sort(key=lambda o: o.sequence)
        for a, b in zip(members, [*members[1:], None], strict=False):
            keep = (
                a.paired_with_id is not None
                and b is not None
                and a.paired_with_id == b.pk
                and hatch_of(_vessel_cell(a)[0]) == hatch_of(_vessel_cell(b)[0])
            )
            if a.paired_with_id is not None and not keep:
                a.paired_with = None
    WorkOrder.objects.bulk_update(changed, ["crane_queue", "sequence", "pool", "paired_with"])
    result = []
    for q in queues:
        if q.pk not in touched:
            continue
        bays = [_vessel_cell(orders[pk])[0] for pk, qid in membership.items() if qid == q.pk]
        if bays:
            q.first_bay, q.last_bay = min(bays), max(bays)
        q.revision += 1
        q.save(update_fields=["first_bay", "last_bay", "revision", "updated_at"])
        result.append(q)
    events.record(
        terminal_id=queue.terminal_id,
        type="crane_queue.resequenced",
        payload={
            "vessel_visit": queue.vessel_visit_id,
            "queues": [
                {
                    "id": q.pk,
                    "crane": q.crane.name,
                    "revision": q.revision,
                    "first_bay": q.first_bay,
                    "last_bay": q.last_bay,
                }
                for q in result
            ],
        },
        by=by,
    )
    return result


# --- equipment and dispatch ---------------------------------------------------------------------


def _lock_equipment(equipment: Equipment) -> Equipment:
    return (
        Equipment.objects.select_for_update(of=("self",))
        .select_related("block", "quay_crane", "position_block")
        .get(pk=equipment.pk)
    )


def _point(block: Any, bay: int | None) -> tuple[int, int] | None:
    if block is None:
        return None
    return (block.x_m + (bay or 1) * BAY_PITCH_M // 2, block.y_m)


def _distance(equipment: Equipment, wo: WorkOrder) -> int:
    """Metres (Manhattan, on the yard plan) from the equipment to where the job starts; jobs
    that start off the yard plan (a truck, a vessel) count as 0 (the gate and the quay are where
    horizontal transport waits anyway)."""
    start = _point(wo.from_block, wo.from_bay) if wo.from_place == Place.YARD else None
    if start is None:
        return 0
    here = (
        _point(equipment.position_block, equipment.position_bay)
        if equipment.position_block_id
        else (equipment.x_m, equipment.y_m)
    )
    return abs(start[0] - here[0]) + abs(start[1] - here[1])


def _relocation_ready(candidates: list[WorkOrder]) -> list[WorkOrder]:
    """A relocation job's shifts go one at a time in the job's order: only the earliest open
    step of each job may be dispatched."""
    runs = {wo.yard_move.solver_run_id for wo in candidates if wo.yard_move_id and wo.yard_move}
    runs.discard(None)
    if not runs:
        return candidates
    first: dict[int, int] = {}
    for wo in (
        WorkOrder.objects.filter(yard_move__solver_run_id__in=runs, status__in=ACTIVE_STATUSES)
        .select_related("yard_move")
        .order_by("yard_move__sequence", "pk")
    ):
        first.setdefault(wo.yard_move.solver_run_id, wo.pk)
    return [
        wo
        for wo in candidates
        if not (wo.yard_move_id and wo.yard_move and wo.yard_move.solver_run_id)
        or first.get(wo.yard_move.solver_run_id) == wo.pk
    ]


def dispatch_candidates(*, equipment: Equipment) -> list[WorkOrder]:
    """The planned jobs this equipment may take, best first.

    * quay crane: the head of its crane queues (lowest sequence still planned; a dual-cycle
      pair comes one move after the other); a move in ``problem`` holds up the rest of its
      hatch, and the crane goes on with its next hatch;
    * yard crane (RTG/RMG): yard jobs (receival, delivery, shift) that start or end in its
      block, nearest to its bay first, then by priority and age;
    * horizontal transport (straddle, truck, IGV): yard jobs of its pool, the most urgent first,
      then the nearest, then the oldest.
    """
    qs = WorkOrder.objects.filter(
        terminal_id=equipment.terminal_id, status=WorkOrderStatus.PLANNED
    ).select_related("from_block", "to_block", "yard_move", "unit__container")
    if equipment.kind == EquipmentKind.QUAY_CRANE:
        rows = list(
            WorkOrder.objects.filter(
                crane_queue__crane_id=equipment.quay_crane_id, status__in=ACTIVE_STATUSES
            )
            .select_related("from_block", "to_block", "yard_move", "unit__container")
            .order_by("crane_queue__built_at", "crane_queue_id", "sequence")
        )
        heads: dict[int, WorkOrder] = {}
        held: set[tuple[int, int]] = set()
        for wo in rows:
            hatch = (wo.crane_queue_id, hatch_of(_vessel_cell(wo)[0]))
            if wo.status == WorkOrderStatus.PROBLEM:
                held.add(hatch)  # a problem box holds up the rest of its hatch
            elif wo.status == WorkOrderStatus.PLANNED and hatch not in held:
                heads.setdefault(wo.crane_queue_id, wo)
        return list(heads.values())
    qs = qs.filter(kind__in=YARD_KINDS)
    if equipment.kind in YARD_CRANES:
        rows = list(qs.filter(Q(from_block=equipment.block_id) | Q(to_block=equipment.block_id)))
        here = equipment.position_bay or 1

        def bay_of(wo: WorkOrder) -> int:
            bay = wo.from_bay if wo.from_block_id == equipment.block_id else wo.to_bay
            return abs((bay or here) - here)

        rows.sort(key=lambda wo: (bay_of(wo), -wo.priority, wo.created_at, wo.pk))
    else:
        rows = list(qs.filter(pool=equipment.pool))
        rows.sort(key=lambda wo: (-wo.priority, _distance(equipment, wo), wo.created_at, wo.pk))
    return _relocation_ready(rows)


def _equipment_release(equipment: Equipment, *, position: Position | None = None) -> None:
    equipment.current_job = None
    if equipment.state == EquipmentState.WORKING:
        equipment.state = EquipmentState.IDLE
    fields = ["current_job", "state", "updated_at"]
    if position is not None and position.place == Place.YARD and position.block is not None:
        equipment.position_block, equipment.position_bay = position.block, position.bay
        equipment.x_m, equipment.y_m = _point(position.block, position.bay)
        fields += ["position_block", "position_bay", "x_m", "y_m"]
    _write(equipment, update_fields=fields)
    events.equipment_changed(equipment=equipment)


def _suits(equipment: Equipment, wo: WorkOrder) -> bool:
    if equipment.kind == EquipmentKind.QUAY_CRANE:
        return (
            wo.kind in VESSEL_KINDS
            and wo.crane_queue_id is not None
            and wo.crane_queue.crane_id == equipment.quay_crane_id
        )
    return wo.kind in YARD_KINDS and (
        equipment.kind in HORIZONTAL
        or equipment.block_id in (wo.from_block_id, wo.to_block_id)
        or (wo.to_block_id is None and wo.to_place == Place.YARD)
    )


def _available(equipment: Equipment) -> None:
    if equipment.state in (EquipmentState.DOWN, EquipmentState.OFFLINE):
        _refuse(
            "equipment_unavailable",
            f"{equipment.name} is {equipment.state}; bring it back into service first.",
            "equipment",
            status=409,
        )


def _assign(wo: WorkOrder, equipment: Equipment, *, now: dt.datetime, status: str) -> None:
    wo.status = status
    wo.equipment = equipment
    wo.dispatched_at = wo.dispatched_at or now
    if status == WorkOrderStatus.IN_PROGRESS:
        wo.started_at = now
    _write(wo)
    equipment.current_job = wo
    equipment.state = EquipmentState.WORKING
    _write(equipment, update_fields=["current_job", "state", "updated_at"])
    events.equipment_changed(equipment=equipment)


@transaction.atomic
def dispatch_next(*, equipment: Equipment, by: User | None = None) -> WorkOrder | None:
    """Give the equipment its next job (see :func:`dispatch_candidates`): its current job if it
    has one, else the best candidate nobody else is taking at this moment (rows another dispatch
    holds are skipped, not waited for). None when there is nothing to do."""
    equipment = _lock_equipment(equipment)
    _available(equipment)
    if equipment.current_job_id is not None:
        current = WorkOrder.objects.get(pk=equipment.current_job_id)
        if current.status in ASSIGNED_STATUSES:
            return current
    for candidate in dispatch_candidates(equipment=equipment):
        wo = (
            WorkOrder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=candidate.pk, status=WorkOrderStatus.PLANNED)
            .select_related("unit", "from_block", "to_block", "crane_queue")
            .first()
        )
        if wo is None:
            continue
        _assign(wo, equipment, now=timezone.now(), status=WorkOrderStatus.DISPATCHED)
        _allocate_slot(wo, by)
        events.work_order_changed(wo=wo, type="dispatched", by=by)
        return wo
    return None


def _allocate_slot(wo: WorkOrder, by: User | None) -> None:
    """A box going into the yard without a slot yet (a discharge, a receival the gate could not
    place) gets one when its job is dispatched: the yard's allocation suggests it and a planned
    yard move reserves it, so the driver knows where to go. No free slot leaves it undecided
    (the driver then reports where it put the box)."""
    from yard import services as yard
    from yard.allocation import allocation_suggest
    from yard.choices import MoveKind, Origin
    from yard.models import YardBlock

    if wo.to_place != Place.YARD or wo.to_block_id is not None or wo.unit_id is None:
        return
    discharge = wo.kind == WorkOrderKind.DISCHARGE
    exclude: set[tuple[int, int, int, int]] = set()
    for _attempt in range(3):
        try:
            chosen = allocation_suggest(
                unit=wo.unit,
                origin=Origin.BERTH if discharge else Origin.GATE,
                top=1,
                exclude=frozenset(exclude),
            ).chosen
        except ApplicationError:
            return
        if chosen is None:
            return
        try:
            move = yard.yard_move_plan(
                unit=wo.unit,
                block=YardBlock.objects.get(pk=chosen.block_id),
                bay=chosen.bay,
                row=chosen.row,
                tier=chosen.tier,
                kind=MoveKind.DISCHARGE if discharge else MoveKind.RECEIVAL,
                by=by,
                note=f"work order {wo.pk}",
            )
        except ApplicationError as exc:
            if exc.status != 409:
                return
            exclude.add((chosen.block_id, chosen.bay, chosen.row, chosen.tier))
            continue
        target = Position(
            place=Place.YARD,
            block=move.to_block,
            bay=move.to_bay,
            row=move.to_row,
            tier=move.to_tier,
        )
        for name, value in target.fields("to").items():
            setattr(wo, name, value)
        wo.yard_move = move
        _write(wo)
        return


def _lock_order(wo: WorkOrder) -> WorkOrder:
    return (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related(
            "unit__container",
            "from_block",
            "to_block",
            "vessel_visit",
            "crane_queue",
            "yard_move",
            "equipment",
        )
        .get(pk=wo.pk)
    )


def _take(wo: WorkOrder, equipment: Equipment, verb: str) -> None:
    """The equipment may work this order: it is its job, or it is planned and the equipment is
    free and suitable (a driver picking a job by hand)."""
    if wo.status in ASSIGNED_STATUSES and wo.equipment_id != equipment.pk:
        _refuse(
            "not_your_job",
            f"Work order {wo.pk} is {equipment.name}'s to {verb} only if dispatched to it; it "
            f"is {wo.equipment.name}'s job.",
            "equipment",
            status=409,
        )
    if wo.status not in (WorkOrderStatus.PLANNED, *ASSIGNED_STATUSES):
        _refuse(
            "work_order_not_open",
            f"Work order {wo.pk} is {wo.status}; it cannot be {verb}ed.",
            "status",
            status=409,
        )
    if wo.status == WorkOrderStatus.PLANNED:
        if not _suits(equipment, wo):
            _refuse(
                "wrong_equipment",
                f"{equipment.name} ({equipment.get_kind_display()}) does not do this "
                f"{wo.kind} move.",
                "equipment",
            )
        if equipment.current_job_id not in (None, wo.pk):
            _refuse(
                "equipment_busy",
                f"{equipment.name} is busy with work order {equipment.current_job_id}.",
                "equipment",
                status=409,
            )


@transaction.atomic
def work_order_accept(
    *, work_order: WorkOrder, equipment: Equipment, by: User | None = None
) -> WorkOrder:
    """The driver starts the job (its own dispatched job, or a planned one it picks)."""
    wo = _lock_order(work_order)
    equipment = _lock_equipment(equipment)
    if wo.status == WorkOrderStatus.IN_PROGRESS and wo.equipment_id == equipment.pk:
        return wo
    _available(equipment)
    _take(wo, equipment, "accept")
    now = timezone.now()
    if wo.status == WorkOrderStatus.PLANNED:
        _assign(wo, equipment, now=now, status=WorkOrderStatus.IN_PROGRESS)
    else:
        wo.status, wo.started_at = WorkOrderStatus.IN_PROGRESS, now
        _write(wo, update_fields=["status", "started_at"])
    events.work_order_changed(wo=wo, type="accepted", by=by)
    return wo


def _hold_check(unit: ContainerVisit, event: str) -> None:
    decision = unit_event_check(unit=unit, event=event)
    if not decision.allowed:
        _refuse(
            "held",
            f"{unit.container.number}: {event} blocked by " + "; ".join(decision.reasons),
            "unit",
            status=409,
            holds=[h.pk for h in decision.blocking],
            event=event,
        )


def _unit_position_set(unit: ContainerVisit, position: Position, *, visit: Any, by: Any) -> None:
    """Where the unit is now, when its lifecycle state stays (a box put on a truck for delivery
    or restowed on board); state changes go through ``unit_transition``."""
    kind = PositionKind.TRUCK if position.place == Place.TRUCK else PositionKind.VESSEL
    ref = position.truck if position.place == Place.TRUCK else position.cell
    ContainerVisit.objects.filter(pk=unit.pk).update(
        position_kind=kind,
        position_ref=ref,
        position_visit=visit if kind == PositionKind.VESSEL else None,
        updated_at=timezone.now(),
    )
    event_record(
        terminal_id=unit.terminal_id,
        topic="units",
        type="unit.position_changed",
        payload={
            "id": unit.pk,
            "container": unit.container.number,
            "position_kind": kind,
            "position_ref": ref,
            "by": by.username if by else None,
        },
        line_id=unit.line_id,
    )


def _same_yard(wo: WorkOrder, position: Position) -> bool:
    return (wo.to_block_id, wo.to_bay, wo.to_row, wo.to_tier) == (
        position.block.pk,
        position.bay,
        position.row,
        position.tier,
    )


def _into_yard(wo: WorkOrder, position: Position, by: User) -> None:
    """Put the box down at ``position``: through the planned yard move when it goes where that
    move reserved, else directly (dropping the move and its reservation)."""
    from yard import services as yard

    target = {"block": position.block, "bay": position.bay, "row": position.row}
    target["tier"] = position.tier
    move = wo.yard_move if wo.yard_move_id and wo.yard_move.status == "planned" else None
    if move is not None and (move.to_block_id, move.to_bay, move.to_row, move.to_tier) == (
        position.block.pk,
        position.bay,
        position.row,
        position.tier,
    ):
        yard.yard_move_confirm(move=move, by=by)
        return
    if move is not None:
        yard.yard_move_cancel(move=move, by=by, reason=f"work order {wo.pk} put it elsewhere")
    if wo.kind == WorkOrderKind.SHIFT:
        yard.yard_unit_move(unit=wo.unit, by=by, **target)
    else:
        yard.yard_unit_place(unit=wo.unit, by=by, **target)


def _complete_discharge(wo: WorkOrder, position: Position, by: User, now: dt.datetime) -> None:
    from stowage.services import plan_moves_confirm
    from tos.core.services import unit_transition

    visit = wo.vessel_visit
    plan_moves_confirm(
        visit=visit, kind="discharge", container_numbers=[wo.container_number], at=now, by=by
    )
    unit = wo.unit
    if unit.state in (UnitState.INBOUND, UnitState.ADVISED):
        unit_transition(
            unit=unit,
            state=UnitState.ON_TERMINAL,
            position_kind=PositionKind.YARD,
            position_ref="",
            by=by,
            at=now,
        )
    else:
        _hold_check(unit, HoldEvent.DISCHARGE)
    _into_yard(wo, position, by)


def _complete_load(wo: WorkOrder, position: Position, by: User, now: dt.datetime) -> None:
    from stowage.services import plan_moves_confirm
    from tos.core.services import unit_transition
    from yard import services as yard

    unit = wo.unit
    _hold_check(unit, HoldEvent.LOADING)
    if (wo.to_bay, wo.to_row, wo.to_tier) != (position.bay, position.row, position.tier):
        planned = f"{wo.to_bay:03d}{wo.to_row:02d}{wo.to_tier:02d}"
        _refuse(
            "vessel_cell_mismatch",
            f"position: {wo.container_number} is planned into cell {planned}, not "
            f"{position.cell}; report a problem to have it re-planned.",
            "position",
        )
    visit = wo.vessel_visit
    plan_moves_confirm(
        visit=visit, kind="load", container_numbers=[wo.container_number], at=now, by=by
    )
    if _current_yard([unit]):
        yard.yard_unit_remove(unit=unit, by=by)
    if unit.state == UnitState.ON_TERMINAL:
        unit_transition(
            unit=unit,
            state=UnitState.OUTBOUND,
            position_kind=PositionKind.VESSEL,
            position_ref=position.cell,
            position_visit=visit,
            by=by,
            at=now,
        )
    else:
        _unit_position_set(unit, position, visit=visit, by=by)


def _complete_receival(wo: WorkOrder, position: Position, by: User, now: dt.datetime) -> None:
    from tos.core.services import unit_transition

    unit = wo.unit
    if unit.state in (UnitState.INBOUND, UnitState.ADVISED):
        unit_transition(
            unit=unit,
            state=UnitState.ON_TERMINAL,
            position_kind=PositionKind.YARD,
            position_ref="",
            by=by,
            at=now,
        )
    _into_yard(wo, position, by)


def _complete_delivery(wo: WorkOrder, position: Position, by: User, now: dt.datetime) -> None:
    from yard import services as yard

    unit = wo.unit
    _hold_check(unit, HoldEvent.DELIVERY)
    if _current_yard([unit]):
        yard.yard_unit_remove(unit=unit, by=by)
    _unit_position_set(unit, position, visit=None, by=by)


def _complete_restow(wo: WorkOrder, position: Position, by: User, now: dt.datetime) -> None:
    if wo.unit_id is not None:
        _unit_position_set(wo.unit, position, visit=wo.vessel_visit, by=by)


_COMPLETE = {
    WorkOrderKind.DISCHARGE: _complete_discharge,
    WorkOrderKind.LOAD: _complete_load,
    WorkOrderKind.RECEIVAL: _complete_receival,
    WorkOrderKind.DELIVERY: _complete_delivery,
    WorkOrderKind.SHIFT: lambda wo, position, by, now: _into_yard(wo, position, by),
    WorkOrderKind.RESTOW: _complete_restow,
}


def queue_progress(queue_id: int) -> dict[str, int]:
    rows = WorkOrder.objects.filter(crane_queue_id=queue_id).exclude(
        status=WorkOrderStatus.CANCELLED
    )
    return {
        "done": rows.filter(status=WorkOrderStatus.COMPLETED).count(),
        "total": rows.count(),
    }


@transaction.atomic
def work_order_complete(
    *,
    work_order: WorkOrder,
    equipment: Equipment,
    position: Position,
    by: User,
    idempotency_key: str = "",
) -> WorkOrder:
    """The box is where ``position`` says: apply the move everywhere at once (see the module
    doc). ``position`` is the actual ``to`` position (a yard slot for discharge, receival and
    shift; the vessel cell for load and restow; the truck for delivery). The answer has
    ``replayed`` True when this repeats an earlier identical completion."""
    wo = _lock_order(work_order)
    completion = {"equipment": equipment.pk, "position": position.as_dict()}
    if wo.status == WorkOrderStatus.COMPLETED:
        if wo.completion == completion:
            wo.replayed = True
            return wo
        _refuse(
            "work_order_completed",
            f"Work order {wo.pk} was completed at {wo.completed_at:%H:%M:%S} by equipment "
            f"{(wo.completion or {}).get('equipment')} to {events.place(wo, 'to')}; this "
            "completion differs.",
            "position",
            status=409,
        )
    expected = TO_PLACE[wo.kind]
    if position.place != expected:
        _refuse(
            "wrong_place",
            f"position.place: a {wo.kind} ends at a {expected} position, not {position.place}.",
            "position.place",
        )
    equipment = _lock_equipment(equipment)
    _take(wo, equipment, "complete")
    if wo.status == WorkOrderStatus.PLANNED:
        _available(equipment)
    now = timezone.now()
    _COMPLETE[wo.kind](wo, position, by, now)
    wo.status = WorkOrderStatus.COMPLETED
    wo.equipment = equipment
    wo.started_at = wo.started_at or now
    wo.dispatched_at = wo.dispatched_at or now
    wo.completed_at = now
    wo.completed_by = by
    wo.completion = completion
    wo.idempotency_key = idempotency_key[:255]
    for name, value in position.fields("to").items():
        setattr(wo, name, value)
    _write(wo)
    _equipment_release(equipment, position=position)
    extra = {"queue": queue_progress(wo.crane_queue_id)} if wo.crane_queue_id else {}
    events.work_order_changed(wo=wo, type="completed", by=by, extra=extra)
    wo.replayed = False
    return wo


@transaction.atomic
def work_order_report_problem(
    *,
    work_order: WorkOrder,
    equipment: Equipment,
    kind: str,
    note: str = "",
    by: User | None = None,
) -> ProblemReport:
    """The driver cannot do the job as planned: the order waits in ``problem`` for a planner,
    the equipment is free for its next job."""
    if kind not in ProblemKind.values:
        _refuse("validation_error", f"kind must be one of {', '.join(ProblemKind.values)}.", "kind")
    if not isinstance(note, str) or len(note) > 500:
        _refuse("validation_error", "note is text of at most 500 characters.", "note")
    wo = _lock_order(work_order)
    equipment = _lock_equipment(equipment)
    _take(wo, equipment, "report")
    now = timezone.now()
    wo.status = WorkOrderStatus.PROBLEM
    wo.equipment = equipment
    _write(wo, update_fields=["status", "equipment"])
    report = ProblemReport.objects.create(
        work_order=wo, equipment=equipment, kind=kind, note=note, reported_by=by, reported_at=now
    )
    if equipment.current_job_id == wo.pk:
        _equipment_release(equipment)
    events.work_order_changed(
        wo=wo, type="problem", by=by, extra={"problem": {"kind": kind, "note": note}}
    )
    return report


@transaction.atomic
def work_order_replan(*, work_order: WorkOrder, by: User | None = None) -> WorkOrder:
    """A planner resolved the problem: the order is planned again (it keeps its queue place)."""
    wo = _lock_order(work_order)
    if wo.status != WorkOrderStatus.PROBLEM:
        _refuse(
            "work_order_not_open",
            f"Work order {wo.pk} is {wo.status}; only a problem order is re-planned.",
            "status",
            status=409,
        )
    wo.status, wo.equipment = WorkOrderStatus.PLANNED, None
    _write(wo, update_fields=["status", "equipment"])
    ProblemReport.objects.filter(work_order=wo, resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )
    events.work_order_changed(wo=wo, type="replanned", by=by)
    return wo


@transaction.atomic
def equipment_state_set(*, equipment: Equipment, state: str, by: User | None = None) -> Equipment:
    """Take equipment out of service (down, offline) or back (idle). A machine with a job in
    hand cannot go down: report a problem on the job first."""
    if state not in (EquipmentState.IDLE, EquipmentState.DOWN, EquipmentState.OFFLINE):
        _refuse("validation_error", "state must be one of idle, down, offline.", "state")
    equipment = _lock_equipment(equipment)
    if equipment.current_job_id is not None and state != EquipmentState.IDLE:
        _refuse(
            "equipment_busy",
            f"{equipment.name} has work order {equipment.current_job_id} in hand.",
            "state",
            status=409,
        )
    busy = equipment.current_job_id is not None
    equipment.state = EquipmentState.WORKING if busy else state
    _write(equipment, update_fields=["state", "updated_at"])
    events.equipment_changed(equipment=equipment)
    return equipment


@transaction.atomic
def work_order_cancel(
    *, work_order: WorkOrder, by: User | None = None, reason: str = ""
) -> WorkOrder:
    """Drop a move that will not happen (planned or in problem; a dispatched job must be given
    back by its driver first, as a problem). The slot a dispatch reserved for it is freed; a
    yard move planned by someone else (the gate, a relocation job) is left to its owner."""
    from yard import services as yard

    wo = _lock_order(work_order)
    if wo.status not in (WorkOrderStatus.PLANNED, WorkOrderStatus.PROBLEM):
        _refuse(
            "work_order_not_open",
            f"Work order {wo.pk} is {wo.status}; only a planned or problem order is cancelled.",
            "status",
            status=409,
        )
    if not isinstance(reason, str) or len(reason) > 200:
        _refuse("validation_error", "reason is text of at most 200 characters.", "reason")
    move = wo.yard_move
    if move is not None and move.status == "planned" and move.note == f"work order {wo.pk}":
        yard.yard_move_cancel(move=move, by=by, reason=f"work order {wo.pk} cancelled")
    wo.status, wo.cancelled_at = WorkOrderStatus.CANCELLED, timezone.now()
    wo.note = (reason or wo.note)[:200]
    _write(wo, update_fields=["status", "cancelled_at", "note"])
    ProblemReport.objects.filter(work_order=wo, resolved_at__isnull=True).update(
        resolved_at=wo.cancelled_at
    )
    events.work_order_changed(wo=wo, type="cancelled", by=by)
    return wo


@transaction.atomic
def equipment_position_report(
    *,
    equipment: Equipment,
    block: Any = None,
    bay: int | None = None,
    x_m: int | None = None,
    y_m: int | None = None,
) -> Equipment:
    """Where the machine is now, as its client reports it: a yard block and bay (yard cranes
    and carriers in the yard) or plan coordinates in metres. Dispatch uses it for "nearest"."""
    equipment = _lock_equipment(equipment)
    if block is not None:
        if block.terminal_id != equipment.terminal_id:
            _refuse("unknown_block", "block: that block is at another terminal.", "block")
        if equipment.kind in YARD_CRANES and block.pk != equipment.block_id:
            _refuse(
                "validation_error",
                f"block: {equipment.name} works block {equipment.block.name} only.",
                "block",
            )
        if bay is None or isinstance(bay, bool) or not (1 <= bay <= block.last_bay):
            _refuse(
                "validation_error",
                f"bay: block {block.name} has bays 1 to {block.last_bay}.",
                "bay",
            )
        equipment.position_block, equipment.position_bay = block, bay
        equipment.x_m, equipment.y_m = _point(block, bay)
    elif x_m is not None and y_m is not None:
        if equipment.kind in YARD_CRANES:
            _refuse("validation_error", "A yard crane reports its block and bay.", "block")
        equipment.position_block, equipment.position_bay = None, None
        equipment.x_m, equipment.y_m = x_m, y_m
    else:
        _refuse("validation_error", "Give a block and bay, or x_m and y_m.", "block")
    _write(
        equipment,
        update_fields=["position_block", "position_bay", "x_m", "y_m", "updated_at"],
    )
    events.equipment_changed(equipment=equipment)
    return equipment
