"""Terminal KPIs: pure reads computed from what happened (completed moves, vessel arrival and
departure times, the yard occupancy history, truck visits, customs declarations), never from
figures typed in by hand.

Every figure is a selector ``kpi_<name>(*, terminal, start, end)`` over the half-open period
``[start, end)`` that returns a plain dict:

``figure``, ``title``, ``unit``, ``formula``
    what the figure is and how it is computed (the page shows the formula as a tooltip);
``start``, ``end``, ``at``
    the period and the instant the "now" numbers are taken at (the period end, or now if the
    period reaches into the future);
``tiles``
    summary numbers ``{"key", "label", "value", "unit"}`` (``value`` is None when there is
    nothing to compute it from);
``empty``
    "" or a sentence saying what is missing ("no completed crane moves in this period");
and the figure's own rows, series (``[[time, value, …], …]``) and histograms.

Each selector runs a small fixed number of queries whatever the amount of data (no N+1).
Percentiles interpolate linearly between the closest ranks (numpy's default, the "inclusive"
method of :func:`statistics.quantiles`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Min, Prefetch, Q
from django.utils import timezone

from operations.choices import VESSEL_KINDS, WorkOrderKind, WorkOrderStatus
from operations.models import WorkOrder
from tos.core.choices import UnitCategory
from tos.core.models import ContainerVisit, Terminal, VesselVisit

#: The longest period a figure is computed for.
MAX_PERIOD = dt.timedelta(days=92)
#: A crane idle longer than this between two moves has ended its shift (a break, a gang change,
#: a move to another vessel): the idle time does not count as crane working time.
SHIFT_BREAK = dt.timedelta(minutes=60)

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

#: Dwell histogram bins, in days (the last bin is open-ended).
DWELL_BINS_D = (0, 1, 2, 3, 5, 7, 10, 14, 21)
#: Truck turn and queue time bins, in minutes.
TRUCK_BINS_MIN = (0, 15, 30, 45, 60, 90, 120, 180)
#: Customs clearance time bins, in hours.
CUSTOMS_BINS_H = (0, 1, 2, 4, 8, 24, 48, 72)


@dataclass(frozen=True)
class Figure:
    """One KPI the API and the page offer."""

    name: str
    title: str
    unit: str
    formula: str
    selector: Callable[..., dict[str, Any]]


# --- helpers ----------------------------------------------------------------------------------


def _hours(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 3600


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _rate(count: int, hours: float) -> float | None:
    """``count / hours`` to two decimals; None when there is no time to divide by."""
    return round(count / hours, 2) if hours > 0 else None


def percentile(values: Sequence[float], share: float) -> float | None:
    """The ``share`` (0–1) percentile of ``values``, interpolating linearly between the two
    closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * share
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def distribution(values: Sequence[float], bins: Sequence[float], unit: str) -> dict[str, Any]:
    """Count, mean, median, 90th and 95th percentile, maximum and a histogram of ``values`` over
    ``bins`` (left-closed ``[b_i, b_i+1)``, the last one open-ended); numbers to two decimals."""
    counts = [0] * len(bins)
    for v in values:
        counts[max(0, bisect.bisect_right(bins, v) - 1)] += 1
    labels = [
        f"{bins[i]}–{bins[i + 1]} {unit}" if i + 1 < len(bins) else f"≥ {bins[i]} {unit}"
        for i in range(len(bins))
    ]
    return {
        "count": len(values),
        "mean": _round(sum(values) / len(values)) if values else None,
        "p50": _round(percentile(values, 0.5)),
        "p90": _round(percentile(values, 0.9)),
        "p95": _round(percentile(values, 0.95)),
        "max": _round(max(values)) if values else None,
        "histogram": [{"bin": label, "count": n} for label, n in zip(labels, counts, strict=True)],
    }


