"""view, sync, edit, createadminsso, template, templates, edittemplate, deletetemplate."""

from __future__ import annotations

from django.db import transaction

from apps.backups import services as backups
from apps.backups import templates_service as templates_svc
from apps.installs import addons, editing, sso
from apps.installs.errors import InstallError
from apps.installs.models import Install, Template
from apps.installs.sync import sync_install

from .. import shapes
from ..dispatch import Context, command, is_yes
from ..paging import list_response
from ..replies import reply
from ..v2names import install_to_v2
from .installs import _finish, _header_account, _install_for

# Plugin and theme parameters of edit (and the v2 add-on routes): the add-on manager's.
ADDON_PARAMS = {
    "list-plugins", "install-plugin", "activate-plugin", "deactivate-plugin", "autoup-plugin",
    "auotup-plugin", "noautoup-plugin", "update-plugin", "uninstall-plugin", "list-themes",
    "install-theme", "activate-theme", "deactivate-theme", "autoup-theme", "auotup-theme",
    "noautoup-theme", "update-theme", "uninstall-theme", "__v2_addon",
}  # fmt: skip


def _wants_addons(params: dict) -> bool:
    return bool(ADDON_PARAMS & set(params))


_account = _header_account


def _install(ctx: Context) -> Install:
    return _install_for(ctx, _account(ctx), ctx.params.get("id"))


def _view(ctx: Context):
    install = _install(ctx)
    if ctx.cmd == "view" and install.busy:
        extra = {}  # the stored record: the site is being changed right now
    else:
        extra = sync_install(install, addons=is_yes(ctx.params.get("addons")))
    return reply(shapes.install_view(install, extra, ctx.v2), message="The task is complete.\n")


@command("view")
def view(ctx: Context):
    """v1 cmd=view, v2 GET /installs/{id}: the install, synced from its site."""
    return _view(ctx)


@command("sync", atomic=False)
def sync(ctx: Context):
    """v1 cmd=sync, v2 POST /installs/{id}/sync; with ``push=1`` on a stage clone, its
    files and tables are copied onto its live install (a task, ``background`` as usual)."""
    if not is_yes(ctx.params.get("push")):
        with transaction.atomic():
            return _view(ctx)

    with transaction.atomic():
        live, task = backups.start_push(_install(ctx))

    def data():
        return shapes.install(Install.objects.select_related("account", "website").get(
            pk=live.pk), ctx.v2)

    return _finish(ctx, task, data_for_success=data)


@command("edit", atomic=False)
def edit(ctx: Context):
    """v1 cmd=edit, v2 POST /installs/{id}: every parameter of the reference's 3.8."""
    if _wants_addons(ctx.params):
        return _addons(ctx)
    with transaction.atomic():
        install = _install(ctx)
        install_id = install.id  # edit delete=true deletes the row, which clears it
        result, task = editing.edit(install, ctx.params)
    if task is None:
        if result is None:
            return reply({"id": install_id}, message="The install was removed from the "
                         "installer; its files and tables were kept.")
        return reply(shapes.install(result, ctx.v2), message="The install was updated.")

    def data():
        return shapes.install(Install.objects.select_related("account", "website").get(
            pk=install.pk), ctx.v2)

    return _finish(ctx, task, data_for_success=data)


def _addons(ctx: Context):
    """Plugin and theme parameters: the application's add-on manager (the recipe's
    ``addons`` hook, through apps.installs.addons)."""
    data = addons.handle_edit(_install(ctx), ctx.params)
    return reply(install_to_v2(data) if ctx.v2 else data, message="The task is complete.\n")


@command("createadminsso")
def createadminsso(ctx: Context):
    """v1 cmd=createadminsso, v2 POST /installs/{id}/login: a one-time admin link."""
    link = sso.create_admin_sso(_install(ctx))
    return reply(link, message="The sign-in link works once, for a short time.")


@command("template", atomic=False)
def template(ctx: Context):
    """v1 cmd=template, v2 POST /installs/{id}/template: save the install as a template."""
    with transaction.atomic():
        install = _install(ctx)
        task = templates_svc.start_template(install, title=ctx.params.get("title"))

    def data():
        done = task.__class__.objects.get(pk=task.pk)
        found = Template.objects.select_related("account").filter(
            pk=(done.result or {}).get("template")).first()
        return shapes.template(found, ctx.v2) if found else None

    return _finish(ctx, task, data_for_success=data)


def _template(ctx: Context) -> Template:
    return ctx.get_scoped(Template.objects.select_related("account"), ctx.params.get("id"),
                          what="template", principal=_account(ctx))


@command("templates")
def templates(ctx: Context):
    """v1 cmd=templates, v2 GET /templates: id, q, filter-ownedaccounts, paging."""
    qs = ctx.scoped(Template.objects.select_related("account"))
    if ctx.params.get("id") not in (None, ""):
        qs = qs.filter(pk=str(ctx.params["id"]))
        if not qs.exists():
            raise InstallError(f"There is no template '{str(ctx.params['id'])[:32]}'.",
                               errcode="invalid_argument_id", status=404, field="id")
    q = ctx.params.get("q")
    if isinstance(q, str) and q:
        qs = qs.search(q)
    return list_response(qs, ctx.params,
                         lambda items: [shapes.template(t, ctx.v2) for t in items], v1=not ctx.v2)


@command("edittemplate")
def edittemplate(ctx: Context):
    """v1 cmd=edittemplate, v2 POST /templates/{id}: title."""
    target = templates_svc.edit_template(_template(ctx), ctx.params)
    return reply(shapes.template(target, ctx.v2), message="The template was updated.")


@command("deletetemplate")
def deletetemplate(ctx: Context):
    """v1 cmd=deletetemplate, v2 DELETE /templates/{id}: the archive and the record."""
    target = _template(ctx)
    template_id = target.id  # deleting the row clears it
    templates_svc.delete_template(target)
    return reply({"id": template_id}, message="The template was deleted.")
