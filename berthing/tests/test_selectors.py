"""Reads: the solver's view of a plan and back, plan comparison, and the schedules lines and the
public see."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from berthing import selectors, services
from berthing.selectors import (
    PublicBerthSlot,
    berth_plan_detail,
    berth_plan_latest_draft,
    berth_plan_published,
    berth_plans_visible_to,
    berth_schedule_public,
    berth_schedule_visible_to,
    plan_compare,
    plan_instance,
    plan_solution,
    window_occurrence,
)
from berthing.solvers.instance import Assignment, CraneShift, Placement, Result, Section, Window
from berthing.tests.factories import (
    BerthWindowFactory,
    CraneAllocationFactory,
    LineBerthTermsFactory,
    QuayCraneOutageFactory,
)

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")


# --- plan_instance -----------------------------------------------------------------------------


def test_the_plan_instance_carries_the_quay_cranes_vessels_terms_windows_and_outages(
    quay, cranes, make_visit, planner, terminal, line_a, line_b, base
):
    quay.clearance_m, quay.stability_weight, quay.planning_period_min = 25, 2, 30
    quay.save()
    alpha = make_visit(
        eta_h=5, etb_h=6, stay_h=20, loa="199.5", draft="9.25", moves=301, name="ALPHA"
    )
    bravo = make_visit(eta_h=30, stay_h=30, loa=320, draft=14, moves=1000, line=line_b)
    LineBerthTermsFactory(terminal=terminal, line=line_a, weight_service=2, weight_late=5)
    BerthWindowFactory(
        terminal=terminal,
        line=line_a,
        start=alpha.eta - dt.timedelta(days=7) + H,
        end=alpha.eta - dt.timedelta(days=7) + 25 * H,
        repeats_weekly=True,
        penalty_per_hour=7,
    )
    QuayCraneOutageFactory(crane=cranes[1], start=base + 24 * H, end=base + 32 * H + 1 * H / 2)
    cranes[3].is_available = False
    cranes[3].save()
    plan = services.berth_plan_create_draft(quay=quay, user=planner)
    row = plan.assignments.get(vessel_visit=alpha)
    services.berth_assignment_lock(assignment=row, user=planner, locked=True, expected_revision=1)
    plan.refresh_from_db()

    instance, mapping = plan_instance(plan)

    origin = plan.horizon_start
    offset = (base - origin) // dt.timedelta(minutes=1)  # 0 unless the hour turned meanwhile
    assert mapping.origin == origin
    assert (mapping.plan_id, mapping.revision, mapping.quay_id) == (plan.pk, 2, quay.pk)
    assert (instance.quay_length_m, instance.clearance_m) == (1000, 25)
    assert (instance.stability_weight, instance.period_min) == (2, 30)
    assert instance.efficiency_pct == (100, 93, 90, 87, 85, 84, 82, 81)
    assert instance.sections == (
        Section("Deep", 0, 600, 1600),
        Section("Shallow", 600, 1000, 1000),
    )
    assert instance.horizon_min % 30 == 0
    assert instance.horizon_min >= mapping.minutes(bravo.etd + 24 * H)
    assert [(c.id, c.rail_order, c.min_m, c.max_m, c.moves_per_hour) for c in instance.cranes] == [
        ("QC1", 1, 0, 500, 30),
        ("QC2", 2, 100, 600, 30),
        ("QC3", 3, 400, 900, 30),
        ("QC4", 4, 500, 1000, 30),
    ]
    assert instance.cranes[1].outages == ((offset + 24 * 60, offset + 32 * 60 + 30),)
    assert instance.cranes[3].outages == ((0, instance.horizon_min),)
    a, b = instance.vessels
    placement = Placement(0, offset + 6 * 60, offset + 25 * 60)
    assert a == selectors.Vessel(
        id=str(alpha.pk),
        name="ALPHA",
        line=line_a.code,
        loa_m=200,
        draft_cm=925,
        eta_min=offset + 5 * 60,
        due_min=offset + 25 * 60,
        moves=301,
        min_cranes=1,
        max_cranes=4,
        weight_service=2,
        weight_late=5,
        window=Window(offset + 6 * 60, offset + 30 * 60, 7),
        locked=placement,
        current=placement,
    )
    assert (b.id, b.loa_m, b.draft_cm, b.min_cranes, b.max_cranes) == (
        str(bravo.pk),
        320,
        1400,
        2,
        6,
    )
    assert (b.weight_service, b.weight_late, b.window, b.locked) == (1, 3, None, None)
    assert b.current == Placement(0, offset + 30 * 60, offset + 60 * 60)  # after ALPHA left
    assert mapping.visit_ids == {str(alpha.pk): alpha.pk, str(bravo.pk): bravo.pk}
    assert mapping.crane_ids == {c.name: c.pk for c in cranes}
    assert mapping.end_m(str(bravo.pk), 100) == 445


def test_the_plan_instance_adds_the_horizons_unplaced_visits_unless_told_which(
    quay, cranes, make_visit, planner
):
    placed = make_visit(eta_h=5)
    plan = services.berth_plan_create_draft(quay=quay, user=planner)
    newcomer = make_visit(eta_h=10)

    instance, _ = plan_instance(plan)
    only, _ = plan_instance(plan, visits=[newcomer])

    assert [v.id for v in instance.vessels] == [str(placed.pk), str(newcomer.pk)]
    assert instance.vessels[1].current is None
    assert [v.id for v in only.vessels] == [str(newcomer.pk)]


def test_a_weekly_window_repeats_at_local_time_until_it_ends_and_a_dated_one_happens_once(
    terminal, line_a
):
    start = dt.datetime(2026, 3, 2, 8, 0, tzinfo=AMS)  # a Monday, winter time
    weekly = BerthWindowFactory.build(
        terminal=terminal,
        line=line_a,
        start=start,
        end=start + 20 * H,
        repeats_weekly=True,
        valid_until=dt.date(2026, 4, 30),
    )
    # five weeks on, across the change to summer time: still 08:00 local
    later = window_occurrence(weekly, near=start + dt.timedelta(days=35, hours=3), tz=AMS)
    assert later == (
        dt.datetime(2026, 4, 6, 8, 0, tzinfo=AMS),
        dt.datetime(2026, 4, 7, 4, 0, tzinfo=AMS),
    )
    assert window_occurrence(weekly, near=start + dt.timedelta(days=70), tz=AMS) is None
    assert window_occurrence(weekly, near=start - dt.timedelta(days=7), tz=AMS) is None
    once = BerthWindowFactory.build(terminal=terminal, line=line_a, start=start, end=start + H)
    assert window_occurrence(once, near=start + 80 * H, tz=AMS) == (start, start + H)
    assert window_occurrence(once, near=start + 90 * H, tz=AMS) is None


def test_a_visits_own_service_window_wins_over_its_lines_general_one(
    quay, cranes, make_visit, planner, terminal, line_a
):
    visit = make_visit(eta_h=5, service="AE7")
    BerthWindowFactory(
        terminal=terminal, line=line_a, start=visit.eta, end=visit.eta + 10 * H, penalty_per_hour=1
    )
    BerthWindowFactory(
        terminal=terminal,
        line=line_a,
        service="AE7",
        start=visit.eta + 3 * H,
        end=visit.eta + 30 * H,
        penalty_per_hour=9,
    )
    BerthWindowFactory(
        terminal=terminal, line=line_a, service="XX1", start=visit.eta, end=visit.eta + H
    )
    plan = services.berth_plan_create_draft(quay=quay, user=planner)

    (vessel,) = plan_instance(plan)[0].vessels

    assert vessel.window.penalty_per_hour == 9
    assert vessel.window.end_min - vessel.window.start_min == 27 * 60


# --- round trip --------------------------------------------------------------------------------


def test_a_solver_result_stored_and_read_back_is_the_same_plan(quay, cranes, make_visit, planner):
    alpha = make_visit(eta_h=5, moves=300)
    bravo = make_visit(eta_h=7, moves=240)
    plan = services.berth_plan_create_draft(quay=quay, user=planner)
    _instance, mapping = plan_instance(plan)
    a, b = str(alpha.pk), str(bravo.pk)
    ta, tb = mapping.minutes(alpha.eta), mapping.minutes(bravo.eta)
    assignments = (Assignment(a, 40, ta, ta + 600), Assignment(b, 400, tb + 30, tb + 510))
    shifts = (
        CraneShift("QC1", a, ta, ta + 300),
        CraneShift("QC1", a, ta + 300, ta + 600),
        CraneShift("QC3", b, tb + 30, tb + 510),
    )
    services.berth_plan_save_result(
        plan=plan,
        result=Result("optimal", 1, 1, 0.1, assignments, shifts),
        mapping=mapping,
    )
    plan.refresh_from_db()

    again, back = plan_instance(plan)
    stored, stored_shifts = plan_solution(plan, back)

    assert back.origin == mapping.origin
    assert sorted(stored, key=str) == sorted(assignments, key=str)
    assert sorted(stored_shifts, key=str) == [
        CraneShift("QC1", a, ta, ta + 600),
        CraneShift("QC3", b, tb + 30, tb + 510),
    ]
    rows = {r.vessel_visit_id: r for r in plan.assignments.all()}
    assert rows[bravo.pk].berth_at == bravo.eta + 30 * dt.timedelta(minutes=1)
    assert mapping.moment(mapping.minutes(rows[bravo.pk].depart_at)) == rows[bravo.pk].depart_at
    assert [v.current for v in again.vessels] == [
        Placement(40, ta, ta + 600),
        Placement(400, tb + 30, tb + 510),
    ]


# --- compare ---------------------------------------------------------------------------------


def test_comparing_a_draft_with_the_published_plan_shows_what_moved_and_the_objectives(
    quay, cranes, make_visit, planner
):
    alpha = make_visit(eta_h=5, name="ALPHA")
    bravo = make_visit(eta_h=6, name="BRAVO")
    gone = make_visit(eta_h=7, name="GONE")
    first = services.berth_plan_create_draft(quay=quay, user=planner)
    services.berth_plan_publish(plan=first, user=planner, expected_revision=1)
    first.refresh_from_db()
    gone.phase = "cancelled"
    gone.save()
    newcomer = make_visit(eta_h=50, name="NEW")
    draft = services.berth_plan_create_draft(quay=quay, user=planner)
    row = draft.assignments.get(vessel_visit=bravo)
    services.berth_assignment_move(
        assignment=row,
        user=planner,
        start_m=700,
        berth_at=row.berth_at + 3 * H,
        expected_revision=1,
    )
    CraneAllocationFactory(
        assignment=draft.assignments.get(vessel_visit=alpha),
        crane=cranes[0],
        start=alpha.eta,
        end=alpha.eta + H,
    )
    draft.refresh_from_db()

    comparison = plan_compare(draft, first)

    rows = {v.vessel: v for v in comparison.vessels}
    assert [v.vessel for v in comparison.vessels] == ["ALPHA", "GONE", "BRAVO", "NEW"]
    assert (rows["ALPHA"].status, rows["ALPHA"].moved_min, rows["ALPHA"].moved_m) == (
        "unchanged",
        0,
        0,
    )
    assert (rows["ALPHA"].cranes_before, rows["ALPHA"].cranes_after) == ((), ("QC1",))
    assert rows["ALPHA"].cranes_changed is True
    bravo_row = rows["BRAVO"]
    assert (bravo_row.status, bravo_row.moved_min, bravo_row.depart_moved_min) == (
        "moved",
        180,
        180,
    )
    assert bravo_row.moved_m == 700 - 220
    assert bravo_row.cranes_changed is False
    assert (rows["GONE"].status, rows["GONE"].moved_min) == ("removed", None)
    assert (rows["NEW"].status, rows["NEW"].visit_id) == ("added", newcomer.pk)
    assert comparison.objective_before == first.objective
    assert comparison.objective_after == draft.objective
    assert comparison.objective_delta == draft.objective - first.objective
    assert [v.vessel for v in comparison.changed] == ["ALPHA", "GONE", "BRAVO", "NEW"]
    assert plan_compare(draft, None).vessels[0].status == "added"


# --- plans and schedules -------------------------------------------------------------------


def test_a_plan_with_its_rows_loads_in_three_queries_whatever_its_size(
    quay, cranes, make_visit, planner, django_assert_num_queries
):
    for hour in range(0, 60, 6):
        make_visit(eta_h=5 + hour)
    plan = services.berth_plan_create_draft(quay=quay, user=planner)
    for row in plan.assignments.all():
        CraneAllocationFactory(
            assignment=row, crane=cranes[0], start=row.berth_at, end=row.depart_at
        )

    with django_assert_num_queries(3):
        loaded = berth_plan_detail(plan_id=plan.pk)
        seen = [
            (
                a.vessel_visit.vessel.name,
                a.vessel_visit.line.code,
                [c.crane.name for c in a.allocations.all()],
            )
            for a in loaded.assignments.all()
        ]

    assert len(seen) == 10
    assert all(cranes == ["QC1"] for _, _, cranes in seen)


def test_the_published_plan_and_the_latest_draft_of_a_quay(quay, make_visit, planner):
    make_visit(eta_h=5)
    assert berth_plan_published(quay=quay) is None
    first = services.berth_plan_create_draft(quay=quay, user=planner)
    services.berth_plan_publish(plan=first, user=planner, expected_revision=1)
    second = services.berth_plan_create_draft(quay=quay, user=planner)
    third = services.berth_plan_create_draft(quay=quay, user=planner)

    assert berth_plan_published(quay=quay) == first
    assert berth_plan_latest_draft(quay=quay) == third
    assert second.version < third.version


def test_plans_are_for_terminal_staff_only(quay, make_visit, planner, operator, agent_a):
    make_visit(eta_h=5)
    plan = services.berth_plan_create_draft(quay=quay, user=planner)

    assert list(berth_plans_visible_to(planner)) == [plan]
    assert list(berth_plans_visible_to(operator)) == [plan]
    assert list(berth_plans_visible_to(agent_a)) == []


@pytest.fixture
def published(quay, cranes, make_visit, planner, line_b):
    alpha = make_visit(eta_h=5, name="ALPHA")
    bravo = make_visit(eta_h=30, name="BRAVO", line=line_b)
    plan = services.berth_plan_create_draft(quay=quay, user=planner)
    services.berth_plan_publish(plan=plan, user=planner, expected_revision=1)
    services.berth_plan_create_draft(quay=quay, user=planner)  # a draft nobody outside sees
    return alpha, bravo


def test_the_public_schedule_names_vessel_berth_times_and_stretch_and_nothing_of_the_line(
    published, terminal, base
):
    alpha, _bravo = published
    alpha.refresh_from_db()

    schedule = berth_schedule_public(terminal=terminal)

    assert schedule[0] == PublicBerthSlot(
        vessel="ALPHA",
        quay="Main Quay",
        start_m=0,
        end_m=220,
        sections=("Deep",),
        berth_at=alpha.etb,
        depart_at=alpha.etd,
    )
    assert [s.vessel for s in schedule] == ["ALPHA", "BRAVO"]
    assert set(PublicBerthSlot.__dataclass_fields__) == {
        "vessel",
        "quay",
        "start_m",
        "end_m",
        "sections",
        "berth_at",
        "depart_at",
    }
    assert [s.vessel for s in berth_schedule_public(terminal=terminal, start=base + 26 * H)] == [
        "BRAVO"
    ]
    assert [s.vessel for s in berth_schedule_public(terminal=terminal, end=base + 6 * H)] == [
        "ALPHA"
    ]


def test_an_agent_sees_the_published_berths_of_its_own_lines_only(
    published, planner, agent_a, agent_b
):
    alpha, bravo = published

    mine = list(berth_schedule_visible_to(agent_a))
    assert [a.vessel_visit for a in mine] == [alpha]
    assert mine[0].is_published
    assert mine[0].crane_count == 0
    assert [a.vessel_visit for a in berth_schedule_visible_to(agent_b)] == [bravo]
    assert [a.vessel_visit for a in berth_schedule_visible_to(planner)] == [alpha, bravo]
