"""Root URLs: pages, admin, the versioned REST API and its OpenAPI docs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("tos.web.urls")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("berthing/", include("berthing.urls")),
    path("yard/", include("yard.urls")),
    path("stowage/", include("stowage.urls")),
    path("gate/", include("gate.urls")),
    path("customs/", include("customs.urls")),
    path("operations/", include("operations.urls")),
    path("kpis/", include("operations.kpi_pages")),
    path("api/v1/", include("tos.core.api.urls")),
    path("api/v1/", include("berthing.api.urls")),
    path("api/v1/", include("yard.api.urls")),
    path("api/v1/", include("gate.api.urls")),
    path("api/v1/", include("stowage.api.urls")),
    path("api/v1/", include("customs.api.urls")),
    path("api/v1/", include("operations.api.urls")),
    path("api/v1/kpis/", include("operations.api.kpi_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
