import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "installatron_gui.settings")

app = Celery("installatron_gui")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic jobs (run by `celery worker --beat`, scripts/run.sh). Apps may add more with
# app.add_periodic_task, which adds to this dict.
app.conf.beat_schedule = {
    "installs.run_autoupdates": {"task": "installs.run_autoupdates", "schedule": 3600.0},
    "installs.run_autobackups": {"task": "installs.run_autobackups", "schedule": 900.0},
    "tasks.reap_stale_tasks": {"task": "tasks.reap_stale_tasks", "schedule": 300.0},
}
