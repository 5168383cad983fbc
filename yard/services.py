"""Writes of the yard (DESIGN.md §5.1): the only way boxes are placed, moved and removed, slots
reserved and yard moves planned, confirmed and cancelled.

Every service is atomic. It locks the ground stacks it touches (:class:`YardStack`,
``select_for_update()`` in pk order, both stacks of a 40' box, source and target together),
then checks the stacking rules against what stands there now, refuses with an
:class:`ApplicationError` before it writes anything, writes, mirrors the position on the unit
(``position_kind``/``position_ref``) and records a live event in the same transaction. Because
the checks run under the stack locks, they are exact on SQLite too (where the database has no
exclusion constraints); on PostgreSQL the constraints of :mod:`yard.models` stand behind them, and
an ``IntegrityError`` they raise answers 409 like the Python check would.

Refusal codes (400 unless said): ``size_not_stackable``, ``bay_out_of_range``, ``bay_parity``,
``row_out_of_range``, ``tier_out_of_range``, ``floating`` (nothing, or not enough, below),
``twenty_on_forty``, ``misaligned_support``, ``reefer_needs_plug``, ``no_free_plug``,
``dg_not_allowed``, ``dg_block_reserved``, ``empties_only``, ``other_terminal``, ``same_position``,
``invalid_minutes``; 409: ``slot_occupied``, ``slot_overlap``, ``slot_reserved``,
``unit_not_active``, ``unit_already_in_yard``, ``unit_not_in_yard``, ``unit_blocked``,
``move_not_planned``, ``conflict``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tos.core.choices import UNIT_ACTIVE_STATES, PositionKind, UnitCategory
from tos.core.errors import ApplicationError
from tos.core.models import ContainerVisit, User
from yard import events
from yard.choices import STACKABLE_LENGTHS, BlockKind, MoveKind, MoveStatus
from yard.models import (
    YardBlock,
    YardMove,
    YardOccupancy,
    YardReservation,
    YardStack,
    ground_bays,
    slot_size,
    yard_ref,
)
from yard.selectors import box_attrs, needs_power

#: Minutes a reservation (and a planned move's hold on its slot) lasts unless said otherwise.
DEFAULT_RESERVATION_MINUTES = 30
#: The longest reservation anybody may ask for (a day).
MAX_RESERVATION_MINUTES = 24 * 60

#: Database constraint → (code, message) of the 409 it answers with.
_CONSTRAINT_ERRORS = {
    "yard_occupancy_one_box_per_position": ("slot_occupied", "Another box stands there."),
    "yard_occupancy_no_overlap": (
        "slot_overlap",
        "Another box stands on one of these ground bays at this row and tier.",
    ),
    "yard_occupancy_one_position_per_unit": (
        "unit_already_in_yard",
        "This unit already stands somewhere in the yard.",
    ),
    "yard_reservation_no_overlap": (
        "slot_reserved",
        "Another live reservation holds this slot.",
    ),
}


def reservation_minutes() -> int:
    return int(getattr(settings, "TOS_YARD_RESERVATION_MINUTES", DEFAULT_RESERVATION_MINUTES))


# --- positions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """A checked yard position for a box of ``size_ft`` (20 or 40; 45' boxes take 40' slots)."""

    block: YardBlock
    bay: int
    row: int
    tier: int
    size_ft: int

    @property
    def ground(self) -> tuple[int, int]:
        return ground_bays(self.bay, self.size_ft)

    @property
    def ref(self) -> str:
        return yard_ref(self.block.name, self.bay, self.row, self.tier)

    def as_dict(self) -> dict[str, Any]:
        return events.position(self.block.name, self.bay, self.row, self.tier)


def _refuse(code: str, message: str, field: str, *, status: int = 400, **extra: Any):
    raise ApplicationError(code, message, details={field: [message], **extra}, status=status)


def slot_for(*, block: YardBlock, bay: int, row: int, tier: int, length_ft: int) -> Slot:
    """The slot of a box of ``length_ft`` at block/bay/row/tier, or a refusal naming the field:
    20' boxes stand in odd bays 1 … 2·bays−1, 40'/45' boxes in even bays 2 … 2·bays−2."""
    if length_ft not in STACKABLE_LENGTHS:
        _refuse(
            "size_not_stackable",
            f"A {length_ft}' box has no yard slot; the yard stacks 20', 40' and 45' boxes.",
            "unit",
        )
    size = slot_size(length_ft)
    last = block.last_bay
    if not (1 <= bay <= last):
        _refuse(
            "bay_out_of_range", f"Block {block.name} has bays 1 to {last}; {bay} is outside.", "bay"
        )
    if size == 20 and bay % 2 == 0:
        _refuse(
            "bay_parity",
            f"A 20' box stands in an odd bay (1, 3 … {last}); bay {bay} is a 40' bay.",
            "bay",
        )
    if size == 40 and (bay % 2 == 1 or bay + 1 > last):
        _refuse(
            "bay_parity",
            f"A {length_ft}' box stands in an even bay between two 20' bays (2, 4 … {last - 1})"
            f"; bay {bay} is not one.",
            "bay",
        )
    if not (1 <= row <= block.rows):
        _refuse(
            "row_out_of_range",
            f"Block {block.name} has rows 1 to {block.rows}; {row} is outside.",
            "row",
        )
    if not (1 <= tier <= block.max_tier):
        _refuse(
            "tier_out_of_range",
            f"Block {block.name} stacks {block.max_tier} high; tier {tier} is outside 1 to "
            f"{block.max_tier}.",
            "tier",
        )
    return Slot(block=block, bay=bay, row=row, tier=tier, size_ft=size)


