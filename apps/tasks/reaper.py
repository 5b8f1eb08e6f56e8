"""Tasks whose worker died: marked failed with a message that says what was left.

A worker killed mid-task (OOM, SIGKILL, a reboot) cannot record anything. Its task stays
``processing`` and keeps the install's busy fence; ``acks_late`` redelivers the message,
but ``claim_task`` refuses to run a task twice. ``reap_stale_tasks`` (periodic) finds
tasks whose heartbeat (written every ``TASK_HEARTBEAT_EVERY`` seconds by a thread of the
running task, whatever its step) is older than ``TASK_STALE_AFTER`` seconds and ends them:

* the task is marked failed: "The worker stopped while ...";
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

from installatron_gui.lib.errors import InstallatronError

from .models import Task

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
ERROR_EVENTS = {"upgrade": "update_error", "update": "update_error", "backup": "backup_error",
                "restore": "restore_error", "clone": "clone_error"}


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
    from apps.installs import notifications
    from apps.installs.models import Install

    minutes = max(1, int((timezone.now() - task.heartbeat).total_seconds() // 60))
    message = (f"The worker stopped while {DOING.get(task.cmd, task.cmd)} (no sign of life "
               f"for {minutes} minutes); the task was ended.")
    held = list(Install.objects.filter(task_id=task.pk).select_related("account", "website"))
    target = next((i for i in held if i.pk == task.install), None)
    if target is not None and target.status == Install.Status.INSTALLING:
        message += " " + _mark_half_installed(target, task, held)
    elif target is not None and target.status == Install.Status.UNINSTALLING:
        message += (" Some of its files or tables may already be gone; uninstall it again "
                    "(with force if needed).")
    elif task.cmd in ("upgrade", "update", "restore"):
        backup = (task.result or {}).get("backup")
        message += (" The site may be half-changed; restore the backup taken before it "
                    f"({backup})." if backup else
                    " The site may be half-changed; check it and restore a backup if needed.")
    with transaction.atomic():
        won = Task.objects.filter(pk=task.pk, status=Task.Status.PROCESSING,
                                  heartbeat__lt=cutoff).update(
            status=Task.Status.FAILED, message=message, errcode="failed_worker_lost",
            finished=timezone.now())
        if won != 1:
            return False  # it woke up, or another reaper was first
        for install in held:
            update = {"task": None}
            if install.status == Install.Status.UNINSTALLING:
                update["status"] = Install.Status.INSTALLED
            elif install.status == Install.Status.INSTALLING:
                update.update(status=Install.Status.FAILED, pending_secrets=None)
            Install.objects.filter(pk=install.pk, task_id=task.pk).update(**update)
    log.warning("reaped task %s (%s): worker lost", task.pk, task.cmd)
    event = ERROR_EVENTS.get(task.cmd)
    if event and target is not None:
        notifications.notify(target, event, message=message)
    return True


def _mark_half_installed(install, task: Task, held: list) -> str:
    """Record what a half-finished install may have created (so uninstall with force
    removes it) and say so. The install's checks refused a folder holding any of these
    names and a database holding tables with its prefix, so whatever is there is ours."""
    from apps.catalog.errors import CatalogError
    from apps.recipes.base import get_recipe
    from apps.catalog.services import package_for
    from apps.installs import services

    candidates: set[str] = set()
    for other in held:  # a clone also holds its source: the files it copies
        if other.pk != install.pk:
            candidates |= set(other.list_files)
    try:
        recipe = get_recipe(install.installer)
        candidates |= set(recipe.extra_files)
        candidates |= set(services.archive_names(package_for(install.installer,
                                                             install.version)))
    except (CatalogError, InstallatronError):
        pass
    files = sorted(candidates)
    try:
        with services.open_website(install.website) as transport:
            if transport.exists(install.path):
                present = set(transport.listdir(install.path))
                files = sorted(candidates & present)
    except (InstallatronError, OSError, AttributeError):
        pass  # cannot look: list every candidate, uninstall skips what is missing
    tables: list[str] = []
    if install.db_name:
        try:
            conn = services.connect_db(install.db_host, install.db_user, install.db_pass,
                                       install.db_name)
            try:
                tables = services.tables_with_prefix(conn, install.db_prefix)
            finally:
                conn.close()
        except InstallatronError:
            tables = list(install.list_tables)
    type(install).objects.filter(pk=install.pk).update(list_files=files, list_tables=tables)
    shown = ", ".join(files[:8]) + (" ..." if len(files) > 8 else "")
    where = f" in {install.full_path()}" if files else ""
    db = (f" and {len(tables)} tables starting with {install.db_prefix} in the database "
          f"{install.db_name}" if tables else "")
    return (f"The install is incomplete and was marked failed. It may have left files"
            f"{where} ({shown or 'none found'}){db}; uninstall it with force to remove them.")
