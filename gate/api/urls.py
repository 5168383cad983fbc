"""The gate under ``/api/v1/gate/``."""

from rest_framework.routers import SimpleRouter

from gate.api import views

router = SimpleRouter()
router.register("gate/slots", views.SlotViewSet, basename="gateslot")
router.register("gate/appointments", views.AppointmentViewSet, basename="gateappointment")
router.register("gate/pre-advices", views.PreAdviceViewSet, basename="gatepreadvice")
router.register("gate/truck-visits", views.TruckVisitViewSet, basename="gatetruckvisit")

urlpatterns = router.urls
