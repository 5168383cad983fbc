"""The terminal's WebSocket (``/ws/terminal/<id>/``) through the real ASGI stack: origin check,
session and token auth, the hello/event/skip/hb protocol, and group clean-up.

The channel layer is the configured one (channels-redis on real Redis when it is reachable). Each
test gets its own key prefix, so tests never see each other's groups, and the prefix is flushed
afterwards."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client
from rest_framework.authtoken.models import Token

from tos.asgi import application
from tos.core.choices import Role
from tos.core.realtime import event_record, terminal_group
from tos.core.tests.factories import TerminalFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture(autouse=True)
async def isolated_layer(settings):
    """A channel layer of this test's own (a unique Redis key prefix), flushed afterwards."""
    layers = {
        alias: {**cfg, "CONFIG": {**cfg.get("CONFIG", {})}}
        for alias, cfg in django_settings.CHANNEL_LAYERS.items()
    }
    if layers["default"]["BACKEND"].startswith("channels_redis"):
        layers["default"]["CONFIG"]["prefix"] = f"asgi-test-{uuid.uuid4().hex[:12]}"
    settings.CHANNEL_LAYERS = layers  # the layer manager resets on setting_changed
    layer = get_channel_layer()
    yield layer
    await layer.flush()
    # The thread that ran this test's ORM calls keeps its connection (CONN_MAX_AGE): close it, or
    # the test database cannot be dropped at the end of the session.
    await sync_to_async(connections.close_all)()


def _session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _as(user, terminal_id: int, *, token: str | None = None) -> WebsocketCommunicator:
    path = f"/ws/terminal/{terminal_id}/"
    headers = [ORIGIN]
    if token:
        path += f"?token={token}"
    elif user is not None:
        headers.append((b"cookie", await database_sync_to_async(_session_cookie)(user)))
    return WebsocketCommunicator(application, path, headers=headers)


record = database_sync_to_async(event_record)


async def _receive_kinds(comm: WebsocketCommunicator, n: int, *, skip_hb: bool = True) -> list:
    """The next ``n`` non-heartbeat messages."""
    out = []
    while len(out) < n:
        msg = await comm.receive_json_from(timeout=5)
        if skip_hb and msg["type"] == "hb":
            continue
        out.append(msg)
    return out


async def _group_size(layer, group: str) -> int | None:
    """Members of ``group`` in the layer, or None when the layer does not tell."""
    if hasattr(layer, "groups"):  # InMemoryChannelLayer
        return len(layer.groups.get(group, {}))
    if hasattr(layer, "_group_key"):  # channels-redis
        key = layer._group_key(group)
        conn = layer.connection(layer.consistent_hash(group))
        return await conn.zcard(key)
    return None


# --- who may connect --------------------------------------------------------------------------


async def test_an_anonymous_socket_is_refused_with_4401(terminal):
    comm = await _as(None, terminal.pk)
    connected, code = await comm.connect()
    assert (connected, code) == (False, 4401)


async def test_a_bad_token_is_refused_with_4401(terminal):
    comm = await _as(None, terminal.pk, token="not-a-token")
    assert await comm.connect() == (False, 4401)


async def test_the_token_of_a_deactivated_user_is_refused_with_4401(terminal, planner):
    token = await database_sync_to_async(Token.objects.create)(user=planner)
    planner.is_active = False
    await database_sync_to_async(planner.save)()
    comm = await _as(None, terminal.pk, token=token.key)
    assert await comm.connect() == (False, 4401)


async def test_a_socket_from_a_foreign_origin_is_refused(terminal, planner):
    comm = WebsocketCommunicator(
        application, f"/ws/terminal/{terminal.pk}/", headers=[(b"origin", b"http://evil.test")]
    )
    connected, _ = await comm.connect()
    assert connected is False