def bucket_size(start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """Hourly buckets for periods up to three days, daily ones for longer periods."""
    return HOUR if end - start <= 3 * DAY else DAY


def buckets(start: dt.datetime, end: dt.datetime, size: dt.timedelta) -> list[dt.datetime]:
    """The bucket starts from ``start`` (floored to the hour, or to midnight UTC for days)."""
    first = start.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    if size == DAY:
        first = first.replace(hour=0)
    out = []
    t = first
    while t < end:
        out.append(t)
        t += size
    return out


def sample_times(start: dt.datetime, end: dt.datetime, at: dt.datetime) -> list[dt.datetime]:
    """The instants a level (TEU in the yard, plugged reefers) is sampled at: every bucket
    boundary inside ``[start, at]``, then ``at`` itself."""
    size = bucket_size(start, end)
    times = [t for t in buckets(start, end, size) if start <= t <= at]
    if not times or times[-1] != at:
        times.append(at)
    if times[0] != start:
        times.insert(0, start)
    return times


def period_at(end: dt.datetime) -> dt.datetime:
    """The instant "now" figures are read at: the period end, or now if that is later."""
    return min(end, timezone.now())


def _envelope(
    figure: str, start: dt.datetime, end: dt.datetime, tiles: list[dict[str, Any]], empty: str
) -> dict[str, Any]:
    spec = FIGURES[figure]
    return {
        "figure": figure,
        "title": spec.title,
        "unit": spec.unit,
        "formula": spec.formula,
        "start": start,
        "end": end,
        "at": period_at(end),
        "tiles": tiles,
        "empty": empty,
    }


def _tile(key: str, label: str, value: Any, unit: str = "") -> dict[str, Any]:
    return {"key": key, "label": label, "value": value, "unit": unit}


def _overlap(a0: dt.datetime, a1: dt.datetime, b0: dt.datetime, b1: dt.datetime) -> dt.timedelta:
    return max(dt.timedelta(0), min(a1, b1) - max(a0, b0))


# --- quay side --------------------------------------------------------------------------------


def crane_shifts(
    moves: Iterable[tuple[dt.datetime, dt.datetime]],
) -> list[tuple[dt.datetime, dt.datetime, int]]:
    """Group one crane's moves on one vessel, given as (began, completed), into shifts: a new
    shift begins when the crane was idle longer than :data:`SHIFT_BREAK` since its last move.
    Returns (first move began, last move completed, moves) per shift."""
    shifts: list[list[Any]] = []
    for began, done in sorted(moves):
        if shifts and began - shifts[-1][1] <= SHIFT_BREAK:
            shifts[-1][1] = max(shifts[-1][1], done)
            shifts[-1][2] += 1
        else:
            shifts.append([began, done, 1])
    return [(a, b, n) for a, b, n in shifts]


def _crane_moves(terminal: Terminal, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    return list(
        WorkOrder.objects.filter(
            terminal=terminal,
            status=WorkOrderStatus.COMPLETED,
            kind__in=VESSEL_KINDS,
            completed_at__gte=start,
            completed_at__lt=end,
        )
        .order_by()
        .values(
            "kind",
            "started_at",
            "completed_at",
            "equipment__name",
            "crane_queue__crane__name",
            "vessel_visit_id",
            "vessel_visit__reference",
            "vessel_visit__vessel__name",
        )
    )


def kpi_crane_rate(*, terminal: Terminal, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Gross crane rate (GCR) per quay crane and vessel visit.

    GCR = completed crane moves (discharge, load, restow completed in the period) / crane working
    hours, where the working hours of a crane on a vessel are the sum over its shifts of
    (last move completed − first move began); a move began when it was started (its completion
    time if it never recorded a start) and a shift ends after an idle gap over
    :data:`SHIFT_BREAK`. The terminal GCR is Σ moves / Σ crane hours. Planned crane allocations
    are not used: they say when a crane should work, not when it did.
    """
    groups: dict[tuple[str, int], dict[str, Any]] = {}
    for m in _crane_moves(terminal, start, end):
        crane = m["equipment__name"] or m["crane_queue__crane__name"] or "unassigned"
        key = (crane, m["vessel_visit_id"])
        g = groups.setdefault(
            key,
            {
                "crane": crane,
                "visit": m["vessel_visit__reference"],
                "vessel": m["vessel_visit__vessel__name"],
                "moves": [],
            },
        )
        began = min(m["started_at"] or m["completed_at"], m["completed_at"])
        g["moves"].append((began, m["completed_at"]))
    rows = []
    total_hours = 0.0
    for g in sorted(groups.values(), key=lambda g: (g["crane"], g["visit"])):
        shifts = crane_shifts(g.pop("moves"))
        hours = sum(_hours(b - a) for a, b, _ in shifts)
        total_hours += hours
        moves = sum(n for _, _, n in shifts)
        rows.append(
            g
            | {
                "moves": moves,
                "shifts": len(shifts),
                "hours": round(hours, 2),
                "gcr": _rate(moves, hours),
                "first_move_at": shifts[0][0],
                "last_move_at": shifts[-1][1],
            }
        )
    total_moves = sum(r["moves"] for r in rows)
    tiles = [
        _tile("gcr", "Gross crane rate", _rate(total_moves, total_hours), "moves/h"),
        _tile("moves", "Crane moves", total_moves),
        _tile("crane_hours", "Crane working hours", round(total_hours, 2), "h"),
        _tile("cranes", "Cranes worked", len({r["crane"] for r in rows})),
    ]
    empty = "" if rows else "No completed crane moves in this period."
    return _envelope("crane-rate", start, end, tiles, empty) | {"rows": rows}


def _berth_end(visit: VesselVisit, end: dt.datetime) -> dt.datetime:
    """A visit's berth time ends at its ATD, or at the period end (or now) while alongside."""
    return visit.atd or period_at(end)


def _visits_alongside(terminal: Terminal, start: dt.datetime, end: dt.datetime):
    """Visits that lay alongside during the period: arrived (ATA, which this model stamps when
    the vessel is all fast) before the end and not departed (ATD) before the start."""
    return (
        VesselVisit.objects.filter(terminal=terminal, ata__isnull=False, ata__lt=end)
        .filter(Q(atd__isnull=True) | Q(atd__gt=start))
        .exclude(phase="cancelled")
        .select_related("vessel", "line")
        .order_by("ata", "pk")
    )


def kpi_berth_productivity(
    *, terminal: Terminal, start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    """Berth productivity (BMPH) per vessel visit alongside during the period.

    BMPH = the visit's completed vessel moves (discharge, load, restow) / berth hours, berth
    hours = ATD − ATB. The vessel visit records its arrival alongside as ATA, so ATB = ATA; a
    vessel still alongside counts to the period end (or now). The terminal figure is
    Σ moves / Σ berth hours over these visits.
    """
    done = Q(work_orders__status=WorkOrderStatus.COMPLETED, work_orders__kind__in=VESSEL_KINDS)
    visits = _visits_alongside(terminal, start, end).annotate(
        moves=Count("work_orders", filter=done),
        discharge=Count("work_orders", filter=done & Q(work_orders__kind=WorkOrderKind.DISCHARGE)),
        load=Count("work_orders", filter=done & Q(work_orders__kind=WorkOrderKind.LOAD)),
        restow=Count("work_orders", filter=done & Q(work_orders__kind=WorkOrderKind.RESTOW)),
    )
    rows = []
    total_hours = 0.0
    for v in visits:
        berth_end = _berth_end(v, end)
        hours = max(0.0, _hours(berth_end - v.ata))
        total_hours += hours
        rows.append(
            {
                "visit": v.reference,
                "vessel": v.vessel.name,
                "line": v.line.code,
                "atb": v.ata,
                "atd": v.atd,
                "alongside": v.atd is None,
                "moves": v.moves,
                "by_kind": {"discharge": v.discharge, "load": v.load, "restow": v.restow},
                "hours": round(hours, 2),
                "bmph": _rate(v.moves, hours),
            }
        )
    moves = sum(r["moves"] for r in rows)
    tiles = [
        _tile("bmph", "Berth moves per hour", _rate(moves, total_hours), "moves/h"),
        _tile("moves", "Vessel moves", moves),
        _tile("berth_hours", "Berth hours", round(total_hours, 2), "h"),
        _tile("vessels", "Vessels alongside", len(rows)),
    ]
    empty = "" if rows else "No vessel lay alongside in this period (no ATA/ATD recorded)."
    return _envelope("berth-productivity", start, end, tiles, empty) | {"rows": rows}


def kpi_berth_utilisation(
    *, terminal: Terminal, start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    """Berth utilisation of the terminal's quays.

    utilisation = Σ occupied quay-metre-hours / (quay length × period hours) × 100, where a
    vessel occupies the quay stretch of its published berth assignment (its length overall,
    rounded up to whole metres, when it has none) from ATB (= ATA) to ATD, or to the period end
    (or now) while alongside, clipped to the period. A period reaching into the future counts
    its hours up to now only. The series gives the same ratio per bucket.
    """
    from berthing.models import BerthAssignment, Quay

    quays = list(Quay.objects.filter(terminal=terminal).order_by("name", "pk"))
    quay_m = sum(q.length_m for q in quays)
    visits = list(
        _visits_alongside(terminal, start, end).prefetch_related(
            Prefetch(
                "berth_assignments",
                queryset=BerthAssignment.objects.filter(is_published=True).order_by("-pk"),
                to_attr="published",
            )
        )
    )
    size = bucket_size(start, end)
    starts = buckets(start, end, size)
    used = [0.0] * len(starts)
    rows = []
    total = 0.0
    for v in visits:
        a = v.published[0] if v.published else None
        metres = (a.end_m - a.start_m) if a else math.ceil(v.vessel.loa_m)
        t0, t1 = max(v.ata, start), min(_berth_end(v, end), end)
        metre_hours = metres * max(0.0, _hours(t1 - t0))
        total += metre_hours
        for i, b0 in enumerate(starts):
            b1 = min(b0 + size, end)
            used[i] += metres * _hours(_overlap(t0, t1, max(b0, start), b1))
        rows.append(
            {
                "visit": v.reference,
                "vessel": v.vessel.name,
                "quay_m": metres,
                "from": t0 if t1 > t0 else None,
                "to": t1 if t1 > t0 else None,
                "metre_hours": round(metre_hours, 2),
                "stretch": f"{a.start_m}–{a.end_m} m" if a else "length overall",
            }
        )
    series = []
    known = period_at(end)
    for i, b0 in enumerate(starts):
        span = _hours(min(b0 + size, known) - max(b0, start))
        pct = 100 * used[i] / (quay_m * span) if quay_m and span > 0 else None
        series.append([b0, _round(pct)])
    period_h = _hours(known - start)
    pct = 100 * total / (quay_m * period_h) if quay_m else None
    tiles = [
        _tile("utilisation", "Berth utilisation", _round(pct), "%"),
        _tile("metre_hours", "Occupied quay-metre-hours", round(total, 1), "m·h"),
        _tile("quay_m", "Quay length", quay_m, "m"),
        _tile("vessels", "Vessels alongside", len(rows)),
    ]
    if not quays:
        empty = "No quay is defined for this terminal."
    elif not rows:
        empty = "No vessel lay alongside in this period (no ATA/ATD recorded)."
    else:
        empty = ""
    return _envelope("berth-utilisation", start, end, tiles, empty) | {
        "quays": [{"name": q.name, "length_m": q.length_m} for q in quays],
        "bucket": "hour" if size == HOUR else "day",
        "rows": rows,
        "series": series,
    }


# --- yard -------------------------------------------------------------------------------------


def _teu(size_ft: int) -> int:
    return 1 if size_ft <= 20 else 2


def _level(
    spans: list[tuple[dt.datetime, dt.datetime | None, Any, int]], t: dt.datetime
) -> dict[Any, int]:
    """Sum of ``weight`` per key over the spans (from, to or None, key, weight) covering ``t``."""
    out: dict[Any, int] = defaultdict(int)
    for t0, t1, key, weight in spans:
        if t0 <= t and (t1 is None or t1 > t):
            out[key] += weight
    return out


def _levels_at(
    spans: list[tuple[dt.datetime, dt.datetime | None, Any, int]], times: list[dt.datetime]
) -> list[dict[Any, int]]:
    """:func:`_level` at each of the ascending ``times``, in one sweep over the changes."""
    changes = sorted(
        [(t0, key, w) for t0, _t1, key, w in spans]
        + [(t1, key, -w) for _t0, t1, key, w in spans if t1 is not None],
        key=lambda c: c[0],
    )
    level: dict[Any, int] = defaultdict(int)
    out, i = [], 0
    for t in times:
        while i < len(changes) and changes[i][0] <= t:
            level[changes[i][1]] += changes[i][2]
            i += 1
        out.append(dict(level))
    return out


def _peaks(
    spans: list[tuple[dt.datetime, dt.datetime | None, Any, int]],
    start: dt.datetime,
    at: dt.datetime,
) -> tuple[int, dict[Any, int]]:
    """The highest level in ``[start, at]`` of the whole and of each key, by a sweep over every
    change (a box leaving at the instant another arrives is counted gone first)."""
    level = _level(spans, start)
    total = sum(level.values())
    peak_total, peak = total, dict(level)
    changes = sorted(
        [(t0, 1, key, w) for t0, _t1, key, w in spans if start < t0 <= at]
        + [(t1, 0, key, -w) for _t0, t1, key, w in spans if t1 is not None and start < t1 <= at]
    )
    for _t, _order, key, delta in changes:
        level[key] += delta
        total += delta
        peak[key] = max(peak.get(key, 0), level[key])
        peak_total = max(peak_total, total)
    return peak_total, peak


def _occupancy_spans(terminal: Terminal, start: dt.datetime, end: dt.datetime, **filters: Any):
    from yard.models import YardOccupancy

    return (
        YardOccupancy.objects.filter(terminal=terminal, valid_from__lt=end, **filters)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
        .order_by()
    )


def kpi_yard_occupancy(
    *, terminal: Terminal, start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    """Yard occupancy in TEU and % of capacity, per block and over the period.

    occupancy(block, t) = TEU standing in the block at t (a 20' box is 1 TEU, a 40'/45' box 2)
    / the block's TEU capacity (bays × rows × tiers) × 100, read from the occupancy history
    (``valid_from ≤ t < valid_to``). Blocks are given at the period end (or now) with their
    peak over the period (every change swept, not only the samples); the series samples the
    whole yard at every bucket boundary.
    """
    from yard.models import YardBlock

    blocks = list(YardBlock.objects.filter(terminal=terminal).order_by("name"))
    spans = [
        (o["valid_from"], o["valid_to"], o["block_id"], _teu(o["size_ft"]))
        for o in _occupancy_spans(terminal, start, end).values(
            "valid_from", "valid_to", "block_id", "size_ft"
        )
    ]
    at = period_at(end)
    times = sample_times(start, end, at)
    levels = _levels_at(spans, times)
    capacity = sum(b.capacity_teu for b in blocks)
    series = [
        [t, sum(lv.values()), _round(100 * sum(lv.values()) / capacity) if capacity else None]
        for t, lv in zip(times, levels, strict=True)
    ]
    now = levels[-1]
    peak_total, peaks = _peaks(spans, start, at)
    rows = [
        {
            "block": b.name,
            "kind": b.kind,
            "capacity_teu": b.capacity_teu,
            "teu": now.get(b.pk, 0),
            "pct": _round(100 * now.get(b.pk, 0) / b.capacity_teu) if b.capacity_teu else None,
            "peak_teu": peaks.get(b.pk, 0),
        }
        for b in blocks
    ]
    teu = sum(now.values())
    tiles = [
        _tile("pct", "Yard occupancy", _round(100 * teu / capacity) if capacity else None, "%"),
        _tile("teu", "TEU in the yard", teu, "TEU"),
        _tile("capacity", "TEU capacity", capacity, "TEU"),
        _tile("peak", "Peak TEU in period", peak_total, "TEU"),
    ]
    if not blocks:
        empty = "No yard block is defined for this terminal."
    elif not spans:
        empty = "No box stood in the yard in this period."
    else:
        empty = ""
    return _envelope("yard-occupancy", start, end, tiles, empty) | {
        "rows": rows,
        "series": series,
    }


def kpi_dwell(*, terminal: Terminal, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Dwell time distribution per category of the units that left in the period.

    dwell = time out (gate-out or loading) − time in (discharge or gate-in), in days, for each
    unit whose time out falls in the period; per category (import, export, transhipment,
    empty, storage) the count, mean, median, 90th/95th percentile, maximum and a histogram.
    """
    units = (
        ContainerVisit.objects.filter(
            terminal=terminal, time_in__isnull=False, time_out__gte=start, time_out__lt=end
        )
        .order_by()
        .values_list("category", "time_in", "time_out")
    )
    by_cat: dict[str, list[float]] = {c: [] for c in UnitCategory.values}
    for category, t_in, t_out in units:
        by_cat.setdefault(category, []).append((t_out - t_in).total_seconds() / 86400)
    every = [d for values in by_cat.values() for d in values]
    categories = [
        {"category": c, "label": UnitCategory(c).label if c in UnitCategory.values else c}
        | distribution(values, DWELL_BINS_D, "d")
        for c, values in by_cat.items()
    ]
    overall = distribution(every, DWELL_BINS_D, "d")
    tiles = [
        _tile("p50", "Median dwell", overall["p50"], "d"),
        _tile("p90", "90th percentile dwell", overall["p90"], "d"),
        _tile("mean", "Mean dwell", overall["mean"], "d"),
        _tile("count", "Units that left", overall["count"]),
    ]
    empty = "" if every else "No unit left the terminal in this period (no time out recorded)."
    return _envelope("dwell", start, end, tiles, empty) | {
        "all": overall,
        "categories": categories,
    }


def _plugs(block: Any) -> int:
    """A reefer block's plugs: ``reefer_plugs_per_row`` on each plugged row (every row when the
    block lists none)."""
    if block.kind != "reefer" or block.reefer_plugs_per_row <= 0:
        return 0
    return block.reefer_plugs_per_row * (len(block.plugged_rows) or block.rows)


def kpi_reefer_plugs(*, terminal: Terminal, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Reefer plug use per block and over the period.

    plug use(block, t) = plugged reefers standing in the block at t (full reefers: ISO type
    group R, not empty, the boxes that run their machine) / the block's plugs × 100, from the
    occupancy history; blocks at the period end (or now) with their peak, the series sampled at
    every bucket boundary.
    """
    from yard.models import YardBlock

    blocks = [b for b in YardBlock.objects.filter(terminal=terminal).order_by("name") if _plugs(b)]
    spans = [
        (o["valid_from"], o["valid_to"], o["block_id"], 1)
        for o in _occupancy_spans(
            terminal, start, end, unit__container__type_group="R", block__kind="reefer"
        )
        .exclude(unit__category=UnitCategory.EMPTY)
        .values("valid_from", "valid_to", "block_id")
    ]
    plugs = sum(_plugs(b) for b in blocks)
    at = period_at(end)
    times = sample_times(start, end, at)
    levels = _levels_at(spans, times)
    series = [
        [t, sum(lv.values()), _round(100 * sum(lv.values()) / plugs) if plugs else None]
        for t, lv in zip(times, levels, strict=True)
    ]
    now = levels[-1]
    peak_total, peaks = _peaks(spans, start, at)
    rows = [
        {
            "block": b.name,
            "plugs": _plugs(b),
            "plugged": now.get(b.pk, 0),
            "pct": _round(100 * now.get(b.pk, 0) / _plugs(b)),
            "peak": peaks.get(b.pk, 0),
        }
        for b in blocks
    ]
    plugged = sum(now.values())
    tiles = [
        _tile("pct", "Reefer plug use", _round(100 * plugged / plugs) if plugs else None, "%"),
        _tile("plugged", "Plugged reefers", plugged),
        _tile("plugs", "Reefer plugs", plugs),
        _tile("peak", "Peak plugged in period", peak_total),
    ]
    if not blocks:
        empty = "No reefer block with plugs is defined for this terminal."
    elif not spans:
        empty = "No plugged reefer stood in the yard in this period."
    else:
        empty = ""
    return _envelope("reefer-plugs", start, end, tiles, empty) | {"rows": rows, "series": series}


# --- gate -------------------------------------------------------------------------------------


def kpi_truck_turn(*, terminal: Terminal, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Truck turn time, in minutes.

    in-terminal turn = gate-out − gate-in for each truck that left in the period; queue =
    gate-in − arrival at the pre-gate (the appointment's ``arrived_at``) for each truck that
    came in during the period after queueing. Count, mean, median, 90th/95th percentile,
    maximum and histograms of both.
    """
    from gate.models import TruckVisit

    turns = [
        (out - gin).total_seconds() / 60
        for gin, out in TruckVisit.objects.filter(
            terminal=terminal, gate_out_at__gte=start, gate_out_at__lt=end
        )
        .order_by()
        .values_list("gate_in_at", "gate_out_at")
    ]
    queues = [
        max(0.0, (gin - arrived).total_seconds() / 60)
        for gin, arrived in TruckVisit.objects.filter(
            terminal=terminal,
            gate_in_at__gte=start,
            gate_in_at__lt=end,
            appointment__arrived_at__isnull=False,
        )
        .order_by()
        .values_list("gate_in_at", "appointment__arrived_at")
    ]
    turn = distribution(turns, TRUCK_BINS_MIN, "min")
    queue = distribution(queues, TRUCK_BINS_MIN, "min")
    tiles = [
        _tile("turn_p50", "Median turn time", turn["p50"], "min"),
        _tile("turn_p90", "90th percentile turn time", turn["p90"], "min"),
        _tile("queue_p50", "Median pre-gate queue", queue["p50"], "min"),
        _tile("trucks", "Trucks out", turn["count"]),
    ]
    empty = "" if turns or queues else "No truck left or queued at the gate in this period."
    return _envelope("truck-turn", start, end, tiles, empty) | {
        "in_terminal": turn,
        "queue": queue,
    }


def kpi_gate_transactions(
    *, terminal: Terminal, start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    """Gate transactions per hour.

    Each container a truck presents is a transaction: at gate-in (counted in the hour of the
    truck's gate-in, accepted or refused) and, for accepted ones, again at gate-out (in the hour
    of the truck's gate-out). The series has one row per hour: [hour, in accepted, in refused,
    out]; the tiles give totals, the mean per hour of the period (up to now, if it reaches into
    the future) and the busiest hour.
    """
    from gate.models import GateTransaction

    hours = buckets(start, end, HOUR)
    index = {h: i for i, h in enumerate(hours)}
    counts = [[0, 0, 0] for _ in hours]

    def slot(t: dt.datetime) -> int | None:
        return index.get(t.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0))

    rows = (
        GateTransaction.objects.filter(visit__terminal=terminal)
        .filter(
            Q(visit__gate_in_at__gte=start, visit__gate_in_at__lt=end)
            | Q(accepted=True, visit__gate_out_at__gte=start, visit__gate_out_at__lt=end)
        )
        .order_by()
        .values_list("accepted", "visit__gate_in_at", "visit__gate_out_at")
    )
    for accepted, gin, gout in rows:
        if start <= gin < end and (i := slot(gin)) is not None:
            counts[i][0 if accepted else 1] += 1
        if accepted and gout is not None and start <= gout < end and (i := slot(gout)) is not None:
            counts[i][2] += 1
    series = [[h, *c] for h, c in zip(hours, counts, strict=True)]
    total = sum(sum(c) for c in counts)
    busiest = max(series, key=lambda r: sum(r[1:])) if total else None
    tiles = [
        _tile("total", "Gate transactions", total),
        _tile("per_hour", "Mean per hour", _rate(total, _hours(period_at(end) - start)), "/h"),
        _tile("peak", "Busiest hour", sum(busiest[1:]) if busiest else None, "/h"),
        _tile("refused", "Refused at gate-in", sum(c[1] for c in counts)),
    ]
    empty = "" if total else "No gate transaction in this period."
    return _envelope("gate-transactions", start, end, tiles, empty) | {
        "series": series,
        "busiest_hour": busiest[0] if busiest else None,
    }


# --- customs ----------------------------------------------------------------------------------


def kpi_customs_clearance(
    *, terminal: Terminal, start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    """Customs clearance time, in hours, per declaration kind.

    clearance = release − lodgement for each declaration released in the period; an early
    declaration (lodged before the goods arrived) counts from the arrival of its first unit
    (its earliest time in) when that is later. Cancelled declarations do not count. Also the
    declarations still open at the period end (lodged, not released, not cancelled).
    """
    from customs.choices import DeclarationKind, DeclarationStatus
    from customs.models import Declaration, DeclarationUnit

    released = list(
        Declaration.objects.filter(terminal=terminal, released_at__gte=start, released_at__lt=end)
        .exclude(status=DeclarationStatus.CANCELLED)
        .order_by()
        .values("pk", "kind", "early", "lodged_at", "released_at")
    )
    early_ids = [d["pk"] for d in released if d["early"]]
    arrivals = dict(
        DeclarationUnit.objects.filter(declaration_id__in=early_ids)
        .order_by()
        .values("declaration_id")
        .annotate(first=Min("unit__time_in"))
        .values_list("declaration_id", "first")
    )
    by_kind: dict[str, list[float]] = {k: [] for k in DeclarationKind.values}
    for d in released:
        clock = d["lodged_at"]
        arrived = arrivals.get(d["pk"])
        if d["early"] and arrived is not None and arrived > clock:
            clock = arrived
        by_kind.setdefault(d["kind"], []).append(max(0.0, _hours(d["released_at"] - clock)))
    open_at_end = (
        Declaration.objects.filter(terminal=terminal, lodged_at__lt=end)
        .filter(Q(released_at__isnull=True) | Q(released_at__gte=end))
        .exclude(status=DeclarationStatus.CANCELLED)
        .count()
    )
    every = [h for values in by_kind.values() for h in values]
    overall = distribution(every, CUSTOMS_BINS_H, "h")
    kinds = [
        {"kind": k, "label": DeclarationKind(k).label if k in DeclarationKind.values else k}
        | distribution(values, CUSTOMS_BINS_H, "h")
        for k, values in by_kind.items()
    ]
    tiles = [
        _tile("p50", "Median clearance", overall["p50"], "h"),
        _tile("p90", "90th percentile clearance", overall["p90"], "h"),
        _tile("released", "Declarations released", overall["count"]),
        _tile("open", "Open at period end", open_at_end),
    ]
    empty = "" if every else "No customs declaration was released in this period."
    return _envelope("customs-clearance", start, end, tiles, empty) | {
        "all": overall,
        "kinds": kinds,
        "open_at_end": open_at_end,
    }


FIGURES: dict[str, Figure] = {
    f.name: f
    for f in (
        Figure(
            "crane-rate",
            "Gross crane rate per crane and vessel",
            "moves/h",
            "GCR = completed crane moves / crane working hours; working hours = Σ per crane-shift "
            "(last move completed − first move began), a shift ending after 60 idle minutes.",
            kpi_crane_rate,
        ),
        Figure(
            "berth-productivity",
            "Berth productivity per vessel",
            "moves/h",
            "BMPH = completed vessel moves / berth hours; berth hours = ATD − ATB (ATB = ATA, "
            "to the period end while alongside).",
            kpi_berth_productivity,
        ),
        Figure(
            "berth-utilisation",
            "Berth utilisation",
            "%",
            "Σ occupied quay-metre-hours / (quay length × period hours); a vessel occupies its "
            "published berth stretch from ATB to ATD.",
            kpi_berth_utilisation,
        ),
        Figure(
            "yard-occupancy",
            "Yard occupancy by block",
            "%",
            "TEU on the ground / TEU capacity (bays × rows × tiers) per block, from the "
            "occupancy history; 20' = 1 TEU, 40'/45' = 2 TEU.",
            kpi_yard_occupancy,
        ),
        Figure(
            "dwell",
            "Dwell time by category",
            "days",
            "dwell = time out (gate-out or loading) − time in (discharge or gate-in), for units "
            "that left in the period; percentiles interpolate linearly.",
            kpi_dwell,
        ),
        Figure(
            "truck-turn",
            "Truck turn time",
            "min",
            "in-terminal = gate-out − gate-in (trucks out in the period); queue = gate-in − "
            "arrival at the pre-gate (trucks in during the period).",
            kpi_truck_turn,
        ),
        Figure(
            "gate-transactions",
            "Gate transactions per hour",
            "/h",
            "containers presented at gate-in (accepted or refused, by gate-in hour) and at "
            "gate-out (accepted, by gate-out hour).",
            kpi_gate_transactions,
        ),
        Figure(
            "customs-clearance",
            "Customs clearance time",
            "h",
            "clearance = release − lodgement (or the goods' arrival for an early declaration), "
            "declarations released in the period.",
            kpi_customs_clearance,
        ),
        Figure(
            "reefer-plugs",
            "Reefer plug use",
            "%",
            "plugged full reefers / reefer plugs per block, from the occupancy history.",
            kpi_reefer_plugs,
        ),
    )
}


def kpi_figures() -> list[dict[str, str]]:
    """The figures on offer: name, title, unit and formula."""
    return [
        {"name": f.name, "title": f.title, "unit": f.unit, "formula": f.formula}
        for f in FIGURES.values()
    ]


def kpi_compute(
    *, figure: str, terminal: Terminal, start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    """Compute one figure by name (a key of :data:`FIGURES`) over ``[start, end)``."""
    return FIGURES[figure].selector(terminal=terminal, start=start, end=end)
