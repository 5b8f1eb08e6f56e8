from django.urls import path

from . import appsets, views

app_name = "catalog"

urlpatterns = [
    path("", views.browser, name="browser"),
    # Application sets: before <app_id>, which would take "sets" for an application.
    path("sets/", appsets.app_sets, name="app_sets"),
    path("sets/<str:name>/", appsets.app_set_edit, name="app_set"),
    path("sets/<str:name>/delete/", appsets.app_set_delete, name="app_set_delete"),
    path("<str:app_id>/", views.detail, name="detail"),
]
