"""KPI API routes, included under ``/api/v1/kpis/``."""

from django.urls import path

from operations.api import kpi_views

urlpatterns = [
    path("", kpi_views.KpiListApi.as_view(), name="kpi-list"),
    path("<slug:figure>/", kpi_views.KpiFigureApi.as_view(), name="kpi-figure"),
]
