"""Gate-out: holds block it and their release unblocks it; EIR and turn time; pick-up PINs."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from gate.models import TruckVisit
from tos.core.models import ContainerVisit, Hold
from tos.core.services import hold_apply, hold_release

PRE_ADVICES = "/api/v1/gate/pre-advices/"


def advise_pick_up(client, unit):
    response = client.post(
        PRE_ADVICES,
        {
            "transaction_type": "pick_up_import",
            "container_number": unit.container.number,
            "line": "LINA",
            "release_ref": "BL1",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_pick_up_gets_its_pin_at_once_when_no_hold_blocks(haulier_client, import_unit):
    advice = advise_pick_up(haulier_client, import_unit())
    assert len(advice["pin"]) == 8
    assert advice["pending"] == []


def test_a_held_box_gets_no_pin_until_the_hold_is_released(haulier_client, import_unit):
    unit = import_unit()
    hold = hold_apply(unit=unit, kind="line", blocks=["gate_out"], reason="Freight unpaid")
    advice = advise_pick_up(haulier_client, unit)
    assert (advice["pin"], advice["pending"]) == ("", ["Line hold: Freight unpaid"])
    refused = haulier_client.post(f"{PRE_ADVICES}{advice['id']}/issue-pin/")
    assert refused.status_code == 409
    assert refused.json()["code"] == "holds_active"
    assert refused.json()["details"] == {"holds": ["Line hold: Freight unpaid"]}
    hold_release(hold=hold)
    issued = haulier_client.post(f"{PRE_ADVICES}{advice['id']}/issue-pin/")
    assert issued.status_code == 200
    assert len(issued.json()["pin"]) == 8


def test_a_hold_applied_after_gate_in_blocks_gate_out_and_its_release_unblocks_it(
    haulier_client, import_unit, book, gate_in, gate_out
):
    unit = import_unit()
    advice = advise_pick_up(haulier_client, unit)
    appointment = book("pick_up_import")
    visit = gate_in(
        [{"container_number": unit.container.number, "pin": advice["pin"]}],
        appointment=appointment["reference"],
    ).json()
    assert visit["status"] == "accepted", visit
    unit.refresh_from_db()
    assert unit.state == "outbound"

    hold = hold_apply(unit=unit, kind="customs", blocks=["gate_out"], reason="Scan", reference="D7")
    blocked = gate_out(visit["id"])
    assert blocked.status_code == 409
    assert blocked.json()["code"] == "gate_out_blocked"
    assert blocked.json()["details"] == {
        "holds": [f"{unit.container.number}: Customs hold D7: Scan"]
    }
    unit.refresh_from_db()
    assert unit.state == "outbound"
    stored = TruckVisit.objects.get(pk=visit["id"])
    assert (stored.status, stored.gate_out_at, stored.eir_number) == ("accepted", None, "")

    hold_release(hold=hold)
    response = gate_out(visit["id"])
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "departed"
    assert body["eir_number"] == f"EIR{visit['id']:08d}"
    unit.refresh_from_db()
    assert (unit.state, unit.time_out is not None) == ("departed", True)
    assert Hold.objects.filter(unit=unit, released_at__isnull=True).count() == 0


def test_gate_out_records_the_turn_time_and_the_eir_page_shows_the_truck(
    advise_export, book, gate_in, gate_out, clerk_client
):
    advice, appointment = advise_export(), book()
    visit = gate_in(
        [
            {
                "container_number": advice["container_number"],
                "seals": ["SL1"],
                "damage_codes": ["DT"],
            }
        ],
        appointment=appointment["reference"],
    ).json()
    TruckVisit.objects.filter(pk=visit["id"]).update(
        gate_in_at=timezone.now() - dt.timedelta(minutes=23, seconds=5)
    )
    body = gate_out(visit["id"]).json()
    assert body["status"] == "departed"
    assert 1385 <= body["turn_time_s"] <= 1390
    page = clerk_client.get(f"/api/v1/gate/truck-visits/{visit['id']}/eir/")
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert f"Equipment Interchange Receipt EIR{visit['id']:08d}" in html
    assert advice["container_number"] in html
    assert "AB-12-CD" in html
    assert "DT" in html
    assert "no position yet" in html
    # the drop-off box stays in the terminal
    unit = ContainerVisit.objects.get(container__number=advice["container_number"])
    assert unit.state == "inbound"


def test_a_second_gate_out_is_409_and_a_retry_with_the_same_key_replays(
    advise_export, book, gate_in, gate_out
):
    advice, appointment = advise_export(), book()
    visit = gate_in(
        [{"container_number": advice["container_number"], "seals": ["SL1"]}],
        appointment=appointment["reference"],
    ).json()
    first = gate_out(visit["id"], key="o1")
    replay = gate_out(visit["id"], key="o1")
    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    again = gate_out(visit["id"], key="o2")
    assert again.status_code == 409
    assert again.json()["code"] == "not_in_terminal"


def test_a_refused_truck_cannot_gate_out(advise_export, gate_in, gate_out):
    advice = advise_export()
    visit = gate_in([{"container_number": advice["container_number"]}]).json()
    assert visit["status"] == "refused"
    response = gate_out(visit["id"])
    assert response.status_code == 409
    assert response.json()["code"] == "not_in_terminal"
