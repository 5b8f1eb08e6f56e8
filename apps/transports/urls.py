from django.urls import path

from . import views

app_name = "transports"

urlpatterns = [
    path("", views.host_keys, name="host_keys"),
    path("<int:pk>/forget/", views.forget, name="forget"),
]
