"""The berth-planning API: drafts, drags with If-Match, locks, optimise through the job, compare,
publish, and the lines' view of the schedule."""

from __future__ import annotations

import pytest

from berthing import jobs, services
from berthing.models import BerthAssignment, BerthPlan
from berthing.tests.support import plan_snapshot
from tos.core.jobs import RunContext
from tos.core.models import Event, SolverRun
from tos.core.services import solver_run_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def visits(make_visit, line_b):
    return [
        make_visit(eta_h=2, stay_h=30, loa=250, moves=600, name="ALPHA"),
        make_visit(eta_h=4, stay_h=30, loa=300, moves=800, name="BRAVO", line=line_b),
        make_visit(eta_h=6, stay_h=30, loa=200, moves=400, name="CHARLIE"),
    ]


@pytest.fixture
def draft(planner_client, quay, cranes, visits):
    response = planner_client.post("/api/v1/berth-plans/", {"quay": quay.pk}, format="json")
    assert response.status_code == 201, response.content
    return BerthPlan.objects.get(pk=response.json()["id"])


def _run(run: SolverRun) -> dict:
    """The job as the worker runs it: claim the run, then do its work."""
    assert solver_run_claim(run_id=run.pk)
    return jobs.optimise(RunContext(run_id=run.pk, params=run.params))


def _etag(plan: BerthPlan) -> str:
    plan.refresh_from_db()
    return f'"plan-{plan.pk}-r{plan.revision}"'


def test_it_creates_a_draft_with_every_visit_of_the_horizon_and_an_etag(planner_client, draft):
    response = planner_client.get(f"/api/v1/berth-plans/{draft.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert response["ETag"] == _etag(draft) == body["etag"]
    assert body["status"] == "draft"
    assert sorted(a["visit"]["vessel"] for a in body["assignments"]) == [
        "ALPHA",
        "BRAVO",
        "CHARLIE",
    ]


def test_it_refuses_a_drag_without_if_match_and_changes_nothing(planner_client, draft):
    assignment = draft.assignments.first()
    before = plan_snapshot(draft)
    response = planner_client.patch(
        f"/api/v1/berth-assignments/{assignment.pk}/", {"start_m": 0}, format="json"
    )
    assert response.status_code == 428
    assert response.json()["code"] == "precondition_required"
    assert plan_snapshot(draft) == before


def test_it_refuses_a_stale_drag_with_412_and_changes_nothing(planner_client, draft):
    assignment = draft.assignments.order_by("pk").first()
    stale = _etag(draft)
    ok = planner_client.patch(
        f"/api/v1/berth-assignments/{assignment.pk}/",
        {"locked": True},
        format="json",
        HTTP_IF_MATCH=stale,
    )
    assert ok.status_code == 200, ok.content
    assert ok["ETag"] != stale
    before = plan_snapshot(draft)
    response = planner_client.patch(
        f"/api/v1/berth-assignments/{assignment.pk}/",
        {"start_m": 0},
        format="json",
        HTTP_IF_MATCH=stale,
    )
    assert response.status_code == 412
    assert response.json()["code"] == "stale_revision"
    assert plan_snapshot(draft) == before


def test_it_moves_a_vessel_along_the_quay_and_answers_the_new_etag(planner_client, draft):
    assignment = draft.assignments.order_by("pk").first()
    response = planner_client.patch(
        f"/api/v1/berth-assignments/{assignment.pk}/",
        {"start_m": 700 - assignment.end_m + assignment.start_m},
        format="json",
        HTTP_IF_MATCH=_etag(draft),
    )
    assert response.status_code == 200, response.content
    assignment.refresh_from_db()
    assert assignment.end_m == 700
    assert response["ETag"] == _etag(draft)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"start_m": "far"}, "start_m"),
        ({"start_m": -5}, "start_m"),
        ({"berth_at": "yesterday"}, "berth_at"),
        ({"locked": "maybe"}, "locked"),
        ({}, "non_field_errors"),
    ],
)
def test_it_refuses_bad_drag_input_naming_the_field(planner_client, draft, payload, field):
    assignment = draft.assignments.first()
    before = plan_snapshot(draft)
    response = planner_client.patch(
        f"/api/v1/berth-assignments/{assignment.pk}/",
        payload,
        format="json",
        HTTP_IF_MATCH=_etag(draft),
    )
    assert response.status_code == 400
    assert field in response.json()["details"]
    assert plan_snapshot(draft) == before


def test_it_refuses_a_drag_past_the_end_of_the_quay(planner_client, draft):
    assignment = draft.assignments.first()
    before = plan_snapshot(draft)
    response = planner_client.patch(
        f"/api/v1/berth-assignments/{assignment.pk}/",
        {"start_m": 990},
        format="json",
        HTTP_IF_MATCH=_etag(draft),
    )
    assert response.status_code in (400, 409, 422)
    assert "start_m" in response.json()["details"]
    assert plan_snapshot(draft) == before


