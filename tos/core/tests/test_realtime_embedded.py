"""Live events in the embedded mode (``make run``): the in-memory channel layer, with events
written on another thread (the embedded Celery worker), and machine clients without an Origin.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connections, transaction
from rest_framework.authtoken.models import Token

from tos.asgi import application
from tos.core.choices import Role
from tos.core.realtime import event_record
from tos.core.tests.factories import TerminalFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return get_channel_layer()


def _write_on_another_thread(terminal_id: int, count: int) -> None:
    def work() -> None:
        try:
            for i in range(count):
                with transaction.atomic():
                    event_record(
                        terminal_id=terminal_id,
                        topic="solver_runs",
                        type="solver_run.progress",
                        payload={"i": i},
                    )
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(20)


async def test_events_written_on_a_worker_thread_reach_sockets_on_the_in_memory_layer(
    in_memory_layer,
):
    terminal = await sync_to_async(TerminalFactory)(code="EMB")
    user = await sync_to_async(UserFactory)(username="emb_planner", role=Role.PLANNER)
    token = await sync_to_async(lambda: Token.objects.create(user=user).key)()
    comm = WebsocketCommunicator(application, f"/ws/terminal/{terminal.pk}/?token={token}")
    connected, _ = await comm.connect()
    assert connected
    try:
        assert await comm.receive_json_from(timeout=5) == {"type": "hello", "seq": 0}

        # asyncio queues are not thread-safe: a send run on the writer's own loop may never wake
        # the consumer under daphne. Every send must run on the loop that serves the socket.
        send_loops = []
        original = in_memory_layer.group_send

        async def recording_group_send(group, message):
            send_loops.append(asyncio.get_running_loop())
            await original(group, message)

        in_memory_layer.group_send = recording_group_send
        await asyncio.to_thread(_write_on_another_thread, terminal.pk, 3)
        assert send_loops == [asyncio.get_running_loop()] * 3

        received = [await comm.receive_json_from(timeout=5) for _ in range(3)]
        assert [(m["type"], m["seq"], m["event_type"]) for m in received] == [
            ("event", 1, "solver_run.progress"),
            ("event", 2, "solver_run.progress"),
            ("event", 3, "solver_run.progress"),
        ]
    finally:
        await comm.disconnect()
        await sync_to_async(connections.close_all)()


async def test_a_machine_client_without_an_origin_header_connects_with_its_token(
    in_memory_layer,
):
    terminal = await sync_to_async(TerminalFactory)(code="EMB")
    user = await sync_to_async(UserFactory)(username="gate_system", role=Role.GATE_CLERK)
    token = await sync_to_async(lambda: Token.objects.create(user=user).key)()
    comm = WebsocketCommunicator(application, f"/ws/terminal/{terminal.pk}/?token={token}")
    connected, _ = await comm.connect()
    try:
        assert connected
        assert (await comm.receive_json_from(timeout=5))["type"] == "hello"
    finally:
        await comm.disconnect()
        await sync_to_async(connections.close_all)()


async def test_a_browser_socket_from_a_foreign_origin_is_refused(in_memory_layer):
    terminal = await sync_to_async(TerminalFactory)(code="EMB")
    user = await sync_to_async(UserFactory)(username="victim", role=Role.PLANNER)
    token = await sync_to_async(lambda: Token.objects.create(user=user).key)()
    comm = WebsocketCommunicator(
        application,
        f"/ws/terminal/{terminal.pk}/?token={token}",
        headers=[(b"origin", b"https://evil.example.com")],
    )
    connected, _ = await comm.connect()
    assert not connected
    await sync_to_async(connections.close_all)()