# --- locks --------------------------------------------------------------------------------------


def yard_block_stacks_ensure(*, block: YardBlock) -> int:
    """Create the stack rows of every ground bay and row of ``block`` (idempotent); returns how
    many there are. Blocks get them when they are made (demo seed, tests); :func:`_lock_stacks`
    creates any that are missing on first use."""
    YardStack.objects.bulk_create(
        [
            YardStack(block=block, bay=bay, row=row)
            for bay in range(1, block.last_bay + 1, 2)
            for row in range(1, block.rows + 1)
        ],
        ignore_conflicts=True,
    )
    return YardStack.objects.filter(block=block).count()


def _lock_stacks(*slots: Slot | YardOccupancy) -> None:
    """Lock the ground stacks under ``slots`` (``select_for_update`` in pk order), creating
    missing stack rows first, in key order and before any lock is taken, so that two services
    never wait for each other in a cycle."""
    wanted: set[tuple[int, int, int]] = set()
    for slot in slots:
        block_id = slot.block.pk
        start, end = (
            (slot.ground_from, slot.ground_to) if isinstance(slot, YardOccupancy) else slot.ground
        )
        for bay in range(start, end, 2):
            wanted.add((block_id, bay, slot.row))
    query = Q()
    for block_id, bay, row in wanted:
        query |= Q(block_id=block_id, bay=bay, row=row)
    if YardStack.objects.filter(query).count() < len(wanted):
        YardStack.objects.bulk_create(
            [YardStack(block_id=b, bay=bay, row=r) for b, bay, r in sorted(wanted)],
            ignore_conflicts=True,
        )
    list(YardStack.objects.select_for_update().filter(query).order_by("pk").values_list("pk"))


def _lock_unit(unit: ContainerVisit) -> ContainerVisit:
    return (
        ContainerVisit.objects.select_for_update(of=("self",))
        .select_related("container", "line", "inbound_visit", "outbound_visit")
        .get(pk=unit.pk)
    )


def _current(unit: ContainerVisit) -> YardOccupancy | None:
    return (
        YardOccupancy.objects.select_related("block")
        .filter(unit=unit, valid_to__isnull=True)
        .first()
    )


# --- rules --------------------------------------------------------------------------------------


def _overlaps(a_from: int, a_to: int, b_from: int, b_to: int) -> bool:
    return a_from < b_to and b_from < a_to


def _describe(occ: YardOccupancy) -> str:
    return f"{occ.unit.container.number} ({occ.size_ft}') at {occ.ref}"


def _check_unit(unit: ContainerVisit, block: YardBlock) -> None:
    if unit.state not in UNIT_ACTIVE_STATES:
        _refuse(
            "unit_not_active",
            f"{unit.container.number} is {unit.state}; only active units enter the yard.",
            "unit",
            status=409,
        )
    if unit.terminal_id != block.terminal_id:
        _refuse("other_terminal", f"Block {block.name} belongs to another terminal.", "block")


