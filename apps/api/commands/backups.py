"""backup, backups, editbackup, restore, restoreto, delete, importbackup, clone."""

from __future__ import annotations

from django.db import transaction

from apps.backups import services
from apps.backups.errors import BackupError
from apps.backups.models import Backup
from apps.installs.models import Install

from .. import shapes
from ..dispatch import Context, command, is_yes
from ..paging import list_response
from ..replies import reply
from .installs import _finish, _header_account, _install_for


def _dryrun(ctx: Context) -> int:
    value = str(ctx.params.get("dryrun") or "0").strip()
    if value not in {"0", "1", "2"}:
        raise BackupError("dryrun must be 1 or 2.", errcode="invalid_argument_dryrun",
                          field="dryrun")
    return int(value)


_account = _header_account


def _backup_for(ctx: Context, account, backup_id) -> Backup:
    """A backup the call reaches (the dispatcher's scope); anything else is 404."""
    return ctx.get_scoped(Backup.objects.select_related("account", "website"), backup_id,
                          what="backup", principal=account)


def _backup_data(ctx: Context, task):
    def data():
        backup_id = (task.__class__.objects.get(pk=task.pk).result or {}).get("backup")
        backup = Backup.objects.select_related("account", "website").filter(pk=backup_id).first()
        return shapes.backup(backup, ctx.v2) if backup else None

    return data


def _install_data(ctx: Context, install_id: str):
    def data():
        found = Install.objects.select_related("account", "website").filter(pk=install_id).first()
        return shapes.install(found, ctx.v2) if found else None

    return data


@command("backup", atomic=False)
def backup(ctx: Context):
    """v1 cmd=backup, v2 POST /installs/{id}/backup: expiry, background."""
    # One transaction up to the queueing, as install: a refused call leaves no header
    # changes behind, and the worker starts (on_commit) only once it commits.
    with transaction.atomic():
        account = _header_account(ctx)
        install = _install_for(ctx, account, ctx.params.get("id"))
        task = services.start_backup(install, expiry=ctx.params.get("expiry"))
    return _finish(ctx, task, data_for_success=_backup_data(ctx, task))


@command("backups")
def backups(ctx: Context):
    """v1 cmd=backups, v2 GET /backups: q, pid, id, filter-ownedaccounts, paging."""
    qs = ctx.scoped(Backup.objects.select_related("account", "website"))
    backup_id = ctx.params.get("id")
    if backup_id not in (None, ""):
        qs = qs.filter(pk=str(backup_id))
        if not qs.exists():
            raise BackupError(f"There is no backup '{str(backup_id)[:32]}'.",
                              errcode="invalid_argument_id", status=404, field="id")
    pid = ctx.params.get("pid")
    if pid not in (None, ""):
        qs = qs.filter(install_ref=str(pid))
    q = ctx.params.get("q")
    if isinstance(q, str) and q:
        qs = qs.search(q)
    return list_response(qs, ctx.params, lambda items: [shapes.backup(b, ctx.v2) for b in items],
                         v1=not ctx.v2)


@command("editbackup")
def editbackup(ctx: Context):
    """v1 cmd=editbackup, v2 POST /backups/{id}: expiry, title."""
    target = _backup_for(ctx, _account(ctx), ctx.params.get("id"))
    services.edit_backup(target, ctx.params)
    return reply(shapes.backup(target, ctx.v2), message="The backup was updated.")


@command("delete")
def delete(ctx: Context):
    """v1 cmd=delete, v2 DELETE /backups/{id}: removes the archive and the record."""
    target = _backup_for(ctx, _account(ctx), ctx.params.get("id"))
    if is_yes(ctx.params.get("background")):
        # As 001's other background calls: the task table, polled with the tasks API.
        task = services.start_delete_backup(target)
        return _finish(ctx, task, data_for_success=lambda: None)
    services.delete_backup(target)
    return reply({"id": ctx.params.get("id")}, message="The backup was deleted.")


@command("importbackup")
def importbackup(ctx: Context):
    """v1 cmd=importbackup: ``path`` relative to the user's website path."""
    account = _header_account(ctx)
    imported = services.import_backup(account, ctx.params.get("path"))
    return reply(shapes.backup(imported, ctx.v2), message="The backup was imported.")


@command("restore", atomic=False)
def restore(ctx: Context):
    """v1 cmd=restore, v2 POST /backups/{id}/restore: db=manual, background, dryrun.

    A restore with ``url`` goes to another location, as restoreto does.
    """
    if ctx.params.get("url") not in (None, ""):
        return restoreto(ctx)
    with transaction.atomic():
        target = _backup_for(ctx, _account(ctx), ctx.params.get("id"))
        dryrun = _dryrun(ctx)
        db_mode = ctx.params.get("db") or None
        if dryrun:
            install = services.check_restore(target, db_mode=db_mode, dryrun=dryrun)
            return reply({"id": target.id, "install": install.id, "url": install.url},
                         message="The request is valid; nothing was changed.")
        task = services.start_restore(target, db_mode=db_mode)
    return _finish(ctx, task, data_for_success=_install_data(ctx, task.install))


@command("restoreto", atomic=False)
def restoreto(ctx: Context):
    """v1 cmd=restoreto, v2 POST /backups/{id}/restoreto: url, url_ip, db_*, dryrun."""
    with transaction.atomic():
        target = _backup_for(ctx, _account(ctx), ctx.params.get("id"))
        dryrun = _dryrun(ctx)
        plan = services.check_restore_to(target, ctx.params, dryrun=dryrun)
        if dryrun:
            return reply(plan.as_api(ctx.v2),
                         message="The request is valid; nothing was changed.")
        install, task = services.start_restore_to(target, plan)
    return _finish(ctx, task, data_for_success=_install_data(ctx, install.id))


@command("clone", atomic=False)
def clone(ctx: Context):
    """v1 cmd=clone, v2 POST /installs/{id}/clone: url, url_ip, db_*, db_prefix, dryrun."""
    with transaction.atomic():
        account = _header_account(ctx)
        source = _install_for(ctx, account, ctx.params.get("id"))
        dryrun = _dryrun(ctx)
        plan = services.check_clone(source, ctx.params, dryrun=dryrun)
        if dryrun:
            return reply(plan.as_api(ctx.v2),
                         message="The request is valid; nothing was changed.")
        install, task = services.start_clone(source, plan,
                                             stage=is_yes(ctx.params.get("stage")))
    return _finish(ctx, task, data_for_success=_install_data(ctx, install.id))
