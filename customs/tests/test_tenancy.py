"""Who sees what: customs officers the evidence; agents their own lines' hold/release status;
hauliers only whether their pick-up is released."""

from __future__ import annotations

import pytest

from customs.models import InspectionCase
from customs.tests.conftest import client_for, lodge, reading
from gate.choices import TransactionType
from gate.models import PreAdvice

pytestmark = pytest.mark.django_db

DOOR_OPEN = {"event": "door_open", "seal_number": "SEAL1"}


@pytest.fixture
def held_unit(terminal, lodged, post_reading):
    _, unit = lodged()
    post_reading(reading("seal", container=unit.container.number, payload=DOOR_OPEN))
    return unit


def test_an_agent_sees_its_own_lines_status_and_another_lines_box_is_404(
    terminal, held_unit, agent_a_client, agent_b_client
):
    number = held_unit.container.number
    own = agent_a_client.get(f"/api/v1/customs/status/?container={number}")
    other = agent_b_client.get(f"/api/v1/customs/status/?container={number}")
    body = own.json()
    assert own.status_code == 200
    assert (body["container"], body["customs_released"], body["line"]) == (number, False, "LINA")
    assert [h["blocks"] for h in body["holds"]] == [["gate_out", "loading", "delivery"]]
    assert "score" not in str(body)
    assert (other.status_code, other.json()["code"]) == (404, "not_found")


def test_agents_never_see_the_queue_evidence_or_decisions(
    terminal, held_unit, agent_a_client, planner_client
):
    case = InspectionCase.objects.get(unit=held_unit)
    for client in (agent_a_client, planner_client):
        for url in (
            "/api/v1/customs/cases/",
            f"/api/v1/customs/cases/{case.pk}/",
            "/api/v1/customs/decisions/",
            "/api/v1/customs/snapshot/",
            "/api/v1/customs/lots/",
        ):
            assert client.get(url).status_code in (403, 404), url
        decided = client.post(
            f"/api/v1/customs/cases/{case.pk}/decide/",
            {"action": "release", "reason": "please"},
            format="json",
        )
        assert decided.status_code in (403, 404)
    case.refresh_from_db()
    assert case.status == "open"


def test_an_agent_lists_only_its_own_lines_declarations(
    terminal, make_unit, line_b, agent_a_client, agent_b_client
):
    mine = lodge(terminal, [make_unit()])
    theirs = lodge(terminal, [make_unit(line=line_b)])
    a = [
        d["reference"]
        for d in agent_a_client.get("/api/v1/customs/declarations/").json()["results"]
    ]
    b_detail = agent_b_client.get(f"/api/v1/customs/declarations/{mine.pk}/")
    assert a == [mine.reference]
    assert theirs.reference not in a
    assert b_detail.status_code == 404


def test_customs_events_carry_no_line_so_agents_do_not_receive_evidence(
    terminal, held_unit, agent_a_client
):
    events = agent_a_client.get("/api/v1/events/?after=0").json()["results"]
    types = {e["type"] for e in events}
    assert "hold.applied" in types
    assert not any(t.startswith("customs.") for t in types)


def test_a_haulier_sees_only_whether_its_pick_up_is_released(terminal, held_unit, haulier):
    PreAdvice.objects.create(
        terminal=terminal,
        transaction_type=TransactionType.PICK_UP_IMPORT,
        organisation=haulier.organisation,
        line=held_unit.line,
        unit=held_unit,
        container_number=held_unit.container.number,
    )
    client = client_for(haulier)
    number = held_unit.container.number
    mine = client.get(f"/api/v1/customs/status/?container={number}")
    other = client.get("/api/v1/customs/status/?container=MSCU1234565")
    bad = client.get("/api/v1/customs/status/?container=nope")
    assert (mine.status_code, mine.json()) == (
        200,
        {"container": number, "customs_released": False},
    )
    assert other.status_code == 404
    assert (bad.status_code, list(bad.json()["details"])) == (400, ["container"])


def test_an_agent_cannot_lodge_for_another_lines_box(terminal, make_unit, line_b, agent_a_client):
    theirs = make_unit(line=line_b)
    body = {
        "reference": "DECX1",
        "kind": "import",
        "declarant": "Shipper",
        "goods_description": "tiles",
        "hs_code": "690721",
        "origin_country": "ES",
        "containers": [theirs.container.number],
    }
    response = agent_a_client.post("/api/v1/customs/declarations/", body, format="json")
    assert (response.status_code, list(response.json()["details"])) == (400, ["containers[0]"])
    assert not theirs.holds.exists()
