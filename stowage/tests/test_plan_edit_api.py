"""The departure-plan edit API: ETag/If-Match, moves refused with every violation, undo, the
check-move dry run, optimise (idempotent) and who may do what."""

from __future__ import annotations

import pytest

from stowage import selectors, services
from stowage.models import PlanCell, PlanEdit, StowagePlan
from stowage.tests.plan_support import ARRIVAL, baplie, feeder_call
from stowage.tests.test_planning import hand_result
from tos.core.models import Event, SolverRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(terminal, line_a, upload, planner):
    call = feeder_call(terminal=terminal, line=line_a)
    response = upload(baplie(locode=terminal.locode), name="tf11.edi", vessel_visit=call.visit.pk)
    assert response.status_code == 201, response.content
    instance, mapping = selectors.plan_instance(call.visit)
    services.departure_plan_from_result(
        visit=call.visit, instance=instance, mapping=mapping, result=hand_result(call), by=planner
    )
    return call


def url(call, tail: str = "") -> str:
    return f"/api/v1/stowage/vessel-visits/{call.visit.pk}/departure-plan/{tail}"


def cells(call) -> dict[str, str]:
    plan = StowagePlan.objects.get(vessel_visit=call.visit, kind="departure")
    return {c.container_number: c.position for c in PlanCell.objects.filter(plan=plan)}


def etag(client, call) -> str:
    response = client.get(url(call))
    assert response.status_code == 200
    assert response["ETag"] == response.json()["etag"]
    return response["ETag"]


def move(client, call, box, to, tag, **headers):
    body = {"box": box, "to": dict(zip(("bay", "row", "tier"), to, strict=True))}
    return client.post(url(call, "moves/"), body, format="json", HTTP_IF_MATCH=tag, **headers)


def test_the_departure_plan_carries_its_revision_as_etag_and_the_planner_summary(
    planner_client, call
):
    response = planner_client.get(url(call))
    plan = StowagePlan.objects.get(kind="departure")
    assert response["ETag"] == f'"stowage-plan-{plan.pk}-r{plan.revision}"'
    body = response.json()
    assert body["summary"]["rotation"] == ["DEHAM", "BEANR"]
    assert [u["reason"] for u in body["summary"]["unplaced"]] == ["no_vgm", "loading_hold"]
    assert body["can_undo"] is False
    assert len(body["cells"]) == 7


def test_a_move_with_the_current_etag_is_applied_with_a_new_revision_and_an_event(
    planner_client, call
):
    tag = etag(planner_client, call)
    box = call.loads["L2"]
    response = move(planner_client, call, box, (5, 2, 82), tag)
    assert response.status_code == 200, response.content
    assert response.json()["revision"] == 2
    assert response["ETag"] != tag
    assert cells(call)[box] == "0050282"
    event = Event.objects.filter(type="stowage.plan_edited").get()
    assert event.payload | {"by": "-"} == {
        "vessel_visit": call.visit.pk,
        "kind": "departure",
        "revision": 2,
        "box": box,
        "from": "0050182",
        "to": "0050282",
        "move": "load",
        "bays": [5],
        "by": "-",
    }


def test_a_stale_if_match_is_412_and_changes_nothing(planner_client, call):
    tag = etag(planner_client, call)
    assert move(planner_client, call, call.loads["L2"], (5, 2, 82), tag).status_code == 200
    before = cells(call)
    response = move(planner_client, call, call.loads["L1"], (1, 1, 4), tag)
    assert response.status_code == 412
    assert response.json()["code"] == "stale_revision"
    assert cells(call) == before
    assert PlanEdit.objects.count() == 1


def test_a_move_without_if_match_is_428(planner_client, call):
    body = {"box": call.loads["L2"], "to": {"bay": 5, "row": 2, "tier": 82}}
    response = planner_client.post(url(call, "moves/"), body, format="json")
    assert response.status_code == 428
    assert response.json()["code"] == "precondition_required"


def test_a_move_that_breaks_a_rule_is_422_with_every_violation_and_changes_nothing(
    planner_client, call
):
    tag = etag(planner_client, call)
    before = cells(call)
    events = Event.objects.count()
    response = move(planner_client, call, call.loads["L1"], (5, 2, 84), tag)  # nothing beneath
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "move_refused"
    assert [(v["code"], v["cell"]) for v in body["details"]["violations"]] == [
        ("floating", "0050284")
    ]
    assert body["message"] == (
        f"{call.loads['L1']} cannot go to 0050284: {call.loads['L1']} at 0050284 has nothing "
        "beneath in 0050284"
    )
    assert cells(call) == before
    assert Event.objects.count() == events
    assert StowagePlan.objects.get(kind="departure").revision == 1


def test_a_move_onto_another_box_is_409_cell_taken(planner_client, call):
    tag = etag(planner_client, call)
    response = move(planner_client, call, call.loads["L2"], ARRIVAL[1][1], tag)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "cell_taken"
    assert "cell_taken" in [v["code"] for v in body["details"]["violations"]]