def _check_kind(unit: ContainerVisit, slot: Slot) -> None:
    """Reefers on plugged rows of reefer blocks, dangerous goods only in a segregation zone that
    admits their class, DG blocks only for DG, empties blocks only for empties."""
    block = slot.block
    container = unit.container
    if needs_power(type_group=container.type_group, category=unit.category):
        if not block.has_plugs(slot.row):
            where = (
                f"row {slot.row} of block {block.name} has no plugs"
                if block.kind == BlockKind.REEFER
                else f"block {block.name} is a {block.get_kind_display().lower()} block"
            )
            _refuse(
                "reefer_needs_plug",
                f"{container.number} is a reefer that needs power; {where}.",
                "row" if block.kind == BlockKind.REEFER else "block",
            )
        powered = [
            o
            for o in YardOccupancy.objects.filter(
                block=block, row=slot.row, valid_to__isnull=True
            ).select_related("unit__container")
            if o.unit_id != unit.pk
            and needs_power(type_group=o.unit.container.type_group, category=o.unit.category)
        ]
        if len(powered) >= block.reefer_plugs_per_row:
            _refuse(
                "no_free_plug",
                f"All {block.reefer_plugs_per_row} plugs of row {slot.row} of block {block.name} "
                "are taken.",
                "row",
            )
    if unit.imdg_class:
        if block.kind != BlockKind.DANGEROUS:
            _refuse(
                "dg_not_allowed",
                f"{container.number} carries IMDG class {unit.imdg_class}; dangerous goods stand "
                f"only in dangerous-goods blocks, and {block.name} is a "
                f"{block.get_kind_display().lower()} block.",
                "block",
            )
        start, end = slot.ground
        zones = [z for z in block.dg_zones.all() if z.covers(start, end)]
        if not any(z.admits(unit.imdg_class) for z in zones):
            zone_text = (
                f"zone {zones[0].name} admits classes {', '.join(zones[0].imdg_classes)}"
                if zones
                else "it lies in no segregation zone"
            )
            _refuse(
                "dg_not_allowed",
                f"IMDG class {unit.imdg_class} may not stand at bay {slot.bay} of block "
                f"{block.name}: {zone_text}.",
                "bay",
            )
    elif block.kind == BlockKind.DANGEROUS:
        _refuse(
            "dg_block_reserved",
            f"Block {block.name} is kept for dangerous goods; {container.number} carries none.",
            "block",
        )
    if block.kind == BlockKind.EMPTY and unit.category != UnitCategory.EMPTY:
        _refuse(
            "empties_only",
            f"Block {block.name} stacks empties; {container.number} is {unit.category}.",
            "block",
        )


def _check_stack(
    slot: Slot, *, unit: ContainerVisit, reservation_ids: frozenset[int] = frozenset()
) -> None:
    """The physics at ``slot`` against what stands there now (the moving ``unit`` itself is
    ignored): free slot, no live reservation of somebody else, support below."""
    start, end = slot.ground
    nearby = [
        o
        for o in YardOccupancy.objects.filter(
            block=slot.block,
            row=slot.row,
            valid_to__isnull=True,
            tier__in=[slot.tier - 1, slot.tier],
            ground_from__lt=end,
            ground_to__gt=start,
        ).select_related("block", "unit__container")
        if o.unit_id != unit.pk
    ]
    here = [o for o in nearby if o.tier == slot.tier]
    if here:
        exact = any(o.bay == slot.bay for o in here)
        _refuse(
            "slot_occupied" if exact else "slot_overlap",
            f"{slot.ref} is taken: {', '.join(_describe(o) for o in here)} stands there.",
            "tier" if exact else "bay",
            status=409,
        )
    now = timezone.now()
    reserved = [
        r
        for r in YardReservation.objects.filter(
            block=slot.block,
            row=slot.row,
            tier=slot.tier,
            reserved_from__lte=now,
            reserved_until__gt=now,
            ground_from__lt=end,
            ground_to__gt=start,
        ).select_related("unit__container")
        if r.pk not in reservation_ids and r.unit_id != unit.pk
    ]
    if reserved:
        other = reserved[0]
        _refuse(
            "slot_reserved",
            f"{slot.ref} is reserved for {other.unit.container.number} until "
            f"{other.reserved_until:%H:%M:%S} UTC.",
            "tier",
            status=409,
        )
    if slot.tier == 1:
        return
    below = [o for o in nearby if o.tier == slot.tier - 1]
    if slot.size_ft == 20:
        if not below:
            _refuse(
                "floating",
                f"Nothing stands below {slot.ref}; stacks fill from tier 1 up.",
                "tier",
            )
        if below[0].size_ft != 20 and not slot.block.allow_20_on_40:
            _refuse(
                "twenty_on_forty",
                f"A 20' box may not stand on the {below[0].size_ft}' box {_describe(below[0])} "
                f"in block {slot.block.name}.",
                "tier",
            )
        return
    aligned_forty = any(o.size_ft != 20 and o.bay == slot.bay for o in below)
    twenties = {o.bay for o in below if o.size_ft == 20}
    if aligned_forty or twenties == {start, end - 1}:
        return
    if any(o.size_ft != 20 for o in below):
        _refuse(
            "misaligned_support",
            f"A 40' box in bay {slot.bay} needs a 40' box in the same bay or two 20' boxes "
            f"below; {', '.join(_describe(o) for o in below)} is offset.",
            "bay",
        )
    _refuse(
        "floating",
        f"A 40' box at {slot.ref} needs support under both ground bays {start} and {end - 1} at "
        f"tier {slot.tier - 1}.",
        "tier",
    )


