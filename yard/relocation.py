"""Relocation jobs: plan the shift moves of one bay with the pure relocation solvers
(:mod:`yard.solvers.brp`, :mod:`yard.solvers.premarshalling`) and turn them into planned
:class:`~yard.models.YardMove` rows.

Flow (DESIGN.md §5.4): :func:`yard_relocation_job_start` reads the bay as it stands now, checks
the request against it and enqueues a ``yard.relocation`` :class:`~tos.core.models.SolverRun`
whose parameters carry the bay's layout (unit ids per row, bottom to top) and the retrieval order
or groups. The job (:func:`yard.jobs.relocate`) solves that layout with a time limit, replays the
result through the independent checker (:mod:`yard.solvers.check`) and hands the moves to
:func:`yard_relocation_plan_save`, which, in one transaction under the stack locks, checks that
the bay is still exactly the layout that was solved and writes one planned shift move per
relocation (``sequence`` 1, 2, …, ``solver_run`` set).

**Which boxes a bay job includes.** A job plans one *footprint*: an odd bay ``b`` is the 20'
footprint (ground bay ``b``) and holds the 20' boxes standing in bay ``b``; an even bay ``e`` is
the 40' footprint (ground bays ``e−1`` and ``e+1``) and holds the 40'/45' boxes standing in bay
``e``. Rows are the solver's stacks, tiers go bottom to top, the height limit is the block's
``max_tier``. A footprint that shares a ground bay with a box of another footprint (a 40' box
over a 20' bay, 20' boxes or an offset 40' box under or beside a 40' bay) cannot be modelled
(moving a box there would change two bays at once) and is refused with ``bay_mixed_sizes``.

**Retrieval order.** ``brp``: the containers leave in the given order (the others stay);
without one, the boxes with a known departure (their outbound visit's ETB, else its ETA) leave
earliest first; boxes of the same departure leave top first. Relocation steps are interleaved
with the retrievals: a relocation step names the retrieval it prepares, so the moves are
confirmed in ``sequence`` order with each retrieval done when its turn comes (the result lists
every step). ``premarshalling``: the boxes get groups (given order: position in it, others
last; otherwise one group per departure time, unknown last) and the bay is sorted so that no box
stands above one that leaves earlier; no box leaves.

**Reservations.** Each move's target slot is reserved like :func:`yard.services.yard_move_plan`
does when the slot is free now and no earlier move of the plan reserved it. A slot that only
frees up during the plan (a relocated box's old place) cannot be reserved now (it is occupied,
and a slot holds one live reservation), so it is protected only by the re-check at confirmation.

Refusal codes (400 unless said): ``bay_out_of_range``, ``bay_parity``, ``bay_empty``,
``bay_mixed_sizes``, ``invalid_kind``, ``invalid_time_limit``, ``invalid_retrieval_order``,
``duplicate_container``, ``unknown_container``, ``no_retrieval_order``, ``invalid_minutes``;
409: ``bay_busy`` (a live reservation or planned move touches the bay), ``bay_changed`` (at save:
the bay is no longer what was solved).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tos.core.errors import ApplicationError
from tos.core.models import ContainerVisit, SolverRun, User
from tos.core.services import solver_run_enqueue
from yard import events
from yard.choices import MoveKind, MoveStatus
from yard.models import YardBlock, YardMove, YardOccupancy, YardReservation, YardStack, yard_ref
from yard.services import (
    Slot,
    _check_kind,
    _check_unit,
    _minutes,
    _reserve,
    _write,
)

JOB_KIND = "yard.relocation"
BRP = "brp"
PREMARSHALLING = "premarshalling"
KINDS = (BRP, PREMARSHALLING)
DEFAULT_TIME_LIMIT = 10.0
MAX_TIME_LIMIT = 300.0
#: The longest retrieval order accepted (a bay of 20 rows × 9 tiers holds 180 boxes).
MAX_ORDER = 500


def _refuse(code: str, message: str, field: str, *, status: int = 400, **extra: Any):
    raise ApplicationError(code, message, details={field: [message], **extra}, status=status)


@dataclass(frozen=True)
class BayBox:
    unit_id: int
    container: str
    row: int
    tier: int
    size_ft: int
    visit_id: int | None
    departs: dt.datetime | None


@dataclass(frozen=True)
class Bay:
    """One footprint of a block as it stands now: ``stacks[r]`` lists the boxes of row ``r+1``
    from bottom to top."""

    block: YardBlock
    bay: int
    size_ft: int
    stacks: tuple[tuple[BayBox, ...], ...]

    @property
    def grounds(self) -> tuple[int, int]:
        return (self.bay, self.bay + 1) if self.size_ft == 20 else (self.bay - 1, self.bay + 2)

    @property
    def layout(self) -> list[list[int]]:
        return [[b.unit_id for b in stack] for stack in self.stacks]

    @property
    def boxes(self) -> list[BayBox]:
        return [b for stack in self.stacks for b in stack]


def _footprint(block: YardBlock, bay: Any) -> tuple[int, tuple[int, int]]:
    if isinstance(bay, bool) or not isinstance(bay, int):
        _refuse("bay_out_of_range", "bay: a whole number.", "bay")
    last = block.last_bay
    if not (1 <= bay <= last):
        _refuse(
            "bay_out_of_range", f"Block {block.name} has bays 1 to {last}; {bay} is outside.", "bay"
        )
    if bay % 2 == 1:
        return 20, (bay, bay + 1)
    if bay + 1 > last:
        _refuse(
            "bay_parity",
            f"Bay {bay} of block {block.name} is not a 40' bay (2, 4 … {last - 1}).",
            "bay",
        )
    return 40, (bay - 1, bay + 2)


def relocation_bay(*, block: YardBlock, bay: int) -> Bay:
    """The boxes of one footprint of ``block`` now (see the module docstring), or a refusal:
    ``bay_out_of_range``/``bay_parity``, ``bay_mixed_sizes``. An empty bay is returned empty."""
    size, (g_from, g_to) = _footprint(block, bay)
    rows = (
        YardOccupancy.objects.filter(
            block=block, valid_to__isnull=True, ground_from__lt=g_to, ground_to__gt=g_from
        )
        .select_related("unit__container", "unit__outbound_visit")
        .order_by("row", "tier")
    )
    stacks: list[list[BayBox]] = [[] for _ in range(block.rows)]
    foreign = []
    for occ in rows:
        if occ.bay != bay:
            foreign.append(f"{occ.unit.container.number} ({occ.size_ft}') at {occ.ref}")
            continue
        visit = occ.unit.outbound_visit
        stacks[occ.row - 1].append(
            BayBox(
                unit_id=occ.unit_id,
                container=occ.unit.container.number,
                row=occ.row,
                tier=occ.tier,
                size_ft=occ.size_ft,
                visit_id=visit.pk if visit else None,
                departs=(visit.etb or visit.eta) if visit else None,
            )
        )
    if foreign:
        what = "20'" if size == 20 else "40'/45'"
        _refuse(
            "bay_mixed_sizes",
            f"Bay {bay} of block {block.name} is a {what} footprint, but "
            f"{', '.join(foreign[:5])} also stand{'s' if len(foreign) == 1 else ''} on its ground "
            "bays; a relocation job plans a bay whose ground bays hold only its own boxes.",
            "bay",
            boxes=foreign,
        )
    for stack in stacks:
        if [b.tier for b in stack] != list(range(1, len(stack) + 1)):  # pragma: no cover
            _refuse("bay_inconsistent", f"A stack of bay {bay} has a gap.", "bay", status=409)
    return Bay(block=block, bay=bay, size_ft=size, stacks=tuple(tuple(s) for s in stacks))


def _busy(bay: Bay, now: dt.datetime) -> list[str]:
    """Live reservations on the bay's ground bays and planned moves of its boxes."""
    g_from, g_to = bay.grounds
    found = [
        f"{yard_ref(bay.block.name, r.bay, r.row, r.tier)} reserved for {r.unit.container.number}"
        for r in YardReservation.objects.filter(
            block=bay.block,
            reserved_from__lte=now,
            reserved_until__gt=now,
            ground_from__lt=g_to,
            ground_to__gt=g_from,
        ).select_related("unit__container")
    ]
    found += [
        f"move {m.pk} of {m.unit.container.number} is planned"
        for m in YardMove.objects.filter(
            unit_id__in=[b.unit_id for b in bay.boxes], status=MoveStatus.PLANNED
        ).select_related("unit__container")
    ]
    return found


