"""Celery entry points of the panels app."""

from __future__ import annotations

from celery import shared_task

from installatron_gui.celery import app

from . import services

# How often the release job runs. With the default 30 minutes of idle time a path is
# disabled 30 to 40 minutes after the last action, inside the reference's 30 min .. 4 h.
RELEASE_EVERY = 600.0


@shared_task(name="panels.release_idle_paths", acks_late=True, ignore_result=True)
def release_idle_paths() -> int:
    """Give back paths enabled through the panel's enable_path hook once their websites
    have been idle for settings.PATH_IDLE_RELEASE (see services.release_idle_paths).
    Idempotent: a lease is deleted in the same transaction that disables its path."""
    return services.release_idle_paths()


# Registered here so the job ships with the app; `celery beat` (or `worker -B`) runs it.
app.add_periodic_task(RELEASE_EVERY, release_idle_paths.s(), name="panels.release_idle_paths")
