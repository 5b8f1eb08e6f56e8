"""Automatic backups (run by Celery beat).

``run_autobackups`` looks at every install and queues ordinary backup tasks (Task row,
busy fence, Celery on commit), so what it starts is listed, fenced and reaped like any
other operation. An install that is busy is simply tried again at the next run.

``autobk=custom`` keeps ``autobk_daily`` daily, ``autobk_weekly`` weekly and
``autobk_monthly`` monthly backups. One backup serves every period that is due; old ones
are removed only after a new one was made, so the last good backup is never the one
deleted.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.installs import notifications
from apps.installs.holds import hold_install
from apps.installs.models import Install
from apps.installs.steps import Report
from apps.tasks.services import enqueue
from installatron_gui.lib.errors import InstallatronError

from . import locations, services
from .models import Backup

log = logging.getLogger(__name__)

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1),
           "monthly": timedelta(days=30)}
# A run a little early still counts (beat's clock and the backup's own duration).
SLACK = timedelta(hours=1)


def due_periods(install: Install, now=None) -> list[str]:
    """The backup periods of ``install`` whose newest automatic backup is too old."""
    counts = install.backup_counts()
    now = now or timezone.now()
    state = install.autobk_state or {}
    due = []
    for period, length in PERIODS.items():
        if counts[period] <= 0:
            continue
        ids = state.get(period) or []
        newest = (Backup.objects.filter(pk__in=ids).order_by("-backup_time")
                  .values_list("backup_time", flat=True).first())
        if newest is None or newest <= now - length + SLACK:
            due.append(period)
    return due


def run_autobackups(now=None) -> list[str]:
    """Queue a backup for every install with a custom schedule and a period due."""
    from . import tasks  # tasks imports this module

    started: list[str] = []
    installs = (Install.objects.filter(status=Install.Status.INSTALLED, task__isnull=True)
                .exclude(autobk="").select_related("account", "website"))
    for install in installs:
        periods = due_periods(install, now)
        if not periods:
            continue
        try:
            with transaction.atomic():
                task = enqueue(tasks.autobackup_install, ",".join(periods), cmd="backup",
                               label="_tasks_backingup", install=install)
                hold_install(install, task)
                task_id = task.id
        except InstallatronError as exc:
            log.info("automatic backup of %s not started: %s", install.pk, exc.errcode)
            continue
        started.append(task_id)
    return started


def autobackup_install(install: Install, periods: list[str], *, report: Report):
    """Back up ``install`` for ``periods``, then keep only each period's newest counts.

    A backup is deleted only when no period keeps it any more, and only after the new
    one exists: a failing schedule never eats the backups it already has.
    """
    try:
        backup = services.create_backup(install, report=report,
                                        title=f"Automatic backup ({', '.join(periods)})",
                                        schedule=install.autobk)
    except InstallatronError as exc:
        notifications.notify(install, "autobk_error", message=exc.message)
        raise
    uri = locations.location_of(install)
    if uri:
        locations.upload_backup(backup, uri)  # a failed upload keeps the local copy
    state = dict(install.autobk_state or {})
    existing = set(Backup.objects.filter(install=install).values_list("pk", flat=True))
    counts = install.backup_counts()
    for period in PERIODS:
        kept = [i for i in state.get(period) or [] if i in existing]
        if period in periods:
            kept.insert(0, backup.id)
        limit = counts[period]
        state[period] = kept[:limit] if limit > 0 else []
    keep = {i for ids in state.values() for i in ids}
    dropped = {i for period in PERIODS for i in (install.autobk_state or {}).get(period) or []
               if i in existing and i not in keep}
    Install.objects.filter(pk=install.pk).update(autobk_state=state)
    install.autobk_state = state
    for old in Backup.objects.filter(pk__in=dropped):
        services.delete_backup(old)
    notifications.notify(install, "autobk", backup=backup.id)
    return backup
