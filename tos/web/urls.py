from django.urls import path

from tos.web import views

app_name = "web"
urlpatterns = [path("", views.home, name="home")]
