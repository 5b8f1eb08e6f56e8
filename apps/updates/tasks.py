"""Celery entry points of updates: ids in, one service call, the outcome on the Task row.

The task names are those they had when they lived in apps.installs.tasks, so messages
already in the broker still find them.
"""

from __future__ import annotations

from celery import shared_task

from apps.installs.errors import InstallError
from apps.installs.holds import release_install
from apps.installs.models import Install
from apps.tasks.services import run_task

from . import schedules
from . import services as updates


def _install_of(task) -> Install:
    install = Install.objects.select_related("website", "account").filter(pk=task.install).first()
    if install is None:
        raise InstallError("The install this task worked on no longer exists.")
    return install


@shared_task(name="apps.installs.tasks.update_app", acks_late=True, ignore_result=True)
def update_app(task_id: str, version: str, revert: bool = False, plugins: str = "",
               themes: str = "", automatic: bool = False) -> None:
    """Run the update a Task row names; the install is released however it ends."""

    def body(task, report):
        try:
            install = updates.update_app(_install_of(task), report=report, version=version,
                                         revert=revert, plugins=plugins, themes=themes,
                                         automatic=automatic)
        finally:
            release_install(task.install, task.id)
        return (f"{install.app_name} at {install.url} is now version {install.version}.",
                {"install": install.id, "version": install.version,
                 "backup": (task.__class__.objects.get(pk=task.pk).result or {}).get("backup")})

    run_task(task_id, body)


@shared_task(name="installs.run_autoupdates", acks_late=True, ignore_result=True)
def run_autoupdates() -> int:
    """Periodic (Celery beat): automatic updates and update_available emails."""

    return len(schedules.run_autoupdates())
