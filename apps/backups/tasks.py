"""Celery entry points: ids in, one service call, the outcome on the Task row."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from celery import shared_task

from apps.installs import notifications
from apps.installs.holds import release_install
from apps.installs.models import Install
from apps.tasks.services import run_task
from installatron_gui.celery import app
from installatron_gui.lib.errors import InstallatronError

from . import copies, restore, schedules, services, templates_service
from .errors import BackupError
from .migration import migrate_app_task  # noqa: F401  (registered with the worker)
from .models import Backup, BackupLocation, parse_expiry

log = logging.getLogger(__name__)


@contextmanager
def _failure_notice(event: str, install_id: str) -> Iterator[None]:
    """A user-fixable failure of the task sends ``event`` about the install (if it asked
    for that notification), then goes on to be recorded on the task row."""
    try:
        yield
    except InstallatronError as exc:
        install = Install.objects.select_related("website", "account").filter(
            pk=install_id).first()
        notifications.notify(install, event, message=exc.message)
        raise


def _install(install_id: str) -> Install:
    install = Install.objects.select_related("website", "account").filter(pk=install_id).first()
    if install is None:
        raise BackupError("The install this task worked on no longer exists.")
    return install


def _backup(backup_id: str) -> Backup:
    backup = Backup.objects.select_related("account", "website").filter(pk=backup_id).first()
    if backup is None:
        raise BackupError("The backup this task worked on no longer exists.")
    return backup


def _check_message(task, *rows, held: Install | None = None, agree: bool = True) -> None:
    """A Celery message is not trusted beyond its task id: every backup or install it names
    must belong to the account of the task row the authenticated request wrote, and what
    the request held for the task must be held by it. Otherwise nothing is done."""
    if agree and all(row.account_id == task.account_id for row in rows) and (
            held is None or held.task_id == task.id):
        return
    log.warning("task %s (%s): its message names rows the task row does not; refused",
                task.id, task.cmd)
    raise BackupError("This task's message does not match the request that queued it; "
                      "nothing was done.", errcode="invalid_argument_id", status=403)


def _release_held(task) -> None:
    """End the task's hold on every install it holds (whatever ids its message named)."""
    Install.objects.filter(task_id=task.id).update(task=None)


def _left_out_note(backup: Backup) -> str:
    names = backup.left_out  # set by services.create_backup
    if not names:
        return ""
    shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
    return (f" {len(names)} symbolic links or special files could not be included ({shown}); "
            "a restore leaves whatever is at those places as it is.")


@shared_task(acks_late=True, ignore_result=True)
def create_backup(task_id: str, expiry: str = "", location: str = "") -> None:
    """Back up the install a Task row names; the install is released however it ends.

    ``location``: "" for the install's own bkloc, "local" for this server only, or the id
    of one of the owner's saved BackupLocations (an id: never a URI with its password).
    """

    def body(task, report):
        from . import locations

        try:
            with _failure_notice("backup_error", task.install):
                install = _install(task.install)
                uri = locations.chosen_uri(install, location)
                backup = services.create_backup(install, report=report,
                                                expiry=parse_expiry(expiry or None))
                note = locations.upload_backup(backup, uri) if uri else ""
        finally:
            release_install(task.install, task.id)
        return (f"The backup of {backup.url} was created.{_left_out_note(backup)}{note}",
                {"backup": backup.id})

    run_task(task_id, body)


@shared_task(acks_late=True, ignore_result=True)
def delete_backup(task_id: str, backup_id: str) -> None:
    """The delete API with ``background``: the archive, its remote copy and the row."""

    def body(task, report):
        backup = Backup.objects.filter(pk=backup_id).first()
        if backup is not None:  # a redelivered message finds it gone: done already
            report(10, 90, "Removing files")
            services.delete_backup(backup)
        return "The backup was deleted.", {"id": backup_id}

    run_task(task_id, body)


@shared_task(acks_late=True, ignore_result=True)
def restore_backup(task_id: str, backup_id: str, db_mode: str = "") -> None:
    def body(task, report):
        try:
            from . import locations

            with _failure_notice("restore_error", task.install):
                backup = _backup(backup_id)
                install = _install(task.install)
                # Only a backup of this very install (check_restore's rule).
                _check_message(task, backup, install, agree=backup.install_ref == install.id)
                uri = locations.uri_of(backup)
                if uri:
                    locations.fetch_backup(backup, uri)
                install = restore.restore_backup(backup, install, report=report,
                                                  db_mode=db_mode or None)
        finally:
            release_install(task.install, task.id)
        return f"The backup was restored to {install.url}.", {"backup": backup_id,
                                                              "install": install.id}

    run_task(task_id, body)


