"""Gate-in: validation rule by rule with the exact refusal reasons, acceptance with a yard
position (or a clear "no position yet"), and idempotency under retries."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from gate.models import Appointment, GateTransaction, PreAdvice, TruckVisit
from gate.tests.conftest import client_for
from tos.core import codes
from tos.core.models import ContainerVisit
from tos.core.services import hold_apply
from yard.models import YardMove
from yard.tests.factories import YardBlockFactory


def box(advice, **extra):
    return {"container_number": advice["container_number"], "seals": advice["seals"]} | extra


def codes_of(body):
    return [r["code"] for r in body["reasons"]]


def nothing_admitted(advice_id=None, appointment_id=None):
    """The state a refused gate-in must leave: no unit, no yard move, no used pre-advice."""
    assert ContainerVisit.objects.count() == 0
    assert YardMove.objects.count() == 0
    if advice_id:
        assert PreAdvice.objects.get(pk=advice_id).status == "open"
    if appointment_id:
        assert Appointment.objects.get(pk=appointment_id).status == "booked"


def test_an_export_drop_off_with_everything_in_order_is_accepted_with_a_yard_position(
    terminal, advise_export, book, gate_in
):
    YardBlockFactory(terminal=terminal, name="A01", bays=4, rows=2, max_tier=2)
    advice, appointment = advise_export(), book()
    response = gate_in([box(advice)], appointment=appointment["reference"])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "accepted"
    assert body["reasons"] == []
    tx = body["transactions"][0]
    assert tx["accepted"] is True
    assert tx["position_status"] == "allocated"
    assert tx["yard_position"].startswith("A01.")
    move = YardMove.objects.get()
    assert (move.kind, move.status, move.pk) == ("receival", "planned", tx["yard_move"])
    unit = ContainerVisit.objects.get(container__number=advice["container_number"])
    assert (unit.state, unit.position_kind, unit.position_ref) == ("inbound", "truck", "AB-12-CD")
    assert (unit.vgm_kg, unit.booking_ref, unit.seals) == (21000, "BK100", ["SL1"])
    assert PreAdvice.objects.get(pk=advice["id"]).status == "used"
    assert Appointment.objects.get(pk=appointment["id"]).status == "checked_in"


def test_without_a_free_yard_slot_the_box_is_accepted_with_no_position_yet(
    advise_export, book, gate_in
):
    advice, appointment = advise_export(), book()
    body = gate_in([box(advice)], appointment=appointment["reference"]).json()
    assert body["status"] == "accepted"
    tx = body["transactions"][0]
    assert (tx["position_status"], tx["yard_position"], tx["yard_move"]) == (
        "no_position_yet",
        "",
        None,
    )
    assert YardMove.objects.count() == 0


def _refused(response, expected_codes, advice=None, appointment=None):
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "refused"
    assert codes_of(body) == expected_codes
    nothing_admitted(advice and advice["id"], appointment and appointment["id"])
    assert TruckVisit.objects.get(pk=body["id"]).status == "refused"
    return body


def test_a_truck_outside_its_appointment_window_is_refused(advise_export, book, gate_in):
    advice, appointment = advise_export(), book(hours=3)
    body = _refused(
        gate_in([box(advice)], appointment=appointment["reference"]),
        ["appointment_window"],
        advice,
        appointment,
    )
    assert "may check in from" in body["reasons"][0]["message"]


def test_a_truck_without_an_appointment_is_refused(advise_export, gate_in):
    advice = advise_export()
    _refused(gate_in([box(advice)]), ["appointment_missing"], advice)


def test_a_box_without_vgm_is_refused_with_missing_vgm(advise_export, book, gate_in):
    advice, appointment = advise_export(vgm_kg=None), book()
    body = _refused(
        gate_in([box(advice)], appointment=appointment["reference"]),
        ["missing_vgm"],
        advice,
        appointment,
    )
    assert body["reasons"][0] == {
        "code": "missing_vgm",
        "message": f"{advice['container_number']} has no VGM.",
        "container": advice["container_number"],
    }


def test_a_driver_with_another_booking_is_refused_with_booking_mismatch(
    advise_export, book, gate_in
):
    advice, appointment = advise_export(), book()
    _refused(
        gate_in([box(advice, booking_ref="BK999")], appointment=appointment["reference"]),
        ["booking_mismatch"],
        advice,
        appointment,
    )


def test_a_container_number_with_a_wrong_check_digit_is_refused(advise_export, book, gate_in):
    advice, appointment = advise_export(), book()
    number = advice["container_number"]
    wrong = number[:10] + str((int(number[10]) + 1) % 10)
    body = _refused(
        gate_in([{"container_number": wrong}], appointment=appointment["reference"]),
        ["wrong_check_digit"],
        advice,
        appointment,
    )
    expected = codes.container_check_digit(number[:10])
    assert body["reasons"][0]["message"] == (
        f"{wrong}: check digit should be {expected}, not {wrong[10]}."
    )


def test_other_seals_than_advised_are_refused_with_seal_mismatch(advise_export, book, gate_in):
    advice, appointment = advise_export(), book()
    _refused(
        gate_in([box(advice, seals=["SL2"])], appointment=appointment["reference"]),
        ["seal_mismatch"],
        advice,
        appointment,
    )


def test_dangerous_goods_without_un_number_are_refused_with_dg_data_missing(
    advise_export, book, gate_in
):
    advice, appointment = advise_export(imdg_class="3"), book()
    _refused(
        gate_in([box(advice)], appointment=appointment["reference"]),
        ["dg_data_missing"],
        advice,
        appointment,
    )


def test_dg_placards_seen_by_ocr_without_advised_dg_data_are_refused(advise_export, book, gate_in):
    advice, appointment = advise_export(), book()
    _refused(
        gate_in([box(advice, dg_placards=True)], appointment=appointment["reference"]),
        ["dg_data_missing"],
        advice,
        appointment,
    )


def test_a_reefer_without_set_point_is_refused_with_reefer_setpoint_missing(
    advise_export, book, gate_in
):
    advice, appointment = advise_export(iso_type="22R1"), book()
    _refused(
        gate_in([box(advice)], appointment=appointment["reference"]),
        ["reefer_setpoint_missing"],
        advice,
        appointment,
    )


def test_a_pick_up_of_a_held_box_is_refused_with_active_holds(
    haulier_client, import_unit, book, gate_in, planner
):
    unit = import_unit()
    advice = haulier_client.post(
        "/api/v1/gate/pre-advices/",
        {
            "transaction_type": "pick_up_import",
            "container_number": unit.container.number,
            "line": "LINA",
            "release_ref": "BL1",
        },
        format="json",
    ).json()
    hold_apply(unit=unit, kind="customs", blocks=["gate_out"], reason="Scan", reference="D1")
    appointment = book("pick_up_import")
    response = gate_in(
        [{"container_number": unit.container.number, "pin": advice["pin"]}],
        appointment=appointment["reference"],
    )
    body = response.json()
    assert body["status"] == "refused"
    assert codes_of(body) == ["active_holds"]
    assert body["reasons"][0]["message"] == (
        f"{unit.container.number}: gate-out blocked by Customs hold D1: Scan"
    )
    unit.refresh_from_db()
    assert unit.state == "on_terminal"
    assert PreAdvice.objects.get(pk=advice["id"]).status == "open"


def test_every_reason_is_listed_together(advise_export, book, gate_in):
    good = advise_export(
        vgm_kg=None, iso_type="22R1", imdg_class="3", booking_ref="BK1", seals=["A"]
    )
    other = advise_export()
    appointment = book(hours=3)
    wrong = other["container_number"][:10] + str((int(other["container_number"][10]) + 1) % 10)
    response = gate_in(
        [box(good, seals=["B"], booking_ref="BK2"), {"container_number": wrong}],
        appointment=appointment["reference"],
    )
    body = _refused(
        response,
        [
            "appointment_window",
            "booking_mismatch",
            "missing_vgm",
            "dg_data_missing",
            "reefer_setpoint_missing",
            "seal_mismatch",
            "wrong_check_digit",
        ],
        good,
        appointment,
    )
    assert [t["accepted"] for t in body["transactions"]] == [False, False]
    assert [r["container"] for r in body["reasons"]] == [None] + [good["container_number"]] * 5 + [
        wrong
    ]


def test_gate_in_without_idempotency_key_is_428_and_records_nothing(
    clerk_client, lane_in, advise_export
):
    advice = advise_export()
    response = clerk_client.post(
        "/api/v1/gate/truck-visits/gate-in/",
        {"lane": "IN1", "truck_plate": "X1", "containers": [box(advice)]},
        format="json",
    )
    assert response.status_code == 428
    assert response.json()["code"] == "idempotency_key_required"
    assert TruckVisit.objects.count() == 0


def test_a_lane_retrying_gate_in_gets_the_same_visit_and_no_second_move(
    terminal, advise_export, book, gate_in
):
    YardBlockFactory(terminal=terminal, name="A01", bays=4, rows=2, max_tier=2)
    advice, appointment = advise_export(), book()
    first = gate_in([box(advice)], appointment=appointment["reference"], key="lane1-17")
    retries = [
        gate_in([box(advice)], appointment=appointment["reference"], key="lane1-17")
        for _ in range(3)
    ]
    assert first.status_code == 201
    assert [r.status_code for r in retries] == [201, 201, 201]
    assert all(r.json() == first.json() for r in retries)
    assert all(r.headers["Idempotent-Replayed"] == "true" for r in retries)
    assert TruckVisit.objects.count() == 1
    assert YardMove.objects.count() == 1
    assert GateTransaction.objects.count() == 1


def test_the_same_truck_cannot_gate_in_twice_under_another_key(advise_export, book, gate_in):
    advice, appointment = advise_export(), book()
    assert gate_in([box(advice)], appointment=appointment["reference"]).status_code == 201
    again = gate_in([box(advice)], appointment=appointment["reference"])
    assert again.status_code == 409
    assert again.json()["code"] == "truck_in_terminal"
    assert TruckVisit.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent PostgreSQL")
def test_8_simultaneous_retries_of_one_gate_in_create_one_visit_and_no_500(
    transactional_db, terminal, clerk, lane_in, advise_export, book
):
    YardBlockFactory(terminal=terminal, name="A01", bays=4, rows=2, max_tier=2)
    advice, appointment = advise_export(), book()
    barrier = threading.Barrier(8)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def worker() -> None:
        try:
            client = client_for(clerk)
            barrier.wait(timeout=60)
            r = client.post(
                "/api/v1/gate/truck-visits/gate-in/",
                {
                    "lane": "IN1",
                    "truck_plate": "RACE-1",
                    "appointment": appointment["reference"],
                    "containers": [box(advice)],
                },
                format="json",
                HTTP_IDEMPOTENCY_KEY="same-key",
            )
            result = f"{r.status_code} {r.json().get('code', r.json().get('status'))}"
        except Exception as exc:
            result = f"500 {type(exc).__name__}"
        finally:
            connections.close_all()
        with lock:
            outcomes[result] += 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(outcomes) <= {"201 accepted", "409 idempotency_in_progress"}, outcomes
    assert outcomes["201 accepted"] >= 1
    assert TruckVisit.objects.count() == 1
    assert YardMove.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lane": "IN1", "containers": []}, "truck_plate"),
        ({"lane": "IN1", "truck_plate": "X", "containers": "no"}, "containers"),
        ({"lane": "NOPE", "truck_plate": "X", "containers": []}, "lane"),
        (
            {"lane": "IN1", "truck_plate": "X", "containers": [{"container_number": 5}] * 3},
            "containers",
        ),
        ({"lane": "IN1", "truck_plate": "X", "containers": [{"seals": "x"}]}, "containers.0"),
    ],
)
def test_bad_gate_in_input_is_a_400_naming_the_field_and_records_nothing(
    clerk_client, lane_in, body, field
):
    response = clerk_client.post(
        "/api/v1/gate/truck-visits/gate-in/", body, format="json", HTTP_IDEMPOTENCY_KEY="bad"
    )
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "validation_error"
    assert any(k.startswith(field) for k in response.json()["details"]), response.json()
    assert TruckVisit.objects.count() == 0


def test_a_deadlock_victim_answers_409_retry_not_500_and_frees_the_key(
    monkeypatch, advise_export, book, gate_in
):
    from django.db import OperationalError

    from gate import services

    class Deadlock(Exception):
        pgcode = "40P01"

    def victim(**kwargs):
        raise OperationalError("deadlock detected") from Deadlock()

    advice, appointment = advise_export(), book()
    real = services.truck_visit_gate_in
    monkeypatch.setattr(services, "truck_visit_gate_in", victim)
    response = gate_in([box(advice)], appointment=appointment["reference"], key="k-dl")
    assert response.status_code == 409
    assert response.json()["code"] == "retry"
    assert response.headers["Retry-After"] == "1"
    assert TruckVisit.objects.count() == 0
    monkeypatch.setattr(services, "truck_visit_gate_in", real)
    retry = gate_in([box(advice)], appointment=appointment["reference"], key="k-dl")
    assert retry.status_code == 201
    assert retry.json()["status"] == "accepted"
