"""Celery entry points of the tasks app: the reaper of tasks whose worker died."""

from __future__ import annotations

from celery import shared_task

from . import reaper


@shared_task(name="tasks.reap_stale_tasks", acks_late=True, ignore_result=True)
def reap_stale_tasks() -> int:
    """Periodic (Celery beat): end tasks whose worker stopped (see reaper.py)."""
    return len(reaper.reap_stale_tasks())
