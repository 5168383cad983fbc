"""Live events: the outbox writer, the after-commit broadcast, and WebSocket token auth.

``event_record`` is called by services inside their transaction. It takes the next ``seq`` of the
terminal by incrementing ``Terminal.event_seq`` (the row stays locked until commit, so seqs are
contiguous and in commit order) and broadcasts to the terminal's Channels group after commit.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F

logger = logging.getLogger(__name__)


def terminal_group(terminal_id: int) -> str:
    """The Channels group of one terminal's live events."""
    return f"terminal.{terminal_id}"


def event_as_message(event: Any) -> dict[str, Any]:
    """The wire shape of an event, as sent over the WebSocket and by the replay endpoint."""
    return {
        "seq": event.seq,
        "topic": event.topic,
        "type": event.type,
        "payload": event.payload,
        "ts": event.created_at.isoformat() if event.created_at else None,
    }


class Suppression:
    """A switch that turns one app's live events off inside a ``with`` block, for bulk loaders
    only (``seed_demo`` writes a terminal's starting state, not changes anyone watches)."""

    def __init__(self, app: str) -> None:
        self._on: ContextVar[bool] = ContextVar(f"{app}_events_suppressed", default=False)

    @property
    def active(self) -> bool:
        return self._on.get()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        token = self._on.set(True)
        try:
            yield
        finally:
            self._on.reset(token)


def event_record(
    *, terminal_id: int, topic: str, type: str, payload: dict[str, Any], line_id: int | None = None
) -> Any:
    """Write one outbox event in the current transaction and broadcast it after commit."""
    from tos.core.models import Event, Terminal

    payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    with transaction.atomic():
        updated = Terminal.objects.filter(pk=terminal_id).update(event_seq=F("event_seq") + 1)
        if updated != 1:
            raise ValueError(f"terminal {terminal_id} does not exist")
        seq = Terminal.objects.filter(pk=terminal_id).values_list("event_seq", flat=True).get()
        event = Event.objects.create(
            terminal_id=terminal_id,
            seq=seq,
            topic=topic,
            type=type,
            payload=payload,
            line_id=line_id,
        )
        transaction.on_commit(lambda: broadcast(event))
    return event


#: The event loop that serves the WebSockets, recorded by the consumer. The in-memory channel
#: layer (embedded mode) keeps asyncio queues bound to that loop, so a send from another thread
#: (the embedded Celery worker) must run there or the waiting consumer is never woken.
_server_loop: asyncio.AbstractEventLoop | None = None


def remember_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _server_loop
    _server_loop = loop


def broadcast(event: Any) -> None:
    """Send a committed event to its terminal's group. The layer is lossy: clients detect gaps."""
    layer = get_channel_layer()
    if layer is None:
        return
    group = terminal_group(event.terminal_id)
    message = {"type": "terminal.event", "event": event_as_message(event), "line_id": event.line_id}
    loop = _server_loop
    try:
        if isinstance(layer, InMemoryChannelLayer) and loop is not None and loop.is_running():
            future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
            future.result(timeout=5)
        else:
            async_to_sync(layer.group_send)(group, message)
    except Exception:  # the outbox row is the truth; a lost broadcast is recovered by replay
        logger.exception("broadcast of event %s failed", event.seq)


class TokenAuthMiddleware:
    """Authenticate a WebSocket by ``?token=<api token>`` when there is no session user."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            token = parse_qs(scope.get("query_string", b"").decode()).get("token", [None])[0]
            if token:
                found = await _user_for_token(token)
                if found is not None:
                    scope = dict(scope, user=found)
        return await self.inner(scope, receive, send)


@database_sync_to_async
def _user_for_token(key: str) -> Any:
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return None
    return token.user
