"""update (v1 ``cmd=update`` and its alias ``upgrade``; v2 ``POST /installs/{id}/update``)."""

from __future__ import annotations

from django.db import transaction

from apps.installs.models import Install
from apps.updates import services as updates

from .. import shapes
from ..dispatch import Context, command
from ..replies import reply
from .installs import _finish, _header_account, _install_for


@command("update", atomic=False)
def update(ctx: Context):
    """version (or latest, or current), revert, plugin, theme, background, dryrun."""
    with transaction.atomic():
        account = _header_account(ctx)
        target = _install_for(ctx, account, ctx.params.get("id"))
        plan = updates.check_update(target, ctx.params, dryrun=ctx.dryrun)
        if plan.dryrun:
            return reply(shapes.update_plan(plan, ctx.v2),
                         message="The request is valid; nothing was changed.")
        task = updates.start_update(plan)

    def data():
        return shapes.install(Install.objects.select_related("account", "website").get(
            pk=target.pk), ctx.v2)

    return _finish(ctx, task, data_for_success=data)
