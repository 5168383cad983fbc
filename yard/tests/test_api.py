"""The yard API: snapshot, blocks and bays, where-is-my-container (agents see only their own
line's boxes), allocation suggestions, yard moves with Idempotency-Key, and bad input."""

from __future__ import annotations

import gzip
import json

import pytest

from tos.core.models import Event
from yard import services
from yard.models import YardMove, YardOccupancy, YardReservation


@pytest.fixture
def stacked(dry, make_unit, line_a, line_b):
    """A01.01.1.1 (line A, 20'), A01.02.2.1 (line B, 40')."""
    a = make_unit("22G1", line=line_a, pod="SGSIN")
    b = make_unit("42G1", line=line_b)
    services.yard_unit_place(unit=a, block=dry, bay=1, row=1, tier=1)
    services.yard_unit_place(unit=b, block=dry, bay=2, row=2, tier=1)
    return a, b


def unchanged():
    return (
        YardOccupancy.objects.count(),
        YardMove.objects.count(),
        YardReservation.objects.count(),
        Event.objects.count(),
    )


def test_the_snapshot_lists_every_box_with_its_seq_and_is_gzipped(planner_client, stacked):
    a, b = stacked
    response = planner_client.get("/api/v1/yard/snapshot/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    body = json.loads(gzip.decompress(response.content))
    assert body["seq"] == Event.objects.order_by("-seq").first().seq
    assert response["X-Yard-Seq"] == str(body["seq"])
    assert body["dicts"]["block"] == ["A01"]
    assert body["columns"][:7] == ["unit", "container", "block_i", "bay", "row", "tier", "size"]
    rows = sorted(body["boxes"])
    line = body["dicts"]["line"]
    assert [(r[1], r[3], r[4], r[5], r[6], line[r[7]]) for r in rows] == [
        (a.container.number, 1, 1, 1, 20, "LINA"),
        (b.container.number, 2, 2, 1, 40, "LINB"),
    ]
    assert body["blocks"][0]["name"] == "A01"


def test_agents_may_not_read_the_snapshot(agent_a_client, stacked):
    response = agent_a_client.get("/api/v1/yard/snapshot/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_where_is_my_container_shows_an_agent_its_own_box_and_404_for_others(
    agent_a_client, stacked
):
    a, b = stacked
    response = agent_a_client.get(f"/api/v1/yard/units/{a.container.number}/")
    assert response.status_code == 200
    body = response.json()
    assert (body["in_yard"], body["position_ref"], body["current"]["position"]) == (
        True,
        "A01.01.1.1",
        "A01.01.1.1",
    )
    response = agent_a_client.get(f"/api/v1/yard/units/{b.container.number}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    listing = agent_a_client.get("/api/v1/yard/units/").json()
    assert [r["container"] for r in listing["results"]] == [a.container.number]
    filtered = agent_a_client.get(f"/api/v1/yard/units/?container={b.container.number}").json()
    assert filtered["results"] == []


def test_where_is_answers_400_for_a_malformed_number(agent_a_client):
    response = agent_a_client.get("/api/v1/yard/units/not-a-box/")
    assert response.status_code == 400
    assert response.json()["details"] == {"container": ["Four letters and seven digits."]}


def test_agents_cannot_see_bays_moves_or_ask_for_allocations(agent_a_client, stacked, dry):
    a, _ = stacked
    before = unchanged()
    assert agent_a_client.get(f"/api/v1/yard/blocks/{dry.pk}/bays/1/").status_code == 403
    assert agent_a_client.get("/api/v1/yard/moves/").status_code == 403
    payload = {"unit": a.pk, "block": "A01", "bay": 5, "row": 1, "tier": 1}
    assert agent_a_client.post("/api/v1/yard/moves/", payload).status_code == 403
    assert agent_a_client.post("/api/v1/yard/allocations/", {"unit": a.pk}).status_code == 403
    assert unchanged() == before
    assert agent_a_client.get("/api/v1/yard/blocks/").json()["results"][0]["name"] == "A01"


def test_the_bay_view_shows_rows_and_tiers(planner_client, stacked, dry):
    body = planner_client.get(f"/api/v1/yard/blocks/{dry.pk}/bays/2/").json()
    assert (body["block"], body["bay"], body["rows"], body["max_tier"]) == ("A01", 2, 4, 4)
    assert [(b["position"], b["size"]) for b in body["boxes"]] == [
        ("A01.01.1.1", 20),
        ("A01.02.2.1", 40),
    ]
    assert planner_client.get(f"/api/v1/yard/blocks/{dry.pk}/bays/99/").status_code == 404


def test_planning_confirming_and_replaying_a_move_through_the_api(planner_client, stacked):
    a, _ = stacked
    response = planner_client.post(
        "/api/v1/yard/moves/",
        {"unit": a.pk, "block": "A01", "bay": 9, "row": 3, "tier": 1, "kind": "shift"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    move = response.json()
    assert (move["status"], move["from"]["position"], move["to"]["position"]) == (
        "planned",
        "A01.01.1.1",
        "A01.09.3.1",
    )
    assert move["reserved_until"] is not None
    url = f"/api/v1/yard/moves/{move['id']}/confirm/"
    first = planner_client.post(url, HTTP_IDEMPOTENCY_KEY="confirm-1")
    assert first.status_code == 200
    assert first.json()["status"] == "confirmed"
    events = Event.objects.count()
    again = planner_client.post(url, HTTP_IDEMPOTENCY_KEY="confirm-1")
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Event.objects.count() == events
    assert YardOccupancy.objects.get(unit=a, valid_to__isnull=True).ref == "A01.09.3.1"
    without_key = planner_client.post(url)
    assert without_key.status_code == 409
    assert without_key.json()["code"] == "move_not_planned"


def test_cancelling_a_move_through_the_api_frees_the_slot(planner_client, stacked):
    a, _ = stacked
    move = planner_client.post(
        "/api/v1/yard/moves/", {"unit": a.pk, "block": "A01", "bay": 9, "row": 3, "tier": 1}
    ).json()
    response = planner_client.post(
        f"/api/v1/yard/moves/{move['id']}/cancel/", {"reason": "crane down"}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_reason"]) == (
        "cancelled",
        "crane down",
    )
    listing = planner_client.get("/api/v1/yard/moves/?status=cancelled").json()
    assert [m["id"] for m in listing["results"]] == [move["id"]]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "unit"),
        ({"unit": "x", "block": "A01", "bay": 1, "row": 1, "tier": 1}, "unit"),
        ({"unit": 10**30, "block": "A01", "bay": 1, "row": 1, "tier": 1}, "unit"),
        ({"unit": 1, "block": "A01", "bay": 0, "row": 1, "tier": 1}, "bay"),
        ({"unit": 1, "block": "A01", "bay": 1, "row": 1, "tier": 1e300}, "tier"),
        ({"unit": 1, "block": "A01", "bay": 1, "row": 1, "tier": 1, "kind": "fly"}, "kind"),
        ({"unit": 1, "block": "A01", "bay": 1, "row": 1, "tier": 1, "minutes": 0}, "minutes"),
        ({"unit": 1, "block": "Z" * 50, "bay": 1, "row": 1, "tier": 1}, "block"),
        ({"unit": 1, "block": "NOPE", "bay": 1, "row": 1, "tier": 1}, "block"),
        ({"unit": 99999, "block": "A01", "bay": 1, "row": 1, "tier": 1}, "unit"),
        ({"unit": 1, "block": "A01", "bay": 2, "row": 1, "tier": 1}, "bay"),
        ({"unit": 1, "block": "A01", "bay": 1, "row": 9, "tier": 1}, "row"),
        ({"unit": 1, "block": "A01", "bay": 1, "row": 1, "tier": 5}, "tier"),
    ],
)
def test_bad_move_input_answers_400_naming_the_field_and_changes_nothing(
    planner_client, stacked, payload, field
):
    a, _ = stacked
    if payload.get("unit") == 1:
        payload = payload | {"unit": a.pk}
    before = unchanged()
    response = planner_client.post("/api/v1/yard/moves/", payload, format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert field in body["details"], body
    assert unchanged() == before


def test_malformed_json_and_unknown_moves_are_4xx(planner_client, stacked):
    before = unchanged()
    response = planner_client.post(
        "/api/v1/yard/moves/", data="{not json", content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "parse_error")
    assert planner_client.post("/api/v1/yard/moves/12345/confirm/").status_code == 404
    assert planner_client.get("/api/v1/yard/moves/?status=bogus").status_code == 400
    assert planner_client.get("/api/v1/yard/units/?page=0").status_code == 400
    assert unchanged() == before


def test_the_allocation_api_explains_its_choice_and_can_reserve_it(planner_client, make_unit, dry):
    unit = make_unit()
    response = planner_client.post(
        "/api/v1/yard/allocations/", {"unit": unit.pk, "origin": "gate", "top": 3}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert len(body["candidates"]) == 3
    assert body["chosen"] == body["candidates"][0]
    assert set(body["chosen"]["components"]) == {"group", "height", "workload", "travel"}
    assert body["move"] is None
    assert YardMove.objects.count() == 0
    reserved = planner_client.post(
        "/api/v1/yard/allocations/", {"unit": unit.pk, "reserve": True}, format="json"
    )
    assert reserved.status_code == 201
    move = reserved.json()["move"]
    assert (move["kind"], move["to"]["position"]) == (
        "discharge",
        reserved.json()["chosen"]["position"],
    )


def test_the_allocation_api_refuses_bad_weights_and_changes_nothing(planner_client, make_unit):
    unit = make_unit()
    before = unchanged()
    for payload, field in [
        ({"unit": unit.pk, "weights": {"bogus": 1}}, "weights"),
        ({"unit": unit.pk, "weights": {"rehandle": 10**9}}, "weights.rehandle"),
        ({"unit": unit.pk, "origin": "sky"}, "origin"),
        ({"unit": unit.pk, "top": 0}, "top"),
        ({"unit": -1}, "unit"),
    ]:
        response = planner_client.post("/api/v1/yard/allocations/", payload, format="json")
        assert response.status_code == 400, payload
        assert field in response.json()["details"], response.json()
    assert unchanged() == before
