"""EDI and stowage under ``/api/v1/``."""

from rest_framework.routers import SimpleRouter

from stowage.api import views

router = SimpleRouter()
router.register("edi/uploads", views.EdiUploadViewSet, basename="ediupload")
router.register("edi/vessel-visits", views.EdiVesselVisitViewSet, basename="edivesselvisit")
router.register(
    "stowage/vessel-visits", views.StowageVesselVisitViewSet, basename="stowagevesselvisit"
)

urlpatterns = router.urls
