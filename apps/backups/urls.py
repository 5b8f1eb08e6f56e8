from django.urls import path

from . import views

app_name = "backups"

urlpatterns = [
    path("", views.list, name="list"),
    path("install/<str:install_pk>/backup/", views.create, name="create"),
    path("install/<str:install_pk>/clone/", views.clone, name="clone"),
    path("install/<str:install_pk>/push/", views.push, name="push"),
    path("import/", views.import_archive, name="import"),
    path("locations/", views.location_list, name="locations"),
    path("locations/<str:pk>/delete/", views.location_delete, name="location_delete"),
    path("task/<str:pk>/", views.task, name="task"),
    path("<str:pk>/download/", views.download, name="download"),
    path("<str:pk>/delete/", views.delete, name="delete"),
    path("<str:pk>/restore/", views.restore, name="restore"),
    path("<str:pk>/restore-to/", views.restore_to, name="restore_to"),
]
