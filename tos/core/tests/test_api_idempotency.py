"""``Idempotency-Key`` on state-changing POSTs: one effect per key, replays, reuse, concurrency."""

from __future__ import annotations

import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tos.core import services
from tos.core.choices import IdempotencyState, Role
from tos.core.models import Event, Hold, IdempotencyRecord, Vessel, VesselVisit
from tos.core.tests.factories import HoldFactory, UnitFactory, UserFactory, imo_number

pytestmark = pytest.mark.django_db

VESSELS = "/api/v1/vessels/"
KEY = "3f0c9a1e-order-0001"


def _vessel_body(n: int = 1, **overrides) -> dict[str, object]:
    body = {
        "imo": imo_number(500 + n),
        "name": f"Ever Given {n}",
        "loa_m": "399.94",
        "beam_m": "58.80",
        "max_draft_m": "14.50",
        "teu_capacity": 20124,
    }
    return body | overrides


def _raw(body: dict[str, object]) -> bytes:
    return json.dumps(body).encode()


def _post(client, path: str, body: dict[str, object], key: str | None = KEY):
    """POST the exact bytes of ``body`` (so that a fingerprint can be computed in the test)."""
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(path, _raw(body), content_type="application/json", headers=headers)


def _fingerprint(path: str, body: dict[str, object]) -> str:
    """The request fingerprint as the API computes it: method, path and the raw body."""
    return hashlib.sha256(b"POST " + path.encode() + b"\n" + _raw(body)).hexdigest()


def _counts() -> dict[str, int]:
    return {
        "vessels": Vessel.objects.count(),
        "visits": VesselVisit.objects.count(),
        "holds": Hold.objects.count(),
        "events": Event.objects.count(),
        "records": IdempotencyRecord.objects.count(),
    }


@pytest.fixture
def operator_client(operator):
    client = APIClient()
    client.force_authenticate(operator)
    return client


# --- sequential -------------------------------------------------------------------------------


def test_the_same_key_and_body_sent_ten_times_creates_one_vessel_and_replays_the_answer(
    planner_client, planner
):
    responses = [_post(planner_client, VESSELS, _vessel_body()) for _ in range(10)]

    assert [r.status_code for r in responses] == [201] * 10
    assert "Idempotent-Replayed" not in responses[0].headers
    assert [r.headers.get("Idempotent-Replayed") for r in responses[1:]] == ["true"] * 9
    assert all(r.json() == responses[0].json() for r in responses[1:])
    assert Vessel.objects.count() == 1
    assert Vessel.objects.get().pk == responses[0].json()["id"]
    record = IdempotencyRecord.objects.get()
    assert (record.user, record.key, record.state, record.response_status) == (
        planner,
        KEY,
        IdempotencyState.COMPLETED,
        201,
    )
    assert record.response_body == responses[0].json()


def test_a_replayed_visit_application_writes_one_visit_and_one_event(
    agent_a_client, terminal, line_a
):
    from tos.core.tests.factories import VesselFactory

    body = {
        "reference": "IDEM-1",
        "vessel": VesselFactory().imo,
        "line": "LINA",
        "inbound_voyage": "12W",
        "outbound_voyage": "12E",
        "eta": "2031-05-01T06:00:00Z",
        "etd": "2031-05-02T06:00:00Z",
    }

    first = _post(agent_a_client, "/api/v1/vessel-visits/", body)
    again = [_post(agent_a_client, "/api/v1/vessel-visits/", body) for _ in range(3)]

    assert first.status_code == 201, first.content
    assert [(r.status_code, r.json()) for r in again] == [(201, first.json())] * 3
    assert VesselVisit.objects.count() == 1
    assert list(Event.objects.values_list("type", flat=True)) == ["vessel_visit.created"]


def test_a_retried_hold_release_replays_instead_of_answering_already_released(
    planner_client, terminal
):
    hold = HoldFactory(unit=UnitFactory(terminal=terminal), terminal=terminal)
    path = f"/api/v1/holds/{hold.pk}/release/"

    first = _post(planner_client, path, {"note": "cleared"})
    second = _post(planner_client, path, {"note": "cleared"})
    without_key = _post(planner_client, path, {"note": "cleared"}, key=None)

    assert first.status_code == 200, first.content
    assert (second.status_code, second.json()) == (200, first.json())
    assert second.headers["Idempotent-Replayed"] == "true"
    assert without_key.status_code == 409
    assert without_key.json()["code"] == "already_released"
    assert Event.objects.filter(type="hold.released").count() == 1


