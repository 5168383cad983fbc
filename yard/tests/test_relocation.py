"""Relocation jobs: one bay's layout solved by the pure solvers, checked, and stored as planned
shift moves in sequence order; the API with bad input, roles and tenants."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from tos.core.choices import Role, UnitCategory
from tos.core.errors import ApplicationError
from tos.core.jobs import RunContext
from tos.core.models import Event, SolverRun
from tos.core.services import solver_run_claim
from tos.core.tasks import solver_run_execute
from tos.core.tests.factories import TerminalFactory, UserFactory, VesselVisitFactory
from yard import jobs, relocation, services
from yard.choices import MoveStatus
from yard.models import YardMove, YardOccupancy, YardReservation
from yard.tests.factories import YardBlockFactory

pytestmark = pytest.mark.django_db


def fill(block, bay, rows):
    """Place ``rows[r]`` (units bottom to top) on row ``r + 1`` of ``bay``."""
    for r, units in enumerate(rows):
        for t, unit in enumerate(units):
            services.yard_unit_place(unit=unit, block=block, bay=bay, row=r + 1, tier=t + 1)


def run_job(run: SolverRun) -> dict:
    """The job as the worker runs it: claim the run, then do its work."""
    assert solver_run_claim(run_id=run.pk)
    return jobs.relocate(RunContext(run_id=run.pk, params=run.params))


def bay_layout(block, bay) -> list[list[int]]:
    return relocation.relocation_bay(block=block, bay=bay).layout


def execute(result: dict, moves: list[YardMove]) -> list[str]:
    """Confirm the planned moves in sequence order and do each BRP retrieval when its step
    comes; returns what happened, step by step."""
    by_pk = {m.pk: m for m in moves}
    log = []
    for step in result["steps"]:
        if step["kind"] == "relocate":
            services.yard_move_confirm(move=by_pk[step["move"]])
            log.append(f"move {step['sequence']}")
        else:
            unit = YardOccupancy.objects.get(unit_id=step["unit"], valid_to__isnull=True).unit
            services.yard_unit_remove(unit=unit)  # refused unless the box is on top
            log.append(f"retrieve {unit.container.number}")
    return log


def sorted_for(layout: list[list[int]], rank: dict[int, int]) -> bool:
    """No box stands above one that leaves earlier."""
    return all(
        rank[upper] <= rank[lower] for stack in layout for lower, upper in itertools.pairwise(stack)
    )


@pytest.fixture
def visits(terminal, line_a):
    now = timezone.now()
    return [
        VesselVisitFactory(terminal=terminal, line=line_a, eta=now + dt.timedelta(days=d))
        for d in (1, 2, 3)
    ]


@pytest.fixture
def bay3(dry, make_unit):
    """Bay 3 of A01: row 1 = a, b, c (bottom to top), row 2 = d; rows 3 and 4 empty."""
    a, b, c, d = (make_unit() for _ in range(4))
    fill(dry, 3, [[a, b, c], [d]])
    return a, b, c, d


# --- service and job ----------------------------------------------------------------------------


def test_a_brp_job_plans_checked_shift_moves_that_dig_out_the_retrieval_order(dry, bay3, planner):
    a, b, c, d = bay3
    run = relocation.yard_relocation_job_start(
        block=dry,
        bay=3,
        kind="brp",
        retrieval_order=[a.container.number, d.container.number],
        time_limit=5,
        by=planner,
    )
    assert run.kind == "yard.relocation"
    assert run.params["layout"] == [[a.pk, b.pk, c.pk], [d.pk], [], []]
    assert run.params["order"] == [a.pk, d.pk]
    assert YardMove.objects.count() == 0  # nothing is planned before the job runs

    result = run_job(run)

    moves = list(YardMove.objects.filter(solver_run=run).order_by("sequence"))
    assert (result["solver_status"], result["objective"], result["bound"]) == ("optimal", 2, 2)
    assert result["checked"] is True
    assert [m.sequence for m in moves] == [1, 2]
    assert [m.unit_id for m in moves] == [c.pk, b.pk]
    assert all(m.status == MoveStatus.PLANNED and m.kind == "shift" for m in moves)
    assert all(m.planned_by == planner for m in moves)
    assert [(m.from_bay, m.from_row, m.from_tier) for m in moves] == [(3, 1, 3), (3, 1, 2)]
    assert all(m.to_bay == 3 and m.to_row != 1 for m in moves)
    assert all("before retrieving " + a.container.number in m.note for m in moves)
    # every target is free now, so each is reserved for its move
    assert {r.move_id for r in YardReservation.objects.all()} == {m.pk for m in moves}
    assert [s["kind"] for s in result["steps"]] == ["relocate", "relocate", "retrieve", "retrieve"]
    planned = Event.objects.filter(type="yard.move_planned").order_by("seq")
    assert [e.payload["move"] for e in planned] == [m.pk for m in moves]

    log = execute(result, moves)

    assert log == [
        "move 1",
        "move 2",
        f"retrieve {a.container.number}",
        "retrieve " + (d.container.number),
    ]
    assert not YardReservation.objects.filter(reserved_until__gt=timezone.now()).exists()
    remaining = {u for stack in bay_layout(dry, 3) for u in stack}
    assert remaining == {b.pk, c.pk}


def test_a_brp_job_without_an_order_takes_boxes_by_departure_and_top_first_on_a_tie(
    dry, make_unit, visits, planner
):
    early, late = visits[0], visits[2]
    low = make_unit(category=UnitCategory.EXPORT, outbound_visit=early)
    high = make_unit(category=UnitCategory.EXPORT, outbound_visit=early)
    stays = make_unit()
    later = make_unit(category=UnitCategory.EXPORT, outbound_visit=late)
    fill(dry, 5, [[low, high], [later, stays]])
    run = relocation.yard_relocation_job_start(block=dry, bay=5, kind="brp", by=planner)
    assert run.params["derived"] is True
    assert run.params["order"] == [high.pk, low.pk, later.pk]
    result = run_job(run)
    moves = list(YardMove.objects.filter(solver_run=run).order_by("sequence"))
    assert result["objective"] == len(moves) == 1
    assert moves[0].unit_id == stays.pk
    execute(result, moves)
    assert [u for stack in bay_layout(dry, 5) for u in stack] == [stays.pk]


def test_a_premarshalling_job_sorts_the_bay_by_departure(dry, make_unit, visits, planner):
    first, second, third = (
        make_unit(category=UnitCategory.EXPORT, outbound_visit=v) for v in visits
    )
    unknown, unknown_2 = make_unit(), make_unit()
    fill(dry, 7, [[first, third], [second, unknown], [unknown_2]])
    run = relocation.yard_relocation_job_start(
        block=dry, bay=7, kind="premarshalling", time_limit=3, by=planner
    )
    groups = dict(run.params["groups"])
    assert groups == {first.pk: 1, second.pk: 2, third.pk: 3, unknown.pk: 4, unknown_2.pk: 4}
    result = run_job(run)
    moves = list(YardMove.objects.filter(solver_run=run).order_by("sequence"))
    assert result["objective"] == len(moves) >= 1
    assert result["bound"] <= result["objective"]
    assert all(s["kind"] == "relocate" for s in result["steps"])
    assert not sorted_for(bay_layout(dry, 7), groups)
    execute(result, moves)
    assert sorted_for(bay_layout(dry, 7), groups)


def test_a_forty_foot_bay_job_moves_only_the_forty_foot_boxes_standing_in_it(
    dry, make_unit, planner
):
    bottom, top = make_unit("42G1"), make_unit("45G1")
    fill(dry, 10, [[bottom, top]])
    run = relocation.yard_relocation_job_start(
        block=dry, bay=10, kind="brp", retrieval_order=[bottom.container.number], by=planner
    )
    result = run_job(run)
    (move,) = YardMove.objects.filter(solver_run=run)
    assert result["objective"] == 1
    assert (move.unit_id, move.from_bay, move.to_bay, move.to_tier) == (top.pk, 10, 10, 1)
    execute(result, [move])
    assert [u for s in bay_layout(dry, 10) for u in s] == [top.pk]


def test_it_refuses_a_bay_that_shares_ground_bays_with_boxes_of_another_size(
    dry, make_unit, planner
):
    twenty, forty = make_unit("22G1"), make_unit("42G1")
    fill(dry, 3, [[twenty]])
    fill(dry, 6, [[], [forty]])  # a 40' over ground bays 5 and 7, next to nothing of bay 3
    services.yard_unit_place(unit=make_unit("22G1"), block=dry, bay=7, row=1, tier=1)
    for bay in (6, 7):
        with pytest.raises(ApplicationError) as exc:
            relocation.yard_relocation_job_start(block=dry, bay=bay, kind="brp", by=planner)
        assert exc.value.code == "bay_mixed_sizes"
        assert "bay" in exc.value.details
    assert not SolverRun.objects.exists()


def test_it_refuses_a_bay_with_planned_work_on_it(dry, bay3, planner):
    a, _, c, _ = bay3
    services.yard_move_plan(unit=c, block=dry, bay=1, row=1, tier=1)
    with pytest.raises(ApplicationError) as exc:
        relocation.yard_relocation_job_start(
            block=dry, bay=3, kind="brp", retrieval_order=[a.container.number]
        )
    assert (exc.value.code, exc.value.status) == ("bay_busy", 409)
    assert not SolverRun.objects.exists()


def test_the_job_fails_with_bay_changed_when_the_bay_moved_while_solving(dry, bay3, planner):
    a, _, c, _ = bay3
    run = relocation.yard_relocation_job_start(
        block=dry, bay=3, kind="brp", retrieval_order=[a.container.number], by=planner
    )
    services.yard_unit_move(unit=c, block=dry, bay=3, row=3, tier=1)
    with pytest.raises(ApplicationError) as exc:
        run_job(run)
    assert (exc.value.code, exc.value.status) == ("bay_changed", 409)
    assert not YardMove.objects.filter(solver_run=run).exists()


def test_saving_a_plan_twice_returns_the_moves_of_the_first(dry, bay3, planner):
    a = bay3[0]
    run = relocation.yard_relocation_job_start(
        block=dry, bay=3, kind="brp", retrieval_order=[a.container.number], by=planner
    )
    run_job(run)
    first = list(YardMove.objects.filter(solver_run=run).order_by("sequence"))
    steps = relocation.plan_steps(run.params["layout"], [("relocate", 0, 1)])
    again = relocation.yard_relocation_plan_save(
        run=run, block=dry, bay=3, layout=run.params["layout"], steps=steps
    )
    assert [m.pk for m in again] == [m.pk for m in first]
    assert YardMove.objects.count() == len(first)


def test_the_job_fails_clearly_when_the_bay_is_too_full_to_dig_out(terminal, make_unit, planner):
    block = YardBlockFactory(terminal=terminal, name="T01", bays=2, rows=2, max_tier=2)
    a, b, c, d = (make_unit() for _ in range(4))
    fill(block, 1, [[a, b], [c, d]])
    run = relocation.yard_relocation_job_start(
        block=block, bay=1, kind="brp", retrieval_order=[a.container.number], time_limit=2
    )
    with pytest.raises(ApplicationError) as exc:
        run_job(run)
    assert exc.value.code == "no_plan"
    assert "too full" in exc.value.message
    assert not YardMove.objects.exists()


# --- API ----------------------------------------------------------------------------------------

URL = "/api/v1/yard/relocation-jobs/"


def unchanged():
    return (SolverRun.objects.count(), YardMove.objects.count(), YardReservation.objects.count())


def test_the_api_queues_a_job_with_202_and_replays_it_for_the_same_idempotency_key(
    planner_client, dry, bay3
):
    a = bay3[0]
    body = {"block": "A01", "bay": 3, "kind": "brp", "retrieval_order": [a.container.number]}
    response = planner_client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="reloc-1")
    assert response.status_code == 202, response.content
    job = response.json()
    assert (job["status"], job["kind"], job["block"], job["bay"]) == ("queued", "brp", "A01", 3)
    assert job["retrieval_order"] == [a.container.number]
    assert job["moves"] == []
    again = planner_client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="reloc-1")
    assert again.status_code == 202
    assert again.json()["id"] == job["id"]
    assert SolverRun.objects.count() == 1


def test_the_api_shows_the_finished_job_with_its_planned_moves_in_order(planner_client, dry, bay3):
    a, b, c, d = bay3
    body = {"block": "A01", "bay": 3, "retrieval_order": [a.container.number, d.container.number]}
    job = planner_client.post(URL, body, format="json").json()
    assert solver_run_execute(job["id"]) == "succeeded"  # the task's body, in this process
    detail = planner_client.get(f"{URL}{job['id']}/").json()
    assert (detail["status"], detail["progress"], detail["objective"], detail["bound"]) == (
        "succeeded",
        1.0,
        2.0,
        2.0,
    )
    assert [m["sequence"] for m in detail["moves"]] == [1, 2]
    assert [m["container"] for m in detail["moves"]] == [c.container.number, b.container.number]
    assert [m["from"]["position"] for m in detail["moves"]] == ["A01.03.1.3", "A01.03.1.2"]
    assert [s["kind"] for s in detail["steps"]][-2:] == ["retrieve", "retrieve"]
    assert detail["steps"][2]["container"] == a.container.number
    listing = planner_client.get(URL).json()
    assert [j["id"] for j in listing["results"]] == [job["id"]]
    assert len(listing["results"][0]["moves"]) == 2


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"block": "A01", "bay": "three"}, 400, "validation_error", "bay"),
        ({"block": "A01", "bay": 3, "kind": "shuffle"}, 400, "validation_error", "kind"),
        (
            {"block": "A01", "bay": 3, "retrieval_order": "ABCU1234567"},
            400,
            None,
            "retrieval_order",
        ),
        (
            {"block": "A01", "bay": 3, "retrieval_order": [12345678901]},
            400,
            None,
            "retrieval_order",
        ),
        ({"block": "A01", "bay": 3, "time_limit": "fast"}, 400, "validation_error", "time_limit"),
        ({"block": "A01", "bay": 3, "time_limit": 0}, 400, "validation_error", "time_limit"),
        ({"block": ["A01"], "bay": 3}, 400, "validation_error", "block"),
        ({"bay": 3}, 400, "validation_error", "block"),
        ({"block": "ZZ9", "bay": 3}, 400, "validation_error", "block"),
        ({"block": "A01", "bay": 21}, 400, "bay_out_of_range", "bay"),
        ({"block": "A01", "bay": 3, "minutes": 0}, 400, "validation_error", "minutes"),
        ({"block": "A01", "bay": 0}, 400, "validation_error", "bay"),
        ({"block": "A01", "bay": 20}, 400, "bay_out_of_range", "bay"),
        ({"block": "A01", "bay": 9}, 400, "bay_empty", "bay"),
        ({"block": "A01", "bay": 3, "retrieval_order": []}, 400, None, "retrieval_order"),
        (
            {"block": "A01", "bay": 3, "retrieval_order": ["MSCU1234565"]},
            400,
            "unknown_container",
            "retrieval_order",
        ),
    ],
)
def test_the_api_refuses_bad_input_naming_the_field_and_changes_nothing(
    planner_client, dry, bay3, body, status, code, field
):
    before = unchanged()
    response = planner_client.post(URL, body, format="json")
    assert response.status_code == status, response.content
    error = response.json()
    if code:
        assert error["code"] == code
    assert field in error["details"]
    assert unchanged() == before


def test_the_api_refuses_duplicate_containers_and_a_container_of_another_bay(
    planner_client, dry, bay3, make_unit
):
    a = bay3[0]
    elsewhere = make_unit()
    fill(dry, 11, [[elsewhere]])
    before = unchanged()
    twice = planner_client.post(
        URL,
        {"block": "A01", "bay": 3, "retrieval_order": [a.container.number, a.container.number]},
        format="json",
    )
    assert twice.status_code == 400
    assert twice.json()["code"] == "duplicate_container"
    assert a.container.number in twice.json()["message"]
    other = planner_client.post(
        URL,
        {"block": "A01", "bay": 3, "retrieval_order": [elsewhere.container.number]},
        format="json",
    )
    assert other.status_code == 400
    assert other.json()["code"] == "unknown_container"
    assert list(other.json()["details"]) == ["retrieval_order"]
    assert unchanged() == before


def test_agents_may_neither_start_nor_read_relocation_jobs(agent_a_client, planner_client, bay3):
    a = bay3[0]
    before = unchanged()
    response = agent_a_client.post(
        URL, {"block": "A01", "bay": 3, "retrieval_order": [a.container.number]}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert unchanged() == before
    job = planner_client.post(
        URL, {"block": "A01", "bay": 3, "retrieval_order": [a.container.number]}, format="json"
    ).json()
    assert agent_a_client.get(URL).status_code == 403
    assert agent_a_client.get(f"{URL}{job['id']}/").status_code == 403


def test_another_terminals_planner_sees_no_job_and_no_block(planner_client, bay3):
    from rest_framework.test import APIClient

    a = bay3[0]
    job = planner_client.post(
        URL, {"block": "A01", "bay": 3, "retrieval_order": [a.container.number]}, format="json"
    ).json()
    other = APIClient()
    other.force_authenticate(
        UserFactory(
            username="elsewhere",
            role=Role.PLANNER,
            terminal=TerminalFactory(code="OTHER", name="Other"),
        )
    )
    assert other.get(URL).json()["results"] == []
    assert other.get(f"{URL}{job['id']}/").status_code == 404
    response = other.post(URL, {"block": "A01", "bay": 3}, format="json")
    assert response.status_code == 400
    assert list(response.json()["details"]) == ["block"]
