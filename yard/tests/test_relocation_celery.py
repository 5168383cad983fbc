"""A relocation job through the real Celery path (Redis broker, a worker thread consuming the
``solvers`` queue, never eager mode): the API queues it, the worker solves, checks and plans the
moves, and confirming them in order leaves a bay whose retrievals need no further relocation
(BRP) or that is sorted (pre-marshalling)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from tos.core.choices import UnitCategory
from tos.core.models import Event, SolverRun
from tos.core.tests.factories import VesselVisitFactory
from tos.core.tests.test_celery_path import _finished, _wait_for, broker, running_worker
from yard import relocation, services
from yard.models import YardOccupancy

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

URL = "/api/v1/yard/relocation-jobs/"
__all__ = ["broker"]  # the fixture, imported for pytest


def fill(block, bay, rows):
    for r, units in enumerate(rows):
        for t, unit in enumerate(units):
            services.yard_unit_place(unit=unit, block=block, bay=bay, row=r + 1, tier=t + 1)


def layout(block, bay) -> list[list[int]]:
    return relocation.relocation_bay(block=block, bay=bay).layout


def confirm_in_order(client, job: dict) -> None:
    """Confirm each planned move through the API (with an Idempotency-Key) when its step
    comes; a BRP retrieval takes the box out of the yard, which is refused unless it is on
    top: so every retrieval needs no relocation beyond the planned ones."""
    for step in job["steps"]:
        if step["kind"] == "relocate":
            response = client.post(
                f"/api/v1/yard/moves/{step['move']}/confirm/",
                HTTP_IDEMPOTENCY_KEY=f"confirm-{step['move']}",
            )
            assert response.status_code == 200, response.content
            assert response.json()["status"] == "confirmed"
        else:
            unit = YardOccupancy.objects.get(unit_id=step["unit"], valid_to__isnull=True).unit
            services.yard_unit_remove(unit=unit)


def test_relocation_jobs_travel_the_real_celery_path_to_moves_that_empty_and_sort_the_bays(
    broker, planner_client, terminal, dry, make_unit, line_a
):
    now = timezone.now()
    visits = [
        VesselVisitFactory(terminal=terminal, line=line_a, eta=now + dt.timedelta(days=d))
        for d in (1, 2, 3)
    ]
    # BRP, bay 3: the first box to leave is buried under two others.
    first, second, third = (make_unit() for _ in range(3))
    other, last = make_unit(), make_unit()
    fill(dry, 3, [[first, third, other], [second], [last]])
    order = [first, second, third, last]
    # Pre-marshalling, bay 5: departures 1..3 stacked against their order.
    export = [make_unit(category=UnitCategory.EXPORT, outbound_visit=v) for v in visits]
    fill(dry, 5, [[export[0], export[2]], [export[1], make_unit()], [make_unit()]])

    with running_worker(broker) as outcomes:
        brp_job = planner_client.post(
            URL,
            {
                "block": "A01",
                "bay": 3,
                "kind": "brp",
                "retrieval_order": [u.container.number for u in order],
                "time_limit": 5,
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY="brp-bay-3",
        )
        pm_job = planner_client.post(
            URL,
            {"block": "A01", "bay": 5, "kind": "premarshalling", "time_limit": 2},
            format="json",
            HTTP_IDEMPOTENCY_KEY="pm-bay-5",
        )
        assert (brp_job.status_code, pm_job.status_code) == (202, 202), pm_job.content
        ids = [brp_job.json()["id"], pm_job.json()["id"]]
        for run_id in ids:
            run = _wait_for(lambda run_id=run_id: _finished(run_id), what=f"run {run_id}")
            assert run.status == "succeeded", run.error
        _wait_for(lambda: len(outcomes) == 2, timeout=10, what="both postrun signals")

    assert sorted((o["run_id"], o["retval"], o["eager"], o["queue"]) for o in outcomes) == [
        (ids[0], "succeeded", False, "solvers"),
        (ids[1], "succeeded", False, "solvers"),
    ]
    brp = planner_client.get(f"{URL}{ids[0]}/").json()
    pm = planner_client.get(f"{URL}{ids[1]}/").json()
    for job in (brp, pm):
        assert (job["status"], job["progress"]) == ("succeeded", 1.0)
        assert job["objective"] == len(job["moves"]) >= 1
        assert job["bound"] <= job["objective"]
        assert [m["sequence"] for m in job["moves"]] == list(range(1, len(job["moves"]) + 1))
        assert all(m["status"] == "planned" for m in job["moves"])
        progress = [
            e.type
            for e in Event.objects.filter(topic="solver_runs", payload__id=job["id"]).order_by(
                "seq"
            )
        ]
        assert progress[:2] == ["solver_run.queued", "solver_run.started"]
        assert progress[-1] == "solver_run.succeeded"
        assert "solver_run.progress" in progress

    assert [s["unit"] for s in brp["steps"] if s["kind"] == "retrieve"] == [u.pk for u in order]
    confirm_in_order(planner_client, brp)
    assert [u for s in layout(dry, 3) for u in s] == [other.pk]  # the one box that stays

    groups = dict(SolverRun.objects.get(pk=pm["id"]).params["groups"])
    confirm_in_order(planner_client, pm)
    after = layout(dry, 5)
    assert all(
        groups[upper] <= groups[lower]
        for stack in after
        for lower, upper in itertools.pairwise(stack)
    )
    assert sorted(u for s in after for u in s) == sorted(groups)
