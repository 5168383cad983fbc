"""Berth planning under ``/api/v1/``."""

from rest_framework.routers import SimpleRouter

from berthing.api import views

router = SimpleRouter()
router.register("berth-applications", views.BerthApplicationViewSet, basename="berthapplication")
router.register("berth-plans", views.BerthPlanViewSet, basename="berthplan")
router.register("berth-assignments", views.BerthAssignmentViewSet, basename="berthassignment")
router.register("berth-schedule", views.BerthScheduleViewSet, basename="berthschedule")

urlpatterns = router.urls
