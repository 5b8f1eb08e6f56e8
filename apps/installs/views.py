"""Install an application, watch it install, list installs, uninstall one."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from apps.accounts.models import Account
from apps.catalog import directory
from apps.catalog import requirements as catalog_requirements
from apps.catalog import services as catalog
from apps.catalog.errors import CatalogError
from apps.recipes.base import Recipe, get_recipe
from apps.tasks.models import Task
from installatron_gui.lib.errors import InstallatronError
from installatron_gui.lib.pages import IdsFirstPaginator

from . import addons, editing, services
from . import plan as install_plan
from .errors import InstallError
from .forms import EditForm, InstallForm
from .imports import import_install
from .models import Install
from .sso import create_admin_sso
from .sync import sync_install

PER_PAGE = 25


def get_install_for(principal: Account, pk: str) -> Install:
    """An install the principal may see; anything else is 404, never a hint."""
    install = (Install.objects.visible_to(principal).filter(pk=pk)
               .select_related("account", "website").first())
    if install is None:
        raise Http404
    return install


def recipe_or_none(app_id: str) -> Recipe | None:
    try:
        return get_recipe(app_id)
    except CatalogError:
        return None


def _last_task(install_id: str) -> Task | None:
    """The newest task that worked on the install (running or finished)."""
    return Task.objects.filter(install=install_id).order_by("-created").first()


# Pages whose htmx requests get a partial: without Vary, the browser's back button can
# show the cached partial as if it were the page.
@login_required
@vary_on_headers("HX-Request")
def install_list(request: HttpRequest) -> HttpResponse:
    principal: Account = request.user
    installs = Install.objects.visible_to(principal).select_related("account")
    q = request.GET.get("q", "").strip()
    if q:
        installs = installs.search(q)
    status = request.GET.get("status", "")
    if status in Install.Status.values:
        installs = installs.filter(status=status)
    else:
        status = ""
    only_updates = request.GET.get("updates") == "1"
    if only_updates:
        installs = installs.filter(pk__in=list(catalog.updates_for(installs)))
    page = IdsFirstPaginator(installs, PER_PAGE).get_page(request.GET.get("page"))
    updates = catalog.updates_for(page.object_list)
    for install in page.object_list:
        install.update_to = updates.get(install.pk, "")
    busy = {Install.Status.INSTALLING, Install.Status.UNINSTALLING}
    context = {
        "page": page, "q": q, "status": status, "statuses": Install.Status.choices,
        # Rows refresh themselves only while one of them is being worked on.
        "running": any(i.status in busy for i in page.object_list),
        "filtered": bool(q or status or only_updates), "only_updates": only_updates,
    }
    template = "installs/list.html#rows" if request.htmx else "installs/list.html"
    return render(request, template, context)


@login_required
def updates_notice(request: HttpRequest) -> HttpResponse:
    """The Home page's line about the account's own installs that can be updated (loaded
    into the page by htmx; empty when there are none)."""
    own = Install.objects.filter(account=request.user, status=Install.Status.INSTALLED)
    count = len(catalog.updates_for(own))
    return render(request, "installs/list.html#updates_notice", {"update_count": count})


@login_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest, application: str) -> HttpResponse:
    principal: Account = request.user
    recipe = recipe_or_none(application)
    if recipe is None or not catalog.can_use(principal, application):
        raise Http404
    websites = list(principal.websites.all())
    versions = [p.version for p in catalog.versions_of(application)]
    form = InstallForm(request.POST or None, account=principal, recipe=recipe,
                       versions=versions, websites=websites)
    if request.method == "POST" and form.is_valid():
        # The form marked every problem of the input at once; now the target, and a
        # database the owner named is signed in to, before anything is created.
        try:
            plan = services.check_install(principal, form.to_params())
            install_plan.check_database_login(plan)
            install, _task = services.start_install(plan)
        except InstallatronError as exc:
            # Beside the field it is about; status 200 so htmx would swap it too (STYLE 20).
            form.add_error(form.field_for(exc), exc.message)
        else:
            return redirect("installs:detail", install.pk)
    return render(request, "installs/new.html",
                  {"form": form, "recipe": recipe, "websites": websites,
                   "unmet": catalog_requirements.unmet(recipe, principal)})


def _backup_location_name(install, saved: list) -> str:
    """Where the install's backups are copied: the name of one of the ``saved``
    locations, its masked URI if it is not saved, or ""."""
    if install is None or not install.bkloc:
        return ""
    return next((loc.name for loc in saved if loc.uri == install.bkloc),
                install.bkloc_display())


@login_required
@vary_on_headers("HX-Request")
def detail(request: HttpRequest, pk: str) -> HttpResponse:
    principal: Account = request.user
    install = Install.objects.visible_to(principal).filter(pk=pk).select_related("website").first()
    if install is None:
        # A finished uninstall removes the row; its task, if the principal may see it,
        # still tells how it ended.
        task = (Task.objects.visible_to(principal).filter(install=pk, cmd="uninstall")
                .order_by("-created").first())
        if task is None:
            raise Http404
    else:
        task = _last_task(install.pk)
    recipe = recipe_or_none(install.installer) if install else None
    saved = [*install.account.backup_locations.filter(pending=False)] if install else []
    context = {
        "install": install,
        "pk": pk,
        "task": task,
        "running": task is not None and not task.done,
        "recipe": recipe,
        "app_name": recipe.name if recipe else (install.installer if install else ""),
        "admin_url": _admin_url(install, recipe),
        # What the application lets this page offer: its plugins and themes, and a
        # one-time sign-in to its administration.
        "supports_addons": bool(recipe and recipe.supports("addons")),
        "supports_sso": bool(recipe and recipe.supports("sso")),
        # The newest version this install can update to ("" when none): the Update button.
        "update_version": install.versions_available()["version-available"] if install else "",
        # A stage clone: the live install it can be pushed onto (None if that is gone).
        "live": (Install.objects.filter(pk=install.stage_of, account=install.account).first()
                 if install and install.stage_of else None),
        # The owner's saved backup locations: "Back up now" may send a copy to one.
        "backup_locations": saved,
        "backup_location_name": _backup_location_name(install, saved),
    }
    template = "installs/detail.html#progress" if request.htmx else "installs/detail.html"
    response = render(request, template, context)
    if context["supports_sso"] and install is not None and install.admin_login:
        # The sign-in form posts to us and is redirected on to the website, which the
        # Content-Security-Policy's form-action must then allow.
        response.csp_form_action = [origin] if (origin := _origin(install.url)) else []
    return response


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, or "" when it holds anything a policy could not
    carry safely (a stored address is not trusted to be well formed)."""
    parts = urlsplit(url)
    host = r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+)(:[0-9]{1,5})?"
    if parts.scheme not in ("http", "https") or not re.fullmatch(host, parts.netloc):
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def _admin_url(install: Install | None, recipe: Recipe | None) -> str:
    if install is None or recipe is None or not recipe.link_admin:
        return ""
    return f"{install.url.rstrip('/')}/{recipe.link_admin.strip('/')}/"


