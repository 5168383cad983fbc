"""Live events of the yard (topic ``yard``), written by :mod:`yard.services` in their transaction
through :func:`tos.core.realtime.event_record` (DESIGN.md §5.6). The live yard map applies them
to its snapshot (:func:`yard.selectors.yard_snapshot`).

Every event carries the unit's line, so terminal staff receive all of them and a line's agents
those of their own boxes. Payloads are compact; a box is described by :func:`box_payload`::

    {unit, container, block, bay, row, tier, size, line, pod, category, weight_class, reefer,
     imdg, visit, holds, time_in}

(``size`` 20/40/45, ``weight_class`` 0 (empty or unknown) to 4, ``reefer`` true for a reefer
that needs power, ``imdg`` the class or "", ``visit`` the reference of the vessel visit the box
leaves with (else the one it came with), ``holds`` the number of active holds, ``time_in`` when
it entered the terminal, for dwell time.)

* ``yard.unit_placed`` — a box was put into the yard: ``box`` fields + ``move`` (id or null) +
  ``by``.
* ``yard.unit_moved`` — a box moved within the yard: ``box`` fields (the new position) +
  ``from: {block, bay, row, tier}`` + ``move`` + ``by``.
* ``yard.unit_removed`` — a box left the yard: ``{unit, container, block, bay, row, tier, size,
  by}`` (where it stood).
* ``yard.slot_reserved`` / ``yard.slot_released`` — a slot reservation began or ended early:
  ``{reservation, unit, container, block, bay, row, tier, size, until, move, by}`` (released adds
  ``reason``: released, consumed or cancelled). Expiry writes no event: clients compare
  ``until`` with the clock.
* ``yard.move_planned`` / ``yard.move_confirmed`` / ``yard.move_cancelled`` — a yard move's
  lifecycle: ``{move, unit, container, kind, status, from, to, reservation, until, by}``; the
  reservation a planned move holds is part of it (no separate slot event).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tos.core.realtime import Suppression, event_record

if TYPE_CHECKING:
    from tos.core.models import ContainerVisit, Event, User
    from yard.models import YardMove, YardReservation

TOPIC = "yard"
UNIT_PLACED = "yard.unit_placed"
UNIT_MOVED = "yard.unit_moved"
UNIT_REMOVED = "yard.unit_removed"
SLOT_RESERVED = "yard.slot_reserved"
SLOT_RELEASED = "yard.slot_released"
MOVE_PLANNED = "yard.move_planned"
MOVE_CONFIRMED = "yard.move_confirmed"
MOVE_CANCELLED = "yard.move_cancelled"

suppressed = Suppression("yard")


def _record(*, unit: ContainerVisit, type: str, payload: dict[str, Any]) -> Event | None:
    if suppressed.active:
        return None
    return event_record(
        terminal_id=unit.terminal_id, topic=TOPIC, type=type, payload=payload, line_id=unit.line_id
    )


def _by(user: User | None) -> str | None:
    return user.username if user is not None else None


def position(block: str, bay: int, row: int, tier: int) -> dict[str, Any]:
    return {"block": block, "bay": bay, "row": row, "tier": tier}


def unit_placed(
    *, unit: ContainerVisit, box: dict[str, Any], move: YardMove | None, by: User | None
) -> Event | None:
    payload = box | {"move": move.pk if move else None, "by": _by(by)}
    return _record(unit=unit, type=UNIT_PLACED, payload=payload)


def unit_moved(
    *,
    unit: ContainerVisit,
    box: dict[str, Any],
    source: dict[str, Any],
    move: YardMove | None,
    by: User | None,
) -> Event | None:
    payload = box | {"from": source, "move": move.pk if move else None, "by": _by(by)}
    return _record(unit=unit, type=UNIT_MOVED, payload=payload)


def unit_removed(
    *, unit: ContainerVisit, source: dict[str, Any], size: int, by: User | None
) -> Event | None:
    payload = {
        "unit": unit.pk,
        "container": unit.container.number,
        **source,
        "size": size,
        "by": _by(by),
    }
    return _record(unit=unit, type=UNIT_REMOVED, payload=payload)


def _reservation(reservation: YardReservation) -> dict[str, Any]:
    return {
        "reservation": reservation.pk,
        "unit": reservation.unit_id,
        "container": reservation.unit.container.number,
        **position(reservation.block.name, reservation.bay, reservation.row, reservation.tier),
        "size": reservation.size_ft,
        "until": reservation.reserved_until,
        "move": reservation.move_id,
    }


def slot_reserved(*, reservation: YardReservation, by: User | None) -> Event | None:
    payload = _reservation(reservation) | {"by": _by(by)}
    return _record(unit=reservation.unit, type=SLOT_RESERVED, payload=payload)


def slot_released(*, reservation: YardReservation, reason: str, by: User | None) -> Event | None:
    payload = _reservation(reservation) | {"reason": reason, "by": _by(by)}
    return _record(unit=reservation.unit, type=SLOT_RELEASED, payload=payload)


def move_changed(
    *, move: YardMove, type: str, reservation: YardReservation | None, by: User | None
) -> Event | None:
    source = (
        position(move.from_block.name, move.from_bay, move.from_row, move.from_tier)
        if move.from_block_id
        else None
    )
    payload = {
        "move": move.pk,
        "unit": move.unit_id,
        "container": move.unit.container.number,
        "kind": move.kind,
        "status": move.status,
        "from": source,
        "to": position(move.to_block.name, move.to_bay, move.to_row, move.to_tier),
        "reservation": reservation.pk if reservation else None,
        "until": reservation.reserved_until if reservation else None,
        "by": _by(by),
    }
    return _record(unit=move.unit, type=type, payload=payload)