def _check_on_top(occ: YardOccupancy) -> None:
    above = list(
        YardOccupancy.objects.filter(
            block_id=occ.block_id,
            row=occ.row,
            tier=occ.tier + 1,
            valid_to__isnull=True,
            ground_from__lt=occ.ground_to,
            ground_to__gt=occ.ground_from,
        ).select_related("block", "unit__container")
    )
    if above:
        _refuse(
            "unit_blocked",
            f"{occ.unit.container.number} at {occ.ref} is under "
            f"{', '.join(_describe(o) for o in above)}; move that first.",
            "unit",
            status=409,
            blocking=[o.unit_id for o in above],
        )


def check_slot(
    *, unit: ContainerVisit, slot: Slot, reservation_ids: frozenset[int] = frozenset()
) -> None:
    """Every rule a box must meet to stand at ``slot`` now (callers hold the stack locks)."""
    _check_unit(unit, slot.block)
    _check_kind(unit, slot)
    _check_stack(slot, unit=unit, reservation_ids=reservation_ids)


# --- writes -------------------------------------------------------------------------------------


def _write(obj: Any, **kwargs: Any) -> Any:
    """Save in a savepoint; a database constraint refusal answers 409 with its rule."""
    try:
        with transaction.atomic():
            obj.save(**kwargs)
    except IntegrityError as exc:
        name = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
        text = str(exc)
        if name is None:  # SQLite names the columns, not the constraint
            if "yard_yardoccupancy.unit_id" in text:
                name = "yard_occupancy_one_position_per_unit"
            elif "yard_yardoccupancy.block_id" in text:
                name = "yard_occupancy_one_box_per_position"
        code, message = _CONSTRAINT_ERRORS.get(
            name or "", ("conflict", "The change conflicts with the yard as it is now.")
        )
        raise ApplicationError(
            code,
            f"{message} (rule {name})" if name else message,
            details={"constraint": [name]} if name else {},
            status=409,
        ) from exc
    return obj


def _mirror_position(unit: ContainerVisit, ref: str | None, now: dt.datetime) -> None:
    """Keep the unit's denormalised position (``position_kind``/``position_ref``) equal to its
    current occupancy; the occupancy table is the truth."""
    if ref is None:
        fields = {"position_kind": PositionKind.NONE, "position_ref": ""}
    else:
        fields = {"position_kind": PositionKind.YARD, "position_ref": ref, "position_visit": None}
    ContainerVisit.objects.filter(pk=unit.pk).update(updated_at=now, **fields)
    for name, value in fields.items():
        setattr(unit, name, value)


def _slot_fields(unit: ContainerVisit, slot: Slot) -> dict:
    """The fields an occupancy and a reservation share: whose box, which slot, which ground."""
    start, end = slot.ground
    return {
        "terminal_id": unit.terminal_id,
        "unit": unit,
        "block": slot.block,
        "bay": slot.bay,
        "row": slot.row,
        "tier": slot.tier,
        "size_ft": unit.container.length_ft,
        "ground_from": start,
        "ground_to": end,
    }


