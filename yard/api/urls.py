"""The yard under ``/api/v1/yard/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from yard.api import views

router = SimpleRouter()
router.register("yard/blocks", views.YardBlockViewSet, basename="yardblock")
router.register("yard/units", views.YardUnitViewSet, basename="yardunit")
router.register("yard/moves", views.YardMoveViewSet, basename="yardmove")
router.register("yard/relocation-jobs", views.RelocationJobViewSet, basename="yardrelocationjob")

urlpatterns = [
    path("yard/snapshot/", views.YardSnapshotApi.as_view(), name="yard-snapshot"),
    path("yard/allocations/", views.AllocationApi.as_view(), name="yard-allocation"),
    *router.urls,
]