def test_a_box_staying_on_board_cannot_be_moved(planner_client, call):
    tag = etag(planner_client, call)
    response = move(planner_client, call, ARRIVAL[1][0], (1, 1, 4), tag)
    assert response.status_code == 422
    assert [v["code"] for v in response.json()["details"]["violations"]] == ["remain_moved"]


def test_bad_input_names_the_field(planner_client, call):
    tag = etag(planner_client, call)
    response = planner_client.post(
        url(call, "moves/"),
        {"box": call.loads["L2"], "to": {"bay": 0, "row": 2}},
        format="json",
        HTTP_IF_MATCH=tag,
    )
    assert response.status_code == 400
    assert response.json()["details"] == {
        "to.bay": ["Ensure this value is greater than or equal to 1."],
        "to.tier": ["This field is required."],
    }
    unknown = move(planner_client, call, "ZZZU0000000", (5, 2, 82), tag)
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown_box"
    assert unknown.json()["details"] == {"box": ["ZZZU0000000 is not in the plan."]}


def test_undo_puts_the_last_moved_box_back_and_then_there_is_nothing_to_undo(planner_client, call):
    box = call.loads["L2"]
    assert (
        move(planner_client, call, box, (5, 2, 82), etag(planner_client, call)).status_code == 200
    )
    assert planner_client.get(url(call)).json()["can_undo"] is True
    response = planner_client.post(url(call, "undo/"), HTTP_IF_MATCH=etag(planner_client, call))
    assert response.status_code == 200, response.content
    assert response.json()["revision"] == 3
    assert cells(call)[box] == "0050182"
    last = Event.objects.filter(type="stowage.plan_edited").order_by("-seq").first()
    assert (last.payload["undo"], last.payload["to"]) == (True, "0050182")
    again = planner_client.post(url(call, "undo/"), HTTP_IF_MATCH=etag(planner_client, call))
    assert again.status_code == 409
    assert again.json()["code"] == "nothing_to_undo"


def test_check_move_is_a_dry_run_for_the_drag_preview(planner_client, call):
    before = cells(call)
    ok = planner_client.post(
        url(call, "check-move/"),
        {"box": call.loads["L2"], "to": {"bay": 5, "row": 2, "tier": 82}},
        format="json",
    )
    assert ok.json() == {"ok": True, "violations": []}
    bad = planner_client.post(
        url(call, "check-move/"),
        {"box": call.loads["L3"], "to": {"bay": 4, "row": 1, "tier": 84}},
        format="json",
    )
    body = bad.json()
    assert body["ok"] is False
    assert [(v["code"], v["box"], v["cell"]) for v in body["violations"]] == [
        ("unknown_cell", call.loads["L3"], "0040184")
    ]
    assert "0040184" in body["violations"][0]["message"]
    assert cells(call) == before


def test_an_agent_reads_its_own_lines_plan_but_may_not_edit_it(agent_a_client, call):
    assert agent_a_client.get(url(call)).status_code == 200
    response = move(agent_a_client, call, call.loads["L2"], (5, 2, 82), '"stowage-plan-1-r2"')
    assert response.status_code == 403
    assert cells(call)[call.loads["L2"]] == "0050182"


def test_another_lines_agent_sees_404_for_every_route(agent_b_client, call):
    assert agent_b_client.get(url(call)).status_code == 404
    for tail in ("moves/", "undo/", "check-move/", "optimise/"):
        assert agent_b_client.post(url(call, tail), {}, format="json").status_code == 404


def test_optimise_returns_the_run_and_the_same_idempotency_key_replays_it(planner_client, call):
    body = {"time_limit": 5, "rotation": ["DEHAM", "BEANR"]}
    first = planner_client.post(
        url(call, "optimise/"), body, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert first.status_code == 202, first.content
    run = first.json()
    assert (run["kind"], run["status"]) == ("stowage.plan", "queued")
    assert run["params"] == {
        "visit_id": call.visit.pk,
        "time_limit": 5.0,
        "rotation": ["DEHAM", "BEANR"],
    }
    again = planner_client.post(
        url(call, "optimise/"), body, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert again.status_code == 202
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == run["id"]
    assert SolverRun.objects.count() == 1


def test_optimise_refuses_a_rotation_naming_this_port_or_a_bad_code(planner_client, call, terminal):
    for rotation, message in (
        ([terminal.locode], f"{terminal.locode} is this port, not a later one."),
        (["DEHAM", "DEHAM"], "A port is named twice."),
    ):
        response = planner_client.post(
            url(call, "optimise/"), {"rotation": rotation}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["details"]["rotation"] == [message]
    bad = planner_client.post(url(call, "optimise/"), {"time_limit": 0}, format="json")
    assert bad.status_code == 400
    assert "time_limit" in bad.json()["details"]
    assert SolverRun.objects.count() == 0


def test_optimise_without_a_vessel_profile_is_409(planner_client, terminal, line_b):
    other = feeder_call(terminal=terminal, line=line_b, profile=False)
    response = planner_client.post(
        f"/api/v1/stowage/vessel-visits/{other.visit.pk}/departure-plan/optimise/",
        {},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "no_profile"
    assert SolverRun.objects.count() == 0