def _check_not_busy(bay: Bay, now: dt.datetime) -> None:
    busy = _busy(bay, now)
    if busy:
        _refuse(
            "bay_busy",
            f"Bay {bay.bay} of block {bay.block.name} has planned work: {'; '.join(busy[:5])}. "
            "Confirm or cancel it first.",
            "bay",
            status=409,
        )


def _retrieval_order(bay: Bay, order: Any) -> list[int]:
    """Unit ids in retrieval order from container numbers (checked against the bay)."""
    if not isinstance(order, list) or not all(isinstance(c, str) for c in order):
        _refuse(
            "invalid_retrieval_order",
            "retrieval_order: a list of container numbers.",
            "retrieval_order",
        )
    if len(order) > MAX_ORDER:
        _refuse(
            "invalid_retrieval_order",
            f"retrieval_order: at most {MAX_ORDER} containers.",
            "retrieval_order",
        )
    numbers = [c.strip().upper() for c in order]
    seen: set[str] = set()
    twice = sorted({n for n in numbers if n in seen or seen.add(n)})
    if twice:
        _refuse(
            "duplicate_container",
            f"retrieval_order names {', '.join(twice[:5])} more than once.",
            "retrieval_order",
        )
    by_number = {b.container: b.unit_id for b in bay.boxes}
    unknown = [n[:20] for n in numbers if n not in by_number]
    if unknown:
        _refuse(
            "unknown_container",
            f"retrieval_order: {', '.join(unknown[:5])} "
            f"{'does' if len(unknown) == 1 else 'do'} not stand in bay {bay.bay} of block "
            f"{bay.block.name}.",
            "retrieval_order",
        )
    return [by_number[n] for n in numbers]