@shared_task(acks_late=True, ignore_result=True)
def restore_to(task_id: str, backup_id: str) -> None:
    def body(task, report):
        install = _install(task.install)
        try:
            backup = _backup(backup_id)
            _check_message(task, backup, install)
        except BackupError:
            install.mark_failed()
            raise
        install = copies.restore_to(backup, install, report=report)
        return f"The backup was restored to {install.url}.", {"backup": backup_id,
                                                              "install": install.id}

    run_task(task_id, body)


@shared_task(acks_late=True, ignore_result=True)
def clone_install(task_id: str, source_id: str) -> None:
    def body(task, report):
        try:
            source, install = _install(source_id), _install(task.install)
            try:
                _check_message(task, source, install, held=source)
            except BackupError:
                install.mark_failed()
                raise
            with _failure_notice("clone_error", source_id):
                install = copies.clone_install(source, install, report=report)
        finally:
            _release_held(task)
        return f"The clone is at {install.url}.", {"install": install.id, "source": source_id}

    run_task(task_id, body)


@shared_task(acks_late=True, ignore_result=True)
def push_stage(task_id: str, stage_id: str) -> None:
    """Copy a stage onto its live install (the task's); both are released at the end."""

    def body(task, report):
        try:
            stage, live = _install(stage_id), _install(task.install)
            _check_message(task, stage, live, held=stage, agree=stage.stage_of == live.id)
            live, safety = restore.push_stage(stage, live, report=report)
        finally:
            _release_held(task)
        return (f"The stage was copied to {live.url}; the live site as it was before is "
                f"kept as backup {safety.id}.", {"install": live.id, "stage": stage_id,
                                                 "backup": safety.id})

    run_task(task_id, body)


# Expiry is counted in hours at the finest, so hourly is precise enough.
EXPIRE_EVERY = 3600.0


@shared_task(name="backups.delete_expired_backups", acks_late=True, ignore_result=True)
def delete_expired_backups() -> int:
    """Periodic: expired backups and temporary archives killed workers left behind."""
    return services.delete_expired_backups()


# Registered here so the job ships with the app; `celery beat` (or `worker -B`) runs it.
app.add_periodic_task(EXPIRE_EVERY, delete_expired_backups.s(),
                      name="backups.delete_expired_backups")


# The names are those these tasks had in apps.installs.tasks, so messages already in the
# broker (and the beat schedule) still find them.
@shared_task(name="apps.installs.tasks.autobackup_install", acks_late=True, ignore_result=True)
def autobackup_install(task_id: str, periods: str) -> None:
    """An automatic backup (schedules.run_autobackups); released however it ends."""

    def body(task, report):
        try:
            backup = schedules.autobackup_install(_install(task.install), periods.split(","),
                                                  report=report)
        finally:
            release_install(task.install, task.id)
        return f"The automatic backup of {backup.url} was created.", {"backup": backup.id}

    run_task(task_id, body)


@shared_task(name="installs.run_autobackups", acks_late=True, ignore_result=True)
def run_autobackups() -> int:
    """Periodic (Celery beat): automatic backups that are due."""

    return len(schedules.run_autobackups())


@shared_task(name="apps.installs.tasks.create_template", acks_late=True, ignore_result=True)
def create_template(task_id: str, title: str = "") -> None:
    """Save the install a Task row names as a template; released however it ends."""

    def body(task, report):
        try:
            template = templates_service.create_template(_install(task.install),
                                                          report=report, title=title)
        finally:
            release_install(task.install, task.id)
        return f"The template {template.title} was saved.", {"template": template.id}

    run_task(task_id, body)


@shared_task(acks_late=True, ignore_result=True)
def check_location(task_id: str, location_id: int) -> None:
    """Test a backup location the owner just added (connect, write a small file, remove
    it) in the worker, not in their web request; a location that fails is not kept."""

    def body(task, report):
        from . import locations

        location = BackupLocation.objects.filter(pk=location_id, pending=True).first()
        if location is None or location.account_id != task.account_id:
            _check_message(task, agree=False)
        report(10, 90, "Connecting")
        try:
            locations.check_location(location.uri, account=location.account)
        except BaseException:
            location.delete()
            raise
        BackupLocation.objects.filter(pk=location.pk).update(pending=False)
        return "The location works and was saved.", {"location": location.pk}

    run_task(task_id, body)
