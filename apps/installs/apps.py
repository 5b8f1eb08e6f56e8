from django.apps import AppConfig


class InstallsConfig(AppConfig):
    name = "apps.installs"
    label = "installs"