def _occupy(
    *, unit: ContainerVisit, slot: Slot, now: dt.datetime, by: User | None, move: YardMove | None
) -> YardOccupancy:
    occ = YardOccupancy(
        **_slot_fields(unit, slot),
        valid_from=now,
        move=move,
        placed_by=by,
    )
    _write(occ)
    _mirror_position(unit, slot.ref, now)
    return occ


def _vacate(occ: YardOccupancy, *, now: dt.datetime, by: User | None) -> None:
    occ.valid_to = now
    occ.removed_by = by
    _write(occ, update_fields=["valid_to", "removed_by"])


def _own_reservations(unit: ContainerVisit, move: YardMove | None) -> frozenset[int]:
    if move is None:
        return frozenset()
    return frozenset(YardReservation.objects.filter(move=move).values_list("pk", flat=True))


def _box(unit: ContainerVisit, slot: Slot) -> dict[str, Any]:
    return box_attrs(unit) | slot.as_dict() | {"size": unit.container.length_ft}


@transaction.atomic
def yard_unit_place(
    *,
    unit: ContainerVisit,
    block: YardBlock,
    bay: int,
    row: int,
    tier: int,
    by: User | None = None,
    move: YardMove | None = None,
) -> YardOccupancy:
    """Put a unit that is not in the yard (discharged, received at the gate) at a position."""
    unit = _lock_unit(unit)
    slot = slot_for(block=block, bay=bay, row=row, tier=tier, length_ft=unit.container.length_ft)
    _lock_stacks(slot)
    current = _current(unit)
    if current is not None:
        _refuse(
            "unit_already_in_yard",
            f"{unit.container.number} already stands at {current.ref}; move it instead.",
            "unit",
            status=409,
        )
    check_slot(unit=unit, slot=slot, reservation_ids=_own_reservations(unit, move))
    now = timezone.now()
    occ = _occupy(unit=unit, slot=slot, now=now, by=by, move=move)
    events.unit_placed(unit=unit, box=_box(unit, slot), move=move, by=by)
    return occ


@transaction.atomic
def yard_unit_move(
    *,
    unit: ContainerVisit,
    block: YardBlock,
    bay: int,
    row: int,
    tier: int,
    by: User | None = None,
    move: YardMove | None = None,
) -> YardOccupancy:
    """Move a unit that stands in the yard (on top of its stack) to another position."""
    unit = _lock_unit(unit)
    slot = slot_for(block=block, bay=bay, row=row, tier=tier, length_ft=unit.container.length_ft)
    current = _current(unit)
    if current is None:
        _refuse(
            "unit_not_in_yard",
            f"{unit.container.number} is not in the yard; place it instead.",
            "unit",
            status=409,
        )
    _lock_stacks(current, slot)
    current = _current(unit)  # as of the lock
    if current is None:
        _refuse(
            "unit_not_in_yard",
            f"{unit.container.number} left the yard meanwhile.",
            "unit",
            status=409,
        )
    if (current.block_id, current.bay, current.row, current.tier) == (
        block.pk,
        bay,
        row,
        tier,
    ):
        _refuse("same_position", f"{unit.container.number} already stands at {slot.ref}.", "tier")
    _check_on_top(current)
    check_slot(unit=unit, slot=slot, reservation_ids=_own_reservations(unit, move))
    now = timezone.now()
    source = events.position(current.block.name, current.bay, current.row, current.tier)
    _vacate(current, now=now, by=by)
    occ = _occupy(unit=unit, slot=slot, now=now, by=by, move=move)
    events.unit_moved(unit=unit, box=_box(unit, slot), source=source, move=move, by=by)
    return occ


@transaction.atomic
def yard_unit_remove(*, unit: ContainerVisit, by: User | None = None) -> YardOccupancy:
    """Take a unit (on top of its stack) out of the yard: loaded, delivered or on a tractor.
    Its ``position_kind`` becomes ``none`` until the service that takes it over sets another."""
    unit = _lock_unit(unit)
    current = _current(unit)
    if current is None:
        _refuse(
            "unit_not_in_yard", f"{unit.container.number} is not in the yard.", "unit", status=409
        )
    _lock_stacks(current)
    current = _current(unit)
    if current is None:
        _refuse(
            "unit_not_in_yard",
            f"{unit.container.number} left the yard meanwhile.",
            "unit",
            status=409,
        )
    _check_on_top(current)
    now = timezone.now()
    _vacate(current, now=now, by=by)
    _mirror_position(unit, None, now)
    source = events.position(current.block.name, current.bay, current.row, current.tier)
    events.unit_removed(unit=unit, source=source, size=current.size_ft, by=by)
    return current