def _derived_order(bay: Bay) -> list[int]:
    """Boxes with a known departure, earliest first; same departure: higher tier first."""
    known = [b for b in bay.boxes if b.departs is not None]
    known.sort(key=lambda b: (b.departs, b.visit_id, -b.tier, b.row, b.unit_id))
    return [b.unit_id for b in known]


def _derived_groups(bay: Bay) -> dict[int, int]:
    """One group per departure time (1 = earliest); unknown departures form the last group."""
    times = sorted({b.departs for b in bay.boxes if b.departs is not None})
    rank = {t: i + 1 for i, t in enumerate(times)}
    last = len(times) + 1
    return {b.unit_id: rank.get(b.departs, last) for b in bay.boxes}


@transaction.atomic
def yard_relocation_job_start(
    *,
    block: YardBlock,
    bay: int,
    kind: str,
    retrieval_order: list[str] | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    minutes: int | None = None,
    by: User | None = None,
) -> SolverRun:
    """Check a relocation request against the bay as it stands and enqueue the job (after
    commit). An identical request while the first is queued or running returns that run."""
    if kind not in KINDS:
        _refuse("invalid_kind", f"kind is one of {', '.join(KINDS)}.", "kind")
    if (
        isinstance(time_limit, bool)
        or not isinstance(time_limit, int | float)
        or not (0 < time_limit <= MAX_TIME_LIMIT)
    ):
        _refuse(
            "invalid_time_limit",
            f"time_limit: seconds, more than 0 and at most {MAX_TIME_LIMIT:g}.",
            "time_limit",
        )
    minutes = _minutes(minutes)
    bay_state = relocation_bay(block=block, bay=bay)
    if not bay_state.boxes:
        _refuse("bay_empty", f"Bay {bay} of block {block.name} is empty.", "bay")
    params: dict[str, Any] = {
        "block_id": block.pk,
        "block": block.name,
        "bay": bay,
        "kind": kind,
        "max_height": block.max_tier,
        "layout": bay_state.layout,
        "time_limit": float(time_limit),
        "minutes": minutes,
        "derived": retrieval_order is None,
    }
    if retrieval_order is not None:
        order = _retrieval_order(bay_state, retrieval_order)
    elif kind == BRP:
        order = _derived_order(bay_state)
        if not order:
            _refuse(
                "no_retrieval_order",
                f"No box in bay {bay} of block {block.name} has a known departure; give "
                "retrieval_order.",
                "retrieval_order",
            )
    else:
        order = []
    if kind == BRP:
        params["order"] = order
    else:
        if retrieval_order is not None:
            rank = {u: i + 1 for i, u in enumerate(order)}
            groups = {b.unit_id: rank.get(b.unit_id, len(order) + 1) for b in bay_state.boxes}
        else:
            groups = _derived_groups(bay_state)
        params["groups"] = [[u, g] for u, g in sorted(groups.items())]
    _check_not_busy(bay_state, timezone.now())
    if block.terminal_id is None:  # pragma: no cover
        raise ApplicationError("other_terminal", "The block has no terminal.")
    return solver_run_enqueue(terminal=block.terminal, kind=JOB_KIND, params=params, by=by)


