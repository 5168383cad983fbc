"""The event outbox: per-terminal contiguous seqs under concurrent writers, nothing burned by a
rollback, broadcast only after commit, and the replay endpoint a client uses to fill gaps."""

from __future__ import annotations

import threading
from unittest import mock

import pytest
from django.db import connection, transaction

from tos.core.models import Event, Terminal
from tos.core.realtime import event_record
from tos.core.tests.factories import TerminalFactory

WRITERS = 8
EVENTS_PER_WRITER = 25


def _record(terminal: Terminal, n: int = 1, *, line_id: int | None = None, type: str = "t.x"):
    return [
        event_record(
            terminal_id=terminal.pk, topic="test", type=type, payload={"n": i}, line_id=line_id
        )
        for i in range(n)
    ]


class Boom(Exception):
    pass


def _record_then_fail(terminal: Terminal, n: int, *, type: str) -> None:
    """Record ``n`` events in a transaction (a savepoint when nested) that then rolls back."""
    with transaction.atomic():
        _record(terminal, n, type=type)
        raise Boom


def _seqs(terminal: Terminal) -> list[int]:
    return list(
        Event.objects.filter(terminal=terminal).order_by("seq").values_list("seq", flat=True)
    )


# --- the writer -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_get_contiguous_seqs_with_no_gaps_or_duplicates():
    terminal = TerminalFactory()
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []
    broadcast_seqs: list[int] = []
    lock = threading.Lock()

    def collect(event):
        with lock:
            broadcast_seqs.append(event.seq)

    def writer(w: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(EVENTS_PER_WRITER):
                with transaction.atomic():
                    event_record(
                        terminal_id=terminal.pk,
                        topic="test",
                        type="t.concurrent",
                        payload={"writer": w, "i": i},
                    )
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    with mock.patch("tos.core.realtime.broadcast", side_effect=collect):
        threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)

    assert not any(t.is_alive() for t in threads)
    assert errors == []
    total = WRITERS * EVENTS_PER_WRITER
    assert _seqs(terminal) == list(range(1, total + 1))
    terminal.refresh_from_db()
    assert terminal.event_seq == total
    # Each writer's own events keep their order, and every committed event was broadcast once.
    for w in range(WRITERS):
        mine = Event.objects.filter(terminal=terminal, payload__writer=w).order_by("seq")
        assert [e.payload["i"] for e in mine] == list(range(EVENTS_PER_WRITER))
    assert sorted(broadcast_seqs) == list(range(1, total + 1))


@pytest.mark.django_db
def test_seq_counts_per_terminal_independently():
    one = TerminalFactory(code="ONE")
    two = TerminalFactory(code="TWO")
    _record(one, 3)
    _record(two, 2)
    _record(one, 1)

    assert _seqs(one) == [1, 2, 3, 4]
    assert _seqs(two) == [1, 2]
    assert Terminal.objects.get(pk=one.pk).event_seq == 4
    assert Terminal.objects.get(pk=two.pk).event_seq == 2


@pytest.mark.django_db
def test_a_rolled_back_transaction_leaves_no_event_and_burns_no_seq(
    terminal, django_capture_on_commit_callbacks
):
    _record(terminal, 2)

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Boom):
        _record_then_fail(terminal, 3, type="t.rolled_back")
    assert callbacks == []
    assert not Event.objects.filter(type="t.rolled_back").exists()
    assert Terminal.objects.get(pk=terminal.pk).event_seq == 2

    (event,) = _record(terminal, 1, type="t.after")
    assert event.seq == 3
    assert _seqs(terminal) == [1, 2, 3]


@pytest.mark.django_db
def test_recording_for_a_missing_terminal_is_refused_and_writes_nothing():
    with pytest.raises(ValueError, match="terminal 987654 does not exist"):
        event_record(terminal_id=987654, topic="test", type="t.x", payload={})
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_the_broadcast_happens_after_commit_not_before(
    terminal, django_capture_on_commit_callbacks
):
    with mock.patch("tos.core.realtime.broadcast") as broadcast:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with transaction.atomic():
                event = event_record(
                    terminal_id=terminal.pk, topic="test", type="t.x", payload={"a": 1}
                )
                assert broadcast.call_count == 0
            assert broadcast.call_count == 0  # committed only when the outer block exits
        assert len(callbacks) == 1
        broadcast.assert_called_once_with(event)


@pytest.mark.django_db(transaction=True)
def test_the_broadcast_follows_a_real_commit_and_never_a_rollback():
    terminal = TerminalFactory()
    with mock.patch("tos.core.realtime.broadcast") as broadcast:
        with transaction.atomic():
            kept = event_record(terminal_id=terminal.pk, topic="test", type="t.kept", payload={})
            with pytest.raises(Boom):
                _record_then_fail(terminal, 1, type="t.lost")
            assert broadcast.call_count == 0
        broadcast.assert_called_once_with(kept)
    assert kept.seq == 1
    assert _seqs(terminal) == [1]


