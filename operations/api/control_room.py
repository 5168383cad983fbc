"""The control room's snapshot under ``/api/v1/operations/control-room/``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from operations import selectors
from tos.core.api.base import IsTerminalStaff, TosAPIView
from tos.core.errors import ApplicationError
from tos.core.selectors import terminal_for_user


class ControlRoomApi(TosAPIView):
    """Everything the control room shows — the quay with the vessels at berth and their
    progress, the quay cranes with their queues, done/total and moves of the last hour, the
    other equipment with its jobs, and the open alarms — with the event ``seq`` it reflects
    (apply ``operations`` events after it). Terminal staff only."""

    permission_classes = [IsTerminalStaff]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Any) -> Response:
        terminal = terminal_for_user(request.user)
        if terminal is None:
            raise ApplicationError("not_found", "You belong to no terminal.", status=404)
        response = Response(selectors.control_room_snapshot(terminal=terminal))
        response["Cache-Control"] = "no-store"
        return response
