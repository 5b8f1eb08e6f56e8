"""What installs add to the tasks app below them, which may not import installs.

``describe_tasks`` (registered in tasks.views.DESCRIBERS by InstallsConfig.ready()) tells
the Tasks page whether each task's install can still be opened and its application's name.

The receivers repair what a lost task (its worker died) left on installs; the reaper
(apps/tasks/reaper.py) ends the task and sends ``task_lost`` / ``task_reaped``
(apps/tasks/signals.py):

* the install's busy fence is released;
* an install left ``installing`` (install, clone, restore to another place) is marked
  failed, with the files and tables it may have created recorded as its list-files and
  list-tables, so ``uninstall`` with ``force`` removes exactly those;
* an install left ``uninstalling`` goes back to installed (its files may be partly gone);
* an update names the backup taken before it, to restore;
* the owner is notified of a failed update, backup, restore or clone.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from apps.catalog.errors import CatalogError
from apps.catalog.services import package_for
from apps.recipes.base import get_recipe
from apps.tasks.models import Task
from apps.tasks.signals import task_lost, task_reaped
from installatron_gui.lib.errors import InstallatronError

from . import notifications
from .models import Install
from .plan import archive_names
from .reach import connect_db, open_website, tables_with_prefix

ERROR_EVENTS = {"upgrade": "update_error", "update": "update_error", "backup": "backup_error",
                "restore": "restore_error", "clone": "clone_error"}


def describe_tasks(tasks: list[Task]) -> None:
    ids = {t.install for t in tasks if t.install}
    existing = {str(i.pk): i for i in Install.objects.filter(pk__in=ids).only("pk", "installer")}
    for task in tasks:
        task.install_exists = task.install in existing
        task.app_name = existing[task.install].app_name if task.install_exists else ""


def _held(task: Task) -> tuple[list[Install], Install | None]:
    held = list(Install.objects.filter(task_id=task.pk).select_related("account", "website"))
    return held, next((i for i in held if i.pk == task.install), None)


@receiver(task_lost, sender=Task)
def explain_lost_task(sender, task: Task, **kwargs) -> str:
    held, target = _held(task)
    if target is not None and target.status == Install.Status.INSTALLING:
        return _mark_half_installed(target, held)
    if target is not None and target.status == Install.Status.UNINSTALLING:
        return ("Some of its files or tables may already be gone; uninstall it again "
                "(with force if needed).")
    if task.cmd in ("upgrade", "update", "restore"):
        backup = (task.result or {}).get("backup")
        return ("The site may be half-changed; restore the backup taken before it "
                f"({backup})." if backup else
                "The site may be half-changed; check it and restore a backup if needed.")
    return ""


@receiver(task_reaped, sender=Task)
def release_reaped_task(sender, task: Task, message: str, **kwargs) -> None:
    held, target = _held(task)
    for install in held:
        update = {"task": None}
        if install.status == Install.Status.UNINSTALLING:
            update["status"] = Install.Status.INSTALLED
        elif install.status == Install.Status.INSTALLING:
            update.update(status=Install.Status.FAILED, pending_secrets=None)
        Install.objects.filter(pk=install.pk, task_id=task.pk).update(**update)
    event = ERROR_EVENTS.get(task.cmd)
    if event and target is not None:
        transaction.on_commit(lambda: notifications.notify(target, event, message=message))


def _mark_half_installed(install: Install, held: list[Install]) -> str:
    """Record what a half-finished install may have created (so uninstall with force
    removes it) and say so. The install's checks refused a folder holding any of these
    names and a database holding tables with its prefix, so whatever is there is ours."""
    candidates: set[str] = set()
    for other in held:  # a clone also holds its source: the files it copies
        if other.pk != install.pk:
            candidates |= set(other.list_files)
    try:
        recipe = get_recipe(install.installer)
        candidates |= {n.split("/", 1)[0] for n in recipe.extra_files}
        candidates |= set(archive_names(package_for(install.installer, install.version)))
    except (CatalogError, InstallatronError):
        pass
    files = sorted(candidates)
    try:
        with open_website(install.website) as transport:
            if transport.exists(install.path):
                present = set(transport.listdir(install.path))
                files = sorted(candidates & present)
    except (InstallatronError, OSError, AttributeError):
        pass  # cannot look: list every candidate, uninstall skips what is missing
    tables: list[str] = []
    if install.db_name:
        try:
            conn = connect_db(install.db_host, install.db_user, install.db_pass, install.db_name)
            try:
                tables = tables_with_prefix(conn, install.db_prefix)
            finally:
                conn.close()
        except InstallatronError:
            tables = list(install.list_tables)
    Install.objects.filter(pk=install.pk).update(list_files=files, list_tables=tables)
    shown = ", ".join(files[:8]) + (" ..." if len(files) > 8 else "")
    where = f" in {install.full_path()}" if files else ""
    db = (f" and {len(tables)} tables starting with {install.db_prefix} in the database "
          f"{install.db_name}" if tables else "")
    return (f"The install is incomplete and was marked failed. It may have left files"
            f"{where} ({shown or 'none found'}){db}; uninstall it with force to remove them.")
