"""The gate under ``/api/v1/gate/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from gate.api import views

router = SimpleRouter()
router.register("gate/slots", views.SlotViewSet, basename="gateslot")
router.register("gate/appointments", views.AppointmentViewSet, basename="gateappointment")
router.register("gate/pre-advices", views.PreAdviceViewSet, basename="gatepreadvice")
router.register("gate/truck-visits", views.TruckVisitViewSet, basename="gatetruckvisit")
router.register("gate/codeco", views.CodecoViewSet, basename="gatecodeco")
router.register("gate/coparn", views.CoparnViewSet, basename="gatecoparn")

urlpatterns = [
    path("gate/screen/", views.GateScreenApi.as_view(), name="gate-screen"),
    # The EIR PDF also without the trailing slash, so that the saved file ends in ".pdf" (left
    # out of the schema: it is the same operation as the routed one).
    path(
        "gate/truck-visits/<int:pk>/eir.pdf",
        views.TruckVisitViewSet.as_view(
            {"get": "eir_pdf"},
            detail=True,
            basename="gatetruckvisit",
            **(views.TruckVisitViewSet.eir_pdf.kwargs | {"schema": None}),
        ),
        name="gatetruckvisit-eir-pdf-file",
    ),
    *router.urls,
]
