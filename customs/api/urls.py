"""Customs under ``/api/v1/customs/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from customs.api import views

router = SimpleRouter()
router.register("customs/declarations", views.DeclarationViewSet, basename="customsdeclaration")
router.register("customs/readings", views.ReadingViewSet, basename="customsreading")
router.register("customs/lots", views.LotViewSet, basename="customslot")
router.register("customs/cases", views.CaseViewSet, basename="customscase")
router.register("customs/decisions", views.DecisionViewSet, basename="customsdecision")

urlpatterns = [
    path("customs/responses/", views.CustomsResponseApi.as_view(), name="customs-responses"),
    path(
        "customs/responses/edifact/",
        views.CusresEdifactApi.as_view(),
        name="customs-responses-edifact",
    ),
    path("customs/snapshot/", views.SnapshotApi.as_view(), name="customs-snapshot"),
    path("customs/status/", views.StatusApi.as_view(), name="customs-status"),
    *router.urls,
]
