"""Tenant isolation: hauliers see their own appointments and visits, agents their lines',
terminal staff all; someone else's object is a 404 and stays unchanged."""

from __future__ import annotations

from gate.models import Appointment, TruckVisit

APPOINTMENTS = "/api/v1/gate/appointments/"


def test_another_haulier_neither_sees_nor_cancels_an_appointment(
    haulier_client, haulier2_client, clerk_client, make_slot
):
    slot = make_slot()
    mine = haulier_client.post(APPOINTMENTS, {"slot": slot.pk}).json()
    assert haulier2_client.get(APPOINTMENTS).json()["count"] == 0
    assert haulier2_client.get(f"{APPOINTMENTS}{mine['id']}/").status_code == 404
    cancel = haulier2_client.post(f"{APPOINTMENTS}{mine['id']}/cancel/")
    assert cancel.status_code == 404
    assert Appointment.objects.get(pk=mine["id"]).status == "booked"
    slot.refresh_from_db()
    assert slot.booked == 1
    assert clerk_client.get(APPOINTMENTS).json()["count"] == 1


def test_agents_see_pre_advices_of_their_lines_only(
    advise_export, agent_a_client, agent_b_client, haulier2_client
):
    advice = advise_export()
    url = f"/api/v1/gate/pre-advices/{advice['id']}/"
    assert agent_a_client.get(url).status_code == 200
    assert agent_b_client.get(url).status_code == 404
    assert haulier2_client.get(url).status_code == 404
    assert agent_b_client.get("/api/v1/gate/pre-advices/").json()["count"] == 0


def test_truck_visits_and_their_eir_are_visible_to_their_haulier_and_line_only(
    advise_export, book, gate_in, haulier_client, haulier2_client, agent_a_client, agent_b_client
):
    advice, appointment = advise_export(), book()
    visit = gate_in(
        [{"container_number": advice["container_number"], "seals": ["SL1"]}],
        appointment=appointment["reference"],
    ).json()
    url = f"/api/v1/gate/truck-visits/{visit['id']}/"
    assert haulier_client.get(url).status_code == 200
    assert agent_a_client.get(url).status_code == 200
    assert haulier2_client.get(url).status_code == 404
    assert agent_b_client.get(url).status_code == 404
    assert haulier2_client.get(f"{url}eir/").status_code == 404
    assert agent_b_client.get("/api/v1/gate/truck-visits/").json()["count"] == 0


def test_hauliers_and_agents_cannot_gate_trucks_in_or_out(
    haulier_client, agent_a_client, lane_in, advise_export
):
    advice = advise_export()
    for client in (haulier_client, agent_a_client):
        response = client.post(
            "/api/v1/gate/truck-visits/gate-in/",
            {"lane": "IN1", "truck_plate": "X", "containers": [advice]},
            format="json",
            HTTP_IDEMPOTENCY_KEY="k",
        )
        assert response.status_code == 403
    assert TruckVisit.objects.count() == 0


def test_an_agent_cannot_book_for_a_line_it_does_not_represent(agent_b_client, line_a, make_slot):
    slot = make_slot()
    response = agent_b_client.post(APPOINTMENTS, {"slot": slot.pk, "line": "LINA"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_line"
    slot.refresh_from_db()
    assert slot.booked == 0
