"""Celery entry points: ids in, one service call, the outcome on the Task row."""

from __future__ import annotations

from celery import shared_task

from apps.tasks.services import run_task

from . import editing, notifications, services, sso
from .errors import InstallError
from .models import Install


def _install_of(task) -> Install:
    install = Install.objects.select_related("website", "account").filter(pk=task.install).first()
    if install is None:
        raise InstallError("The install this task worked on no longer exists.")
    return install


@shared_task(acks_late=True, ignore_result=True)
def install_app(task_id: str) -> None:
    """Run the install a Task row names. A redelivered message finds the task claimed."""

    def body(task, report):
        install = services.install_app(_install_of(task), report=report)
        notifications.notify(install, "install", version=install.version)
        return f"{install.app_name} was installed at {install.url}.", {"install": install.id}

    run_task(task_id, body)


@shared_task(acks_late=True, ignore_result=True)
def uninstall_app(task_id: str, force: bool = False) -> None:
    """Run the uninstall a Task row names."""

    def body(task, report):
        install = _install_of(task)
        url = install.url
        problems = services.uninstall_app(install, report=report, force=force)
        notifications.notify(install, "uninstall", version=install.version)
        note = f" (skipped: {', '.join(problems)})" if problems else ""
        return f"The application at {url} was uninstalled{note}.", {"install": task.install}

    run_task(task_id, body)


@shared_task(acks_late=True, ignore_result=True)
def edit_install(task_id: str) -> None:
    """Run an edit that changes the site (apps.installs.editing)."""

    def body(task, report):
        install = editing.edit_install(_install_of(task), task, report=report)
        return f"The settings of {install.url} were changed.", {"install": task.install}

    run_task(task_id, body)


@shared_task(name="installs.cleanup_admin_sso", acks_late=True, ignore_result=True)
def cleanup_admin_sso() -> int:
    """Periodic: remove one-time sign-in files that expired unused."""

    return sso.cleanup_admin_sso()


def _schedule_cleanup() -> None:
    from installatron_gui.celery import app

    # Links live minutes; a sweep a minute keeps an unused file around briefly.
    app.add_periodic_task(60.0, cleanup_admin_sso.s(), name="installs.cleanup_admin_sso")


_schedule_cleanup()