async def test_a_user_bound_to_another_terminal_is_refused_with_4403(terminal):
    other = await database_sync_to_async(TerminalFactory)(code="OTHER")
    stranger = await database_sync_to_async(UserFactory)(
        username="stranger", role=Role.PLANNER, terminal=other
    )
    comm = await _as(stranger, terminal.pk)
    assert await comm.connect() == (False, 4403)


async def test_a_missing_terminal_is_refused_with_4403(planner):
    user = await database_sync_to_async(UserFactory)(username="roaming", role=Role.PLANNER)
    comm = await _as(user, 987654)
    assert await comm.connect() == (False, 4403)


# --- the stream -------------------------------------------------------------------------------


async def test_a_signed_in_user_gets_hello_with_the_seq_then_every_event_in_order(
    terminal, planner, isolated_layer
):
    for i in range(3):
        await record(terminal_id=terminal.pk, topic="test", type="t.before", payload={"i": i})

    comm = await _as(planner, terminal.pk)
    connected, _ = await comm.connect()
    assert connected
    try:
        assert await comm.receive_json_from(timeout=5) == {"type": "hello", "seq": 3}
        for i in range(100):
            await record(terminal_id=terminal.pk, topic="test", type="t.live", payload={"i": i})
        messages = await _receive_kinds(comm, 100)
        assert [m["type"] for m in messages] == ["event"] * 100
        assert [m["seq"] for m in messages] == list(range(4, 104))
        assert [m["payload"]["i"] for m in messages] == list(range(100))
        assert {m["event_type"] for m in messages} == {"t.live"}
        first = messages[0]
        assert set(first) == {"type", "seq", "topic", "event_type", "payload", "ts"}
        assert first["topic"] == "test"
        assert first["ts"]
    finally:
        await comm.disconnect()


async def test_a_token_in_the_query_string_signs_the_socket_in(terminal, planner):
    token = await database_sync_to_async(Token.objects.create)(user=planner)
    comm = await _as(None, terminal.pk, token=token.key)
    connected, _ = await comm.connect()
    assert connected
    try:
        assert await comm.receive_json_from(timeout=5) == {"type": "hello", "seq": 0}
        await record(terminal_id=terminal.pk, topic="test", type="t.x", payload={})
        (msg,) = await _receive_kinds(comm, 1)
        assert (msg["type"], msg["seq"]) == ("event", 1)
    finally:
        await comm.disconnect()


async def test_an_agent_gets_its_lines_events_in_full_and_others_as_skips(
    terminal, line_a, line_b, agent_a
):
    comm = await _as(agent_a, terminal.pk)
    connected, _ = await comm.connect()
    assert connected
    try:
        assert await comm.receive_json_from(timeout=5) == {"type": "hello", "seq": 0}
        plan = [(line_a.pk, "a.mine"), (line_b.pk, "b.theirs"), (None, "staff.only")]
        plan += [(line_a.pk, "a.again")]
        for line_id, type_ in plan:
            await record(
                terminal_id=terminal.pk,
                topic="test",
                type=type_,
                payload={"secret": type_},
                line_id=line_id,
            )
        messages = await _receive_kinds(comm, 4)
        assert messages[1] == {"type": "skip", "seq": 2}
        assert messages[2] == {"type": "skip", "seq": 3}
        assert [(m["type"], m["seq"], m.get("event_type"), m.get("payload")) for m in messages] == [
            ("event", 1, "a.mine", {"secret": "a.mine"}),
            ("skip", 2, None, None),
            ("skip", 3, None, None),
            ("event", 4, "a.again", {"secret": "a.again"}),
        ]
    finally:
        await comm.disconnect()


async def test_terminal_staff_see_every_lines_events(terminal, line_a, line_b, planner):
    comm = await _as(planner, terminal.pk)
    assert (await comm.connect())[0]
    try:
        await comm.receive_json_from(timeout=5)
        for line in (line_a, line_b):
            await record(
                terminal_id=terminal.pk, topic="t", type="t.x", payload={}, line_id=line.pk
            )
        messages = await _receive_kinds(comm, 2)
        assert [(m["type"], m["seq"]) for m in messages] == [("event", 1), ("event", 2)]
    finally:
        await comm.disconnect()


