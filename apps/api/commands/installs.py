"""install, uninstall, installs, tasks: the same services the GUI calls."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Count

from apps.accounts import services as accounts
from apps.accounts.models import Account
from apps.backups.models import Backup
from apps.catalog.services import packages_by_application
from apps.installs import services
from apps.installs.errors import InstallError
from apps.installs.models import Install
from apps.tasks.models import Task, claim_wait
from apps.tasks.services import wait_for_task
from installatron_gui.lib.errors import status_for

from .. import shapes
from ..dispatch import Context, command, is_yes
from ..paging import list_response
from ..replies import error_reply, reply

# Only these members describe the account; install's own language/email are the app's.
HEADER_KEYS = ("user", "reseller", "websites")


def _wait_seconds() -> float:
    return float(getattr(settings, "INSTALLATRON_API_WAIT", 900))


_yes = is_yes


def header_params(ctx: Context, keys=HEADER_KEYS) -> dict | None:
    """The header members of the call, with ``user`` filled in from the websites when it
    is left out (001: "optional but recommended"; ``user_for_websites`` says how). None
    when the call names neither: then the ids the call sends name their owners."""
    params = {k: ctx.params[k] for k in keys if k in ctx.params}
    if params.get("user") in (None, ""):
        if ctx.params.get("websites") in (None, False, "", [], {}):
            return None
        params["user"] = accounts.user_for_websites(ctx.params["websites"], ctx.acting())
    return params


def _header_account(ctx: Context, *, by_id: bool = True) -> Account:
    """The account named by ``user`` (or by the websites), after applying the header's
    websites. When the call names neither: with ``by_id`` the key holder, so that the
    install or backup id the call sends reaches its owner's record; otherwise (install,
    import, migrate create a record and need an owner) ``empty_argument_user``."""
    params = header_params(ctx)
    if params is None:
        if by_id:
            return ctx.acting()
        raise InstallError("The user argument is required.", errcode="empty_argument_user",
                           field="user")
    header = accounts.parse_header(params)
    with transaction.atomic():
        account = accounts.apply_header(header, acting=ctx.acting())
    # later scoping (Context.principal) and the audit log see the user the header named
    ctx.params["user"] = account.username
    return account


def _read_header(ctx: Context) -> None:
    """Reads carry the request header too (001 3.1: "every request"): a header with
    websites creates or updates its user, as any other call does."""
    if ctx.params.get("websites") not in (None, False, "", [], {}):
        _header_account(ctx)


def _install_for(ctx: Context, account: Account, install_id) -> Install:
    """An install the call reaches (the dispatcher's scope); anything else is 404."""
    return ctx.get_scoped(Install.objects.select_related("account", "website"), install_id,
                          principal=account)


class NoWorker(InstallError):
    """No worker claimed the task in time; it stays queued and runs when one does."""

    def __init__(self, task: Task, seconds: float):
        super().__init__(
            f"No worker has started this task within {seconds:g} seconds, so the installer "
            f"cannot do it now. It stays queued as task {task.id} and runs when a worker is "
            "available; follow it with the tasks API.", errcode="failed_no_worker")


def _finish(ctx: Context, task: Task, *, data_for_success):
    """Reply with the task (background), or wait for it and reply with its outcome.

    Without ``background`` the reply's ``task`` is the task id: the reference lists the
    task table only for background calls (and typed clients read ``task`` as a string).
    The wait gives up after ``INSTALLATRON_API_CLAIM_WAIT`` seconds if no worker has
    claimed the task, so a call never hangs on a stopped worker.
    """
    if _yes(ctx.params.get("background")):
        return reply(None, message="The task was started.", task=shapes.task(task))
    task = wait_for_task(task.id, timeout=_wait_seconds(), claim_timeout=claim_wait())
    if task.status == Task.Status.QUEUED:
        return error_reply(NoWorker(task, claim_wait()), task=task.id)
    if not task.done:
        return reply(None, message="The task is still running; poll the tasks API.",
                     status=202, task=task.id)
    if task.status == Task.Status.FAILED:
        errcode = task.errcode or "failed"
        return error_reply(InstallError(task.message, errcode=errcode,
                                        status=status_for(errcode)), task=task.id)
    return reply(data_for_success(), message=task.message, task=task.id)


@command("install", atomic=False)
def install(ctx: Context):
    """v1 cmd=install, v2 POST /browser/{application}/install."""
    # One transaction up to the queueing: a refused install leaves no header changes
    # behind; the worker starts (on_commit) only after it commits.
    with transaction.atomic():
        account = _header_account(ctx, by_id=False)
        plan = services.check_install(account, ctx.params, dryrun=ctx.dryrun,
                                      acting=ctx.acting())
        if plan.dryrun:
            # the dispatcher rolls the header changes back as well
            return reply(shapes.install_plan(plan, ctx.v2),
                         message="The request is valid; nothing was changed.")
        created, task = services.start_install(plan)

    def data():
        return shapes.install(Install.objects.select_related("account", "website").get(
            pk=created.pk), ctx.v2)

    return _finish(ctx, task, data_for_success=data)


@command("uninstall", atomic=False)
def uninstall(ctx: Context):
    """v1 cmd=uninstall, v2 DELETE /installs/{id}."""
    with transaction.atomic():
        account = _header_account(ctx)
        target = _install_for(ctx, account, ctx.params.get("id"))
        task = services.start_uninstall(target, force=_yes(ctx.params.get("force")))
    return _finish(ctx, task, data_for_success=lambda: {"id": target.id})


@command("installs")
def installs(ctx: Context):
    """v1 cmd=installs, v2 GET /installs: q, id, filter-ownedaccounts, paging."""
    _read_header(ctx)
    qs = ctx.scoped(Install.objects.select_related("account", "website"))
    install_id = ctx.params.get("id")
    if install_id not in (None, ""):
        qs = qs.filter(pk=str(install_id))
        if not qs.exists():
            raise InstallError(f"There is no install '{str(install_id)[:32]}'.",
                               errcode="invalid_argument_id", status=404, field="id")
    q = ctx.params.get("q")
    if isinstance(q, str) and q:
        qs = qs.search(q)
    # filter-version-available(-minor)=yes: installs with a newer (same-branch) version.
    for name, member in (("filter-version-available", "version-available"),
                         ("filter-version-available-minor", "version-available-minor")):
        if _yes(ctx.params.get(name)):
            stored = packages_by_application(qs.values_list("installer", flat=True))
            qs = qs.filter(pk__in=[i.pk for i in qs if i.versions_available(
                stored.get(i.installer, []))[member]])

    def shape(items):
        # One query for the stored versions of every application in the list, and one
        # for their backup counts, not one a row.
        stored = packages_by_application({i.installer for i in items})
        counts = dict(Backup.objects.filter(install__in=items).values("install").annotate(
            n=Count("pk")).values_list("install", "n"))
        return [shapes.install(i, ctx.v2, stored.get(i.installer, []), counts.get(i.pk, 0))
                for i in items]

    return list_response(qs, ctx.params, shape, v1=not ctx.v2)


@command("tasks")
def tasks(ctx: Context):
    """v1 cmd=tasks, v2 GET /tasks: running and recent tasks of the user (or all)."""
    qs = ctx.scoped(Task.objects.select_related("account"))
    return list_response(qs, ctx.params, lambda items: [shapes.task(t) for t in items],
                         v1=not ctx.v2)
