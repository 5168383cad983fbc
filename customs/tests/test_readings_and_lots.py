"""Sensor ingestion (strict payloads, batches all or none, idempotency) and bulk lots inspected
in step with their discharge."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from customs import services
from customs.models import Decision, InspectionCase, LotWindow, RiskAssessment, SensorReading
from customs.tests.conftest import reading
from tos.core.models import Event, Hold

pytestmark = pytest.mark.django_db

RADIATION = {"gross_cps": 310.0, "background_cps": 300.0}


def nir(start_minutes_ago: int, values: dict, tonnes: float = 2000.0) -> dict:
    start = timezone.now() - dt.timedelta(minutes=start_minutes_ago)
    return {
        "window_start": start.isoformat(),
        "window_end": (start + dt.timedelta(minutes=10)).isoformat(),
        "tonnes": tonnes,
        "values": values,
    }


ORE_OK = {"Fe": 62.1, "SiO2": 4.4, "Al2O3": 2.2, "moisture": 8.7}
ORE_OFF = {"Fe": 52.0, "SiO2": 14.5, "Al2O3": 2.2, "moisture": 8.7}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "gamma"}, "kind"),
        ({"payload": {"gross_cps": -1, "background_cps": 300}}, "payload.gross_cps"),
        ({"payload": {"gross_cps": 1, "background_cps": 300, "extra": 1}}, "payload.extra"),
        ({"payload": {"background_cps": 300}}, "payload.gross_cps"),
        ({"payload": {"gross_cps": "lots", "background_cps": 300}}, "payload.gross_cps"),
        (
            {"payload": {"gross_cps": 1, "background_cps": 3, "gamma_spectrum": {"k 40": 1}}},
            "payload.gamma_spectrum",
        ),
        ({"payload": [1, 2]}, "payload"),
        ({"taken_at": "yesterday"}, "taken_at"),
        ({"sensor_id": ""}, "sensor_id"),
        ({"external_id": "x" * 65}, "external_id"),
        ({"container": "NOPE1234567"}, "container"),
        ({"kind": "nir"}, "container"),
        ({"lot": "LOT-ORE-1"}, "container"),
        ({"kind": "seal", "payload": {"event": "door_ajar"}}, "payload.event"),
        ({"kind": "xray", "payload": {"anomaly": True, "score": 1.5}}, "payload.score"),
        (
            {"kind": "image", "payload": {"detections": [{"frame": 1, "label": "gun"}]}},
            "payload.detections.0.confidence",
        ),
    ],
)
def test_a_bad_reading_is_refused_naming_the_field_and_nothing_is_written(
    terminal, lodged, post_reading, iron_ore_lot, change, field
):
    _, unit = lodged()
    body = reading("radiation", container=unit.container.number, payload=RADIATION) | change
    events = Event.objects.count()
    assessments = RiskAssessment.objects.count()
    response = post_reading(body)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["details"], response.json()
    assert SensorReading.objects.count() == 0
    assert (Event.objects.count(), RiskAssessment.objects.count()) == (events, assessments)


def test_a_batch_with_one_bad_reading_writes_none_and_names_the_item(
    terminal, lodged, post_reading
):
    _, unit = lodged()
    good = reading("radiation", container=unit.container.number, payload=RADIATION)
    bad = reading("radiation", container=unit.container.number, payload={"gross_cps": 1})
    response = post_reading({"readings": [good, good | {"external_id": "b"}, bad]})
    assert response.status_code == 400
    assert "readings[2].payload.background_cps" in response.json()["details"]
    assert SensorReading.objects.count() == 0


def test_a_batch_over_the_limit_is_refused(terminal, lodged, post_reading):
    _, unit = lodged()
    one = reading("radiation", container=unit.container.number, payload=RADIATION)
    response = post_reading({"readings": [one | {"external_id": f"e{i}"} for i in range(501)]})
    assert response.status_code == 400
    assert "readings" in response.json()["details"]
    assert SensorReading.objects.count() == 0


def test_a_reading_sent_twice_is_stored_once_and_other_content_is_a_conflict(
    terminal, lodged, post_reading
):
    _, unit = lodged()
    body = reading("radiation", container=unit.container.number, payload=RADIATION, ext="P1")
    first = post_reading(body)
    again = post_reading(body)
    other = post_reading(body | {"payload": {"gross_cps": 999.0, "background_cps": 300.0}})
    assert (first.status_code, first.json()["created"]) == (201, 1)
    assert (again.status_code, again.json()["created"], again.json()["replayed"]) == (200, 0, 1)
    assert (other.status_code, other.json()["code"]) == (409, "reading_conflict")
    assert list(other.json()["details"]) == ["external_id"]
    assert SensorReading.objects.count() == 1


def test_a_batch_is_assessed_once_per_subject(terminal, lodged, post_reading):
    _, unit = lodged()
    before = RiskAssessment.objects.filter(unit=unit).count()
    batch = [
        reading("radiation", container=unit.container.number, payload=RADIATION) for _ in range(20)
    ]
    response = post_reading({"readings": batch})
    assert (response.status_code, response.json()["created"]) == (201, 20)
    assert RiskAssessment.objects.filter(unit=unit).count() == before + 1
    assert Event.objects.filter(type="customs.reading").count() == 20


def test_only_customs_users_post_or_read_readings(terminal, lodged, agent_a_client, planner_client):
    _, unit = lodged()
    body = reading("radiation", container=unit.container.number, payload=RADIATION)
    for client in (agent_a_client, planner_client):
        posted = client.post("/api/v1/customs/readings/", body, format="json")
        listed = client.get("/api/v1/customs/readings/")
        assert (posted.status_code, listed.status_code) == (403, 403)
    assert SensorReading.objects.count() == 0


def test_an_ore_lot_with_matching_nir_clears_only_when_the_last_part_is_ashore(
    terminal, iron_ore_lot, post_reading, officer, officer_client
):
    lot = iron_ore_lot
    now = timezone.now()
    windows = [
        reading("nir", lot=lot.reference, payload=nir(60 - 10 * i, ORE_OK)) for i in range(3)
    ]
    assert post_reading({"readings": windows}).status_code == 201
    services.bulk_lot_progress(
        lot=lot,
        tonnage=Decimal("30000"),
        started_at=now - dt.timedelta(hours=6),
        ended_at=now - dt.timedelta(hours=3),
    )
    lot.refresh_from_db()
    assert (lot.status, lot.discharge_pct, lot.cleared_at) == ("discharging", 50.0, None)
    services.bulk_lot_progress(
        lot=lot,
        tonnage=Decimal("30000"),
        started_at=now - dt.timedelta(hours=3),
        ended_at=now,
        last=True,
    )
    lot.refresh_from_db()
    decision = Decision.objects.get(lot=lot)
    assert (lot.status, lot.discharge_pct) == ("cleared", 100.0)
    assert lot.discharge_completed_at == now
    assert (decision.action, decision.source) == ("release", "system")
    assert LotWindow.objects.filter(lot=lot).count() == 2


def test_an_ore_lot_off_its_declared_composition_is_queued_and_not_cleared_before_discharge(
    terminal, iron_ore_lot, post_reading, officer_client
):
    lot = iron_ore_lot
    response = post_reading(reading("nir", lot=lot.reference, payload=nir(30, ORE_OFF)))
    case = InspectionCase.objects.get(lot=lot)
    early = officer_client.post(
        f"/api/v1/customs/cases/{case.pk}/decide/",
        {"action": "release", "reason": "Looks fine"},
        format="json",
    )
    lot.refresh_from_db()
    assert response.json()["readings"][0]["alarm"] is True
    assert "Fe" in response.json()["readings"][0]["alarm_reason"]
    assert case.assessment.level in ("medium", "high")
    assert (early.status_code, early.json()["code"]) == (409, "lot_not_discharged")
    assert (lot.status, Decision.objects.filter(lot=lot).count()) == ("discharging", 0)

    services.bulk_lot_progress(
        lot=lot,
        tonnage=Decimal("60000"),
        started_at=timezone.now() - dt.timedelta(hours=5),
        ended_at=timezone.now(),
        last=True,
    )
    lot.refresh_from_db()
    assert lot.status == "discharged"  # the case is open: the officer decides, not the engine
    released = officer_client.post(
        f"/api/v1/customs/cases/{case.pk}/decide/",
        {"action": "release", "reason": "Lab assay within contract tolerance"},
        format="json",
    )
    lot.refresh_from_db()
    assert released.status_code == 201
    assert (lot.status, lot.cleared_at is not None) == ("cleared", True)


def test_lot_progress_through_the_api_refuses_overlapping_windows(
    terminal, iron_ore_lot, operator_client
):
    now = timezone.now()
    url = f"/api/v1/customs/lots/{iron_ore_lot.pk}/progress/"
    first = operator_client.post(
        url,
        {
            "tonnage": "1000",
            "started_at": (now - dt.timedelta(hours=2)).isoformat(),
            "ended_at": (now - dt.timedelta(hours=1)).isoformat(),
        },
        format="json",
    )
    overlap = operator_client.post(
        url,
        {
            "tonnage": "1000",
            "started_at": (now - dt.timedelta(minutes=90)).isoformat(),
            "ended_at": now.isoformat(),
        },
        format="json",
    )
    iron_ore_lot.refresh_from_db()
    assert (first.status_code, first.json()["discharged_tonnage"]) == (200, "1000.0")
    assert (overlap.status_code, list(overlap.json()["details"])) == (400, ["started_at"])
    assert iron_ore_lot.discharged_tonnage == Decimal("1000.0")


def test_a_quiet_reading_on_an_undeclared_box_opens_no_case_but_an_alarm_does(
    terminal, make_unit, post_reading
):
    unit = make_unit()
    quiet = post_reading(reading("radiation", container=unit.container.number, payload=RADIATION))
    assert quiet.status_code == 201
    assert InspectionCase.objects.filter(unit=unit).count() == 0
    assert list(Hold.objects.filter(unit=unit).values_list("reference", flat=True)) == []
    hot = {"gross_cps": 2400.0, "background_cps": 300.0, "gamma_spectrum": {"Co60": 1900.0}}
    post_reading(reading("radiation", container=unit.container.number, payload=hot))
    case = InspectionCase.objects.get(unit=unit)
    assert case.assessment.level == "high"
    assert list(Hold.objects.filter(unit=unit).values_list("reference", flat=True)) == [
        f"INSP-{case.pk}"
    ]


def test_the_queue_is_ranked_filterable_and_paginated(
    terminal, lodged, post_reading, officer_client
):
    door = {"event": "door_open", "seal_number": "SEAL1"}
    units = [lodged()[1] for _ in range(3)]
    for unit in units[:2]:
        post_reading(reading("seal", container=unit.container.number, payload=door))
    post_reading(
        reading(
            "radiation",
            container=units[2].container.number,
            payload={
                "gross_cps": 2400.0,
                "background_cps": 300.0,
                "gamma_spectrum": {"Cs137": 1900.0},
            },
        )
    )
    page1 = officer_client.get("/api/v1/customs/cases/?page_size=2").json()
    page2 = officer_client.get("/api/v1/customs/cases/?page_size=2&page=2").json()
    high = officer_client.get("/api/v1/customs/cases/?level=high&subject=unit").json()
    lots = officer_client.get("/api/v1/customs/cases/?subject=lot").json()
    bad = officer_client.get("/api/v1/customs/cases/?level=extreme")
    ranked = [r["container"] for r in page1["results"] + page2["results"]]
    assert page1["count"] == 3
    assert ranked == [
        units[2].container.number,
        units[0].container.number,
        units[1].container.number,
    ]
    assert high["count"] == 3
    assert lots["count"] == 0
    assert (bad.status_code, list(bad.json()["details"])) == (400, ["level"])
