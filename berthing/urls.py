from django.urls import path

from berthing import views

app_name = "berthing"
urlpatterns = [
    path("", views.index, name="index"),
    path("planner/", views.planner, name="planner"),
]
