from django.apps import AppConfig


class PanelsConfig(AppConfig):
    name = "apps.panels"
    label = "panels"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the backend import check)
