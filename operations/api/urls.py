"""Operations under ``/api/v1/operations/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from operations.api import views
from operations.api.control_room import ControlRoomApi

router = SimpleRouter()
router.register("operations/equipment", views.EquipmentViewSet, basename="opsequipment")
router.register("operations/work-orders", views.WorkOrderViewSet, basename="opsworkorder")

urlpatterns = [
    path(
        "operations/vessel-visits/<int:visit_id>/work-orders/generate/",
        views.VisitWorkOrdersGenerateApi.as_view(),
        name="ops-visit-generate",
    ),
    path(
        "operations/vessel-visits/<int:visit_id>/crane-queues/",
        views.VisitCraneQueuesApi.as_view(),
        name="ops-visit-crane-queues",
    ),
    path(
        "operations/vessel-visits/<int:visit_id>/coarri/",
        views.VisitCoarriApi.as_view(),
        name="ops-visit-coarri",
    ),
    path(
        "operations/vessel-visits/<int:visit_id>/kpis/",
        views.VisitKpiApi.as_view(),
        name="ops-visit-kpis",
    ),
    path("operations/kpis/", views.TerminalKpiApi.as_view(), name="ops-kpis"),
    path("operations/control-room/", ControlRoomApi.as_view(), name="ops-control-room"),
    path("operations/crane-queues/<int:pk>/", views.CraneQueueApi.as_view(), name="ops-queue"),
    path(
        "operations/crane-queues/<int:pk>/resequence/",
        views.CraneQueueResequenceApi.as_view(),
        name="ops-queue-resequence",
    ),
    *router.urls,
]