# --- the plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of a plan in order: a ``relocate`` (a shift move) or a ``retrieve`` (the box
    leaves the bay; BRP only, done by whoever loads or delivers it)."""

    kind: str
    unit_id: int
    from_row: int
    from_tier: int
    to_row: int | None = None
    to_tier: int | None = None


def plan_steps(layout: list[list[int]], moves: list[tuple[str, int, int | None]]) -> list[Step]:
    """Replay ``(kind, from stack, to stack)`` solver moves on ``layout`` (unit ids per row,
    bottom to top) into yard steps with rows and tiers (1-based)."""
    stacks = [list(s) for s in layout]
    steps = []
    for kind, source, target in moves:
        unit = stacks[source].pop()
        from_tier = len(stacks[source]) + 1
        if kind == "retrieve":
            steps.append(Step("retrieve", unit, source + 1, from_tier))
            continue
        stacks[target].append(unit)
        steps.append(Step("relocate", unit, source + 1, from_tier, target + 1, len(stacks[target])))
    return steps


def _lock_bay(block: YardBlock, grounds: tuple[int, int]) -> None:
    """Lock every ground stack of the footprint (all rows), in pk order."""
    wanted = [
        (bay, row) for bay in range(grounds[0], grounds[1], 2) for row in range(1, block.rows + 1)
    ]
    query = Q(block=block) & Q(bay__in=[b for b, _ in wanted])
    if YardStack.objects.filter(query).count() < len(wanted):
        YardStack.objects.bulk_create(
            [YardStack(block=block, bay=b, row=r) for b, r in wanted], ignore_conflicts=True
        )
    list(YardStack.objects.select_for_update().filter(query).order_by("pk").values_list("pk"))


@transaction.atomic
def yard_relocation_plan_save(
    *,
    run: SolverRun,
    block: YardBlock,
    bay: int,
    layout: list[list[int]],
    steps: list[Step],
    minutes: int | None = None,
    by: User | None = None,
) -> list[YardMove]:
    """Write the relocation steps of ``run`` as planned shift moves in sequence order, reserving
    their target slots where that is possible now (module docstring). Idempotent: a run that
    already has its moves gets them back. Refuses with ``bay_changed`` (409) when the bay is no
    longer ``layout`` and ``bay_busy`` when other planned work touches it."""
    existing = list(
        YardMove.objects.filter(solver_run=run)
        .select_related("unit__container")
        .order_by("sequence")
    )
    if existing:
        return existing
    minutes = _minutes(minutes)
    size, grounds = _footprint(block, bay)
    _lock_bay(block, grounds)
    current = relocation_bay(block=block, bay=bay)
    if current.layout != layout:
        _refuse(
            "bay_changed",
            f"Bay {bay} of block {block.name} changed while the plan was being made; start the "
            "job again.",
            "bay",
            status=409,
        )
    now = timezone.now()
    _check_not_busy(current, now)
    unit_ids = {s.unit_id for s in steps}
    units = ContainerVisit.objects.select_related("container", "line").in_bulk(unit_ids)
    occupied = {(r + 1, t + 1) for r, stack in enumerate(layout) for t in range(len(stack))}
    reserved: set[tuple[int, int]] = set()
    moves: list[YardMove] = []
    retrieve_next: dict[int, str] = {}
    upcoming = None
    for i in range(len(steps) - 1, -1, -1):  # the retrieval each relocation prepares
        if steps[i].kind == "retrieve":
            upcoming = units_number(steps[i].unit_id, units)
        else:
            retrieve_next[i] = upcoming or ""
    sequence = 0
    for i, step in enumerate(steps):
        if step.kind != "relocate":
            continue
        sequence += 1
        unit = units[step.unit_id]
        slot = Slot(block=block, bay=bay, row=step.to_row, tier=step.to_tier, size_ft=size)
        _check_unit(unit, block)
        _check_kind(unit, slot)
        note = f"relocation plan of run {run.pk}, step {sequence}"
        if retrieve_next.get(i):
            note += f", before retrieving {retrieve_next[i]}"
        move = YardMove(
            terminal_id=unit.terminal_id,
            unit=unit,
            kind=MoveKind.SHIFT,
            status=MoveStatus.PLANNED,
            from_block=block,
            from_bay=bay,
            from_row=step.from_row,
            from_tier=step.from_tier,
            to_block=block,
            to_bay=bay,
            to_row=step.to_row,
            to_tier=step.to_tier,
            sequence=sequence,
            solver_run=run,
            note=note[:200],
            planned_by=by,
            planned_at=now,
        )
        _write(move)
        reservation = None
        key = (step.to_row, step.to_tier)
        if key not in occupied and key not in reserved:
            reservation = _reserve(unit=unit, slot=slot, minutes=minutes, by=by, move=move, now=now)
            reserved.add(key)
        events.move_changed(move=move, type=events.MOVE_PLANNED, reservation=reservation, by=by)
        moves.append(move)
    return moves


def units_number(unit_id: int, units: dict[int, ContainerVisit]) -> str:
    unit = units.get(unit_id)
    if unit is None:
        unit = ContainerVisit.objects.select_related("container").get(pk=unit_id)
        units[unit_id] = unit
    return unit.container.number


def relocation_jobs_visible_to(user: User):
    """Relocation runs of the caller's terminal (terminal staff only reach the API)."""
    from tos.core.selectors import terminal_for_user

    return SolverRun.objects.filter(terminal=terminal_for_user(user), kind=JOB_KIND).select_related(
        "requested_by"
    )
