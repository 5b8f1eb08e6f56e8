from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.browser, name="browser"),
    path("<str:app_id>/", views.detail, name="detail"),
]