@login_required
@require_http_methods(["GET", "POST"])
def uninstall(request: HttpRequest, pk: str) -> HttpResponse:
    principal: Account = request.user
    install = get_install_for(principal, pk)
    if request.method == "POST":
        try:
            services.start_uninstall(install, force=request.POST.get("force") == "yes")
        except InstallatronError as exc:
            messages.error(request, exc.message)
        return redirect("installs:detail", install.pk)
    recipe = recipe_or_none(install.installer)
    last = _last_task(install.pk)
    return render(request, "installs/uninstall.html", {
        "last_failed": last if last and last.cmd == "uninstall" and last.status == "failed" else None,
        "install": install,
        "app_name": recipe.name if recipe else install.installer,
        "running_task": install.task if install.busy else None,
    })


# --------------------------------------------------------------------------- plugins & themes
ADDON_ACTIONS = {"install", "activate", "deactivate", "autoup", "noautoup", "update", "uninstall"}


def _addons_context(install: Install, *, error: str = "", confirm: str = "") -> dict:
    """Installed plugins and themes (one marked for an uninstall confirmation) and the
    store's add-ons that are not installed yet."""

    sections, installed, offers = [], set(), []
    titles = {"plugin": _("Plugins"), "theme": _("Themes")}
    try:
        with addons.open_addons(install, fence=False) as manager:
            for kind, store_kind in manager.kinds.items():
                items = manager.items(kind)
                for item in items:
                    item.confirming = f"{kind}:{item.id}" == confirm
                    installed.add((store_kind, item.folder))
                sections.append({"title": titles.get(kind, kind), "items": items})
            offers = addons.offers(manager, installed)
    except InstallatronError as exc:
        error = error or exc.message
    return {"install": install, "sections": sections, "offers": offers, "error": error}


def _directory_search(request: HttpRequest) -> dict:
    """The upstream directory's section: its name ('' when off) and, for ``?q=``, one
    page of matching plugins or themes (``dkind``, ``page``)."""
    name = directory.directory_name()
    dkind = "theme" if request.GET.get("dkind") == "theme" else "plugin"
    q = request.GET.get("q", "").strip()[:100]
    page = int(request.GET["page"]) if request.GET.get("page", "").isdigit() else 1
    context = {"directory_name": name, "dkind": dkind, "q": q, "page": page, "pages": 1,
               "found": [], "directory_error": ""}
    if name and q:
        try:
            context["found"], context["pages"] = directory.search_addons(
                directory.store_kind(dkind), q, page)
        except InstallatronError as exc:
            context["directory_error"] = exc.message
    return context


def _addons_install(request: HttpRequest, pk: str) -> Install:
    """An install the user may see whose application has plugins or themes; else 404."""
    install = get_install_for(request.user, pk)
    if not addons.supports_addons(install):
        raise Http404
    return install


