"""The gate screen's snapshot and the pre-gate arrival that queues a truck."""

from __future__ import annotations

from gate.models import Appointment
from tos.core.models import Event

SCREEN = "/api/v1/gate/screen/"
APPOINTMENTS = "/api/v1/gate/appointments/"


def test_a_truck_that_reports_at_the_pre_gate_is_queued_once(haulier_client, clerk_client, book):
    appointment = book()
    response = haulier_client.post(
        f"{APPOINTMENTS}{appointment['id']}/arrive/", {"truck_plate": "gt-77-aa"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["arrived_at"] is not None
    assert response.json()["truck_plate"] == "GT-77-AA"
    again = haulier_client.post(f"{APPOINTMENTS}{appointment['id']}/arrive/")
    assert again.json()["arrived_at"] == response.json()["arrived_at"]
    assert Event.objects.filter(type="appointment.arrived").count() == 1
    queue = clerk_client.get(SCREEN).json()["queue"]
    assert [(q["reference"], q["truck_plate"]) for q in queue] == [
        (appointment["reference"], "GT-77-AA")
    ]


def test_arriving_outside_the_check_in_window_is_409_and_changes_nothing(haulier_client, book):
    appointment = book(hours=5)
    response = haulier_client.post(f"{APPOINTMENTS}{appointment['id']}/arrive/")
    assert response.status_code == 409
    assert response.json()["code"] == "appointment_window"
    assert Appointment.objects.get(pk=appointment["id"]).arrived_at is None


def test_the_snapshot_has_lanes_visits_and_the_seq_it_reflects(
    clerk_client, advise_export, book, gate_in, terminal, lane_in, lane_out
):
    advice, appointment = advise_export(), book()
    visit = gate_in(
        [{"container_number": advice["container_number"], "seals": ["SL1"]}],
        appointment=appointment["reference"],
    ).json()
    terminal.refresh_from_db()
    snap = clerk_client.get(SCREEN).json()
    assert snap["seq"] == terminal.event_seq
    assert [lane["name"] for lane in snap["lanes"]] == ["IN1", "OUT1"]
    [row] = snap["visits"]
    assert row["id"] == visit["id"]
    assert (row["status"], row["lane"], row["decided_by"]) == ("accepted", "IN1", "system")
    assert row["containers"] == [advice["container_number"]]
    event = Event.objects.get(type="truck.gate_in")
    assert {k: v for k, v in event.payload.items() if k != "by"} == row


def test_the_snapshot_is_for_terminal_staff_only(agent_a_client, haulier_client):
    assert agent_a_client.get(SCREEN).status_code == 403
    assert haulier_client.get(SCREEN).status_code == 403


def test_the_gate_page_is_the_live_screen_for_staff_and_the_overview_for_agents(
    clerk, agent_a, client
):
    client.force_login(clerk)
    page = client.get("/gate/").content.decode()
    assert 'src="/static/js/gate_screen.js"' in page
    client.force_login(agent_a)
    page = client.get("/gate/").content.decode()
    assert "gate_screen.js" not in page
    assert "Units expected by truck" in page
