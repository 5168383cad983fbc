"""Reads of the yard app: blocks and their fill, what stands where (current occupancy), live
reservations, yard moves, where a container is, and the compact snapshot of the live yard map.

Tenant scoping: terminal staff see the whole yard of their terminal; an agent sees only its own
lines' units (:func:`units_in_yard_visible_to`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from tos.core.choices import PositionKind, UnitCategory, UnitState
from tos.core.models import ContainerVisit, Hold, Terminal, User
from tos.core.selectors import scope_by_line, terminal_for_user, user_sees_all_lines
from yard.models import YardBlock, YardMove, YardOccupancy, YardReservation
from yard.snapshot import RESERVATION_COLUMNS, SNAPSHOT_COLUMNS

#: Upper bounds (kg, exclusive) of weight classes 1 to 3; heavier is class 4, unknown or empty 0.
WEIGHT_CLASS_LIMITS_KG = (10_000, 20_000, 28_000)


def weight_class(kg: int | None) -> int:
    """1 light (< 10 t), 2 medium (< 20 t), 3 heavy (< 28 t), 4 very heavy; 0 when unknown."""
    if not kg:
        return 0
    return 1 + sum(kg >= limit for limit in WEIGHT_CLASS_LIMITS_KG)


def needs_power(*, type_group: str, category: str) -> bool:
    """A full reefer runs its machine and needs a plug; an empty reefer does not."""
    return type_group == "R" and category != UnitCategory.EMPTY


def box_attrs(unit: ContainerVisit, *, holds: int | None = None) -> dict[str, Any]:
    """What the map colours a box by (line, POD, weight class, size, reefer, DG class, holds,
    dwell, vessel visit); ``unit`` needs ``container``, ``line`` and both visits loaded."""
    visit = unit.outbound_visit or unit.inbound_visit
    if holds is None:
        holds = Hold.objects.filter(unit=unit, released_at__isnull=True).count()
    return {
        "unit": unit.pk,
        "container": unit.container.number,
        "line": unit.line.code,
        "pod": unit.pod,
        "category": unit.category,
        "weight_class": weight_class(unit.vgm_kg or unit.gross_weight_kg),
        "reefer": needs_power(type_group=unit.container.type_group, category=unit.category),
        "imdg": unit.imdg_class,
        "visit": visit.reference if visit else None,
        "holds": holds,
        "time_in": unit.time_in,
    }


def yard_blocks(*, terminal: Terminal | None) -> QuerySet[YardBlock]:
    return YardBlock.objects.filter(terminal=terminal).prefetch_related("dg_zones")


def current_occupancy(*, terminal: Terminal | None) -> QuerySet[YardOccupancy]:
    return YardOccupancy.objects.filter(terminal=terminal, valid_to__isnull=True)


def yard_block_fill(*, terminal: Terminal | None) -> dict[str, dict[str, int]]:
    """Boxes and TEU standing in each block now (from current occupancy)."""
    rows = (
        current_occupancy(terminal=terminal)
        .values("block__name")
        .annotate(
            units=Count("pk"),
            forty=Count("pk", filter=~Q(size_ft=20)),
        )
        .order_by()
    )
    return {r["block__name"]: {"units": r["units"], "teu": r["units"] + r["forty"]} for r in rows}


def units_on_terminal_by_category(*, terminal: Terminal | None) -> list[dict]:
    return list(
        ContainerVisit.objects.filter(terminal=terminal, state=UnitState.ON_TERMINAL)
        .values("category")
        .annotate(
            units=Count("pk"),
            reefers=Count("pk", filter=Q(container__type_group="R")),
            dangerous=Count("pk", filter=~Q(imdg_class="")),
        )
        .order_by("category")
    )


def live_reservations(*, terminal: Terminal | None, now: dt.datetime | None = None):
    now = now or timezone.now()
    return YardReservation.objects.filter(
        terminal=terminal, reserved_from__lte=now, reserved_until__gt=now
    )


def blocks_visible_to(user: User) -> QuerySet[YardBlock]:
    """The blocks of the caller's terminal (block geometry is not line data)."""
    return yard_blocks(terminal=terminal_for_user(user))


