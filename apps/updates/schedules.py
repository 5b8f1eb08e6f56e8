"""Automatic updates (run by Celery beat).

``run_autoupdates`` looks at every install and queues ordinary update tasks (Task row,
busy fence, Celery on commit), so what it starts is listed, fenced and reaped like any
other operation. An install that is busy is simply tried again at the next run.

``autoup`` 1 (v2 ``custom``) updates to the newest version in the same branch, 2
(``all``) to the newest version; ``update_available`` is sent once per new version
whatever ``autoup`` is. An update that failed is retried at most ``AUTOUP_MAX_ATTEMPTS``
times for the same version (``version-autouped-attempts``).
"""

from __future__ import annotations

import logging

from django.db import transaction

from apps.installs import notifications
from apps.installs.models import Install
from installatron_gui.lib.errors import InstallatronError

from . import services as updates

log = logging.getLogger(__name__)

AUTOUP_MAX_ATTEMPTS = 3


def run_autoupdates() -> list[str]:
    """Notify new versions and queue the automatic updates that are due; returns the
    ids of the tasks started."""

    started: list[str] = []
    installs = Install.objects.filter(status=Install.Status.INSTALLED).select_related(
        "account", "website")
    for install in installs:
        newest = updates.latest_for(install)
        if newest and newest != install.version_notified:
            notifications.notify(install, "update_available", version=newest,
                                 previous=install.version)
            Install.objects.filter(pk=install.pk).update(version_notified=newest)
        if install.autoup not in (1, 2) or install.busy:
            continue
        target = updates.latest_for(install, minor_only=install.autoup == 1)
        if not target:
            continue
        attempts = install.version_autouped_attempts if install.version_autouped == target else 0
        if attempts >= AUTOUP_MAX_ATTEMPTS:
            continue
        try:
            with transaction.atomic():
                plan = updates.check_update(install, {"version": target}, automatic=True)
                task = updates.start_update(plan)
                Install.objects.filter(pk=install.pk).update(
                    version_autouped=target, version_autouped_attempts=attempts + 1)
        except InstallatronError as exc:
            log.info("automatic update of %s to %s not started: %s", install.pk, target,
                     exc.errcode)
            continue
        started.append(task.id)
    return started
