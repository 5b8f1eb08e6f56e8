"""Tasks whose worker died: marked failed with a message that says what was left.

A worker killed mid-task (OOM, SIGKILL, a reboot) cannot record anything. Its task stays
``processing`` and keeps the install's busy fence; ``acks_late`` redelivers the message,
but ``claim_task`` refuses to run a task twice. ``reap_stale_tasks`` (periodic) finds
tasks whose heartbeat (written every ``TASK_HEARTBEAT_EVERY`` seconds by a thread of the
running task, whatever its step) is older than ``TASK_STALE_AFTER`` seconds and ends them:
the task is marked failed: "The worker stopped while ...". What the task held is repaired
by the apps above through the ``task_lost`` and ``task_reaped`` signals (signals.py);
``apps/installs/receivers.py`` does this for installs:

* the install's fence is released;
* an install left ``installing`` (install, clone, restore to another place) is marked
  failed, with the files and tables it may have created recorded as its list-files and
  list-tables, so ``uninstall`` with ``force`` removes exactly those;
* an install left ``uninstalling`` goes back to installed (its files may be partly gone);
* an update names the backup taken before it, to restore.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Task
from .signals import task_lost, task_reaped

log = logging.getLogger(__name__)

# Progress is reported between steps; the longest step (copying a big site) must fit.
DEFAULT_STALE_AFTER = 1800

DOING = {
    "install": "installing the application", "uninstall": "uninstalling the application",
    "upgrade": "updating the application", "update": "updating the application",
    "backup": "backing up the application", "restore": "restoring a backup",
    "restoreto": "restoring a backup to a new location", "clone": "cloning the application",
    "import": "importing the application", "migrate": "migrating the application",
}


def stale_after() -> int:
    return int(getattr(settings, "TASK_STALE_AFTER", DEFAULT_STALE_AFTER))


def reap_stale_tasks(now=None, *, seconds: int | None = None) -> list[str]:
    """Fail every processing task silent for longer than ``seconds``; returns their ids."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=stale_after() if seconds is None else seconds)
    reaped = []
    stale = Task.objects.filter(status=Task.Status.PROCESSING).filter(heartbeat__lt=cutoff)
    for task in stale.select_related("account"):
        try:
            if _reap(task, cutoff):
                reaped.append(task.id)
        except Exception:  # noqa: BLE001 - one bad row must not stop the others
            log.exception("could not reap task %s", task.pk)
    return reaped


def _reap(task: Task, cutoff) -> bool:
    minutes = max(1, int((timezone.now() - task.heartbeat).total_seconds() // 60))
    message = (f"The worker stopped while {DOING.get(task.cmd, task.cmd)} (no sign of life "
               f"for {minutes} minutes); the task was ended.")
    for _receiver, said in task_lost.send(sender=Task, task=task):
        if said:
            message += " " + said
    with transaction.atomic():
        won = Task.objects.filter(pk=task.pk, status=Task.Status.PROCESSING,
                                  heartbeat__lt=cutoff).update(
            status=Task.Status.FAILED, message=message, errcode="failed_worker_lost",
            finished=timezone.now())
        if won != 1:
            return False  # it woke up, or another reaper was first
        task_reaped.send(sender=Task, task=task, message=message)
    log.warning("reaped task %s (%s): worker lost", task.pk, task.cmd)
    return True
