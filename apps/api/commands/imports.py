"""import and migrate (v1 ``cmd=import``, with ``source_url`` a migration; v2
``POST /browser/{application}/import`` and ``POST /browser/{application}/migrate``)."""

from __future__ import annotations

from django.db import transaction

from apps.backups import migration
from apps.installs import imports
from apps.installs.models import Install

from .. import shapes
from ..dispatch import Context, command
from ..replies import reply
from .installs import _finish, _header_account


def _import_here(ctx: Context):
    with transaction.atomic():
        account = _header_account(ctx, by_id=False)
        result = imports.import_install(account, ctx.params, dryrun=ctx.dryrun)
    if ctx.dryrun:
        return reply(ctx.data(result), message="The request is valid; nothing was changed.")
    return reply(shapes.install(result, ctx.v2), message="The task is complete.\n")


def _migrate(ctx: Context):
    with transaction.atomic():
        account = _header_account(ctx, by_id=False)
        plan = migration.check_migrate(account, ctx.params, dryrun=ctx.dryrun)
        if ctx.dryrun:
            return reply(plan.as_api(ctx.v2), message="The request is valid; nothing was "
                                                      "changed.")
        created, task = migration.start_migrate(plan)

    def data():
        return shapes.install(Install.objects.select_related("account", "website").get(
            pk=created.pk), ctx.v2)

    return _finish(ctx, task, data_for_success=data)


@command("import", atomic=False)
def import_(ctx: Context):
    """Import the application at ``url``; with ``source_url`` migrate it from another
    server (the reference's one command for both)."""
    if ctx.params.get("source_url") not in (None, "") or ctx.params.get("source_ftu") not in (
            None, ""):
        return _migrate(ctx)
    return _import_here(ctx)


@command("migrate", atomic=False)
def migrate(ctx: Context):
    """v2 POST /browser/{application}/migrate: source_url and source_ftu are required."""
    return _migrate(ctx)