async def test_events_of_another_terminal_do_not_arrive(terminal, planner):
    other = await database_sync_to_async(TerminalFactory)(code="OTHER")
    comm = await _as(planner, terminal.pk)
    assert (await comm.connect())[0]
    try:
        await comm.receive_json_from(timeout=5)
        await record(terminal_id=other.pk, topic="t", type="t.elsewhere", payload={})
        await record(terminal_id=terminal.pk, topic="t", type="t.here", payload={})
        (msg,) = await _receive_kinds(comm, 1)
        assert (msg["type"], msg["seq"]) == ("event", 1)
        assert msg["payload"] == {}
        assert await comm.receive_nothing(timeout=0.3)
    finally:
        await comm.disconnect()


async def test_a_heartbeat_carries_the_current_seq(terminal, planner):
    assert django_settings.TOS_WS_HEARTBEAT_SECONDS == 2
    comm = await _as(planner, terminal.pk)
    assert (await comm.connect())[0]
    try:
        assert await comm.receive_json_from(timeout=5) == {"type": "hello", "seq": 0}
        # Written with the broadcast lost: only the heartbeat can tell the client it is behind.
        from unittest import mock

        with mock.patch("tos.core.realtime.broadcast"):
            await record(terminal_id=terminal.pk, topic="t", type="t.x", payload={})
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await comm.receive_json_from(timeout=5) == {"type": "hb", "seq": 1}
        assert loop.time() - started < 4
    finally:
        await comm.disconnect()


async def test_a_ping_is_answered_with_a_pong_and_the_seq(terminal, planner):
    comm = await _as(planner, terminal.pk)
    assert (await comm.connect())[0]
    try:
        await comm.receive_json_from(timeout=5)
        await record(terminal_id=terminal.pk, topic="t", type="t.x", payload={})
        await _receive_kinds(comm, 1)
        await comm.send_json_to({"type": "ping"})
        assert await comm.receive_json_from(timeout=5) in (
            {"type": "pong", "seq": 1},
            {"type": "hb", "seq": 1},
        )
    finally:
        await comm.disconnect()


async def test_disconnecting_leaves_the_group_and_stops_the_heartbeat(
    terminal, planner, isolated_layer
):
    group = terminal_group(terminal.pk)
    comm = await _as(planner, terminal.pk)
    assert (await comm.connect())[0]
    await comm.receive_json_from(timeout=5)
    before = await _group_size(isolated_layer, group)
    await comm.disconnect()
    after = await _group_size(isolated_layer, group)
    if before is None:
        pytest.skip(f"{type(isolated_layer).__name__} does not expose group membership")
    assert (before, after) == (1, 0)
    beating = [t for t in asyncio.all_tasks() if t.get_coro().__qualname__.endswith("._heartbeat")]
    assert beating == []


async def test_an_idle_socket_survives_longer_than_the_layers_blocking_pop(terminal, planner):
    comm = await _as(planner, terminal.pk)
    assert (await comm.connect())[0]
    try:
        assert await comm.receive_json_from(timeout=5) == {"type": "hello", "seq": 0}
        loop = asyncio.get_running_loop()
        idle_until = loop.time() + 7  # nothing arrives on the layer for longer than 5 s
        while loop.time() < idle_until:
            assert (await comm.receive_json_from(timeout=5))["type"] == "hb"
        await record(terminal_id=terminal.pk, topic="t", type="t.after_idle", payload={})
        (msg,) = await _receive_kinds(comm, 1)
        assert (msg["type"], msg["seq"], msg["event_type"]) == ("event", 1, "t.after_idle")
    finally:
        await comm.disconnect()
