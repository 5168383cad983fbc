"""Reads of the yard app."""

from django.db.models import Count, Q, QuerySet

from tos.core.choices import PositionKind, UnitState
from tos.core.models import ContainerVisit, Terminal
from yard.models import YardBlock


def yard_blocks(*, terminal: Terminal | None) -> QuerySet[YardBlock]:
    return YardBlock.objects.filter(terminal=terminal)


def yard_block_fill(*, terminal: Terminal | None) -> dict[str, dict[str, int]]:
    """Units and TEU in each block, from the units' yard positions (``BLOCK.bay.row.tier``)."""
    rows = ContainerVisit.objects.filter(
        terminal=terminal, state=UnitState.ON_TERMINAL, position_kind=PositionKind.YARD
    ).values_list("position_ref", "container__teu")
    fill: dict[str, dict[str, int]] = {}
    for ref, teu in rows:
        block = ref.split(".", 1)[0]
        entry = fill.setdefault(block, {"units": 0, "teu": 0})
        entry["units"] += 1
        entry["teu"] += teu
    return fill


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
