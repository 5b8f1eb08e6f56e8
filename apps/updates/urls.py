from django.urls import path

from . import views

app_name = "updates"

# Mounted at gui/installs/, next to the install's own pages.
urlpatterns = [
    path("<str:pk>/update/", views.update, name="update"),
]
