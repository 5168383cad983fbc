"""The KPI page ``/kpis/`` (terminal staff): a period picker, summary tiles and one ECharts plot
per figure. The page reads the figures from ``/api/v1/kpis/`` itself (``static/js/kpis.js``);
``?start=&end=`` in the page address preselect the period."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path

from operations import kpis
from tos.core.selectors import terminal_for_user


@login_required
def kpi_page(request: Any) -> Any:
    """The KPI page; lines' agents get 403 (they use the API of their own data)."""
    if not request.user.is_terminal_staff:
        raise PermissionDenied("The KPI page is for terminal staff.")
    return render(
        request,
        "operations/kpis.html",
        {"terminal": terminal_for_user(request.user), "figures": kpis.kpi_figures()},
    )


app_name = "kpis"
urlpatterns = [path("", kpi_page, name="index")]
