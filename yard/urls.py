from django.urls import path

from yard import views

app_name = "yard"
urlpatterns = [
    path("", views.index, name="index"),
    path("map/", views.yard_map, name="map"),
]
