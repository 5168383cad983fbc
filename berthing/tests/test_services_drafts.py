"""Drafts and a planner's edits: creating, moving and locking, with every refusal changing
nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from berthing import services
from berthing.choices import BerthPlanSource, BerthPlanStatus
from berthing.models import BerthAssignment, BerthPlan, CraneAllocation
from berthing.selectors import plan_candidate_visits
from berthing.tests.factories import CraneAllocationFactory, QuayFactory
from berthing.tests.support import plan_snapshot
from tos.core.errors import ApplicationError
from tos.core.models import Event

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def _events(type_: str) -> list[Event]:
    return list(Event.objects.filter(type=type_).order_by("seq"))


def _refused(code: str, func, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as exc:
        func(**kwargs)
    assert exc.value.code == code, exc.value.message
    return exc.value


# --- create ------------------------------------------------------------------------------------


def test_a_fresh_draft_places_the_horizons_visits_at_their_etb_or_eta_side_by_side(
    quay, cranes, make_visit, planner, base
):
    a = make_visit(eta_h=5, etb_h=6, stay_h=20, name="ALPHA")
    b = make_visit(eta_h=8, stay_h=20, name="BRAVO")
    make_visit(eta_h=24 * 9, name="TOO LATE")

    plan = services.berth_plan_create_draft(quay=quay, user=planner)

    assert (plan.version, plan.status, plan.source, plan.revision) == (
        1,
        BerthPlanStatus.DRAFT,
        BerthPlanSource.MANUAL,
        1,
    )
    assert plan.created_by == planner
    assert plan.horizon_start <= base + H
    assert plan.horizon_end - plan.horizon_start >= dt.timedelta(hours=168)
    rows = {r.vessel_visit_id: r for r in plan.assignments.all()}
    assert set(rows) == {a.pk, b.pk}
    assert (rows[a.pk].berth_at, rows[a.pk].depart_at) == (a.etb, a.etd)
    assert (rows[b.pk].berth_at, rows[b.pk].depart_at) == (b.eta, b.etd)
    # first fit: ALPHA from metre 0, BRAVO right behind it (200 m LOA + 20 m clearance)
    assert (rows[a.pk].start_m, rows[a.pk].end_m) == (0, 220)
    assert (rows[b.pk].start_m, rows[b.pk].end_m) == (220, 440)
    assert all(r.quay_id == quay.pk and not r.is_published for r in rows.values())
    assert plan.violations == []
    assert plan.objective == plan.components["service"] > 0
    (event,) = _events("berth.plan_changed")
    assert event.topic == "berth"
    assert event.line_id is None
    assert event.payload | {"objective": None} == {
        "plan": plan.pk,
        "quay": quay.pk,
        "version": 1,
        "status": "draft",
        "revision": 1,
        "change": "created",
        "objective": None,
        "violations": 0,
        "by": "planner",
        "based_on": None,
    }


def test_a_fresh_draft_locks_visits_working_at_their_berth_and_records_missing_cranes(
    quay, cranes, make_visit, planner
):
    working = make_visit(eta_h=-10, etb_h=-9, stay_h=30, phase="working", moves=300)

    plan = services.berth_plan_create_draft(quay=quay, user=planner)

    row = plan.assignments.get()
    assert row.vessel_visit == working
    assert row.locked is True
    assert row.berth_at == working.etb
    assert [v["code"] for v in plan.violations] == ["moves_short"]
    assert plan.violations[0]["vessel"] == str(working.pk)


def test_a_deep_draught_vessel_is_placed_in_deep_water_clear_of_a_vessel_there(
    quay, cranes, make_visit, planner
):
    first = make_visit(eta_h=5, loa=300, draft=14)
    second = make_visit(eta_h=6, loa=250, draft=14)

    plan = services.berth_plan_create_draft(quay=quay, user=planner)

    rows = {r.vessel_visit_id: r for r in plan.assignments.all()}
    assert rows[first.pk].start_m == 0
    # 320 m taken; 250 + 20 more fits before the 600 m end of the deep section
    assert (rows[second.pk].start_m, rows[second.pk].end_m) == (320, 590)
    assert plan.violations == []


def test_versions_increase_per_quay_and_a_new_draft_copies_the_published_plan(
    quay, cranes, make_visit, planner
):
    visit = make_visit(eta_h=5, moves=0)
    first = services.berth_plan_create_draft(quay=quay, user=planner)
    row = first.assignments.get()
    services.berth_assignment_move(assignment=row, user=planner, start_m=100, expected_revision=1)
    services.berth_assignment_lock(assignment=row, user=planner, locked=True, expected_revision=2)
    CraneAllocationFactory(
        assignment=row, crane=cranes[0], start=row.berth_at, end=row.berth_at + 2 * H
    )
    first.refresh_from_db()
    services.berth_plan_publish(plan=first, user=planner, expected_revision=first.revision)
    newcomer = make_visit(eta_h=30)

    second = services.berth_plan_create_draft(quay=quay, user=planner)

    assert second.version == 2
    assert second.source == BerthPlanSource.COPY
    assert second.based_on == first
    rows = {r.vessel_visit_id: r for r in second.assignments.all()}
    assert set(rows) == {visit.pk, newcomer.pk}
    copied = rows[visit.pk]
    assert (copied.start_m, copied.locked, copied.is_published) == (100, True, False)
    assert [(c.crane_id, c.start, c.end) for c in copied.allocations.all()] == [
        (cranes[0].pk, copied.berth_at, copied.berth_at + 2 * H)
    ]
    assert rows[newcomer.pk].berth_at == newcomer.eta
    other_quay = QuayFactory(terminal=quay.terminal, name="Other")
    assert services.berth_plan_create_draft(quay=other_quay, user=planner).version == 1


def test_a_draft_based_on_a_plan_of_another_quay_is_refused(quay, make_visit, planner):
    make_visit(eta_h=5)
    other = services.berth_plan_create_draft(
        quay=QuayFactory(terminal=quay.terminal, name="Other"), user=planner
    )
    plans_before = BerthPlan.objects.count()
    events_before = Event.objects.count()

    error = _refused(
        "plan_other_quay",
        services.berth_plan_create_draft,
        quay=quay,
        user=planner,
        based_on=other,
    )

    assert error.details == {"based_on": [error.message]}
    assert BerthPlan.objects.count() == plans_before
    assert Event.objects.count() == events_before


# --- move --------------------------------------------------------------------------------------


@pytest.fixture
def draft(quay, cranes, make_visit, planner):
    """A draft with ALPHA at 0–220 m and BRAVO at 220–440 m, both from ETA +5 h for 20 h; ALPHA
    has crane QC1 for its first 4 hours."""
    make_visit(eta_h=5, name="ALPHA")
    make_visit(eta_h=5, name="BRAVO")
    plan = services.berth_plan_create_draft(quay=quay, user=planner)
    alpha = plan.assignments.get(vessel_visit__vessel__name="ALPHA")
    CraneAllocationFactory(
        assignment=alpha, crane=cranes[0], start=alpha.berth_at, end=alpha.berth_at + 4 * H
    )
    return plan


def _row(plan: BerthPlan, name: str) -> BerthAssignment:
    return plan.assignments.get(vessel_visit__vessel__name=name)


def test_a_drag_moves_the_vessel_and_its_cranes_and_records_the_overlap_it_creates(draft, planner):
    alpha = _row(draft, "ALPHA")
    berth, depart = alpha.berth_at, alpha.depart_at

    moved = services.berth_assignment_move(
        assignment=alpha,
        user=planner,
        start_m=300,
        berth_at=berth + 3 * H + dt.timedelta(seconds=42),
        expected_revision=1,
    )

    assert (moved.start_m, moved.end_m) == (300, 520)
    assert (moved.berth_at, moved.depart_at) == (berth + 3 * H, depart + 3 * H)
    (allocation,) = CraneAllocation.objects.filter(assignment=alpha)
    assert (allocation.start, allocation.end) == (berth + 3 * H, berth + 7 * H)
    draft.refresh_from_db()
    assert draft.revision == 2
    assert [(v["code"], v["vessel"]) for v in draft.violations] == [
        ("overlap", str(alpha.vessel_visit_id))
    ]
    assert "BRAVO" in draft.violations[0]["message"]
    event = _events("berth.plan_changed")[-1]
    assert event.payload["change"] == "moved"
    assert event.payload["revision"] == 2
    assert event.payload["violations"] == 1
    assert (event.payload["moved_min"], event.payload["moved_m"]) == (180, 300)
    assert event.payload["visit"] == alpha.vessel_visit_id


def test_a_drag_along_the_quay_only_keeps_the_times(draft, planner):
    bravo = _row(draft, "BRAVO")
    times = (bravo.berth_at, bravo.depart_at)

    moved = services.berth_assignment_move(
        assignment=bravo, user=planner, start_m=500, expected_revision=1
    )

    assert (moved.start_m, moved.end_m, moved.berth_at, moved.depart_at) == (500, 720, *times)


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"start_m": 781}, "outside_quay", "start_m"),
        ({"start_m": -1}, "validation_error", "start_m"),
        ({"start_m": True}, "validation_error", "start_m"),
        ({"berth_at": "tomorrow"}, "validation_error", "berth_at"),
        ({"berth_at": -1}, "before_eta", "berth_at"),
        ({}, "nothing_to_move", "start_m"),
    ],
)
def test_a_drag_to_an_impossible_position_is_refused_naming_the_field(
    draft, planner, kwargs, code, field
):
    alpha = _row(draft, "ALPHA")
    if kwargs.get("berth_at") == -1:
        kwargs = {"berth_at": alpha.vessel_visit.eta - dt.timedelta(minutes=1)}
    before = plan_snapshot(draft)

    error = _refused(
        code,
        services.berth_assignment_move,
        assignment=alpha,
        user=planner,
        expected_revision=1,
        **kwargs,
    )

    assert list(error.details) == [field]
    assert error.status == 400
    assert plan_snapshot(draft) == before


def test_a_drag_into_water_too_shallow_for_the_draft_is_refused(quay, cranes, make_visit, planner):
    deep = make_visit(eta_h=5, loa=250, draft=14, name="DEEP")
    plan = services.berth_plan_create_draft(quay=quay, user=planner)
    row = plan.assignments.get(vessel_visit=deep)
    before = plan_snapshot(plan)

    error = _refused(
        "too_shallow",
        services.berth_assignment_move,
        assignment=row,
        user=planner,
        start_m=400,
        expected_revision=1,
    )

    assert list(error.details) == ["start_m"]
    assert "DEEP draws 14 m" in error.message
    assert "section Shallow is 10 m deep" in error.message
    assert plan_snapshot(plan) == before


def test_a_drag_with_a_stale_revision_is_refused_with_412(draft, planner):
    alpha = _row(draft, "ALPHA")
    services.berth_assignment_move(assignment=alpha, user=planner, start_m=10, expected_revision=1)
    before = plan_snapshot(draft)

    error = _refused(
        "stale_revision",
        services.berth_assignment_move,
        assignment=alpha,
        user=planner,
        start_m=20,
        expected_revision=1,
    )

    assert error.status == 412
    assert "revision 2, not 1" in error.message
    assert plan_snapshot(draft) == before


def test_a_locked_vessel_cannot_be_dragged(draft, planner):
    alpha = _row(draft, "ALPHA")
    services.berth_assignment_lock(assignment=alpha, user=planner, locked=True, expected_revision=1)
    before = plan_snapshot(draft)

    error = _refused(
        "assignment_locked",
        services.berth_assignment_move,
        assignment=alpha,
        user=planner,
        start_m=20,
        expected_revision=2,
    )

    assert (error.status, list(error.details)) == (409, ["locked"])
    assert plan_snapshot(draft) == before


def test_a_published_plan_cannot_be_dragged_or_locked(draft, planner):
    services.berth_plan_publish(plan=draft, user=planner, expected_revision=1)
    draft.refresh_from_db()
    bravo = _row(draft, "BRAVO")
    before = plan_snapshot(draft)

    _refused(
        "plan_not_draft",
        services.berth_assignment_move,
        assignment=bravo,
        user=planner,
        start_m=500,
        expected_revision=draft.revision,
    )
    error = _refused(
        "plan_not_draft",
        services.berth_assignment_lock,
        assignment=bravo,
        user=planner,
        locked=True,
        expected_revision=draft.revision,
    )

    assert error.status == 409
    assert plan_snapshot(draft) == before


# --- lock --------------------------------------------------------------------------------------


def test_locking_and_unlocking_bump_the_revision_and_locking_twice_changes_nothing(draft, planner):
    alpha = _row(draft, "ALPHA")

    services.berth_assignment_lock(assignment=alpha, user=planner, locked=True, expected_revision=1)
    again = plan_snapshot(draft)
    services.berth_assignment_lock(assignment=alpha, user=planner, locked=True, expected_revision=2)
    assert plan_snapshot(draft) == again
    services.berth_assignment_lock(
        assignment=alpha, user=planner, locked=False, expected_revision=2
    )

    alpha.refresh_from_db()
    draft.refresh_from_db()
    assert (alpha.locked, draft.revision) == (False, 3)
    assert [e.payload["change"] for e in _events("berth.plan_changed")] == [
        "created",
        "locked",
        "unlocked",
    ]


def test_a_lock_with_a_stale_revision_or_a_non_boolean_is_refused(draft, planner):
    alpha = _row(draft, "ALPHA")
    before = plan_snapshot(draft)

    _refused(
        "stale_revision",
        services.berth_assignment_lock,
        assignment=alpha,
        user=planner,
        locked=True,
        expected_revision=7,
    )
    error = _refused(
        "validation_error",
        services.berth_assignment_lock,
        assignment=alpha,
        user=planner,
        locked="yes",
        expected_revision=1,
    )

    assert list(error.details) == ["locked"]
    assert plan_snapshot(draft) == before


def test_a_visit_berthed_at_another_quay_by_its_published_plan_is_not_planned_again(
    terminal, quay, cranes, make_visit, planner, base
):
    north = QuayFactory(terminal=terminal, name="North Quay", length_m=600)
    there = make_visit(eta_h=4, stay_h=10, name="ALPHA")
    draft = services.berth_plan_create_draft(quay=quay, user=planner)
    services.berth_plan_publish(plan=draft, user=planner, expected_revision=draft.revision)
    later = make_visit(eta_h=8, stay_h=10, name="BRAVO")

    def candidates(at):
        found = plan_candidate_visits(quay=at, start=base, end=base + 7 * 24 * H)
        return set(found.values_list("pk", flat=True))

    assert candidates(north) == {later.pk}
    assert candidates(quay) == {there.pk, later.pk}
