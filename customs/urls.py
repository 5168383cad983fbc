from django.urls import path

from customs import views

app_name = "customs"
urlpatterns = [path("", views.index, name="index")]