# --- reservations -------------------------------------------------------------------------------


def _minutes(minutes: int | None) -> int:
    minutes = reservation_minutes() if minutes is None else minutes
    if (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not (1 <= minutes <= MAX_RESERVATION_MINUTES)
    ):
        _refuse(
            "invalid_minutes",
            f"A reservation lasts 1 to {MAX_RESERVATION_MINUTES} whole minutes.",
            "minutes",
        )
    return minutes


def _reserve(
    *,
    unit: ContainerVisit,
    slot: Slot,
    minutes: int,
    by: User | None,
    move: YardMove | None,
    now: dt.datetime,
) -> YardReservation:
    until = now + dt.timedelta(minutes=minutes)
    reservation = YardReservation(
        **_slot_fields(unit, slot),
        move=move,
        reserved_from=now,
        reserved_until=until,
        expires_at=until,
        created_by=by,
    )
    return _write(reservation)


def _check_reservable(unit: ContainerVisit, slot: Slot) -> None:
    """A reservation needs a free, unreserved slot the unit may stand in; support is checked when
    the box arrives (planned moves may build on each other)."""
    _check_unit(unit, slot.block)
    _check_kind(unit, slot)
    start, end = slot.ground
    taken = list(
        YardOccupancy.objects.filter(
            block=slot.block,
            row=slot.row,
            tier=slot.tier,
            valid_to__isnull=True,
            ground_from__lt=end,
            ground_to__gt=start,
        )
        .exclude(unit=unit)
        .select_related("block", "unit__container")
    )
    if taken:
        _refuse(
            "slot_occupied",
            f"{slot.ref} is taken: {', '.join(_describe(o) for o in taken)} stands there.",
            "tier",
            status=409,
        )
    now = timezone.now()
    other = (
        YardReservation.objects.filter(
            block=slot.block,
            row=slot.row,
            tier=slot.tier,
            reserved_from__lte=now,
            reserved_until__gt=now,
            ground_from__lt=end,
            ground_to__gt=start,
        )
        .select_related("unit__container")
        .first()
    )
    if other is not None:
        _refuse(
            "slot_reserved",
            f"{slot.ref} is reserved for {other.unit.container.number} until "
            f"{other.reserved_until:%H:%M:%S} UTC.",
            "tier",
            status=409,
        )


@transaction.atomic
def yard_slot_reserve(
    *,
    unit: ContainerVisit,
    block: YardBlock,
    bay: int,
    row: int,
    tier: int,
    minutes: int | None = None,
    by: User | None = None,
) -> YardReservation:
    """Hold a slot for ``unit`` for ``minutes`` (default ``TOS_YARD_RESERVATION_MINUTES``)."""
    minutes = _minutes(minutes)
    unit = _lock_unit(unit)
    slot = slot_for(block=block, bay=bay, row=row, tier=tier, length_ft=unit.container.length_ft)
    _lock_stacks(slot)
    _check_reservable(unit, slot)
    reservation = _reserve(
        unit=unit, slot=slot, minutes=minutes, by=by, move=None, now=timezone.now()
    )
    events.slot_reserved(reservation=reservation, by=by)
    return reservation


def _end_reservation(reservation: YardReservation, now: dt.datetime) -> bool:
    """Bring a live reservation's end forward to ``now``; False if it was no longer live."""
    if not reservation.is_live(now):
        return False
    reservation.reserved_until = max(now, reservation.reserved_from)
    reservation.released_at = now
    _write(reservation, update_fields=["reserved_until", "released_at"])
    return True


@transaction.atomic
def yard_reservation_release(
    *, reservation: YardReservation, by: User | None = None
) -> YardReservation:
    """Let a reservation go before it expires (a no-op for one that already ended)."""
    reservation = (
        YardReservation.objects.select_for_update(of=("self",))
        .select_related("block", "unit__container", "unit")
        .get(pk=reservation.pk)
    )
    if _end_reservation(reservation, timezone.now()):
        events.slot_released(reservation=reservation, reason="released", by=by)
    return reservation


