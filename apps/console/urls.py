from django.urls import path

from . import views

app_name = "console"

urlpatterns = [
    path("", views.applications, name="applications"),
    path("apps/<str:app_id>/", views.application_edit, name="application"),
    path("defaults/", views.defaults, name="defaults"),
    path("languages/", views.languages, name="languages"),
    path("email/", views.email, name="email"),
    path("email/test/", views.email_test, name="email_test"),
    path("audit/", views.audit_log, name="audit"),
    path("schedules/", views.schedules, name="schedules"),
    path("schedules/<str:name>/delete/", views.schedule_delete, name="schedule_delete"),
    path("keys/", views.api_keys, name="keys"),
    path("keys/<str:name>/rotate/", views.api_key_rotate, name="key_rotate"),
]
