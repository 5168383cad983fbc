from django.urls import path

from stowage import views

app_name = "stowage"
urlpatterns = [
    path("", views.index, name="index"),
    path("visits/<int:pk>/", views.visit_plan, name="visit"),
]
