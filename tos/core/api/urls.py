"""``/api/v1/``: the shared kernel's resources; apps add theirs under their own prefixes."""

from django.urls import include, path
from rest_framework.routers import APIRootView, DefaultRouter

from tos.core.api import views
from tos.core.api.base import TosAPIView


class ApiRootView(TosAPIView, APIRootView):
    """The index of ``/api/v1/``, on the project's base class like every other API route."""


router = DefaultRouter()
router.APIRootView = ApiRootView
router.register("terminals", views.TerminalViewSet, basename="terminal")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("vessels", views.VesselViewSet, basename="vessel")
router.register("vessel-visits", views.VesselVisitViewSet, basename="vesselvisit")
router.register("containers", views.ContainerViewSet, basename="container")
router.register("units", views.UnitViewSet, basename="unit")
router.register("holds", views.HoldViewSet, basename="hold")
router.register("events", views.EventViewSet, basename="event")
router.register("solver-runs", views.SolverRunViewSet, basename="solverrun")

urlpatterns = [
    path("auth/token/", views.AuthTokenApi.as_view(), name="auth-token"),
    path("", include(router.urls)),
]