def occupancy_visible_to(user: User) -> QuerySet[YardOccupancy]:
    """Current and past occupancy rows of the caller's terminal, agents: their lines' units."""
    qs = YardOccupancy.objects.filter(terminal=terminal_for_user(user)).select_related(
        "block", "unit__container", "unit__line"
    )
    return scope_by_line(qs, user, "unit__line")


def units_in_yard_visible_to(user: User) -> QuerySet[ContainerVisit]:
    """Units the caller may look up by container number (where-is-my-container)."""
    qs = ContainerVisit.objects.filter(terminal=terminal_for_user(user)).select_related(
        "container", "line", "inbound_visit", "outbound_visit"
    )
    return scope_by_line(qs, user, "line")


def unit_whereabouts(*, unit: ContainerVisit) -> dict[str, Any]:
    """Where a unit is: its current yard position (or its non-yard position), its live
    reservation and planned moves, and its last yard positions."""
    history = list(
        YardOccupancy.objects.filter(unit=unit)
        .select_related("block")
        .order_by("-valid_from", "-pk")[:10]
    )
    current = next((o for o in history if o.valid_to is None), None)
    planned = list(
        YardMove.objects.filter(unit=unit, status="planned")
        .select_related("to_block", "from_block")
        .order_by("planned_at", "pk")
    )
    return {
        "unit": unit,
        "current": current,
        "in_yard": current is not None,
        "position_kind": PositionKind.YARD if current else unit.position_kind,
        "position_ref": current.ref if current else unit.position_ref,
        "planned_moves": planned,
        "history": history,
    }


def yard_moves_visible_to(user: User) -> QuerySet[YardMove]:
    qs = YardMove.objects.filter(terminal=terminal_for_user(user)).select_related(
        "unit__container", "unit__line", "from_block", "to_block", "reservation"
    )
    if user_sees_all_lines(user):
        return qs
    return scope_by_line(qs, user, "unit__line")


# --- the live map's snapshot --------------------------------------------------------------------


class _Index(dict):
    """Dictionary encoding: each distinct value once in a list, rows carry its index."""

    def __init__(self, values: list[str] | None = None) -> None:
        super().__init__()
        self.values: list[str] = []
        for value in values or []:
            self.code(value)

    def code(self, value: Any) -> int | None:
        if value is None or value == "":
            return None
        found = self.get(value)
        if found is None:
            found = self[value] = len(self.values)
            self.values.append(value)
        return found


def _epoch(moment: dt.datetime | None) -> int | None:
    return int(moment.timestamp()) if moment else None


def yard_snapshot(*, terminal: Terminal) -> dict[str, Any]:
    """The whole yard in one compact document for the live map (DESIGN.md §5.6).

    ``seq`` is the terminal's event sequence the snapshot reflects: on PostgreSQL the snapshot is
    read in one REPEATABLE READ transaction, so it is exactly the state after event ``seq``;
    apply events with a higher ``seq``. (Yard events carry absolute positions, so applying one
    the snapshot already reflects is harmless.)

    Boxes are rows of :data:`SNAPSHOT_COLUMNS`; text that repeats (block, line, POD, category,
    IMDG class, visit) is dictionary-encoded in ``dicts`` (``*_i`` columns hold the index or
    null), times are Unix seconds, ``reefer`` is 1 for a reefer that needs power.
    """
    from django.db import connection, transaction

    with transaction.atomic():
        if connection.vendor == "postgresql" and not _outer_atomic(connection):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return _snapshot(terminal)


def _outer_atomic(connection) -> bool:
    """Whether an enclosing transaction already ran (then its isolation level stays)."""
    return len(connection.atomic_blocks) > 1 or connection.savepoint_ids != []


