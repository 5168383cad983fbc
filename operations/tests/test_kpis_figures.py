"""KPI formulas on a hand-made day (2 March 2026, UTC): two vessel calls and their crane moves,
a dry and a reefer block with their occupancy history, units that left, trucks at the gate and
customs declarations; every figure is checked against numbers worked out by hand."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from berthing.choices import BerthPlanStatus
from berthing.tests.factories import (
    BerthAssignmentFactory,
    BerthPlanFactory,
    QuayCraneFactory,
    QuayFactory,
)
from customs.models import Declaration, DeclarationUnit
from gate.models import Appointment, AppointmentSlot, GateLane, GateTransaction, TruckVisit
from operations import kpis
from operations.models import Equipment, WorkOrder
from tos.core.choices import UnitCategory, UnitState
from tos.core.tests.factories import (
    ContainerFactory,
    UnitFactory,
    VesselFactory,
    VesselVisitFactory,
    container_number,
)
from yard.models import YardOccupancy
from yard.tests.factories import YardBlockFactory

T0 = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)
END = T0 + dt.timedelta(days=1)
_numbers = itertools.count(810_000)


def at(hours: float = 0, minutes: float = 0, days: float = 0) -> dt.datetime:
    return T0 + dt.timedelta(days=days, hours=hours, minutes=minutes)


@dataclass
class Day:
    terminal: Any
    line: Any
    v1: Any
    v2: Any
    dry: Any
    reefer: Any


def _unit(day_terminal, line, *, category=UnitCategory.IMPORT, length=20, reefer=False, **kw):
    iso = {(20, False): "22G1", (40, False): "42G1", (20, True): "22R1", (40, True): "45R1"}
    container = ContainerFactory(
        number=container_number(next(_numbers)),
        iso_type=iso[(length, reefer)],
        length_ft=length,
        type_group="R" if reefer else "G",
        teu=1 if length == 20 else 2,
    )
    return UnitFactory(
        terminal=day_terminal, container=container, line=line, category=category, **kw
    )


def _occupy(day: Day, block, bay: int, row: int, *, frm, to=None, length=20, **unit_kw):
    unit = _unit(day.terminal, day.line, length=length, state=UnitState.ON_TERMINAL, **unit_kw)
    ground = (bay, bay + 1) if length == 20 else (bay - 1, bay + 2)
    YardOccupancy.objects.create(
        terminal=day.terminal,
        unit=unit,
        block=block,
        bay=bay,
        row=row,
        tier=1,
        size_ft=length,
        ground_from=ground[0],
        ground_to=ground[1],
        valid_from=frm,
        valid_to=to,
    )
    return unit


def _move(day: Day, visit, crane, kind: str, began, done) -> WorkOrder:
    vessel = {"from_place": "vessel", "from_bay": 2, "from_row": 1, "from_tier": 82}
    yard = {"to_place": "yard"}
    if kind == "load":
        vessel = {"to_place": "vessel", "to_bay": 2, "to_row": 1, "to_tier": 82}
        yard = {"from_place": "yard"}
    return WorkOrder.objects.create(
        terminal=day.terminal,
        kind=kind,
        status="completed" if done else "planned",
        container_number=container_number(next(_numbers)),
        vessel_visit=visit,
        equipment=crane if done else None,
        source="manual",
        started_at=began,
        completed_at=done,
        **vessel,
        **yard,
    )


def _truck(day: Day, lane, plate: str, gin, gout=None, *, arrived=None, boxes=1, refused=False):
    appointment = None
    if arrived is not None:
        slot, _ = AppointmentSlot.objects.get_or_create(
            terminal=day.terminal,
            starts_at=gin.replace(minute=0),
            transaction_type="pick_up_import",
            defaults={"capacity": 10},
        )
        appointment = Appointment.objects.create(
            terminal=day.terminal,
            reference=f"AP-{plate}",
            slot=slot,
            transaction_type="pick_up_import",
            status="checked_in",
            truck_plate=plate,
            arrived_at=arrived,
            checked_in_at=gin,
        )
    visit = TruckVisit.objects.create(
        terminal=day.terminal,
        lane=lane,
        truck_plate=plate,
        appointment=appointment,
        status="refused" if refused else ("departed" if gout else "accepted"),
        gate_in_at=gin,
        gate_out_at=gout,
        turn_time_s=int((gout - gin).total_seconds()) if gout else None,
    )
    for _ in range(boxes):
        GateTransaction.objects.create(
            visit=visit,
            transaction_type="pick_up_import",
            container_number=container_number(next(_numbers)),
            accepted=not refused,
        )
    return visit


def _declaration(day: Day, ref: str, kind: str, lodged, released=None, **kw) -> Declaration:
    status = kw.pop("status", "released" if released else "lodged")
    return Declaration.objects.create(
        terminal=day.terminal,
        reference=ref,
        kind=kind,
        status=status,
        line=day.line,
        declarant="Acme Customs Brokers",
        goods_description="Machine parts",
        hs_code="8483",
        origin_country="CN",
        lodged_at=lodged,
        released_at=released,
        **kw,
    )


def build_day(terminal, line) -> Day:
    """The hand-made day. Numbers worked out by hand are in the tests."""
    quay = QuayFactory(terminal=terminal, name="North", length_m=1000)
    qc1 = QuayCraneFactory(quay=quay, name="QC01", rail_order=1)
    qc2 = QuayCraneFactory(quay=quay, name="QC02", rail_order=2)
    cranes = [
        Equipment.objects.create(terminal=terminal, kind="quay_crane", name=c.name, quay_crane=c)
        for c in (qc1, qc2)
    ]
    # V1 alongside 02:00–14:00 on the published stretch 0–320 m; V2 (LOA 200 m, no published
    # berth) alongside from 21:00, still there at the end of the day.
    v1 = VesselVisitFactory(
        terminal=terminal,
        line=line,
        reference="KPI-01",
        vessel=VesselFactory(name="ALPHA"),
        eta=at(1),
        etd=at(20),
        ata=at(2),
        atd=at(14),
        phase="departed",
    )
    plan = BerthPlanFactory(quay=quay, status=BerthPlanStatus.PUBLISHED, horizon_start=T0)
    BerthAssignmentFactory(
        plan=plan,
        quay=quay,
        vessel_visit=v1,
        start_m=0,
        end_m=320,
        berth_at=at(2),
        depart_at=at(14),
        is_published=True,
    )
    v2 = VesselVisitFactory(
        terminal=terminal,
        line=line,
        reference="KPI-02",
        vessel=VesselFactory(name="BRAVO", loa_m=200),
        eta=at(20),
        etd=at(40),
        ata=at(21),
        phase="working",
    )
    # A visit that never arrived does not count anywhere.
    VesselVisitFactory(terminal=terminal, line=line, reference="KPI-03", eta=at(5), etd=at(9))
    dry = YardBlockFactory(terminal=terminal, name="A01", bays=10, rows=4, max_tier=4)
    reefer = YardBlockFactory(
        terminal=terminal,
        name="R01",
        kind="reefer",
        bays=5,
        rows=2,
        max_tier=2,
        reefer_plugs_per_row=4,
    )
    day = Day(terminal=terminal, line=line, v1=v1, v2=v2, dry=dry, reefer=reefer)

    # QC01 on V1: three moves 02:00–02:06, a break, one move 05:00–05:03 (two shifts, 9 min).
    for began, done in ((0, 2), (2, 4), (4, 6)):
        _move(day, v1, cranes[0], "discharge", at(2, began), at(2, done))
    _move(day, v1, cranes[0], "discharge", at(5), at(5, 3))
    # QC02 on V1: two loads 03:00–03:10 (one shift, 10 min).
    _move(day, v1, cranes[1], "load", at(3), at(3, 5))
    _move(day, v1, cranes[1], "load", at(3, 5), at(3, 10))
    # V2: one move still planned (counts nowhere).
    _move(day, v2, cranes[0], "discharge", None, None)

    # Dry block A01 (capacity 160 TEU).
    _occupy(day, dry, 1, 1, frm=at(days=-2), to=at(10))  # 1 TEU until 10:00
    _occupy(day, dry, 4, 1, frm=at(4), length=40)  # 2 TEU from 04:00
    _occupy(day, dry, 1, 2, frm=at(30))  # after the day
    _occupy(day, dry, 4, 2, frm=at(days=-5), to=at(days=-1), length=40)  # before the day
    # Reefer block R01 (capacity 20 TEU, 8 plugs): a full reefer 01:00–13:00, an empty reefer
    # (no power) from 00:00, a full 40' reefer from 06:00.
    _occupy(day, reefer, 1, 1, frm=at(1), to=at(13), reefer=True)
    _occupy(day, reefer, 3, 1, frm=at(0), reefer=True, category=UnitCategory.EMPTY)
    _occupy(day, reefer, 6, 2, frm=at(6), length=40, reefer=True)

    # Units that left: dwell in days.
    for category, t_in, t_out in (
        (UnitCategory.IMPORT, at(days=-3), at(12)),  # 3.5
        (UnitCategory.IMPORT, at(days=-1), at(6)),  # 1.25
        (UnitCategory.IMPORT, at(days=-10), at(18)),  # 10.75
        (UnitCategory.EXPORT, at(days=-2), at(2)),  # 2.0833…
        (UnitCategory.EMPTY, at(days=-7), at(0)),  # 7.0
        (UnitCategory.IMPORT, at(days=-1), at(30)),  # leaves after the day
    ):
        _unit(terminal, line, category=category, state="departed", time_in=t_in, time_out=t_out)
    _unit(terminal, line, state=UnitState.ON_TERMINAL, time_in=at(days=-4))  # still here

    # Trucks.
    lane = GateLane.objects.create(terminal=terminal, name="IN1", direction="both")
    _truck(day, lane, "T1", at(8), at(8, 30), arrived=at(7, 50), boxes=2)  # 30 min, queue 10
    _truck(day, lane, "T2", at(9, 10), at(10, 10), arrived=at(8, 55))  # 60 min, queue 15
    _truck(day, lane, "T3", at(9, 20), at(9, 45))  # 25 min
    _truck(day, lane, "T4", at(9, 30), refused=True)
    _truck(day, lane, "T5", at(23, 30), at(24, 30))  # leaves after the day

    # Customs declarations: clearance in hours.
    _declaration(day, "D1", "import", at(1), at(3))  # 2
    _declaration(day, "D2", "import", at(2), at(10))  # 8
    early = _declaration(day, "D3", "export", at(days=-1), at(6, 30), early=True)
    arrived = _unit(terminal, line, category=UnitCategory.EXPORT, time_in=at(5))
    DeclarationUnit.objects.create(declaration=early, unit=arrived)  # 1.5 from arrival
    _declaration(day, "D4", "import", at(12))  # open at the end
    _declaration(day, "D5", "import", at(3), status="cancelled")
    _declaration(day, "D6", "import", at(days=-2), at(days=-1))  # before the day
    return day


@pytest.fixture
def day(terminal, line_a) -> Day:
    return build_day(terminal, line_a)


def tiles(figure: dict) -> dict[str, Any]:
    return {t["key"]: t["value"] for t in figure["tiles"]}


# --- pure helpers -----------------------------------------------------------------------------


def test_percentiles_interpolate_between_the_closest_ranks():
    assert kpis.percentile([], 0.5) is None
    assert kpis.percentile([4.0], 0.9) == 4.0
    assert kpis.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert kpis.percentile([30.0, 60.0, 25.0], 0.9) == pytest.approx(54.0)


def test_a_crane_idle_longer_than_an_hour_starts_a_new_shift():
    moves = [(at(5), at(5, 3)), (at(2), at(2, 2)), (at(2, 2), at(2, 4)), (at(6, 3), at(6, 5))]
    assert kpis.crane_shifts(moves) == [(at(2), at(2, 4), 2), (at(5), at(6, 5), 2)]


def test_the_distribution_bins_values_left_closed_with_an_open_last_bin():
    d = kpis.distribution([0.0, 0.99, 1.0, 25.0], kpis.DWELL_BINS_D, "d")
    assert [h["count"] for h in d["histogram"]] == [2, 1, 0, 0, 0, 0, 0, 0, 1]
    assert (d["histogram"][0]["bin"], d["histogram"][-1]["bin"]) == ("0–1 d", "≥ 21 d")
    assert (d["count"], d["max"]) == (4, 25.0)


# --- each figure on the hand-made day ---------------------------------------------------------


def test_gross_crane_rate_counts_moves_per_crane_shift_and_skips_the_break(day):
    kpi = kpis.kpi_crane_rate(terminal=day.terminal, start=T0, end=END)

    assert [
        (r["crane"], r["visit"], r["moves"], r["shifts"], r["hours"], r["gcr"]) for r in kpi["rows"]
    ] == [
        ("QC01", "KPI-01", 4, 2, 0.15, 26.67),
        ("QC02", "KPI-01", 2, 1, 0.17, 12.0),
    ]
    assert tiles(kpi) == {"gcr": 18.95, "moves": 6, "crane_hours": 0.32, "cranes": 2}
    assert kpi["empty"] == ""


def test_berth_productivity_divides_the_visit_moves_by_the_hours_alongside(day):
    kpi = kpis.kpi_berth_productivity(terminal=day.terminal, start=T0, end=END)

    assert [
        (r["visit"], r["moves"], r["hours"], r["bmph"], r["alongside"]) for r in kpi["rows"]
    ] == [
        ("KPI-01", 6, 12.0, 0.5, False),
        ("KPI-02", 0, 3.0, 0.0, True),
    ]
    assert kpi["rows"][0]["by_kind"] == {"discharge": 4, "load": 2, "restow": 0}
    assert tiles(kpi) == {"bmph": 0.4, "moves": 6, "berth_hours": 15.0, "vessels": 2}


def test_berth_utilisation_weighs_the_occupied_stretch_by_the_hours_alongside(day):
    kpi = kpis.kpi_berth_utilisation(terminal=day.terminal, start=T0, end=END)

    # (320 m × 12 h + 200 m × 3 h) / (1000 m × 24 h)
    assert tiles(kpi) == {"utilisation": 18.5, "metre_hours": 4440.0, "quay_m": 1000, "vessels": 2}
    assert [(r["visit"], r["quay_m"], r["stretch"]) for r in kpi["rows"]] == [
        ("KPI-01", 320, "0–320 m"),
        ("KPI-02", 200, "length overall"),
    ]
    assert kpi["bucket"] == "hour"
    assert len(kpi["series"]) == 24
    assert [kpi["series"][h][1] for h in (0, 1, 2, 13, 14, 20, 21, 23)] == [
        0.0,
        0.0,
        32.0,
        32.0,
        0.0,
        0.0,
        20.0,
        20.0,
    ]


def test_yard_occupancy_reads_the_teu_per_block_from_the_occupancy_history(day):
    kpi = kpis.kpi_yard_occupancy(terminal=day.terminal, start=T0, end=END)

    assert [
        (r["block"], r["capacity_teu"], r["teu"], r["pct"], r["peak_teu"]) for r in kpi["rows"]
    ] == [
        ("A01", 160, 2, 1.25, 3),
        ("R01", 20, 3, 15.0, 4),
    ]
    assert tiles(kpi) == {"pct": 2.78, "teu": 5, "capacity": 180, "peak": 7}
    teu_at = {t: teu for t, teu, _ in kpi["series"]}
    assert [teu_at[at(h)] for h in (0, 1, 4, 6, 10, 13, 24)] == [2, 3, 5, 7, 6, 5, 5]


def test_dwell_is_time_out_minus_time_in_per_category_with_percentiles(day):
    kpi = kpis.kpi_dwell(terminal=day.terminal, start=T0, end=END)

    cats = {c["category"]: c for c in kpi["categories"]}
    imports = cats["import"]
    assert (imports["count"], imports["mean"], imports["p50"], imports["p90"], imports["max"]) == (
        3,
        5.17,
        3.5,
        9.3,
        10.75,
    )
    assert [h["count"] for h in imports["histogram"]] == [0, 1, 0, 1, 0, 0, 1, 0, 0]
    assert (cats["export"]["count"], cats["export"]["p50"]) == (1, 2.08)
    assert (cats["empty"]["count"], cats["empty"]["p50"]) == (1, 7.0)
    assert cats["transhipment"]["count"] == 0
    assert cats["transhipment"]["p50"] is None
    assert tiles(kpi) == {"p50": 3.5, "p90": 9.25, "mean": 4.92, "count": 5}


def test_truck_turn_and_queue_times_come_from_the_gate_and_pre_gate_times(day):
    kpi = kpis.kpi_truck_turn(terminal=day.terminal, start=T0, end=END)

    turn, queue = kpi["in_terminal"], kpi["queue"]
    assert (turn["count"], turn["p50"], turn["p90"], turn["mean"], turn["max"]) == (
        3,
        30.0,
        54.0,
        38.33,
        60.0,
    )
    assert [h["count"] for h in turn["histogram"]] == [0, 1, 1, 0, 1, 0, 0, 0]
    assert (queue["count"], queue["p50"], queue["max"]) == (2, 12.5, 15.0)
    assert tiles(kpi) == {"turn_p50": 30.0, "turn_p90": 54.0, "queue_p50": 12.5, "trucks": 3}


def test_gate_transactions_are_counted_per_hour_at_gate_in_and_gate_out(day):
    kpi = kpis.kpi_gate_transactions(terminal=day.terminal, start=T0, end=END)

    by_hour = {row[0].hour: row[1:] for row in kpi["series"] if any(row[1:])}
    assert by_hour == {8: [2, 0, 2], 9: [2, 1, 1], 10: [0, 0, 1], 23: [1, 0, 0]}
    assert len(kpi["series"]) == 24
    assert kpi["busiest_hour"] == at(8)
    assert tiles(kpi) == {"total": 10, "per_hour": 0.42, "peak": 4, "refused": 1}


def test_customs_clearance_runs_from_lodgement_or_the_arrival_of_an_early_declaration(day):
    kpi = kpis.kpi_customs_clearance(terminal=day.terminal, start=T0, end=END)

    kinds = {k["kind"]: k for k in kpi["kinds"]}
    assert (kinds["import"]["count"], kinds["import"]["p50"]) == (2, 5.0)
    assert (kinds["export"]["count"], kinds["export"]["p50"]) == (1, 1.5)
    assert kinds["transit"]["count"] == 0
    assert (kpi["all"]["p50"], kpi["all"]["p90"], kpi["all"]["max"]) == (2.0, 6.8, 8.0)
    assert tiles(kpi) == {"p50": 2.0, "p90": 6.8, "released": 3, "open": 1}


def test_reefer_plug_use_counts_full_reefers_on_the_plugs_of_each_block(day):
    kpi = kpis.kpi_reefer_plugs(terminal=day.terminal, start=T0, end=END)

    assert kpi["rows"] == [{"block": "R01", "plugs": 8, "plugged": 1, "pct": 12.5, "peak": 2}]
    assert tiles(kpi) == {"pct": 12.5, "plugged": 1, "plugs": 8, "peak": 2}
    plugged_at = {t: n for t, n, _ in kpi["series"]}
    assert [plugged_at[at(h)] for h in (0, 1, 6, 13, 24)] == [0, 1, 2, 1, 1]


def test_a_period_without_data_says_what_is_missing(day):
    start, end = at(days=-30), at(days=-29)
    messages = {
        name: kpis.kpi_compute(figure=name, terminal=day.terminal, start=start, end=end)["empty"]
        for name in kpis.FIGURES
    }
    assert messages == {
        "crane-rate": "No completed crane moves in this period.",
        "berth-productivity": "No vessel lay alongside in this period (no ATA/ATD recorded).",
        "berth-utilisation": "No vessel lay alongside in this period (no ATA/ATD recorded).",
        "yard-occupancy": "No box stood in the yard in this period.",
        "dwell": "No unit left the terminal in this period (no time out recorded).",
        "truck-turn": "No truck left or queued at the gate in this period.",
        "gate-transactions": "No gate transaction in this period.",
        "customs-clearance": "No customs declaration was released in this period.",
        "reefer-plugs": "No plugged reefer stood in the yard in this period.",
    }
    assert tiles(kpis.kpi_crane_rate(terminal=day.terminal, start=start, end=end))["gcr"] is None


def test_another_terminals_data_never_enters_the_figures(day, line_b):
    from tos.core.tests.factories import TerminalFactory

    other = TerminalFactory(code="OTHER", name="Other")
    for name in kpis.FIGURES:
        kpi = kpis.kpi_compute(figure=name, terminal=other, start=T0, end=END)
        assert kpi["empty"] != "", name


@pytest.mark.parametrize("figure", list(kpis.FIGURES))
def test_each_figure_runs_a_bounded_number_of_queries_whatever_the_data(
    day, figure, django_assert_max_num_queries
):
    # More moves must not mean more queries.
    for i in range(5):
        _move(day, day.v1, None, "discharge", at(4, i), at(4, i + 1))
    with django_assert_max_num_queries(4):
        kpis.kpi_compute(figure=figure, terminal=day.terminal, start=T0, end=END)


def test_the_peak_is_swept_over_every_change_not_only_the_samples(day):
    # Daily samples (midnights) miss the day's peak of 7 TEU between 06:00 and 10:00.
    start, end = at(days=-3), at(days=4)
    yard = kpis.kpi_yard_occupancy(terminal=day.terminal, start=start, end=end)
    plugs = kpis.kpi_reefer_plugs(terminal=day.terminal, start=start, end=end)

    assert [t for t, _teu, _pct in yard["series"]][:2] == [at(days=-3), at(days=-2)]
    assert max(teu for _t, teu, _pct in yard["series"]) == 6
    assert (tiles(yard)["peak"], [r["peak_teu"] for r in yard["rows"]]) == (7, [3, 4])
    assert (tiles(plugs)["peak"], plugs["rows"][0]["peak"]) == (2, 2)


def test_a_box_leaving_as_another_arrives_does_not_make_a_peak():
    spans = [(at(0), at(2), "A", 1), (at(2), None, "A", 1), (at(1), at(3), "B", 2)]
    assert kpis._peaks(spans, at(0), at(5)) == (3, {"A": 1, "B": 2})
