"""The operations API: the equipment client's calls, crane queues with ETag/If-Match, work order
filters and the COARRI download."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from operations.models import CraneQueue, Equipment, WorkOrder
from stowage.models import PlanCell
from tos.core.models import Event
from yard.models import YardOccupancy

BASE = "/api/v1/operations"


@pytest.fixture
def client(operator):
    c = APIClient()
    c.force_authenticate(operator)
    return c


def ship(scene, client):
    units = {
        "deck_high": scene.discharge_cell(2, 1, 84),
        "deck_low": scene.discharge_cell(2, 1, 82),
        "far": scene.discharge_cell(10, 1, 82),
    }
    r = client.post(f"{BASE}/vessel-visits/{scene.visit.pk}/work-orders/generate/")
    assert r.status_code == 201
    assert r.json() == {"discharge": 3, "load": 0, "restow": 0, "existing": 0, "no_unit": 0}
    r = client.post(f"{BASE}/vessel-visits/{scene.visit.pk}/crane-queues/")
    assert r.status_code == 201, r.json()
    return units, r.json()


def test_agents_may_not_use_the_operations_api(scene, agent_a_client):
    assert agent_a_client.get(f"{BASE}/equipment/").status_code == 403
    assert agent_a_client.get(f"{BASE}/work-orders/").status_code == 403


def test_the_equipment_list_shows_kind_state_and_job(scene, client):
    r = client.get(f"{BASE}/equipment/", {"kind": "rtg"})
    assert r.status_code == 200
    rows = r.json()["results"]
    assert [(e["name"], e["kind"], e["state"], e["block"], e["current_job"]) for e in rows] == [
        ("RTG1", "rtg", "idle", "A01", None)
    ]


def test_an_equipment_client_gets_accepts_and_completes_its_job_idempotently(scene, client):
    units, queues = ship(scene, client)
    assert [(q["crane"], q["first_bay"], q["last_bay"], q["total"]) for q in queues] == [
        ("QC01", 2, 2, 2),
        ("QC02", 10, 10, 1),
    ]
    qc1 = scene.qc[0].pk
    r = client.post(f"{BASE}/equipment/{qc1}/next/")
    job = r.json()["job"]
    assert (job["container"], job["status"], job["from"]) == (
        units["deck_high"].container.number,
        "dispatched",
        {"place": "vessel", "bay": 2, "row": 1, "tier": 84},
    )
    r = client.get(f"{BASE}/equipment/{qc1}/jobs/")
    assert r.json()["current"]["id"] == job["id"]
    r = client.post(f"{BASE}/work-orders/{job['id']}/accept/", {"equipment": qc1}, format="json")
    assert r.json()["status"] == "in_progress"

    body = {
        "equipment": qc1,
        "position": {"place": "yard", "block": "A01", "bay": 3, "row": 2, "tier": 1},
    }
    first = client.post(
        f"{BASE}/work-orders/{job['id']}/complete/", body, format="json", HTTP_IDEMPOTENCY_KEY="c-1"
    )
    assert first.status_code == 200, first.json()
    assert (first.json()["status"], first.json()["replayed"]) == ("completed", False)
    assert first.json()["to"] == {"place": "yard", "block": "A01", "bay": 3, "row": 2, "tier": 1}
    events = Event.objects.count()
    replay = client.post(
        f"{BASE}/work-orders/{job['id']}/complete/", body, format="json", HTTP_IDEMPOTENCY_KEY="c-1"
    )
    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    again = client.post(f"{BASE}/work-orders/{job['id']}/complete/", body, format="json")
    assert (again.status_code, again.json()["replayed"]) == (200, True)
    body["position"]["row"] = 3
    moved = client.post(f"{BASE}/work-orders/{job['id']}/complete/", body, format="json")
    assert moved.status_code == 409
    assert moved.json()["code"] == "work_order_completed"
    assert Event.objects.count() == events
    assert YardOccupancy.objects.filter(unit=units["deck_high"]).count() == 1


@pytest.mark.parametrize(
    ("position", "code", "field"),
    [
        (
            {"place": "yard", "block": "Z99", "bay": 3, "row": 1, "tier": 1},
            "unknown_block",
            "position.block",
        ),
        (
            {"place": "yard", "block": "A01", "bay": 3, "row": 1},
            "validation_error",
            "position.tier",
        ),
        (
            {"place": "yard", "block": "A01", "bay": "3", "row": 1, "tier": 1},
            "validation_error",
            "position.bay",
        ),
        ({"place": "vessel", "bay": 2, "row": 1, "tier": 82}, "wrong_place", "position.place"),
        ({"place": "ship"}, "validation_error", "position.place"),
        ("A01.03.1.1", "validation_error", "position"),
    ],
)
def test_a_completion_with_a_bad_position_is_a_400_naming_the_field_and_changes_nothing(
    scene, client, position, code, field
):
    ship(scene, client)
    job = client.post(f"{BASE}/equipment/{scene.qc[0].pk}/next/").json()["job"]
    events = Event.objects.count()
    r = client.post(
        f"{BASE}/work-orders/{job['id']}/complete/",
        {"equipment": scene.qc[0].pk, "position": position},
        format="json",
    )
    assert r.status_code == 400
    assert r.json()["code"] == code
    assert field in r.json()["details"]
    assert WorkOrder.objects.get(pk=job["id"]).status == "dispatched"
    assert Event.objects.count() == events
    assert not PlanCell.objects.filter(confirmed=True).exists()


def test_completing_with_unknown_equipment_is_a_400(scene, client):
    ship(scene, client)
    wo = WorkOrder.objects.first()
    r = client.post(
        f"{BASE}/work-orders/{wo.pk}/complete/",
        {
            "equipment": 99999,
            "position": {"place": "yard", "block": "A01", "bay": 1, "row": 1, "tier": 1},
        },
        format="json",
    )
    assert (r.status_code, r.json()["code"]) == (400, "validation_error")
    assert "equipment" in r.json()["details"]


def test_resequencing_needs_the_queues_etag_and_keeps_the_overstow_rule(scene, client):
    _units, queues = ship(scene, client)
    qc1 = queues[0]
    url = f"{BASE}/crane-queues/{qc1['id']}/resequence/"
    ids = [m["id"] for m in qc1["moves"]]
    assert client.post(url, {"order": ids}, format="json").status_code == 428
    stale = client.post(url, {"order": ids}, format="json", HTTP_IF_MATCH=f'"queue-{qc1["id"]}-r9"')
    assert (stale.status_code, stale.json()["code"]) == (412, "stale_revision")
    bad = client.post(url, {"order": ids[::-1]}, format="json", HTTP_IF_MATCH=qc1["etag"])
    assert (bad.status_code, bad.json()["code"]) == (400, "overstow")
    assert CraneQueue.objects.get(pk=qc1["id"]).revision == 1
    ok = client.post(url, {"order": ids}, format="json", HTTP_IF_MATCH=qc1["etag"])
    assert ok.status_code == 200
    assert ok["ETag"] == f'"queue-{qc1["id"]}-r2"'
    assert ok.json()["revision"] == 2


def test_a_crane_may_take_over_every_move_of_its_neighbour_that_then_has_no_work(scene, client):
    _units, queues = ship(scene, client)
    qc1, qc2 = queues
    order = [m["id"] for m in qc1["moves"]] + [qc2["moves"][0]["id"]]
    # QC02 has no work left once it gives up its only move, so nothing can cross.
    r = client.post(
        f"{BASE}/crane-queues/{qc1['id']}/resequence/",
        {"order": order},
        format="json",
        HTTP_IF_MATCH=qc1["etag"],
    )
    assert r.status_code == 200
    assert (r.json()["first_bay"], r.json()["last_bay"]) == (2, 10)


def test_a_problem_report_answers_201_and_the_order_waits(scene, client):
    ship(scene, client)
    job = client.post(f"{BASE}/equipment/{scene.qc[0].pk}/next/").json()["job"]
    r = client.post(
        f"{BASE}/work-orders/{job['id']}/problem/",
        {"equipment": scene.qc[0].pk, "kind": "wrong_box", "note": "Seal differs"},
        format="json",
    )
    assert r.status_code == 201
    assert (r.json()["kind"], r.json()["work_order"]["status"]) == ("wrong_box", "problem")
    assert Equipment.objects.get(pk=scene.qc[0].pk).current_job_id is None
    r = client.get(f"{BASE}/work-orders/", {"status": "problem"})
    assert [w["id"] for w in r.json()["results"]] == [job["id"]]
    bad = client.post(
        f"{BASE}/work-orders/{job['id']}/problem/",
        {"equipment": scene.qc[0].pk, "kind": "alien"},
        format="json",
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "validation_error")


def test_work_orders_filter_by_kind_crane_and_status(scene, client):
    ship(scene, client)
    r = client.get(f"{BASE}/work-orders/", {"kind": "discharge", "crane": "QC02"})
    assert [w["to"] for w in r.json()["results"]] == [
        {"place": "yard", "block": None, "bay": None, "row": None, "tier": None}
    ]
    assert client.get(f"{BASE}/work-orders/", {"kind": "load"}).json()["results"] == []


def test_coarri_download_holds_the_completed_discharges(scene, client):
    units, _queues = ship(scene, client)
    job = client.post(f"{BASE}/equipment/{scene.qc[0].pk}/next/").json()["job"]
    client.post(
        f"{BASE}/work-orders/{job['id']}/complete/",
        {
            "equipment": scene.qc[0].pk,
            "position": {"place": "yard", "block": "A01", "bay": 1, "row": 1, "tier": 1},
        },
        format="json",
    )
    r = client.get(f"{BASE}/vessel-visits/{scene.visit.pk}/coarri/", {"kind": "discharge"})
    assert r.status_code == 200
    assert r["X-Moves"] == "1"
    text = r.content.decode()
    assert f"EQD+CN+{units['deck_high'].container.number}+" in text
    assert "LOC+147+0020184::5'" in text
    assert (
        client.get(f"{BASE}/vessel-visits/{scene.visit.pk}/coarri/", {"kind": "x"}).status_code
        == 400
    )
    assert client.get(f"{BASE}/vessel-visits/999999/coarri/", {"kind": "load"}).status_code == 404


def test_cancelling_a_dispatched_move_is_refused_and_a_problem_move_frees_its_reserved_slot(
    scene, client
):
    from yard.models import YardMove

    ship(scene, client)
    job = client.post(f"{BASE}/equipment/{scene.qc[0].pk}/next/").json()["job"]
    url = f"{BASE}/work-orders/{job['id']}/cancel/"
    refused = client.post(url, {"reason": "plan changed"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "work_order_not_open")
    client.post(
        f"{BASE}/work-orders/{job['id']}/problem/",
        {"equipment": scene.qc[0].pk, "kind": "damaged_box"},
        format="json",
    )
    r = client.post(url, {"reason": "plan changed"}, format="json")
    assert (r.status_code, r.json()["status"], r.json()["note"]) == (
        200,
        "cancelled",
        "plan changed",
    )
    wo = WorkOrder.objects.get(pk=job["id"])
    assert YardMove.objects.get(pk=wo.yard_move_id).status == "cancelled"
    assert wo.problems.get().resolved_at == wo.cancelled_at


def test_equipment_reports_its_position_and_a_yard_crane_stays_in_its_block(scene, client):
    from yard.tests.factories import YardBlockFactory

    YardBlockFactory(terminal=scene.terminal, name="B02")
    sc = scene.straddles[0].pk
    r = client.post(f"{BASE}/equipment/{sc}/position/", {"block": "A01", "bay": 7}, format="json")
    assert (r.status_code, r.json()["position_block"], r.json()["position_bay"]) == (200, "A01", 7)
    r = client.post(f"{BASE}/equipment/{sc}/position/", {"x_m": 120, "y_m": -40}, format="json")
    assert (r.json()["position_block"], r.json()["x_m"], r.json()["y_m"]) == (None, 120, -40)
    rtg = scene.rtg.pk
    moved = client.post(
        f"{BASE}/equipment/{rtg}/position/", {"block": "B02", "bay": 3}, format="json"
    )
    assert (moved.status_code, moved.json()["code"]) == (400, "validation_error")
    assert "block" in moved.json()["details"]
    far = client.post(
        f"{BASE}/equipment/{rtg}/position/", {"block": "A01", "bay": 99}, format="json"
    )
    assert (far.status_code, list(far.json()["details"])) == (400, ["bay"])
    assert Equipment.objects.get(pk=rtg).position_bay == 1
