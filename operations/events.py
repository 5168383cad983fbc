"""Live events of operations (topic ``operations``), written by :mod:`operations.services` in
their transaction through :func:`tos.core.realtime.event_record` (DESIGN.md §5.6).

* ``work_orders.generated`` — ``{source, vessel_visit, created, skipped, by}``
* ``work_order.dispatched`` / ``.accepted`` / ``.completed`` / ``.problem`` / ``.replanned`` —
  :func:`work_order_payload` + ``by`` (completed adds ``queue: {done, total}`` for a vessel move;
  problem adds ``problem: {kind, note}``)
* ``crane_queues.built`` — ``{vessel_visit, queues: [{id, crane, first_bay, last_bay, moves}]}``
* ``crane_queue.resequenced`` — ``{vessel_visit, queues: [{id, crane, revision, first_bay,
  last_bay}], by}``
* ``equipment.changed`` — ``{equipment, name, kind, state, job, block, bay}``
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tos.core.realtime import event_record

if TYPE_CHECKING:
    from operations.models import Equipment, WorkOrder
    from tos.core.models import Event, User

TOPIC = "operations"


def _by(by: User | None) -> dict[str, Any]:
    return {"by": by.username if by is not None else None}


def place(wo: WorkOrder, side: str) -> dict[str, Any]:
    """A work order's ``from`` or ``to`` position as a small dict."""
    kind = getattr(wo, f"{side}_place")
    if kind == "truck":
        return {
            "place": kind,
            "truck": getattr(wo, f"{side}_truck"),
            "lane": getattr(wo, f"{side}_lane"),
        }
    block = getattr(wo, f"{side}_block")
    out: dict[str, Any] = {"place": kind}
    if kind == "yard":
        out["block"] = block.name if block is not None else None
    out |= {k: getattr(wo, f"{side}_{k}") for k in ("bay", "row", "tier")}
    return out


def work_order_payload(wo: WorkOrder) -> dict[str, Any]:
    return {
        "work_order": wo.pk,
        "kind": wo.kind,
        "status": wo.status,
        "unit": wo.unit_id,
        "container": wo.container_number,
        "vessel_visit": wo.vessel_visit_id,
        "from": place(wo, "from"),
        "to": place(wo, "to"),
        "priority": wo.priority,
        "crane_queue": wo.crane_queue_id,
        "sequence": wo.sequence,
        "equipment": wo.equipment_id,
    }


def work_order_changed(
    *, wo: WorkOrder, type: str, by: User | None, extra: dict[str, Any] | None = None
) -> Event:
    line_id = wo.unit.line_id if wo.unit_id else None
    return event_record(
        terminal_id=wo.terminal_id,
        topic=TOPIC,
        type=f"work_order.{type}",
        payload=work_order_payload(wo) | (extra or {}) | _by(by),
        line_id=line_id,
    )


def equipment_changed(*, equipment: Equipment) -> Event:
    return event_record(
        terminal_id=equipment.terminal_id,
        topic=TOPIC,
        type="equipment.changed",
        payload={
            "equipment": equipment.pk,
            "name": equipment.name,
            "kind": equipment.kind,
            "state": equipment.state,
            "job": equipment.current_job_id,
            "block": equipment.position_block.name if equipment.position_block_id else None,
            "bay": equipment.position_bay,
        },
    )


def record(*, terminal_id: int, type: str, payload: dict[str, Any], by: User | None) -> Event:
    return event_record(terminal_id=terminal_id, topic=TOPIC, type=type, payload=payload | _by(by))