@pytest.mark.django_db
def test_the_payload_is_stored_as_plain_json(terminal):
    import datetime as dt
    from decimal import Decimal

    when = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    event = event_record(
        terminal_id=terminal.pk,
        topic="test",
        type="t.x",
        payload={"when": when, "weight": Decimal("12.5")},
    )
    event.refresh_from_db()
    assert event.payload == {"when": "2025-01-02T03:04:05Z", "weight": "12.5"}


# --- the replay endpoint ----------------------------------------------------------------------


@pytest.mark.django_db
def test_replay_after_n_returns_exactly_the_later_events_in_order(terminal, planner_client):
    _record(terminal, 7)

    body = planner_client.get("/api/v1/events/?after=3").json()

    assert [e["seq"] for e in body["results"]] == [4, 5, 6, 7]
    assert body["last_seq"] == 7
    assert body["has_more"] is False
    first = body["results"][0]
    assert set(first) == {"seq", "topic", "type", "payload", "ts"}
    assert first["payload"] == {"n": 3}


@pytest.mark.django_db
def test_replay_from_the_start_and_past_the_end(terminal, planner_client):
    _record(terminal, 3)

    assert [e["seq"] for e in planner_client.get("/api/v1/events/").json()["results"]] == [1, 2, 3]
    body = planner_client.get("/api/v1/events/?after=3").json()
    assert body == {"results": [], "last_seq": 3, "has_more": False}


@pytest.mark.django_db
def test_replay_pages_with_limit_and_has_more(terminal, planner_client):
    _record(terminal, 5)

    seen: list[int] = []
    pages = []
    after = 0
    while True:
        body = planner_client.get(f"/api/v1/events/?after={after}&limit=2").json()
        pages.append(([e["seq"] for e in body["results"]], body["last_seq"], body["has_more"]))
        seen += [e["seq"] for e in body["results"]]
        after = body["last_seq"]
        if not body["has_more"]:
            break

    assert pages == [([1, 2], 2, True), ([3, 4], 4, True), ([5], 5, False)]
    assert seen == [1, 2, 3, 4, 5]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["after=x", "limit=y", "after=-1", "limit=0", "limit=1001", "after=1.5"]
)
def test_replay_refuses_bad_cursor_values_with_a_400(terminal, planner_client, query):
    response = planner_client.get(f"/api/v1/events/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


@pytest.mark.django_db
def test_replay_needs_a_signed_in_caller(terminal, anon_client):
    assert anon_client.get("/api/v1/events/").status_code == 401


@pytest.mark.django_db
def test_an_agent_replays_only_its_lines_events_but_last_seq_skips_past_the_others(
    terminal, line_a, line_b, agent_a_client
):
    _record(terminal, 1, line_id=line_a.pk, type="a.1")  # 1
    _record(terminal, 2, line_id=line_b.pk, type="b")  # 2, 3
    _record(terminal, 1, line_id=None, type="staff")  # 4
    _record(terminal, 1, line_id=line_a.pk, type="a.2")  # 5
    _record(terminal, 2, line_id=line_b.pk, type="b")  # 6, 7

    body = agent_a_client.get("/api/v1/events/?after=0").json()
    assert [(e["seq"], e["type"]) for e in body["results"]] == [(1, "a.1"), (5, "a.2")]
    assert body["last_seq"] == 7
    assert body["has_more"] is False

    assert agent_a_client.get("/api/v1/events/?after=5").json() == {
        "results": [],
        "last_seq": 7,
        "has_more": False,
    }


@pytest.mark.django_db
def test_an_agent_paging_moves_its_cursor_only_to_the_last_event_it_was_shown(
    terminal, line_a, line_b, agent_a_client
):
    _record(terminal, 1, line_id=line_a.pk)  # 1
    _record(terminal, 2, line_id=line_b.pk)  # 2, 3
    _record(terminal, 1, line_id=line_a.pk)  # 4
    _record(terminal, 1, line_id=line_b.pk)  # 5
    _record(terminal, 1, line_id=line_a.pk)  # 6
    _record(terminal, 1, line_id=line_b.pk)  # 7

    pages = []
    after = 0
    while True:
        body = agent_a_client.get(f"/api/v1/events/?after={after}&limit=1").json()
        pages.append(([e["seq"] for e in body["results"]], body["last_seq"], body["has_more"]))
        after = body["last_seq"]
        if not body["has_more"]:
            break

    # Mid-way the cursor stops at the last event shown (a later one of line A may follow);
    # on the last page it moves to the terminal's seq, past line B's events 7.
    assert pages == [([1], 1, True), ([4], 4, True), ([6], 7, False)]


@pytest.mark.django_db
def test_replay_of_another_terminal_is_refused_to_a_user_bound_to_a_terminal(
    terminal, planner_client
):
    other = TerminalFactory(code="OTHER")
    _record(other, 2)

    response = planner_client.get(f"/api/v1/events/?terminal={other.pk}")
    assert response.status_code == 404
    response = planner_client.get("/api/v1/events/?terminal=abc")
    assert response.status_code == 404
    body = planner_client.get(f"/api/v1/events/?terminal={terminal.pk}").json()
    assert body == {"results": [], "last_seq": 0, "has_more": False}
