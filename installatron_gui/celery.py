import os

from celery import Celery
from celery.signals import beat_init, celeryd_init

from installatron_gui.lib.private import lock_down

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "installatron_gui.settings")

app = Celery("installatron_gui")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@celeryd_init.connect
@beat_init.connect
def _private_files(**kwargs) -> None:
    """A worker or beat started from the command line writes private files only (the
    beat schedule, broker messages, backups): lib/private.py. Not on import, so a test
    process that only imports the app keeps its umask."""
    lock_down()


# Periodic jobs (run by `celery worker --beat`, scripts/run.sh). Apps may add more with
# app.add_periodic_task, which adds to this dict.
app.conf.beat_schedule = {
    "installs.run_autoupdates": {"task": "installs.run_autoupdates", "schedule": 3600.0},
    "installs.run_autobackups": {"task": "installs.run_autobackups", "schedule": 900.0},
    "tasks.reap_stale_tasks": {"task": "tasks.reap_stale_tasks", "schedule": 60.0},
    "accounts.clear_stale_rows": {"task": "accounts.clear_stale_rows", "schedule": 3600.0},
}