@login_required
@vary_on_headers("HX-Request")
def addons_page(request: HttpRequest, pk: str) -> HttpResponse:
    """An install's plugins and themes. ``?confirm=kind:id`` asks before an
    uninstall; with htmx (and ``?row=kind:id``) only that row comes back."""
    install = _addons_install(request, pk)
    confirm = request.GET.get("confirm", "")
    if request.htmx and "q" in request.GET and directory.directory_name():
        return render(request, "installs/addons.html#directory",
                      {"install": install, **_directory_search(request)})
    context = {**_addons_context(install, confirm=confirm), **_directory_search(request)}
    wanted = confirm or request.GET.get("row", "")
    if request.htmx and wanted:
        for section in context["sections"]:
            for item in section["items"]:
                if f"{item.kind}:{item.id}" == wanted:
                    return render(request, "installs/addons.html#row",
                                  {**context, "addon": item})
    template = "installs/addons.html#lists" if request.htmx else "installs/addons.html"
    return render(request, template, context)


@login_required
@require_http_methods(["POST"])
def addon_action(request: HttpRequest, pk: str) -> HttpResponse:
    """One plugin/theme action. A plain POST redirects to the page; an htmx POST gets the
    plugin's row back (the whole lists when the set of rows or the active theme changed)."""
    install = _addons_install(request, pk)
    kind, action = request.POST.get("kind", ""), request.POST.get("action", "")
    addon_id = request.POST.get("id", "")
    result, error = None, ""
    try:
        if action not in ADDON_ACTIONS:
            raise InstallError(_("Unknown plugin or theme action."))
        if action == "install" and request.POST.get("source") == "directory":
            addons.fetch_from_directory(kind, addon_id.split("/", 1)[0])
        with addons.open_addons(install) as manager:
            if kind not in manager.kinds:
                raise InstallError(_("Unknown plugin or theme action."))
            result = manager.apply(kind, action, addon_id)
    except InstallatronError as exc:
        error = exc.message
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Done."))
        return redirect("installs:addons", install.pk)
    if result is not None and not error and kind == "plugin" and action != "install":
        return render(request, "installs/addons.html#row", {"install": install, "addon": result})
    # Status 200 with the error inside: htmx drops 4xx bodies (STYLE 20).
    return render(request, "installs/addons.html#lists", _addons_context(install, error=error))


# --------------------------------------------------------------------------- manage
# Edit, sync and the one-time admin sign-in (apps.installs.editing, sync, sso).


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: str) -> HttpResponse:
    install = get_install_for(request.user, pk)
    recipe = recipe_or_none(install.installer)
    form = EditForm(request.POST or None, install=install, recipe=recipe)
    if request.method == "POST" and form.is_valid():
        params = form.to_params()
        try:
            _result, task = editing.edit(install, params) if params else (install, None)
        except InstallatronError as exc:
            form.add_error(form.field_for(exc), exc.message)
        else:
            if task is None:
                messages.success(request, _("The settings were saved."))
            return redirect("installs:detail", install.pk)
    return render(request, "installs/edit.html", {
        "form": form, "install": install, "app_name": recipe.name if recipe else install.installer,
        "running_task": install.task if install.busy else None})


@login_required
@require_http_methods(["POST"])
def sync(request: HttpRequest, pk: str) -> HttpResponse:
    install = get_install_for(request.user, pk)
    try:
        sync_install(install)
    except InstallatronError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The details were read again from the website."))
    return redirect("installs:detail", install.pk)


@login_required
@require_http_methods(["POST"])
def admin_sso(request: HttpRequest, pk: str) -> HttpResponse:
    """Sign in to the application's administration: a one-time link, followed at once."""

    install = get_install_for(request.user, pk)
    try:
        link = create_admin_sso(install)
    except InstallatronError as exc:
        messages.error(request, exc.message)
        return redirect("installs:detail", install.pk)
    response = redirect(link["url"])
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_existing(request: HttpRequest) -> HttpResponse:
    """Take an application already in one of the owner's website folders under management:
    its version and database settings are read from its files (apps.installs.imports)."""


    account: Account = request.user
    recipes = catalog.applications_for(account)
    urls = account.vhost_urls()
    values = {"application": request.POST.get("application", recipes[0].id if recipes else ""),
              "base": request.POST.get("base", urls[0] if urls else ""),
              "folder": request.POST.get("folder", "").strip().strip("/")}
    error = ""
    if request.method == "POST":
        if values["base"] not in urls or values["application"] not in {r.id for r in recipes}:
            error = _("Choose one of your applications and website addresses.")
        else:
            url = values["base"].rstrip("/") + ("/" + values["folder"] if values["folder"] else "")
            try:
                install = import_install(account, {"application": values["application"],
                                                   "url": url})
            except InstallatronError as exc:
                error = exc.message  # status 200: shown beside the form (STYLE 20)
            else:
                messages.success(request, _("The application at %(url)s is now managed here.")
                                 % {"url": install.url})
                return redirect("installs:detail", install.pk)
    return render(request, "installs/import.html", {"recipes": recipes, "urls": urls,
                                                    "values": values, "error": error})
