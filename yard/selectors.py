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