def test_the_same_key_with_another_body_answers_422_and_writes_nothing(planner_client):
    first = _post(planner_client, VESSELS, _vessel_body(1))
    before = _counts()

    reused = _post(planner_client, VESSELS, _vessel_body(2))

    assert first.status_code == 201
    assert reused.status_code == 422
    assert reused.json() == {
        "code": "idempotency_key_reused",
        "message": "This Idempotency-Key was used with a different request; use a new key.",
        "details": {"Idempotency-Key": ["Used before with a different body or path."]},
    }
    assert _counts() == before
    assert not Vessel.objects.filter(imo=imo_number(502)).exists()


def test_the_same_key_on_another_path_answers_422(planner_client, terminal):
    first = _post(planner_client, VESSELS, _vessel_body(1))
    hold = HoldFactory(unit=UnitFactory(terminal=terminal), terminal=terminal)
    before = _counts()

    reused = _post(planner_client, f"/api/v1/holds/{hold.pk}/release/", _vessel_body(1))

    assert first.status_code == 201
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    assert _counts() == before
    hold.refresh_from_db()
    assert hold.released_at is None


def test_keys_are_scoped_per_user(planner_client, operator_client, planner, operator):
    mine = _post(planner_client, VESSELS, _vessel_body(1))
    theirs_other_body = _post(operator_client, VESSELS, _vessel_body(2))
    theirs_same_body = _post(operator_client, VESSELS, _vessel_body(1), key="other-key")

    assert mine.status_code == 201
    assert theirs_other_body.status_code == 201, theirs_other_body.content
    assert "Idempotent-Replayed" not in theirs_other_body.headers
    assert theirs_other_body.json()["id"] != mine.json()["id"]
    assert (theirs_same_body.status_code, theirs_same_body.json()["code"]) == (409, "duplicate")
    assert Vessel.objects.count() == 2
    assert sorted(IdempotencyRecord.objects.values_list("user__username", "key")) == [
        ("operator", KEY),
        ("planner", KEY),
    ]


@pytest.mark.parametrize(
    ("bad", "status", "code"),
    [
        ({"imo": "9074728"}, 400, "invalid_imo"),
        ({"teu_capacity": "lots"}, 400, "validation_error"),
        ({"loa_m": "-5"}, 400, "validation_error"),
    ],
)
def test_a_failed_request_forgets_its_key_so_a_corrected_retry_succeeds(
    bad, status, code, planner_client
):
    failed = _post(planner_client, VESSELS, _vessel_body(1, **bad))
    after_failure = _counts()

    corrected = _post(planner_client, VESSELS, _vessel_body(1))

    assert (failed.status_code, failed.json()["code"]) == (status, code)
    assert "Idempotent-Replayed" not in failed.headers
    assert after_failure == {"vessels": 0, "visits": 0, "holds": 0, "events": 0, "records": 0}
    assert corrected.status_code == 201, corrected.content
    assert "Idempotent-Replayed" not in corrected.headers
    assert Vessel.objects.count() == 1


def test_a_conflict_forgets_its_key_too(planner_client):
    _post(planner_client, VESSELS, _vessel_body(1), key="first")
    before = _counts()

    conflict = _post(planner_client, VESSELS, _vessel_body(1), key="second")

    assert (conflict.status_code, conflict.json()["code"]) == (409, "duplicate")
    assert _counts() == before
    assert not IdempotencyRecord.objects.filter(key="second").exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\tkey"])
def test_an_unusable_key_answers_400_and_writes_nothing(key, planner_client):
    response = _post(planner_client, VESSELS, _vessel_body(1), key=key)

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_idempotency_key",
        "message": "Idempotency-Key must be 1 to 255 printable characters.",
        "details": {"Idempotency-Key": ["1 to 255 printable characters."]},
    }
    assert _counts() == {"vessels": 0, "visits": 0, "holds": 0, "events": 0, "records": 0}


def test_a_key_of_255_characters_is_accepted(planner_client):
    response = _post(planner_client, VESSELS, _vessel_body(1), key="k" * 255)

    assert response.status_code == 201
    assert IdempotencyRecord.objects.get().key == "k" * 255


def test_the_key_is_ignored_on_reads(planner_client):
    response = planner_client.get(VESSELS, headers={"Idempotency-Key": KEY})

    assert response.status_code == 200
    assert IdempotencyRecord.objects.count() == 0


