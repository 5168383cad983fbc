from django.urls import path

from gate import views

app_name = "gate"
urlpatterns = [path("", views.index, name="index")]
