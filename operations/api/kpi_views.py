"""KPI API under ``/api/v1/kpis/``: the list of figures, and one endpoint per figure
``GET /api/v1/kpis/<figure>/?start=&end=`` computed on the fly from events and moves
(:mod:`operations.kpis`). Terminal staff only; lines' agents get 403."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from operations import kpis
from operations.api import kpi_serializers as s
from tos.core.api.base import IsTerminalStaff, TosAPIView
from tos.core.errors import ApplicationError
from tos.core.selectors import terminal_for_user


def _terminal(request: Any):
    terminal = terminal_for_user(request.user)
    if terminal is None:
        raise ApplicationError("no_terminal", "No terminal is configured yet.", status=409)
    return terminal


class KpiListApi(TosAPIView):
    """The figures on offer, each with its formula and its URL."""

    permission_classes = [IsTerminalStaff]

    @extend_schema(responses=s.KpiFigureInfoSerializer(many=True))
    def get(self, request: Any) -> Response:
        return Response(
            [
                f | {"url": reverse("kpi-figure", kwargs={"figure": f["name"]})}
                for f in kpis.kpi_figures()
            ]
        )


class KpiFigureApi(TosAPIView):
    """One figure over ``[start, end)`` (default: the last 24 hours to the next full hour)."""

    permission_classes = [IsTerminalStaff]

    @extend_schema(parameters=[s.KpiPeriodQuerySerializer], responses=s.KpiFigureSerializer)
    def get(self, request: Any, figure: str) -> Response:
        if figure not in kpis.FIGURES:
            raise ApplicationError(
                "unknown_figure",
                f"There is no figure {figure[:40]!r}; see /api/v1/kpis/ for the list.",
                details={"figure": [f"One of: {', '.join(kpis.FIGURES)}."]},
                status=404,
            )
        terminal = _terminal(request)
        start, end = s.kpi_period(request.query_params, terminal_tz=terminal.timezone)
        return Response(kpis.kpi_compute(figure=figure, terminal=terminal, start=start, end=end))
