"""Truck appointments: booking, moving, cancelling, no-shows and the capacity guarantee."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction

from gate import services
from gate.choices import AppointmentStatus, TransactionType
from gate.models import Appointment, AppointmentSlot
from gate.tests.conftest import client_for, this_hour
from tos.core.choices import Role
from tos.core.models import Event, Organisation
from tos.core.tests.factories import UserFactory

URL = "/api/v1/gate/appointments/"


def test_a_haulier_books_a_place_and_the_slot_counts_it(haulier_client, make_slot):
    slot = make_slot(capacity=2)
    response = haulier_client.post(URL, {"slot": slot.pk, "truck_plate": "ab-12-cd"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "booked"
    assert body["transaction_type"] == "drop_off_export"
    assert body["organisation"] == "HA1"
    assert body["truck_plate"] == "AB-12-CD"
    assert body["reference"].startswith("AP")
    slot.refresh_from_db()
    assert slot.booked == 1
    assert Event.objects.filter(type="appointment.booked").count() == 1


def test_a_full_slot_refuses_with_409_slot_full_and_changes_nothing(haulier_client, make_slot):
    slot = make_slot(capacity=1)
    assert haulier_client.post(URL, {"slot": slot.pk}).status_code == 201
    response = haulier_client.post(URL, {"slot": slot.pk})
    assert response.status_code == 409
    assert response.json()["code"] == "slot_full"
    assert Appointment.objects.count() == 1
    slot.refresh_from_db()
    assert slot.booked == 1


def test_the_database_refuses_booked_above_capacity_even_without_the_service(make_slot):
    slot = make_slot(capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentSlot.objects.filter(pk=slot.pk).update(booked=2)


def test_moving_an_appointment_frees_the_old_place_and_takes_the_new_one(haulier_client, make_slot):
    old, new = make_slot(capacity=1), make_slot(capacity=1, hours=1)
    appointment = haulier_client.post(URL, {"slot": old.pk}).json()
    response = haulier_client.post(f"{URL}{appointment['id']}/move/", {"slot": new.pk})
    assert response.status_code == 200, response.json()
    assert response.json()["slot"] == new.pk
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.booked, new.booked) == (0, 1)


def test_moving_into_a_full_slot_is_refused_and_keeps_the_old_place(haulier_client, make_slot):
    old, full = make_slot(capacity=1), make_slot(capacity=1, hours=1)
    appointment = haulier_client.post(URL, {"slot": old.pk}).json()
    haulier_client.post(URL, {"slot": full.pk})
    response = haulier_client.post(f"{URL}{appointment['id']}/move/", {"slot": full.pk})
    assert response.status_code == 409
    assert response.json()["code"] == "slot_full"
    assert Appointment.objects.get(pk=appointment["id"]).slot_id == old.pk
    old.refresh_from_db()
    assert old.booked == 1


def test_moving_to_a_slot_of_another_transaction_type_is_refused(haulier_client, make_slot):
    old = make_slot()
    other = make_slot(transaction_type=TransactionType.PICK_UP_IMPORT, hours=1)
    appointment = haulier_client.post(URL, {"slot": old.pk}).json()
    response = haulier_client.post(f"{URL}{appointment['id']}/move/", {"slot": other.pk})
    assert response.status_code == 400
    assert response.json()["code"] == "transaction_type_mismatch"


def test_cancelling_frees_the_place_and_a_second_cancel_is_409(haulier_client, make_slot):
    slot = make_slot(capacity=1)
    appointment = haulier_client.post(URL, {"slot": slot.pk}).json()
    response = haulier_client.post(f"{URL}{appointment['id']}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    slot.refresh_from_db()
    assert slot.booked == 0
    again = haulier_client.post(f"{URL}{appointment['id']}/cancel/")
    assert again.status_code == 409
    assert again.json()["code"] == "appointment_not_booked"


def test_no_shows_are_marked_after_the_check_in_window_closed(terminal, haulier, make_slot):
    slot = make_slot(capacity=3, hours=1)
    appointment = services.appointment_book(slot=slot, by=haulier)
    assert services.appointments_mark_no_shows(terminal=terminal) == 0
    later = slot.starts_at + dt.timedelta(hours=1, minutes=31)
    assert services.appointments_mark_no_shows(terminal=terminal, now=later) == 1
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.NO_SHOW
    assert appointment.no_show_at == later


def test_the_no_show_command_runs(terminal, capsys):
    call_command("gate_mark_no_shows")
    assert "0 no-shows marked" in capsys.readouterr().out


def test_a_user_without_a_haulier_or_agent_organisation_cannot_book(terminal, make_slot):
    customs_org = Organisation.objects.create(kind="customs", name="Douane", code="NLCUS")
    user = UserFactory(username="cust", role=Role.AGENT, organisation=customs_org)
    response = client_for(user).post(URL, {"slot": make_slot().pk})
    assert response.status_code == 403
    assert Appointment.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "slot"),
        ({"slot": "x"}, "slot"),
        ({"slot": 10**12}, "slot"),
        ({"slot": 999999}, "slot"),
        ({"slot": None}, "slot"),
    ],
)
def test_bad_booking_input_is_a_400_naming_the_field_and_books_nothing(
    haulier_client, make_slot, body, field
):
    slot = make_slot()
    response = haulier_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["details"]
    assert Appointment.objects.count() == 0
    slot.refresh_from_db()
    assert slot.booked == 0


def test_a_past_slot_cannot_be_booked(haulier_client, terminal):
    slot = services.appointment_slot_set(
        terminal=terminal,
        starts_at=this_hour() - dt.timedelta(hours=3),
        transaction_type=TransactionType.DROP_OFF_EXPORT,
        capacity=5,
    )
    response = haulier_client.post(URL, {"slot": slot.pk})
    assert response.status_code == 409
    assert response.json()["code"] == "slot_past"


def test_appointments_list_is_paginated_and_filters_by_status(haulier_client, make_slot):
    slot = make_slot(capacity=5)
    ids = [haulier_client.post(URL, {"slot": slot.pk}).json()["id"] for _ in range(3)]
    haulier_client.post(f"{URL}{ids[0]}/cancel/")
    body = haulier_client.get(URL, {"status": "booked", "page_size": 1}).json()
    assert body["count"] == 2
    assert len(body["results"]) == 1
    assert haulier_client.get(URL, {"status": "cancelled"}).json()["count"] == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent PostgreSQL")
def test_32_threads_booking_a_slot_of_capacity_5_get_exactly_5_places_and_27_409s(
    transactional_db, terminal, haulier, make_slot
):
    slot = make_slot(capacity=5)
    threads_n = 32
    barrier = threading.Barrier(threads_n)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            client = client_for(haulier)
            barrier.wait(timeout=60)
            response = client.post(
                URL, {"slot": slot.pk}, format="json", HTTP_IDEMPOTENCY_KEY=f"race-{i}"
            )
            result = f"{response.status_code} {response.json().get('code', '')}"
        except Exception as exc:
            result = f"500 {type(exc).__name__}"
        finally:
            connections.close_all()
        with lock:
            outcomes[result] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes == Counter({"201 ": 5, "409 slot_full": 27}), outcomes
    slot.refresh_from_db()
    assert slot.booked == 5
    assert Appointment.objects.filter(slot=slot, status="booked").count() == 5
