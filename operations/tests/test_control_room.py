"""The control room's snapshot: the quay with the vessels at berth, the cranes with their queues
and counters, the other equipment, the alarms, and who may read it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from operations import selectors
from operations.models import Equipment, WorkOrder
from tos.core.models import Event

BASE = "/api/v1/operations"
URL = f"{BASE}/control-room/"


@pytest.fixture
def client(operator):
    c = APIClient()
    c.force_authenticate(operator)
    return c


def working_call(scene, client):
    """Three discharges (two in bay 2 for QC01, one in bay 10 for QC02) and one load (bay 10),
    queues built, the call alongside."""
    scene.visit.phase = "working"
    scene.visit.save(update_fields=["phase"])
    scene.discharge_cell(2, 1, 84)
    scene.discharge_cell(2, 1, 82)
    scene.discharge_cell(10, 1, 82)
    scene.load_cell(10, 2, 82, yard=(5, 1, 1))
    assert (
        client.post(f"{BASE}/vessel-visits/{scene.visit.pk}/work-orders/generate/").status_code
        == 201
    )
    r = client.post(f"{BASE}/vessel-visits/{scene.visit.pk}/crane-queues/")
    assert r.status_code == 201, r.json()


def complete_next(scene, client, crane: int, position: dict):
    qc = scene.qc[crane].pk
    job = client.post(f"{BASE}/equipment/{qc}/next/").json()["job"]
    r = client.post(
        f"{BASE}/work-orders/{job['id']}/complete/",
        {"equipment": qc, "position": position},
        format="json",
    )
    assert r.status_code == 200, r.json()
    return job


def test_the_snapshot_shows_the_call_at_berth_its_cranes_counters_queues_and_rates(scene, client):
    working_call(scene, client)
    complete_next(
        scene, client, 0, {"place": "yard", "block": "A01", "bay": 3, "row": 2, "tier": 1}
    )

    with CaptureQueriesContext(connection) as queries:
        snap = selectors.control_room_snapshot(terminal=scene.terminal)
    assert len(queries) <= 16

    assert snap["seq"] == Event.objects.filter(terminal=scene.terminal).count()
    assert snap["yard_map_url"] == "/yard/map/"
    assert [(q["name"], q["length_m"]) for q in snap["quays"]] == [
        ("North", scene.cranes[0].quay.length_m)
    ]
    [vessel] = snap["vessels"]
    assert (vessel["vessel_visit"], vessel["reference"], vessel["phase"]) == (
        scene.visit.pk,
        "OPS-01",
        "working",
    )
    assert (vessel["start_m"], vessel["end_m"], vessel["bays"]) == (0, 320, 10)
    assert vessel["discharge"] == {"done": 1, "total": 3}
    assert vessel["load"] == {"done": 0, "total": 1}
    assert (vessel["done"], vessel["total"]) == (1, 4)
    assert vessel["first_move_at"] is not None
    # One move whose start and completion are the same instant: no span, no rate yet.
    assert vessel["bmph"] is None

    qc1, qc2 = snap["cranes"]
    assert (qc1["name"], qc1["done"], qc1["total"], qc1["moves_last_hour"]) == ("QC01", 1, 2, 1)
    assert (qc2["name"], qc2["done"], qc2["total"], qc2["moves_last_hour"]) == ("QC02", 0, 2, 0)
    assert [m["from"]["tier"] for m in qc1["queue"]] == [82]
    assert [(m["kind"], m["status"]) for m in qc2["queue"]] == [
        ("discharge", "planned"),
        ("load", "planned"),
    ]
    assert (qc1["bay"], qc2["bay"]) == (2, 10)
    # Bays spread evenly over the 320 m hull: bay 2 at 48 m, bay 10 at 304 m.
    assert (qc1["position_m"], qc2["position_m"]) == (48, 304)
    assert (qc1["state"], qc1["job"]) == ("idle", None)

    assert [(e["name"], e["kind"], e["state"]) for e in snap["equipment"]] == [
        ("RTG1", "rtg", "idle"),
        ("SC1", "straddle", "idle"),
        ("SC2", "straddle", "idle"),
    ]
    assert sorted(a["text"] for a in snap["alarms"]) == [
        "QC01 is idle with 1 moves waiting.",
        "QC02 is idle with 2 moves waiting.",
    ]


def test_the_snapshot_lists_a_crane_job_and_an_open_problem_as_an_alarm(scene, client):
    working_call(scene, client)
    qc2 = scene.qc[1].pk
    job = client.post(f"{BASE}/equipment/{qc2}/next/").json()["job"]
    r = client.post(
        f"{BASE}/work-orders/{job['id']}/problem/",
        {"equipment": qc2, "kind": "damaged_box", "note": "door bent"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    job1 = client.post(f"{BASE}/equipment/{scene.qc[0].pk}/next/").json()["job"]

    snap = selectors.control_room_snapshot(terminal=scene.terminal)
    qc1 = snap["cranes"][0]
    assert (qc1["state"], qc1["job"]["work_order"], qc1["job"]["status"]) == (
        "working",
        job1["id"],
        "dispatched",
    )
    problem = [a for a in snap["alarms"] if a["kind"] == "problem"]
    container = WorkOrder.objects.get(pk=job["id"]).container_number
    assert [(a["severity"], a["work_order"], a["text"]) for a in problem] == [
        ("error", job["id"], f"Damaged box: {container} (order {job['id']}, QC02) — door bent")
    ]


def test_a_call_without_a_published_berth_or_work_is_not_on_the_quay(scene, client):
    snap = selectors.control_room_snapshot(terminal=scene.terminal)
    assert snap["vessels"] == []
    assert [(c["name"], c["vessel_visit"], c["done"], c["total"]) for c in snap["cranes"]] == [
        ("QC01", None, 0, 0),
        ("QC02", None, 0, 0),
    ]


def test_the_control_room_api_answers_staff_with_the_snapshot(scene, client):
    working_call(scene, client)
    r = client.get(URL)
    assert r.status_code == 200
    assert r["Cache-Control"] == "no-store"
    body = r.json()
    assert body["seq"] == Event.objects.filter(terminal=scene.terminal).count()
    assert [c["name"] for c in body["cranes"]] == ["QC01", "QC02"]
    assert [v["reference"] for v in body["vessels"]] == ["OPS-01"]


def test_agents_and_anonymous_callers_may_not_read_the_control_room(scene, agent_a_client):
    assert agent_a_client.get(URL).status_code == 403
    assert APIClient().get(URL).status_code in (401, 403)
    assert Equipment.objects.filter(terminal=scene.terminal).count() == 5


def test_the_control_room_page_is_for_staff_and_linked_from_the_operations_page(
    scene, client, operator, agent_a
):
    from django.test import Client

    staff = Client()
    staff.force_login(operator)
    page = staff.get("/operations/control-room/")
    assert page.status_code == 200
    assert b'id="control-room"' in page.content
    assert f'data-terminal="{scene.terminal.pk}"'.encode() in page.content
    assert b'href="/operations/control-room/"' in staff.get("/operations/").content
    agent = Client()
    agent.force_login(agent_a)
    assert agent.get("/operations/control-room/").status_code == 403
    assert b'href="/operations/control-room/"' not in agent.get("/operations/").content


def test_customs_alarms_and_gate_refusals_of_the_last_hours_are_alarms(scene):
    from tos.core.realtime import event_record

    event_record(
        terminal_id=scene.terminal.pk,
        topic="customs",
        type="customs.alarm",
        payload={"kind": "radiation", "container": "MSCU1234565", "alarm_reason": "3.1 x bg"},
    )
    event_record(
        terminal_id=scene.terminal.pk,
        topic="gate",
        type="truck.refused",
        payload={"truck_plate": "RT-204-K", "reason_messages": ["No booking for the box."]},
    )
    event_record(terminal_id=scene.terminal.pk, topic="gate", type="truck.gate_in", payload={})
    snap = selectors.control_room_snapshot(terminal=scene.terminal)
    assert [(a["kind"], a["severity"], a["text"]) for a in snap["alarms"]] == [
        ("truck.refused", "warning", "Gate refused truck RT-204-K: No booking for the box."),
        ("customs.alarm", "error", "Customs radiation alarm on MSCU1234565: 3.1 x bg"),
    ]