# --- yard moves ---------------------------------------------------------------------------------


@transaction.atomic
def yard_move_plan(
    *,
    unit: ContainerVisit,
    block: YardBlock,
    bay: int,
    row: int,
    tier: int,
    kind: str = MoveKind.SHIFT,
    minutes: int | None = None,
    by: User | None = None,
    note: str = "",
    sequence: int | None = None,
    solver_run_id: int | None = None,
) -> YardMove:
    """Plan a move of ``unit`` to a position and reserve that slot until the move is confirmed,
    cancelled or the reservation expires."""
    if kind not in MoveKind.values:
        _refuse("invalid_kind", f"kind is one of {', '.join(MoveKind.values)}.", "kind")
    minutes = _minutes(minutes)
    unit = _lock_unit(unit)
    slot = slot_for(block=block, bay=bay, row=row, tier=tier, length_ft=unit.container.length_ft)
    _lock_stacks(slot)
    _check_reservable(unit, slot)
    current = _current(unit)
    if current is not None and (current.block_id, current.bay, current.row, current.tier) == (
        block.pk,
        bay,
        row,
        tier,
    ):
        _refuse("same_position", f"{unit.container.number} already stands at {slot.ref}.", "tier")
    now = timezone.now()
    move = YardMove(
        terminal_id=unit.terminal_id,
        unit=unit,
        kind=kind,
        status=MoveStatus.PLANNED,
        from_block=current.block if current else None,
        from_bay=current.bay if current else None,
        from_row=current.row if current else None,
        from_tier=current.tier if current else None,
        to_block=block,
        to_bay=bay,
        to_row=row,
        to_tier=tier,
        sequence=sequence,
        solver_run_id=solver_run_id,
        note=note[:200],
        planned_by=by,
        planned_at=now,
    )
    _write(move)
    reservation = _reserve(unit=unit, slot=slot, minutes=minutes, by=by, move=move, now=now)
    events.move_changed(move=move, type=events.MOVE_PLANNED, reservation=reservation, by=by)
    return move


def _lock_move(move: YardMove) -> YardMove:
    return (
        YardMove.objects.select_for_update(of=("self",))
        .select_related("to_block", "from_block", "unit__container")
        .get(pk=move.pk)
    )


def _require_planned(move: YardMove, verb: str) -> None:
    if move.status != MoveStatus.PLANNED:
        _refuse(
            "move_not_planned",
            f"Move {move.pk} is {move.status}; only a planned move can be {verb}.",
            "status",
            status=409,
        )


@transaction.atomic
def yard_move_confirm(*, move: YardMove, by: User | None = None) -> YardMove:
    """The box stands at the move's target now: place or move it there (every stacking rule is
    checked again) and close the move and its reservation. An expired reservation does not stop
    the confirmation as long as nobody else holds or took the slot."""
    move = _lock_move(move)
    _require_planned(move, "confirmed")
    unit = move.unit
    target = {"block": move.to_block, "bay": move.to_bay, "row": move.to_row, "tier": move.to_tier}
    if _current(unit) is None:
        yard_unit_place(unit=unit, by=by, move=move, **target)
    else:
        yard_unit_move(unit=unit, by=by, move=move, **target)
    now = timezone.now()
    reservation = YardReservation.objects.filter(move=move).first()
    if reservation is not None:
        _end_reservation(reservation, now)
    move.status = MoveStatus.CONFIRMED
    move.confirmed_at = now
    move.confirmed_by = by
    _write(move)
    events.move_changed(move=move, type=events.MOVE_CONFIRMED, reservation=reservation, by=by)
    return move


@transaction.atomic
def yard_move_cancel(*, move: YardMove, by: User | None = None, reason: str = "") -> YardMove:
    """Drop a planned move and free its slot."""
    move = _lock_move(move)
    _require_planned(move, "cancelled")
    now = timezone.now()
    reservation = YardReservation.objects.filter(move=move).first()
    if reservation is not None:
        _end_reservation(reservation, now)
    move.status = MoveStatus.CANCELLED
    move.cancelled_at = now
    move.cancelled_by = by
    move.cancel_reason = reason[:200]
    _write(move)
    events.move_changed(move=move, type=events.MOVE_CANCELLED, reservation=reservation, by=by)
    return move
