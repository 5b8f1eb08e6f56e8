from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "apps.api"
    label = "api"
    verbose_name = "Installatron API"

    def ready(self) -> None:
        from . import commands  # noqa: F401  (registers the commands)
