"""Solver results and publishing: only checked plans are stored or published, publishing
supersedes the quay's plan in one transaction and tells each line about its visits."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db import connection

from berthing import services
from berthing.choices import BerthPlanSource, BerthPlanStatus
from berthing.models import BerthAssignment, BerthPlan, CraneAllocation
from berthing.selectors import plan_instance, plan_solution
from berthing.solvers.instance import Assignment, CraneShift, Result
from berthing.solvers.plan import solve
from berthing.tests.factories import (
    BerthAssignmentFactory,
    BerthPlanFactory,
    CraneAllocationFactory,
)
from berthing.tests.support import plan_snapshot
from tos.core.errors import ApplicationError
from tos.core.models import Event, SolverRun, VesselVisit

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="exclusion constraints exist only on PostgreSQL (SQLite relies on the Python guard)",
)


def _refused(code: str, func, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as exc:
        func(**kwargs)
    assert exc.value.code == code, exc.value.message
    return exc.value


def _result(assignments, shifts, status="optimal") -> Result:
    return Result(status, 0, 0, 0.1, tuple(assignments), tuple(shifts))


@pytest.fixture
def busy(quay, cranes, make_visit, planner):
    """A draft of two 200 m vessels from ETA +5 h, each with 300 moves (10 crane-hours): the
    fresh draft has no cranes, so both are short of moves."""
    alpha = make_visit(eta_h=5, moves=300, name="ALPHA")
    bravo = make_visit(eta_h=6, moves=300, name="BRAVO")
    plan = services.berth_plan_create_draft(quay=quay, user=planner)
    return plan, alpha, bravo


def _good_result(plan, alpha, bravo):
    """ALPHA at 0 m worked by QC1 for 10 h, BRAVO at 300 m by QC2 for 10 h (3 periods split)."""
    _instance, mapping = plan_instance(plan)
    a, b = str(alpha.pk), str(bravo.pk)
    ta, tb = mapping.minutes(alpha.eta), mapping.minutes(bravo.eta)
    result = _result(
        [Assignment(a, 0, ta, ta + 600), Assignment(b, 300, tb, tb + 600)],
        [
            CraneShift("QC1", a, ta, ta + 600),
            CraneShift("QC2", b, tb, tb + 120),
            CraneShift("QC2", b, tb + 120, tb + 360),
            CraneShift("QC2", b, tb + 360, tb + 600),
        ],
    )
    return result, mapping


# --- solver results ---------------------------------------------------------------------------


def test_a_checked_solver_result_becomes_the_drafts_placements_and_crane_allocations(
    busy, cranes, planner, terminal
):
    plan, alpha, bravo = busy
    assert {v["code"] for v in plan.violations} == {"moves_short"}
    result, mapping = _good_result(plan, alpha, bravo)
    run = SolverRun.objects.create(terminal=terminal, kind="berthing.plan", requested_by=planner)
    row_ids = set(plan.assignments.values_list("pk", flat=True))

    saved = services.berth_plan_save_result(plan=plan, result=result, mapping=mapping, run=run)

    assert (saved.source, saved.solver_run, saved.revision) == (BerthPlanSource.SOLVER, run, 2)
    assert saved.violations == []
    assert saved.objective == sum(saved.components.values()) > 0
    rows = {r.vessel_visit_id: r for r in saved.assignments.all()}
    assert {r.pk for r in rows.values()} == row_ids  # the rows are kept, not replaced
    assert (rows[bravo.pk].start_m, rows[bravo.pk].end_m) == (300, 520)
    assert (rows[bravo.pk].berth_at, rows[bravo.pk].depart_at) == (bravo.eta, bravo.eta + 10 * H)
    allocations = list(
        CraneAllocation.objects.filter(assignment__plan=plan)
        .order_by("crane__rail_order")
        .values_list("crane__name", "assignment__vessel_visit", "start", "end")
    )
    assert allocations == [
        ("QC1", alpha.pk, alpha.eta, alpha.eta + 10 * H),
        ("QC2", bravo.pk, bravo.eta, bravo.eta + 10 * H),  # three shifts joined into one
    ]
    event = Event.objects.filter(type="berth.plan_changed").latest("seq")
    assert event.payload["change"] == "solved"
    assert event.payload["run"] == run.pk
    assert event.payload["by"] == "planner"


def test_the_real_solver_result_round_trips_through_the_database(busy, planner):
    plan, _alpha, _bravo = busy
    instance, mapping = plan_instance(plan)
    result = solve(instance, time_limit=10, workers=1)
    assert result.status in ("optimal", "feasible"), result.message

    services.berth_plan_save_result(plan=plan, result=result, mapping=mapping)

    plan.refresh_from_db()
    assert plan.violations == []
    _again, again_mapping = plan_instance(plan)
    assignments, shifts = plan_solution(plan, again_mapping)
    assert sorted(assignments, key=lambda a: a.vessel) == sorted(
        result.assignments, key=lambda a: a.vessel
    )
    busy_minutes = sum(s.end_min - s.start_min for s in result.shifts)
    assert sum(s.end_min - s.start_min for s in shifts) == busy_minutes
    # Stored, the plan is its own reference: the stability term (distance moved) is spent.
    assert plan.components["stability"] == 0
    assert plan.objective == result.objective - result.components["stability"]


def test_a_solver_result_that_breaks_a_rule_is_refused_and_nothing_is_stored(busy):
    plan, alpha, bravo = busy
    result, mapping = _good_result(plan, alpha, bravo)
    clash = dataclasses.replace(result.assignments[1], start_m=100)  # onto ALPHA's stretch
    bad = dataclasses.replace(result, assignments=(result.assignments[0], clash))
    before = plan_snapshot(plan)

    error = _refused(
        "solver_result_invalid",
        services.berth_plan_save_result,
        plan=plan,
        result=bad,
        mapping=mapping,
    )

    assert [v["code"] for v in error.details["violations"]] == ["overlap"]
    assert error.details["violations"][0]["vessel"] == str(bravo.pk)
    assert plan_snapshot(plan) == before


def test_a_solver_result_without_a_plan_is_refused(busy):
    plan, _alpha, _bravo = busy
    _, mapping = plan_instance(plan)
    before = plan_snapshot(plan)

    error = _refused(
        "solver_result_invalid",
        services.berth_plan_save_result,
        plan=plan,
        result=Result("infeasible", None, None, 0.2, message="No plan meets every hard rule."),
        mapping=mapping,
    )

    assert (
        error.message == "The solver returned no plan (infeasible: No plan meets every hard rule.)."
    )
    assert plan_snapshot(plan) == before


def test_a_solver_result_for_an_older_revision_or_another_plan_is_refused(busy, planner):
    plan, alpha, bravo = busy
    result, mapping = _good_result(plan, alpha, bravo)
    row = plan.assignments.get(vessel_visit=alpha)
    services.berth_assignment_move(assignment=row, user=planner, start_m=10, expected_revision=1)
    other = BerthPlanFactory(quay=plan.quay, version=99)
    before = plan_snapshot(plan)

    stale = _refused(
        "stale_revision",
        services.berth_plan_save_result,
        plan=plan,
        result=result,
        mapping=mapping,
    )
    _refused(
        "mapping_mismatch",
        services.berth_plan_save_result,
        plan=other,
        result=result,
        mapping=mapping,
    )

    assert stale.status == 412
    assert plan_snapshot(plan) == before


def test_a_solver_result_for_a_published_plan_is_refused(busy):
    plan, alpha, bravo = busy
    result, mapping = _good_result(plan, alpha, bravo)
    services.berth_plan_save_result(plan=plan, result=result, mapping=mapping)
    plan.refresh_from_db()
    services.berth_plan_publish(plan=plan, user=None, expected_revision=plan.revision)
    _, mapping = plan_instance(plan)
    before = plan_snapshot(plan)

    _refused(
        "plan_not_draft",
        services.berth_plan_save_result,
        plan=plan,
        result=result,
        mapping=mapping,
    )

    assert plan_snapshot(plan) == before


# --- publish ----------------------------------------------------------------------------------


@pytest.fixture
def clean_draft(quay, cranes, make_visit, planner, line_b):
    """A conflict-free draft: ALPHA (line A) and BRAVO (line B), no moves to work."""
    alpha = make_visit(eta_h=5, etb_h=7, name="ALPHA")
    bravo = make_visit(eta_h=6, name="BRAVO", line=line_b)
    plan = services.berth_plan_create_draft(quay=quay, user=planner)
    assert plan.violations == []
    return plan, alpha, bravo


def test_publishing_a_clean_draft_publishes_its_rows_and_tells_each_line_its_berth_times(
    clean_draft, planner, line_a, line_b
):
    plan, alpha, bravo = clean_draft
    seq = Event.objects.count()

    published = services.berth_plan_publish(plan=plan, user=planner, expected_revision=1)

    assert (published.status, published.revision) == (BerthPlanStatus.PUBLISHED, 2)
    assert published.published_by == planner
    assert published.published_at is not None
    assert list(BerthAssignment.objects.values_list("is_published", flat=True)) == [True, True]
    rows = {r.vessel_visit_id: r for r in published.assignments.all()}
    for visit in (alpha, bravo):
        visit.refresh_from_db()
        assert (visit.etb, visit.etd) == (rows[visit.pk].berth_at, rows[visit.pk].depart_at)
    new = list(Event.objects.order_by("seq")[seq:])
    assert [e.type for e in new] == [
        "vessel_visit.updated",  # only BRAVO's ETB changes (ALPHA had its ETB already)
        "berth.plan_changed",
        "berth.visit_rescheduled",
        "berth.visit_rescheduled",
    ]
    assert new[1].payload["change"] == "published"
    assert new[1].payload["superseded"] is None
    rescheduled = {e.payload["reference"]: e for e in new[2:]}
    assert rescheduled[alpha.reference].line_id == line_a.pk
    assert rescheduled[bravo.reference].line_id == line_b.pk
    payload = rescheduled[bravo.reference].payload
    assert payload["line"] == line_b.code
    assert payload["previous"] is None
    assert (payload["start_m"], payload["end_m"], payload["quay"]) == (220, 440, "Main Quay")


def test_publishing_supersedes_the_quays_plan_and_reports_only_what_changed(
    clean_draft, quay, planner, make_visit
):
    first, alpha, bravo = clean_draft
    services.berth_plan_publish(plan=first, user=planner, expected_revision=1)
    bravo.phase = "cancelled"
    bravo.save()
    charlie = make_visit(eta_h=40, name="CHARLIE")
    second = services.berth_plan_create_draft(quay=quay, user=planner)
    seq = Event.objects.count()

    services.berth_plan_publish(plan=second, user=planner, expected_revision=1)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.revision) == (BerthPlanStatus.SUPERSEDED, 3)
    assert second.status == BerthPlanStatus.PUBLISHED
    assert not first.assignments.filter(is_published=True).exists()
    assert sorted(
        BerthAssignment.objects.filter(is_published=True).values_list("vessel_visit", flat=True)
    ) == sorted([alpha.pk, charlie.pk])
    new = list(Event.objects.order_by("seq")[seq:])
    berth = [(e.type, e.payload.get("change") or e.payload["reference"]) for e in new[1:]]
    assert berth == [
        ("berth.plan_changed", "superseded"),
        ("berth.plan_changed", "published"),
        ("berth.visit_rescheduled", charlie.reference),  # ALPHA kept its place: no event
        ("berth.visit_unplanned", bravo.reference),
    ]
    assert new[0].type == "vessel_visit.updated"
    assert new[0].payload["reference"] == charlie.reference


def test_publishing_a_draft_with_conflicts_is_refused_listing_them(clean_draft, planner):
    plan, _alpha, bravo = clean_draft
    row = plan.assignments.get(vessel_visit=bravo)
    services.berth_assignment_move(assignment=row, user=planner, start_m=100, expected_revision=1)
    before = plan_snapshot(plan)

    error = _refused(
        "plan_has_conflicts",
        services.berth_plan_publish,
        plan=plan,
        user=planner,
        expected_revision=2,
    )

    assert error.status == 409
    stored = BerthPlan.objects.get(pk=plan.pk).violations
    assert [v["code"] for v in stored] == ["overlap"]
    assert "ALPHA at 0–220 m" in stored[0]["message"]
    assert "BRAVO at 100–320 m" in stored[0]["message"]
    assert error.details["violations"] == stored
    assert plan_snapshot(plan) == before


def test_publishing_a_stale_revision_a_published_plan_or_an_empty_plan_is_refused(
    clean_draft, quay, planner
):
    plan, _alpha, _bravo = clean_draft
    before = plan_snapshot(plan)
    _refused(
        "stale_revision", services.berth_plan_publish, plan=plan, user=planner, expected_revision=0
    )
    assert plan_snapshot(plan) == before

    services.berth_plan_publish(plan=plan, user=planner, expected_revision=1)
    before = plan_snapshot(plan)
    _refused(
        "plan_not_draft", services.berth_plan_publish, plan=plan, user=planner, expected_revision=2
    )
    assert plan_snapshot(plan) == before

    empty = BerthPlanFactory(quay=quay, version=50)
    before = plan_snapshot(empty)
    _refused(
        "plan_empty", services.berth_plan_publish, plan=empty, user=planner, expected_revision=1
    )
    assert plan_snapshot(empty) == before


@pytest.fixture
def stray(clean_draft, quay):
    """A published row on the quay outside any published plan (data the services never write)
    lying where ALPHA will be, with crane QC1 for the same hours."""
    plan, alpha, _ = clean_draft
    row = plan.assignments.get(vessel_visit=alpha)
    other = BerthPlanFactory(quay=quay, version=77)
    stray = BerthAssignmentFactory(
        plan=other, start_m=0, end_m=220, berth_at=row.berth_at, depart_at=row.depart_at
    )
    BerthAssignment.objects.filter(pk=stray.pk).update(is_published=True)
    return stray


def test_the_python_guard_refuses_publishing_onto_a_published_berth(clean_draft, stray, planner):
    plan = clean_draft[0]
    before = plan_snapshot(plan)

    error = _refused(
        "berth_overlap", services.berth_plan_publish, plan=plan, user=planner, expected_revision=1
    )

    assert error.status == 409
    assert error.details == {"assignments": [plan.assignments.get(start_m=0).pk, stray.pk]}
    assert plan_snapshot(plan) == before


@on_postgres
def test_the_exclusion_constraint_is_the_last_line_of_defence_and_answers_409(
    clean_draft, stray, planner, monkeypatch
):
    monkeypatch.setattr(services, "_overlap_guard", lambda rows, others: None)
    plan = clean_draft[0]
    before = plan_snapshot(plan)

    error = _refused(
        "berth_overlap", services.berth_plan_publish, plan=plan, user=planner, expected_revision=1
    )

    assert error.status == 409
    assert error.details == {"constraint": ["berth_assignment_no_overlap"]}
    assert plan_snapshot(plan) == before


@pytest.mark.parametrize("guarded", [True, False])
def test_publishing_refuses_a_crane_allocated_twice_at_once(
    clean_draft, stray, cranes, planner, monkeypatch, guarded
):
    if not guarded and connection.vendor != "postgresql":
        pytest.skip("exclusion constraints exist only on PostgreSQL")
    plan, alpha, bravo = clean_draft
    stray.start_m, stray.end_m = 700, 920  # no longer in ALPHA's way
    stray.save()
    row = plan.assignments.get(vessel_visit=alpha)
    CraneAllocationFactory(
        assignment=stray, crane=cranes[0], start=row.berth_at, end=row.berth_at + H
    )
    CraneAllocation.objects.filter(assignment=stray).update(is_published=True)
    CraneAllocationFactory(
        assignment=row, crane=cranes[0], start=row.berth_at, end=row.berth_at + H
    )
    services.berth_assignment_move(assignment=row, user=planner, start_m=0, expected_revision=1)
    if not guarded:
        monkeypatch.setattr(services, "_crane_guard", lambda rows, others: None)
    before = plan_snapshot(plan)

    error = _refused(
        "crane_double_booked",
        services.berth_plan_publish,
        plan=plan,
        user=planner,
        expected_revision=2,
    )

    assert error.status == 409
    assert plan_snapshot(plan) == before
    assert VesselVisit.objects.get(pk=bravo.pk).etb is None