def test_a_retry_while_the_first_request_is_in_flight_answers_409(planner_client, planner):
    IdempotencyRecord.objects.create(
        user=planner,
        key=KEY,
        method="POST",
        path=VESSELS,
        fingerprint=_fingerprint(VESSELS, _vessel_body(1)),
    )
    before = _counts()

    retry = _post(planner_client, VESSELS, _vessel_body(1))

    assert retry.status_code == 409
    assert retry.json() == {
        "code": "idempotency_in_progress",
        "message": "The first request with this Idempotency-Key is still running; retry later.",
        "details": {},
    }
    assert _counts() == before
    assert IdempotencyRecord.objects.get().state == IdempotencyState.IN_PROGRESS


# --- concurrent -------------------------------------------------------------------------------


def _client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db(transaction=True)
def test_a_retry_while_the_first_request_blocks_answers_409_and_then_replays(planner, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    original = services.vessel_create

    def blocking_vessel_create(**kwargs):
        entered.set()
        assert release.wait(10)
        return original(**kwargs)

    monkeypatch.setattr(services, "vessel_create", blocking_vessel_create)

    def first_request():
        try:
            return _post(_client_for(planner), VESSELS, _vessel_body(1))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(first_request)
        assert entered.wait(10)
        during = _post(_client_for(planner), VESSELS, _vessel_body(1))
        vessels_during = Vessel.objects.count()
        release.set()
        first_response = first.result(timeout=20)
    after = _post(_client_for(planner), VESSELS, _vessel_body(1))

    assert (during.status_code, during.json()["code"]) == (409, "idempotency_in_progress")
    assert vessels_during == 0
    assert first_response.status_code == 201, first_response.content
    assert (after.status_code, after.json()) == (201, first_response.json())
    assert after.headers["Idempotent-Replayed"] == "true"
    assert Vessel.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_requests_with_one_key_create_exactly_one_vessel(planner, monkeypatch):
    original = services.vessel_create
    start = threading.Barrier(20)

    def slow_vessel_create(**kwargs):
        threading.Event().wait(0.2)  # keep the first request in flight while the others arrive
        return original(**kwargs)

    monkeypatch.setattr(services, "vessel_create", slow_vessel_create)

    def send(_):
        client = _client_for(planner)
        try:
            start.wait(10)
            return _post(client, VESSELS, _vessel_body(1))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(send, range(20)))

    created = [r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r]
    replayed = [r for r in responses if r.status_code == 201 and "Idempotent-Replayed" in r]
    in_progress = [r for r in responses if r.status_code == 409]
    assert len(created) == 1
    assert len(created) + len(replayed) + len(in_progress) == 20
    assert all(r.json()["code"] == "idempotency_in_progress" for r in in_progress)
    assert all(r.json() == created[0].json() for r in replayed)
    assert len(in_progress) >= 1
    assert Vessel.objects.count() == 1
    assert Vessel.objects.get().pk == created[0].json()["id"]
    record = IdempotencyRecord.objects.get()
    assert (record.state, record.response_status) == (IdempotencyState.COMPLETED, 201)


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_requests_of_different_users_with_one_key_each_write_once(
    terminal, monkeypatch
):
    users = [UserFactory(username=f"op{i}", role=Role.OPERATOR) for i in range(4)]
    start = threading.Barrier(20)

    def send(i):
        client = _client_for(users[i % 4])
        try:
            start.wait(10)
            return _post(client, VESSELS, _vessel_body(i % 4))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(send, range(20)))

    originals = [r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r]
    assert len(originals) == 4
    assert {r.status_code for r in responses} <= {201, 409}
    assert Vessel.objects.count() == 4
    assert IdempotencyRecord.objects.filter(state=IdempotencyState.COMPLETED).count() == 4


def test_an_expired_idempotency_key_is_treated_as_a_new_key(planner, planner_client, terminal):
    import datetime as dt

    from django.utils import timezone

    from tos.core.models import IdempotencyRecord, Vessel

    first = planner_client.post(
        "/api/v1/vessels/",
        {
            "imo": "9074729",
            "name": "Old",
            "loa_m": "200",
            "beam_m": "30",
            "max_draft_m": "10",
            "teu_capacity": 2000,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="expiring-key",
    )
    assert first.status_code == 201
    IdempotencyRecord.objects.filter(key="expiring-key").update(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )

    second = planner_client.post(
        "/api/v1/vessels/",
        {
            "imo": "9321483",
            "name": "New",
            "loa_m": "200",
            "beam_m": "30",
            "max_draft_m": "10",
            "teu_capacity": 2000,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="expiring-key",
    )

    assert second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") is None
    assert sorted(Vessel.objects.values_list("name", flat=True)) == ["New", "Old"]
    assert IdempotencyRecord.objects.filter(key="expiring-key").count() == 1