def test_it_queues_optimise_and_the_job_stores_a_checked_plan(planner_client, draft):
    response = planner_client.post(
        f"/api/v1/berth-plans/{draft.pk}/optimise/", {"time_limit": 3}, format="json"
    )
    assert response.status_code == 202, response.content
    run = SolverRun.objects.get(pk=response.json()["id"])
    assert run.kind == "berthing.optimise"
    result = _run(run)
    assert result["vessels"] == 3
    draft.refresh_from_db()
    assert draft.source == "solver"
    assert draft.violations == []
    assert draft.objective == result["objective"]
    detail = planner_client.get(f"/api/v1/berth-plans/{draft.pk}/").json()
    assert all(a["cranes"] for a in detail["assignments"])


@pytest.mark.parametrize("limit", [0, 301, "soon", None])
def test_it_refuses_an_optimise_time_limit_out_of_range(planner_client, draft, limit):
    response = planner_client.post(
        f"/api/v1/berth-plans/{draft.pk}/optimise/", {"time_limit": limit}, format="json"
    )
    assert response.status_code == 400
    assert "time_limit" in response.json()["details"]
    assert not SolverRun.objects.exists()


def test_it_publishes_then_lines_see_only_their_own_berths(
    planner_client, agent_a_client, draft, visits
):
    _run(
        SolverRun.objects.create(
            terminal=draft.terminal,
            kind="berthing.optimise",
            params={"plan_id": draft.pk, "time_limit": 3},
        )
    )
    response = planner_client.post(
        f"/api/v1/berth-plans/{draft.pk}/publish/", HTTP_IF_MATCH=_etag(draft)
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published"

    mine = agent_a_client.get("/api/v1/berth-schedule/mine/").json()
    assert sorted(m["visit"]["vessel"] for m in mine) == ["ALPHA", "CHARLIE"]
    public = agent_a_client.get("/api/v1/berth-schedule/").json()
    assert sorted(p["vessel"] for p in public) == ["ALPHA", "BRAVO", "CHARLIE"]
    assert "line" not in public[0]
    bravo = BerthAssignment.objects.get(plan=draft, vessel_visit=visits[1])
    assert agent_a_client.get(f"/api/v1/berth-schedule/{bravo.pk}/").status_code == 404


def test_it_keeps_plans_from_agents(agent_a_client, draft):
    assert agent_a_client.get(f"/api/v1/berth-plans/{draft.pk}/").status_code in (403, 404)
    assert agent_a_client.post(
        f"/api/v1/berth-plans/{draft.pk}/optimise/", {}, format="json"
    ).status_code in (403, 404)
    assert not SolverRun.objects.exists()


def test_it_compares_a_draft_with_the_published_plan(planner_client, draft, quay):
    _run(
        SolverRun.objects.create(
            terminal=draft.terminal,
            kind="berthing.optimise",
            params={"plan_id": draft.pk, "time_limit": 3},
        )
    )
    draft.refresh_from_db()
    services.berth_plan_publish(plan=draft, user=None, expected_revision=draft.revision)
    second = planner_client.post("/api/v1/berth-plans/", {"quay": quay.pk}, format="json").json()
    assignment = BerthAssignment.objects.filter(plan_id=second["id"]).order_by("pk").first()
    plan = BerthPlan.objects.get(pk=second["id"])
    planner_client.patch(
        f"/api/v1/berth-assignments/{assignment.pk}/",
        {
            "berth_at": (
                assignment.berth_at.replace(microsecond=0)
                + (assignment.depart_at - assignment.berth_at)
            ).isoformat()
        },
        format="json",
        HTTP_IF_MATCH=_etag(plan),
    )
    body = planner_client.get(f"/api/v1/berth-plans/{plan.pk}/compare/").json()
    assert body["published_id"] == draft.pk
    moved = [v for v in body["vessels"] if v["status"] == "moved"]
    assert [v["visit_id"] for v in moved] == [assignment.vessel_visit_id]
    assert moved[0]["moved_min"] > 0
    assert (
        planner_client.get(f"/api/v1/berth-plans/{plan.pk}/compare/?against=x").status_code == 400
    )


def test_the_job_streams_each_incumbent_once(draft):
    run = SolverRun.objects.create(
        terminal=draft.terminal,
        kind="berthing.optimise",
        params={"plan_id": draft.pk, "time_limit": 3},
    )
    _run(run)
    objectives = list(
        Event.objects.filter(type=jobs.INCUMBENT)
        .order_by("seq")
        .values_list("payload__objective", flat=True)
    )
    assert len(objectives) == len(set(objectives))