def _snapshot(terminal: Terminal) -> dict[str, Any]:
    now = timezone.now()
    seq = Terminal.objects.filter(pk=terminal.pk).values_list("event_seq", flat=True).get()
    blocks = list(yard_blocks(terminal=terminal).order_by("name"))
    block_index = {b.pk: i for i, b in enumerate(blocks)}
    dicts = {
        "block": [b.name for b in blocks],
        "line": _Index(),
        "pod": _Index(),
        "category": _Index(),
        "imdg": _Index(),
        "visit": _Index(),
    }
    holds = dict(
        Hold.objects.filter(terminal=terminal, released_at__isnull=True)
        .values_list("unit_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = (
        current_occupancy(terminal=terminal)
        .order_by()
        .values_list(
            "unit_id",
            "unit__container__number",
            "block_id",
            "bay",
            "row",
            "tier",
            "size_ft",
            "unit__line__code",
            "unit__pod",
            "unit__category",
            "unit__vgm_kg",
            "unit__gross_weight_kg",
            "unit__container__type_group",
            "unit__imdg_class",
            "unit__outbound_visit__reference",
            "unit__inbound_visit__reference",
            "unit__time_in",
        )
    )
    line, pod, cat, imdg, visit = (
        dicts["line"],
        dicts["pod"],
        dicts["category"],
        dicts["imdg"],
        dicts["visit"],
    )
    boxes = [
        [
            unit_id,
            number,
            block_index[block_id],
            bay,
            row,
            tier,
            size,
            line.code(line_code),
            pod.code(pod_code),
            cat.code(category),
            weight_class(vgm or gross),
            1 if group == "R" and category != UnitCategory.EMPTY else 0,
            imdg.code(imdg_class),
            visit.code(out_ref or in_ref),
            holds.get(unit_id, 0),
            _epoch(time_in),
        ]
        for (
            unit_id,
            number,
            block_id,
            bay,
            row,
            tier,
            size,
            line_code,
            pod_code,
            category,
            vgm,
            gross,
            group,
            imdg_class,
            out_ref,
            in_ref,
            time_in,
        ) in rows
    ]
    reservations = [
        [pk, unit_id, block_index[block_id], bay, row, tier, size, _epoch(until), move_id]
        for pk, unit_id, block_id, bay, row, tier, size, until, move_id in live_reservations(
            terminal=terminal, now=now
        )
        .order_by()
        .values_list(
            "pk",
            "unit_id",
            "block_id",
            "bay",
            "row",
            "tier",
            "size_ft",
            "reserved_until",
            "move_id",
        )
    ]
    return {
        "terminal": terminal.pk,
        "seq": seq,
        "generated_at": now.isoformat(),
        "blocks": [_block_json(b) for b in blocks],
        "dicts": {
            name: (value.values if isinstance(value, _Index) else value)
            for name, value in dicts.items()
        },
        "columns": list(SNAPSHOT_COLUMNS),
        "boxes": boxes,
        "reservation_columns": list(RESERVATION_COLUMNS),
        "reservations": reservations,
    }


def _block_json(block: YardBlock) -> dict[str, Any]:
    return {
        "id": block.pk,
        "name": block.name,
        "kind": block.kind,
        "equipment": block.equipment,
        "bays": block.bays,
        "rows": block.rows,
        "max_tier": block.max_tier,
        "x_m": block.x_m,
        "y_m": block.y_m,
        "orientation_deg": block.orientation_deg,
        "reefer_plugs_per_row": block.reefer_plugs_per_row,
        "plugged_rows": block.plugged_rows,
        "allow_20_on_40": block.allow_20_on_40,
        "zones": [
            {
                "name": z.name,
                "first_bay": z.first_bay,
                "last_bay": z.last_bay,
                "imdg_classes": z.imdg_classes,
            }
            for z in block.dg_zones.all()
        ],
    }


def bay_section(*, block: YardBlock, bay: int) -> list[YardOccupancy]:
    """The boxes standing in one bay now: those whose ground bays include ``bay`` (an even bay
    shows its 40' boxes and the 20' boxes on both ground bays)."""
    low, high = (bay, bay + 1) if bay % 2 == 1 else (bay - 1, bay + 2)
    return list(
        YardOccupancy.objects.filter(
            block=block, valid_to__isnull=True, ground_from__lt=high, ground_to__gt=low
        )
        .select_related("block", "unit__container", "unit__line")
        .order_by("row", "tier", "bay")
    )
