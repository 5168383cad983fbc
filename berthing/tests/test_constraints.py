"""The database is the arbiter (DESIGN.md §5.3): published berths never overlap and no crane is
published twice at once, even when the services are bypassed. On SQLite the exclusion
constraints create nothing (the publish service checks the same rules in Python)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from berthing.choices import BerthPlanStatus
from berthing.models import (
    BerthAssignment,
    BerthPlan,
    BerthWindow,
    CraneAllocation,
    Quay,
    QuayCraneOutage,
    vessel_crane_limits,
)
from berthing.tests.factories import (
    BerthAssignmentFactory,
    BerthPlanFactory,
    BerthWindowFactory,
    CraneAllocationFactory,
    QuayCraneFactory,
    QuayCraneOutageFactory,
    QuayFactory,
)

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
T0 = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="exclusion constraints exist only on PostgreSQL; SQLite relies on the publish "
    "service's Python guard",
)


def _violated(exc_info) -> str:
    return exc_info.value.__cause__.diag.constraint_name


@pytest.fixture
def quay(terminal):
    return QuayFactory(terminal=terminal, name="Main Quay")


def _published(quay, *, start_m, end_m, berth_h, depart_h, plan=None, **kwargs):
    row = BerthAssignmentFactory(
        plan=plan or BerthPlanFactory(quay=quay),
        start_m=start_m,
        end_m=end_m,
        berth_at=T0 + berth_h * H,
        depart_at=T0 + depart_h * H,
        **kwargs,
    )
    BerthAssignment.objects.filter(pk=row.pk).update(is_published=True)
    return row


# --- berths -----------------------------------------------------------------------------------


@postgres_only
def test_the_database_refuses_two_published_vessels_on_one_stretch_at_once(quay):
    _published(quay, start_m=100, end_m=420, berth_h=0, depart_h=20)

    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        _published(quay, start_m=400, end_m=700, berth_h=19, depart_h=30)

    assert _violated(exc) == "berth_assignment_no_overlap"
    assert BerthAssignment.objects.filter(is_published=True).count() == 1


@postgres_only
def test_the_database_refuses_publishing_an_overlapping_row_by_a_bulk_update(quay):
    _published(quay, start_m=100, end_m=420, berth_h=0, depart_h=20)
    draft = BerthAssignmentFactory(
        plan=BerthPlanFactory(quay=quay),
        start_m=0,
        end_m=200,
        berth_at=T0 + 5 * H,
        depart_at=T0 + 6 * H,
    )

    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        BerthAssignment.objects.filter(pk=draft.pk).update(is_published=True)

    assert _violated(exc) == "berth_assignment_no_overlap"
    assert BerthAssignment.objects.filter(is_published=True).count() == 1


def test_drafts_touching_berths_and_other_quays_may_share_quay_metres(quay, terminal):
    _published(quay, start_m=100, end_m=420, berth_h=0, depart_h=20)
    # a draft row on the same stretch at the same time
    BerthAssignmentFactory(
        plan=BerthPlanFactory(quay=quay), start_m=100, end_m=420, berth_at=T0, depart_at=T0 + H
    )
    # published, touching in metres and in time
    _published(quay, start_m=420, end_m=700, berth_h=0, depart_h=20)
    _published(quay, start_m=100, end_m=420, berth_h=20, depart_h=30)
    # published on another quay
    other = QuayFactory(terminal=terminal, name="Other")
    _published(other, start_m=100, end_m=420, berth_h=0, depart_h=20)

    assert BerthAssignment.objects.filter(is_published=True).count() == 4


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"start_m": 300, "end_m": 300}, "berth_assignment_end_after_start"),
        ({"berth_at": T0, "depart_at": T0}, "berth_assignment_depart_after_berth"),
    ],
)
def test_the_database_refuses_an_empty_berth(quay, fields, constraint):
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        BerthAssignmentFactory(plan=BerthPlanFactory(quay=quay), **fields)

    if connection.vendor == "postgresql":
        assert _violated(exc) == constraint
    assert not BerthAssignment.objects.exists()


def test_a_visit_is_placed_once_per_plan(quay):
    row = BerthAssignmentFactory(plan=BerthPlanFactory(quay=quay))

    with pytest.raises(IntegrityError), transaction.atomic():
        BerthAssignmentFactory(plan=row.plan, vessel_visit=row.vessel_visit, start_m=500)

    assert BerthAssignment.objects.count() == 1


# --- cranes -----------------------------------------------------------------------------------


@postgres_only
def test_the_database_refuses_a_crane_published_twice_at_once(quay):
    crane = QuayCraneFactory(quay=quay)
    first = _published(quay, start_m=0, end_m=300, berth_h=0, depart_h=20)
    second = _published(quay, start_m=500, end_m=800, berth_h=0, depart_h=20)
    allocation = CraneAllocationFactory(assignment=first, crane=crane, start=T0, end=T0 + 10 * H)
    CraneAllocation.objects.filter(pk=allocation.pk).update(is_published=True)
    clash = CraneAllocationFactory(
        assignment=second, crane=crane, start=T0 + 9 * H, end=T0 + 12 * H
    )

    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        CraneAllocation.objects.filter(pk=clash.pk).update(is_published=True)

    assert _violated(exc) == "crane_allocation_no_double_booking"
    assert CraneAllocation.objects.filter(is_published=True).count() == 1


def test_a_crane_may_follow_itself_and_be_planned_twice_in_drafts(quay):
    crane = QuayCraneFactory(quay=quay)
    row = _published(quay, start_m=0, end_m=300, berth_h=0, depart_h=20)
    for start_h, end_h in ((0, 10), (10, 20)):
        allocation = CraneAllocationFactory(
            assignment=row, crane=crane, start=T0 + start_h * H, end=T0 + end_h * H
        )
        CraneAllocation.objects.filter(pk=allocation.pk).update(is_published=True)
    CraneAllocationFactory(assignment=row, crane=crane, start=T0, end=T0 + 20 * H)

    assert CraneAllocation.objects.count() == 3


def test_the_database_refuses_an_empty_crane_allocation_or_outage(quay):
    crane = QuayCraneFactory(quay=quay)
    with pytest.raises(IntegrityError), transaction.atomic():
        CraneAllocationFactory(
            assignment=BerthAssignmentFactory(plan=BerthPlanFactory(quay=quay)),
            crane=crane,
            start=T0,
            end=T0,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        QuayCraneOutageFactory(crane=crane, start=T0, end=T0 - H)

    assert not CraneAllocation.objects.exists()
    assert not QuayCraneOutage.objects.exists()


# --- plans --------------------------------------------------------------------------------------


def test_a_quay_has_at_most_one_published_plan(quay):
    BerthPlanFactory(quay=quay, status=BerthPlanStatus.PUBLISHED)
    BerthPlanFactory(quay=quay, status=BerthPlanStatus.SUPERSEDED)

    with pytest.raises(IntegrityError), transaction.atomic():
        BerthPlanFactory(quay=quay, status=BerthPlanStatus.PUBLISHED)

    assert BerthPlan.objects.filter(status=BerthPlanStatus.PUBLISHED).count() == 1


def test_versions_are_unique_per_quay_and_a_published_plan_has_its_time(quay):
    BerthPlanFactory(quay=quay, version=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        BerthPlanFactory(quay=quay, version=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        BerthPlanFactory(quay=quay, version=2, status=BerthPlanStatus.PUBLISHED, published_at=None)

    assert BerthPlan.objects.count() == 1


# --- SQLite -------------------------------------------------------------------------------------


def test_the_exclusion_constraints_write_no_sql_on_sqlite():
    editor = SimpleNamespace(connection=SimpleNamespace(vendor="sqlite"))
    for model in (BerthAssignment, CraneAllocation):
        (constraint,) = [c for c in model._meta.constraints if "no_" in c.name]
        assert constraint.constraint_sql(model, editor) is None
        assert constraint.create_sql(model, editor) is None
        assert constraint.remove_sql(model, editor) is None


def test_the_berth_tables_build_on_sqlite_without_exclusion_constraints():
    from django.db.backends.sqlite3.base import DatabaseWrapper

    sqlite = DatabaseWrapper(
        {**connection.settings_dict, "ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        alias="sqlite-probe",
    )
    try:
        with sqlite.schema_editor(atomic=False) as editor:
            editor.create_model(BerthAssignment)
            editor.create_model(CraneAllocation)
        with sqlite.cursor() as cursor:
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE name = %s", ["berthing_berthassignment"]
            )
            (ddl,) = cursor.fetchone()
    finally:
        sqlite.close()
    assert "berth_assignment_depart_after_berth" in ddl
    assert "EXCLUDE" not in ddl.upper()


# --- rules --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loa", "spacing", "limits"),
    [
        (150, 50, (1, 3)),
        (172, 50, (1, 3)),
        (299, 50, (1, 5)),
        (300, 50, (2, 6)),
        (400, 50, (2, 6)),
        (400, 60, (2, 6)),
        (250, 60, (1, 4)),
        (40, 50, (1, 1)),
        (320, 200, (1, 1)),
    ],
)
def test_crane_limits_follow_the_vessels_length(loa, spacing, limits):
    assert vessel_crane_limits(loa, spacing_m=spacing) == limits


@pytest.mark.parametrize(
    "table",
    [[100, 93, 90, 87, 85], [100, 93, 95, 87, 85, 84], [100, 93, 90, 87, 85, 0], "100", None],
)
def test_a_quay_refuses_a_bad_crane_interference_table(terminal, table):
    quay = Quay(terminal=terminal, name="Q", length_m=500, crane_efficiency_pct=table)

    with pytest.raises(ValidationError) as exc:
        quay.full_clean()

    assert list(exc.value.message_dict) == ["crane_efficiency_pct"]


def test_a_berth_window_needs_a_whole_stretch_on_its_quay_and_a_week_at_most(terminal, line_a):
    quay = QuayFactory(terminal=terminal, length_m=800)
    cases = [
        ({"start_m": 100}, "end_m"),
        ({"start_m": 100, "end_m": 900, "quay": quay}, "end_m"),
        ({"start_m": 100, "end_m": 300}, "quay"),
        ({"repeats_weekly": True, "end": T0 + dt.timedelta(days=8)}, "end"),
        ({"end": T0 - H}, "end"),
    ]
    for fields, field in cases:
        window = BerthWindowFactory.build(terminal=terminal, line=line_a, start=T0, **fields)
        with pytest.raises(ValidationError) as exc:
            window.full_clean()
        assert field in exc.value.message_dict, fields
    with pytest.raises(IntegrityError), transaction.atomic():
        BerthWindowFactory(terminal=terminal, line=line_a, start=T0, start_m=100)
    assert not BerthWindow.objects.exists()
