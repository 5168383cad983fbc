"""The demo terminal's berth planning: line terms, windows, a crane outage and a published,
conflict-free berth plan of the week, built through the services without live events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from berthing.choices import BerthPlanSource, BerthPlanStatus, OutageKind
from berthing.models import BerthPlan, BerthWindow, CraneAllocation, LineBerthTerms, QuayCraneOutage
from berthing.selectors import plan_candidate_visits, plan_check
from tos.core.demo import DEMO_TERMINAL_CODE, LINES, build_plan, demo_seed
from tos.core.models import Event, Terminal, VesselVisit

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo_seed(seed=3, now=NOW)
        transaction.set_rollback(True)


@pytest.fixture
def terminal(demo):
    return Terminal.objects.get(code=DEMO_TERMINAL_CODE)


@pytest.fixture
def published(terminal):
    return BerthPlan.objects.get(terminal=terminal, status=BerthPlanStatus.PUBLISHED)


def test_every_line_has_berth_terms_and_two_lines_a_weekly_window(terminal):
    terms = LineBerthTerms.objects.filter(terminal=terminal)
    assert sorted(t.line.code for t in terms) == sorted(line.code for line in LINES)
    assert all(t.weight_late > t.weight_service >= 1 for t in terms)
    windows = list(BerthWindow.objects.filter(terminal=terminal))
    assert len(windows) == 2
    assert len({w.line_id for w in windows}) == 2
    assert all(w.repeats_weekly and w.service and w.end_m > w.start_m for w in windows)


def test_one_crane_has_planned_maintenance_that_no_allocation_touches(terminal):
    (outage,) = QuayCraneOutage.objects.filter(crane__quay__terminal=terminal)
    assert outage.kind == OutageKind.MAINTENANCE
    assert outage.end - outage.start == dt.timedelta(hours=6)
    assert not CraneAllocation.objects.filter(
        crane=outage.crane, start__lt=outage.end, end__gt=outage.start
    ).exists()


def test_the_published_plan_places_the_week_without_conflicts(terminal, published):
    assert published.version == 1
    assert published.source == BerthPlanSource.SOLVER
    assert published.violations == []
    assert plan_check(published).ok
    expected = set(
        plan_candidate_visits(
            quay=published.quay, start=NOW, end=NOW + dt.timedelta(days=7)
        ).values_list("pk", flat=True)
    )
    rows = list(published.assignments.select_related("vessel_visit"))
    assert {r.vessel_visit_id for r in rows} == expected
    assert len(rows) == VesselVisit.objects.filter(terminal=terminal).count() == 12
    assert all(r.is_published for r in rows)
    assert all(r.allocations.filter(is_published=True).exists() for r in rows)
    assert all((r.vessel_visit.etb, r.vessel_visit.etd) == (r.berth_at, r.depart_at) for r in rows)


def test_every_demo_visit_has_a_berth_application_asking_for_its_generated_schedule(terminal):
    generated = {v.reference: v for v in build_plan(seed=3, now=NOW).visits}
    visits = list(VesselVisit.objects.filter(terminal=terminal).select_related("berth_application"))
    assert len(visits) == len(generated) == 12
    for visit in visits:
        application, spec = visit.berth_application, generated[visit.reference]
        assert (application.requested_arrival, application.requested_departure) == (
            spec.eta,
            spec.etd,
        )
        assert (application.expected_discharge_moves, application.expected_load_moves) == (
            visit.expected_discharge_moves,
            visit.expected_load_moves,
        )
        assert application.revision == 1


def test_the_seed_records_no_live_events(terminal):
    assert terminal.event_seq == 0
    assert not Event.objects.filter(terminal=terminal).exists()


@pytest.mark.parametrize("seed", [3, 7, 11])
def test_the_demo_schedule_keeps_etbs_between_eta_and_etd(seed):
    plan = build_plan(seed=seed, now=NOW, unit_count=400)
    assert all(v.eta <= v.etb < v.etd for v in plan.visits)
    waits = [(v.etb - v.eta) / dt.timedelta(hours=1) for v in plan.visits]
    assert max(waits) <= 48
