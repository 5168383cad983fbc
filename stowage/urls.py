from django.urls import path

from stowage import views

app_name = "stowage"
urlpatterns = [path("", views.index, name="index")]
