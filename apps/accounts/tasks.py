"""Celery entry points of the accounts app: the periodic clean-up of spent rows."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="accounts.clear_stale_rows", ignore_result=True)
def clear_stale_rows() -> dict[str, int]:
    """Periodic (Celery beat, hourly): expired sessions, old hand-off ids, old login failures."""
    return services.clear_stale_rows()
