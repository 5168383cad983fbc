"""The terminal's live event stream over WebSocket (thin: authenticate, join, forward)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from tos.core.realtime import remember_server_loop, terminal_group


class TerminalConsumer(AsyncJsonWebsocketConsumer):
    """``/ws/terminal/<id>/``: every event of the terminal with its ``seq``.

    Anonymous sockets are refused (close code 4401), as are terminals the user may not see
    (4403). Terminal staff receive every event; an agent receives its lines' events in full and,
    for other events, only ``{"seq", "type": "skip"}`` so that its seq stays contiguous without
    seeing another line's data. A heartbeat ``{"type": "hb", "seq"}`` every few seconds lets idle
    clients notice a lost event; it also re-joins the group so membership survives a layer flush.
    """

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.terminal_id = int(self.scope["url_route"]["kwargs"]["terminal_id"])
        access = await self._access(user)
        if access is None:
            await self.close(code=4403)
            return
        self.sees_all, self.line_ids = access
        remember_server_loop(asyncio.get_running_loop())
        self.group = terminal_group(self.terminal_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "seq": await self._current_seq()})
        self._hb = asyncio.create_task(self._heartbeat())

    async def disconnect(self, code: int) -> None:
        hb = getattr(self, "_hb", None)
        if hb is not None:
            hb.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hb
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Clients only ping; commands go through the REST API."""
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong", "seq": await self._current_seq()})

    async def terminal_event(self, message: dict[str, Any]) -> None:
        """Forward one event as ``{"type": "event", "seq", "topic", "event_type", "payload",
        "ts"}``: ``type`` tells the message kind, so the event's own type is ``event_type``."""
        event = message["event"]
        if self.sees_all or message.get("line_id") in self.line_ids:
            await self.send_json({**event, "type": "event", "event_type": event["type"]})
        else:
            await self.send_json({"type": "skip", "seq": event["seq"]})

    async def _heartbeat(self) -> None:
        interval = settings.TOS_WS_HEARTBEAT_SECONDS
        while True:
            await asyncio.sleep(interval)
            await self.channel_layer.group_add(self.group, self.channel_name)
            await self.send_json({"type": "hb", "seq": await self._current_seq()})

    @database_sync_to_async
    def _access(self, user: Any) -> tuple[bool, frozenset[int]] | None:
        from tos.core.selectors import terminals_visible_to, user_line_ids, user_sees_all_lines

        if not terminals_visible_to(user).filter(pk=self.terminal_id).exists():
            return None
        return user_sees_all_lines(user), user_line_ids(user)

    @database_sync_to_async
    def _current_seq(self) -> int:
        from tos.core.models import Terminal

        return (
            Terminal.objects.filter(pk=self.terminal_id).values_list("event_seq", flat=True).first()
            or 0
        )
