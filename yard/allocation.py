"""Yard allocation (the "intelligent yard"): for an incoming unit (discharge or gate receival),
pick a yard position by a configurable, explainable score.

Every feasible slot of the terminal is a candidate: the next tier of a stack that the box may
stand on under the rules of :mod:`yard.services` (size and support, tier limit, reefers on free
plugs, dangerous goods in a zone that admits their class, DG and empties blocks kept for their
kind, no live reservation on the stack). Each candidate gets a cost, the sum of named
components, lower is better:

``group``
    exports are grouped by (outbound vessel visit, POD, weight class): a stack whose top box has
    the same key costs ``same_group`` (a bonus), one of the same visit ``same_visit``, anything
    else ``mixed_group``; a fresh stack costs ``new_stack``. Imports group by line and inbound
    visit, empties by line and size.
``rehandle``
    ``rehandle`` for every box in the stack that leaves earlier than this one (it would have to
    be dug out from under it); ``unknown_departure`` when either departure is not known.
``height``
    ``per_tier`` for every tier above the ground (low stacks are quicker to work).
``workload``
    ``per_planned_move`` for every planned move already targeting the block (spreads the
    yard cranes' work across blocks).
``travel``
    ``per_100m`` for every 100 m from the origin (the berth, or the gate) to the bay.
``kind``
    ``kind_mismatch`` for a box in a block of another kind that still admits it (a dry box on a
    reefer block wastes plugs, an empty in a full-box block).

Weights come from :data:`DEFAULT_WEIGHTS`, overridden by ``settings.TOS_YARD_ALLOCATION_WEIGHTS``
and then by the request. The result names the chosen position and the best candidates with
their components, so a planner sees why.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from tos.core.choices import UnitCategory
from tos.core.errors import ApplicationError
from tos.core.models import ContainerVisit, Event
from yard.choices import BlockKind, MoveStatus, Origin
from yard.models import YardBlock, YardMove, YardOccupancy, YardReservation, slot_size, yard_ref
from yard.selectors import needs_power, weight_class

DEFAULT_WEIGHTS: dict[str, int] = {
    "same_group": -30,
    "same_visit": -12,
    "mixed_group": 20,
    "new_stack": 6,
    "rehandle": 25,
    "unknown_departure": 4,
    "per_tier": 2,
    "per_planned_move": 3,
    "per_100m": 4,
    "kind_mismatch": 40,
}
#: Where trucks enter the yard on the terminal plan (metres), unless settings say otherwise.
DEFAULT_GATE_XY_M = (0, 400)
#: Metres along a block per 20' ground bay (a 20' box plus the gap to the next).
BAY_PITCH_M = 6.5


def weights(overrides: dict[str, Any] | None = None) -> dict[str, int]:
    """The weights in force: defaults, settings, then ``overrides`` (unknown names refused)."""
    result = dict(DEFAULT_WEIGHTS) | dict(getattr(settings, "TOS_YARD_ALLOCATION_WEIGHTS", {}))
    for name, value in (overrides or {}).items():
        if name not in DEFAULT_WEIGHTS:
            raise ApplicationError(
                "unknown_weight",
                f"weights: {str(name)[:40]!r} is not a weight; use {', '.join(DEFAULT_WEIGHTS)}.",
                details={"weights": [f"Unknown weight {str(name)[:40]!r}."]},
            )
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 10_000:
            raise ApplicationError(
                "invalid_weight",
                f"weights.{name}: a whole number from -10000 to 10000.",
                details={f"weights.{name}": ["A whole number from -10000 to 10000."]},
            )
        result[name] = value
    return result


@dataclass(frozen=True)
class Candidate:
    block: str
    block_id: int
    bay: int
    row: int
    tier: int
    score: int
    components: dict[str, int]

    @property
    def ref(self) -> str:
        return yard_ref(self.block, self.bay, self.row, self.tier)

    def as_dict(self) -> dict[str, Any]:
        return {
            "block": self.block,
            "bay": self.bay,
            "row": self.row,
            "tier": self.tier,
            "position": self.ref,
            "score": self.score,
            "components": self.components,
        }


@dataclass
class Allocation:
    unit: ContainerVisit
    chosen: Candidate | None
    candidates: list[Candidate]
    considered: int
    weights: dict[str, int]
    explanation: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0


@dataclass(frozen=True)
class _Box:
    unit_id: int
    bay: int
    size: int
    ground_from: int
    ground_to: int
    group: tuple
    visit: int | None
    departs: dt.datetime | None
    powered: bool


def _departure(visit_etb: Any, visit_eta: Any) -> dt.datetime | None:
    return visit_etb or visit_eta


def _group(
    *, category: str, outbound: int | None, inbound: int | None, pod: str, kg: Any, line: int, size
):
    if category in (UnitCategory.EXPORT, UnitCategory.TRANSHIPMENT) and outbound:
        return ("out", outbound, pod, weight_class(kg))
    if category == UnitCategory.EMPTY:
        return ("empty", line, size)
    return ("in", line, inbound)


def _block_admits(block: YardBlock, *, powered: bool, dg: str, empty: bool) -> tuple[bool, bool]:
    """(admitted, kind mismatch) of a box in a block by kind alone."""
    if block.kind == BlockKind.OOG:
        return False, False
    if dg:
        return block.kind == BlockKind.DANGEROUS, False
    if block.kind == BlockKind.DANGEROUS:
        return False, False
    if powered:
        return block.kind == BlockKind.REEFER, False
    if block.kind == BlockKind.EMPTY:
        return empty, False
    if block.kind == BlockKind.REEFER:
        return True, True
    return True, empty  # an empty in a full-box block is allowed, but not where it belongs


def _origin_xy(origin: str, berth_x_m: int | None, blocks: list[YardBlock]) -> tuple[float, float]:
    if origin == Origin.GATE:
        return tuple(getattr(settings, "TOS_YARD_GATE_XY_M", DEFAULT_GATE_XY_M))
    if berth_x_m is None:
        xs = [b.x_m for b in blocks] or [0]
        berth_x_m = (min(xs) + max(xs)) // 2
    return (berth_x_m, 0)


#: The columns of a current occupancy row that the scoring needs (one query, no model objects).
_COLUMNS = (
    "block_id",
    "row",
    "tier",
    "bay",
    "size_ft",
    "ground_from",
    "ground_to",
    "unit_id",
    "unit__category",
    "unit__outbound_visit_id",
    "unit__inbound_visit_id",
    "unit__pod",
    "unit__vgm_kg",
    "unit__gross_weight_kg",
    "unit__line_id",
    "unit__outbound_visit__etb",
    "unit__outbound_visit__eta",
    "unit__container__type_group",
)
#: Event topics that never change what the scoring reads (which box stands where, the boxes'
#: categories, visits, weights, lines and departures), and single event types of other topics.
_NEUTRAL_TOPICS = frozenset({"holds", "solver_runs"})
_NEUTRAL_TYPES = frozenset({"berth.incumbent"})
#: Beyond this many events since the cached state, reloading is cheaper than replaying.
MAX_REPLAY_EVENTS = 1000


@dataclass(frozen=True)
class _YardState:
    """The parsed yard of a terminal as of the event ``mark`` (seq, id, created_at of the
    terminal's latest event): ``stacks[(block, row, ground bay)] = {tier: box}``, powered reefers
    per ``(block, row)`` and, per unit, where it stands (``(block, row, tier, ground_from,
    ground_to, powered)``). Never changed once built: an update makes new dicts (shallow copies
    with the touched stacks copied), so a request that holds an older state reads it safely."""

    mark: tuple
    stacks: dict
    powered_in_row: dict
    where: dict


#: (database, terminal id) → the last parsed yard. Every change of occupancy or of a unit writes
#: an event in the same transaction, so the terminal's latest event tells whether it is current,
#: and the events since it say which units to re-read (:func:`_advance`). The mark holds the
#: event's id and creation time as well as its seq: a rolled-back transaction gives its seqs (and
#: on SQLite its ids) back, and a state cached inside it must not pass for the yard that later
#: reaches the same seq.
_STATE_CACHE: dict[tuple[str, int], _YardState] = {}


def _parse(row: tuple) -> tuple[int, int, int, int, int, int, _Box]:
    (
        block_id,
        row_no,
        tier,
        bay,
        size_ft,
        g_from,
        g_to,
        unit_id,
        category,
        outbound,
        inbound,
        pod,
        vgm,
        gross,
        line,
        etb,
        eta,
        type_group,
    ) = row
    size = slot_size(size_ft)
    box = _Box(
        unit_id=unit_id,
        bay=bay,
        size=size,
        ground_from=g_from,
        ground_to=g_to,
        group=_group(
            category=category,
            outbound=outbound,
            inbound=inbound,
            pod=pod,
            kg=vgm or gross,
            line=line,
            size=size,
        ),
        visit=outbound,
        departs=_departure(etb, eta) if outbound else None,
        powered=needs_power(type_group=type_group, category=category),
    )
    return block_id, row_no, tier, g_from, g_to, unit_id, box


def _load(terminal_id: int, mark: tuple | None) -> _YardState:
    stacks: dict[tuple[int, int, int], dict[int, _Box]] = defaultdict(dict)
    powered_in_row: dict[tuple[int, int], int] = defaultdict(int)
    where: dict[int, tuple] = {}
    rows = YardOccupancy.objects.filter(terminal_id=terminal_id, valid_to__isnull=True).values_list(
        *_COLUMNS
    )
    for raw in rows:
        block_id, row, tier, g_from, g_to, unit_id, box = _parse(raw)
        for ground in range(g_from, g_to, 2):
            stacks[(block_id, row, ground)][tier] = box
        if box.powered:
            powered_in_row[(block_id, row)] += 1
        where[unit_id] = (block_id, row, tier, g_from, g_to, box.powered)
    return _YardState(mark, dict(stacks), dict(powered_in_row), where)


def _changed_units(terminal_id: int, cached: _YardState, mark: tuple) -> set[int] | None:
    """The units whose rows changed since ``cached`` (from the events in between), or None when
    an event may have changed something else (a vessel visit's times, an unknown kind) or the
    cached state is not an ancestor of ``mark`` (a rolled-back transaction)."""
    first, last = cached.mark[0], mark[0]
    if not first < last or last - first > MAX_REPLAY_EVENTS:
        return None
    events = list(
        Event.objects.filter(terminal_id=terminal_id, seq__gte=first, seq__lte=last)
        .order_by("seq")
        .values_list("seq", "pk", "created_at", "topic", "type", "payload")
    )
    if len(events) != last - first + 1 or events[0][:3] != cached.mark or events[-1][:3] != mark:
        return None
    units: set[int] = set()
    for _seq, _pk, _at, topic, type_, payload in events[1:]:
        if topic in _NEUTRAL_TOPICS or type_ in _NEUTRAL_TYPES:
            continue
        unit = (
            payload.get("unit")
            if topic == "yard"
            else payload.get("id")
            if topic == "units"
            else None
        )
        if not isinstance(unit, int):
            return None
        units.add(unit)
    return units


def _advance(terminal_id: int, cached: _YardState, mark: tuple, units: set[int]) -> _YardState:
    """``cached`` with the rows of ``units`` re-read: every old place is cleared first, then
    every new one filled (a box may move into a place another one just left)."""
    stacks = dict(cached.stacks)
    powered_in_row = dict(cached.powered_in_row)
    where = dict(cached.where)
    copied: set[tuple[int, int, int]] = set()

    def stack(key: tuple[int, int, int]) -> dict[int, _Box]:
        if key not in copied:
            copied.add(key)
            stacks[key] = dict(stacks.get(key, {}))
        return stacks[key]

    for unit_id in units:
        old = where.pop(unit_id, None)
        if old is None:
            continue
        block_id, row, tier, g_from, g_to, powered = old
        for ground in range(g_from, g_to, 2):
            tiers = stack((block_id, row, ground))
            if tiers.get(tier) is not None and tiers[tier].unit_id == unit_id:
                del tiers[tier]
        if powered:
            powered_in_row[(block_id, row)] -= 1
    if units:
        rows = YardOccupancy.objects.filter(
            terminal_id=terminal_id, valid_to__isnull=True, unit_id__in=sorted(units)
        ).values_list(*_COLUMNS)
        for raw in rows:
            block_id, row, tier, g_from, g_to, unit_id, box = _parse(raw)
            for ground in range(g_from, g_to, 2):
                stack((block_id, row, ground))[tier] = box
            if box.powered:
                powered_in_row[(block_id, row)] = powered_in_row.get((block_id, row), 0) + 1
            where[unit_id] = (block_id, row, tier, g_from, g_to, box.powered)
    for key in copied:
        if not stacks[key]:
            del stacks[key]
    powered_in_row = {k: v for k, v in powered_in_row.items() if v}
    return _YardState(mark, stacks, powered_in_row, where)


def _fingerprint(terminal_id: int) -> tuple[int, int]:
    """(count, highest id) of the current occupancy rows: the mark of a yard without events."""
    found = YardOccupancy.objects.filter(terminal_id=terminal_id, valid_to__isnull=True).aggregate(
        n=Count("pk"), top=Max("pk")
    )
    return found["n"], found["top"] or 0


def _yard_state(terminal_id: int) -> tuple[dict, dict]:
    """What stands in the terminal's yard now: ``{(block, row, ground bay): {tier: box}}`` and
    the number of powered reefers per ``(block, row)``. Served from the cache when no event was
    written since; brought up to date from the events since the cached state when they only
    name units (re-reading just those units' rows); reloaded otherwise."""
    from django.db import connection

    key = (connection.settings_dict["NAME"], terminal_id)
    mark = (
        Event.objects.filter(terminal_id=terminal_id)
        .order_by("-seq")
        .values_list("seq", "pk", "created_at")
        .first()
    )
    cached = _STATE_CACHE.get(key)
    if mark is None:  # no event yet (a bulk-loaded yard): tell yards apart by their rows
        mark = (0, *_fingerprint(terminal_id))
    mark = tuple(mark)
    if cached is not None and cached.mark == mark:
        return cached.stacks, cached.powered_in_row
    units = _changed_units(terminal_id, cached, mark) if cached is not None else None
    state = (
        _load(terminal_id, mark) if units is None else _advance(terminal_id, cached, mark, units)
    )
    _STATE_CACHE[key] = state
    return state.stacks, state.powered_in_row


def allocation_suggest(
    *,
    unit: ContainerVisit,
    origin: str = Origin.BERTH,
    berth_x_m: int | None = None,
    top: int = 5,
    weight_overrides: dict[str, Any] | None = None,
    exclude: frozenset[tuple[int, int, int, int]] = frozenset(),
) -> Allocation:
    """The best yard position for ``unit`` and the ``top`` best candidates with their score
    components. ``exclude`` skips (block id, bay, row, tier) positions (e.g. just lost in a
    race). Reads only; reserve the position with :func:`yard.services.yard_move_plan`."""
    started = time.perf_counter()
    w = weights(weight_overrides)
    if origin not in Origin.values:
        raise ApplicationError(
            "invalid_origin",
            f"origin is one of {', '.join(Origin.values)}.",
            details={"origin": [f"One of {', '.join(Origin.values)}."]},
        )
    unit = ContainerVisit.objects.select_related(
        "container", "line", "outbound_visit", "inbound_visit"
    ).get(pk=unit.pk)
    container = unit.container
    length = container.length_ft
    if length not in (20, 40, 45):
        raise ApplicationError(
            "size_not_stackable",
            f"A {length}' box has no yard slot; the yard stacks 20', 40' and 45' boxes.",
            details={"unit": ["Not a 20', 40' or 45' box."]},
        )
    size = slot_size(length)
    powered = needs_power(type_group=container.type_group, category=unit.category)
    dg = unit.imdg_class
    empty = unit.category == UnitCategory.EMPTY
    kg = unit.vgm_kg or unit.gross_weight_kg
    group = _group(
        category=unit.category,
        outbound=unit.outbound_visit_id,
        inbound=unit.inbound_visit_id,
        pod=unit.pod,
        kg=kg,
        line=unit.line_id,
        size=size,
    )
    visit = unit.outbound_visit_id
    departs = (
        _departure(unit.outbound_visit.etb, unit.outbound_visit.eta)
        if unit.outbound_visit_id
        else None
    )

    blocks = list(
        YardBlock.objects.filter(terminal_id=unit.terminal_id).prefetch_related("dg_zones")
    )
    admitted: dict[int, tuple[YardBlock, bool]] = {}
    for block in blocks:
        ok, mismatch = _block_admits(block, powered=powered, dg=dg, empty=empty)
        if ok:
            admitted[block.pk] = (block, mismatch)
    now = timezone.now()

    stacks, powered_in_row = _yard_state(unit.terminal_id)
    reserved: set[tuple[int, int, int]] = set()
    for block_id, row, g_from, g_to in YardReservation.objects.filter(
        block_id__in=list(admitted), reserved_from__lte=now, reserved_until__gt=now
    ).values_list("block_id", "row", "ground_from", "ground_to"):
        for ground in range(g_from, g_to, 2):
            reserved.add((block_id, row, ground))
    workload = dict(
        YardMove.objects.filter(to_block_id__in=list(admitted), status=MoveStatus.PLANNED)
        .values_list("to_block_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    ox, oy = _origin_xy(origin, berth_x_m, blocks)

    candidates: list[Candidate] = []
    considered = 0
    for block_id, (block, mismatch) in admitted.items():
        zones = list(block.dg_zones.all()) if dg else []
        load = workload.get(block_id, 0)
        rad = math.radians(block.orientation_deg)
        for bay in range(1 if size == 20 else 2, block.last_bay + (1 if size == 20 else 0), 2):
            grounds = (bay,) if size == 20 else (bay - 1, bay + 1)
            if dg and not any(
                z.covers(grounds[0], grounds[-1] + 1) and z.admits(dg) for z in zones
            ):
                continue
            along = (bay - 1) / 2 * BAY_PITCH_M
            bx, by = block.x_m + along * math.cos(rad), block.y_m + along * math.sin(rad)
            travel = round(w["per_100m"] * (abs(bx - ox) + abs(by - oy)) / 100)
            for row in range(1, block.rows + 1):
                considered += 1
                if powered and (
                    not block.has_plugs(row)
                    or powered_in_row.get((block_id, row), 0) >= block.reefer_plugs_per_row
                ):
                    continue
                if any((block_id, row, g) in reserved for g in grounds):
                    continue
                columns = [stacks.get((block_id, row, g), {}) for g in grounds]
                height = max((max(c) if c else 0) for c in columns)
                if any((max(c) if c else 0) != height for c in columns):
                    continue  # uneven ground stacks under a 40'
                tier = height + 1
                if tier > block.max_tier or (block_id, bay, row, tier) in exclude:
                    continue
                below: list[_Box] = []
                if height:
                    tops = [c[height] for c in columns]
                    if size == 20:
                        if tops[0].size != 20 and not block.allow_20_on_40:
                            continue
                    elif not (
                        (tops[0].size == 40 and tops[0].bay == bay)
                        or all(t.size == 20 for t in tops)
                    ):
                        continue
                    seen: set[int] = set()
                    for c in columns:
                        for b in c.values():
                            if b.unit_id not in seen:
                                seen.add(b.unit_id)
                                below.append(b)
                # --- score ---
                comp: dict[str, int] = {}
                if not below:
                    comp["group"] = w["new_stack"]
                else:
                    top_box = columns[0][height]
                    if top_box.group == group:
                        comp["group"] = w["same_group"]
                    elif visit and top_box.visit == visit:
                        comp["group"] = w["same_visit"]
                    else:
                        comp["group"] = w["mixed_group"]
                    rehandles = 0
                    unknown = False
                    for b in below:
                        if departs is None or b.departs is None:
                            unknown = True
                        elif b.departs < departs:
                            rehandles += 1
                    comp["rehandle"] = rehandles * w["rehandle"] + (
                        w["unknown_departure"] if unknown else 0
                    )
                comp["height"] = height * w["per_tier"]
                comp["workload"] = load * w["per_planned_move"]
                comp["travel"] = travel
                if mismatch:
                    comp["kind"] = w["kind_mismatch"]
                candidates.append(
                    Candidate(
                        block=block.name,
                        block_id=block_id,
                        bay=bay,
                        row=row,
                        tier=tier,
                        score=sum(comp.values()),
                        components=comp,
                    )
                )
    candidates.sort(key=lambda c: (c.score, c.block, c.bay, c.row))
    best = candidates[: max(1, top)]
    chosen = best[0] if best else None
    result = Allocation(
        unit=unit,
        chosen=chosen,
        candidates=best,
        considered=considered,
        weights=w,
    )
    result.explanation = _explain(result, unit=unit, powered=powered, group=group, size=size)
    result.elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
    return result


def _explain(
    result: Allocation, *, unit: ContainerVisit, powered: bool, group: tuple, size: int
) -> list[str]:
    number = unit.container.number
    lines = []
    rules = [f"{size}' slots"]
    if powered:
        rules.append("reefer blocks, plugged rows with a free plug")
    if unit.imdg_class:
        rules.append(f"DG zones admitting class {unit.imdg_class}")
    if unit.category == UnitCategory.EMPTY:
        rules.append("empties blocks preferred")
    lines.append(
        f"{number}: {len(result.candidates)} best of the feasible slots ({', '.join(rules)})."
    )
    if group[0] == "out":
        lines.append(
            f"Grouped as export for visit {unit.outbound_visit.reference}, POD {unit.pod or '?'}, "
            f"weight class {group[3]}."
        )
    chosen = result.chosen
    if chosen is None:
        lines.append("No feasible slot: every admissible stack is full, reserved or unsuitable.")
        return lines
    parts = ", ".join(f"{k} {v:+d}" for k, v in chosen.components.items())
    lines.append(f"Chose {chosen.ref}: score {chosen.score} ({parts}).")
    return lines
