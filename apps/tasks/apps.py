from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "apps.tasks"
    label = "tasks"

    def ready(self) -> None:
        # Connects the worker heartbeat to Celery's worker_ready/worker_shutdown signals
        # (they only fire inside a worker).
        from . import checks, workers  # noqa: F401  (checks registers the reaper check)
