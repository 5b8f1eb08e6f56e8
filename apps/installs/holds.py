"""The busy fence: one task at a time holds an install (``Install.task``).

Every operation on an existing install (edit, update, backup, restore, clone, template,
uninstall) takes the install with a conditional UPDATE, so of two callers exactly one wins.
"""

from __future__ import annotations

from apps.tasks.models import Task

from .errors import InstallError
from .models import Install


def busy_error(install: Install) -> InstallError:
    running = Task.objects.filter(pk=install.task_id).first() if install.task_id else None
    what = f"task {running.pk} ({running.cmd}, {running.status})" if running else "another task"
    return InstallError(f"The install is busy with {what}; try again when it has finished.",
                        errcode="busy", status=409, field="id")


def hold_install(install: Install, task: Task) -> None:
    """Let ``task`` hold an installed ``install`` (conditional UPDATE), or raise ``busy``."""
    won = Install.objects.filter(pk=install.pk, task__isnull=True,
                                 status=Install.Status.INSTALLED).update(task=task)
    if won != 1:
        install.refresh_from_db()
        if install.task_id is None:
            raise InstallError(f"The install is {install.get_status_display().lower()}, "
                               "not installed.", errcode="invalid_argument_id", field="id")
        raise busy_error(install)
    install.task = task


def release_install(install_id: str, task_id: str) -> None:
    """End ``task``'s hold on the install (no-op if another task holds it)."""
    Install.objects.filter(pk=install_id, task_id=task_id).update(task=None)
