"""My backups: list, create, download, delete, restore, restore elsewhere; clone form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.models import Account
from apps.installs.models import Install
from apps.tasks.models import Task
from apps.tasks.services import enqueue
from installatron_gui.lib.compression import CONTENT_TYPES, SUFFIXES, kind_of
from installatron_gui.lib.errors import InstallatronError
from installatron_gui.lib.pages import IdsFirstPaginator

from . import locations, services, tasks
from .forms import CopyTargetForm, LocationForm
from .models import Backup, BackupLocation

PER_PAGE = 25


def _get_backup_for(principal: Account, pk: str) -> Backup:
    """A backup the principal may see; anything else is 404, never a hint."""
    backup = (Backup.objects.visible_to(principal).filter(pk=pk)
              .select_related("account", "website").first())
    if backup is None:
        raise Http404
    return backup


def _get_install_for(principal: Account, pk: str) -> Install:
    install = (Install.objects.visible_to(principal).filter(pk=pk)
               .select_related("account", "website").first())
    if install is None:
        raise Http404
    return install


@login_required
def list(request: HttpRequest) -> HttpResponse:  # noqa: A001 - the url name is backups:list
    principal: Account = request.user
    backups = Backup.objects.visible_to(principal).select_related("account")
    q = request.GET.get("q", "").strip()
    if q:
        backups = backups.search(q)
    install_id = request.GET.get("install", "").strip()
    if install_id:
        backups = backups.filter(install_ref=install_id)
    page = IdsFirstPaginator(backups, PER_PAGE).get_page(request.GET.get("page"))
    _name_remote_copies(principal, page.object_list)
    running = (Task.objects.visible_to(principal).running()
               .filter(cmd__in=["backup", "restore", "restoreto", "clone"]).order_by("-created"))
    if install_id:  # "Back up now" lands here: that install's backups and tasks
        running = running.filter(install=install_id)
    context = {"page": page, "q": q, "install_id": install_id, "tasks": [*running[:10]],
               "running": running.exists(), "filtered": bool(q or install_id)}
    template = "backups/list.html#rows" if request.htmx else "backups/list.html"
    return render(request, template, context)


@login_required
@require_POST
def create(request: HttpRequest, install_pk: str) -> HttpResponse:
    """The "Back up now" button of an install: queue the backup, show the list."""
    install = _get_install_for(request.user, install_pk)
    try:
        services.start_backup(install, expiry=request.POST.get("expiry") or None,
                              location=request.POST.get("location", ""))
    except InstallatronError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The backup was started."))
    return redirect(f"{_list_url()}?install={install.pk}")


def _name_remote_copies(principal: Account, backups) -> None:
    """``remote_name`` on each backup with a remote copy: the owner's name for the
    location, or its address without the password."""
    from apps.accounts.validation import mask_path

    names = {location.uri: location.name for location in principal.backup_locations.all()}
    for backup in backups:
        uri = locations.uri_of(backup) if backup.backup_location == locations.REMOTE else ""
        backup.remote_name = names.get(uri) or mask_path(uri) if uri else ""


def _list_url() -> str:
    from django.urls import reverse

    return reverse("backups:list")


@login_required
def download(request: HttpRequest, pk: str) -> FileResponse:
    """Streamed; only the owner (the account the backup belongs to) may fetch it."""
    backup = _get_backup_for(request.user, pk)
    if backup.account_id != request.user.pk:
        raise Http404
    try:
        fh = open(backup.archive_path, "rb")  # noqa: SIM115 - FileResponse closes it
    except OSError:
        raise Http404 from None
    kind = kind_of(fh.read(4))  # what the file is, whatever its name says
    fh.seek(0)
    return FileResponse(fh, as_attachment=True,
                        filename=backup.backup_filename or f"{backup.pk}{SUFFIXES[kind]}",
                        content_type=CONTENT_TYPES[kind])


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, pk: str) -> HttpResponse:
    backup = _get_backup_for(request.user, pk)
    if request.method == "POST":
        try:
            services.delete_backup(backup)
        except InstallatronError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The backup was deleted."))
        return redirect("backups:list")
    return render(request, "backups/delete.html", {"backup": backup})


@login_required
@require_http_methods(["GET", "POST"])
def restore(request: HttpRequest, pk: str) -> HttpResponse:
    backup = _get_backup_for(request.user, pk)
    error = ""
    install = None
    try:
        install = services.check_restore(backup)
    except InstallatronError as exc:
        error = exc.message
    if request.method == "POST" and not error:
        try:
            task = services.start_restore(backup)
        except InstallatronError as exc:
            error = exc.message
        else:
            return redirect("backups:task", task.pk)
    return render(request, "backups/restore.html",
                  {"backup": backup, "install": install, "error": error})


@login_required
@require_http_methods(["GET", "POST"])
def restore_to(request: HttpRequest, pk: str) -> HttpResponse:
    backup = _get_backup_for(request.user, pk)
    return _location_form(request, "backups/restore_to.html", {"backup": backup},
                          backup.account,
                          lambda params: services.start_restore_to(
                              backup, services.check_restore_to(backup, params)))


@login_required
@require_http_methods(["GET", "POST"])
def clone(request: HttpRequest, install_pk: str) -> HttpResponse:
    install = _get_install_for(request.user, install_pk)
    return _location_form(request, "backups/clone.html", {"install": install}, install.account,
                          lambda params: services.start_clone(
                              install, services.check_clone(install, params),
                              stage=request.POST.get("stage") == "yes"))


@login_required
@require_http_methods(["GET", "POST"])
def import_archive(request: HttpRequest) -> HttpResponse:
    """importbackup from the GUI: an archive already in the owner's webspace."""
    path, error = request.POST.get("path", "").strip(), ""
    websites = [*request.user.websites.all()]
    chosen = next((w for w in websites if str(w.pk) == request.POST.get("website")),
                  websites[0] if websites else None)
    if request.method == "POST":
        try:
            imported = services.import_backup(request.user, path, website=chosen)
        except InstallatronError as exc:
            error = exc.message
        else:
            messages.success(request, _("The backup was imported; it can be restored to an "
                                        "address of yours."))
            return redirect(f"{_list_url()}?q={imported.pk}")
    return render(request, "backups/import.html", {
        "path": path, "error": error, "website": chosen, "websites": websites})


@login_required
@require_http_methods(["GET", "POST"])
def push(request: HttpRequest, install_pk: str) -> HttpResponse:
    """A stage clone onto its live install: what happens first, then the task."""
    stage = _get_install_for(request.user, install_pk)
    live, error = None, ""
    try:
        live = services.check_push(stage)
    except InstallatronError as exc:
        error = exc.message
    if request.method == "POST" and not error:
        try:
            _live, task = services.start_push(stage)
        except InstallatronError as exc:
            error = exc.message
        else:
            return redirect("backups:task", task.pk)
    return render(request, "backups/push.html", {"stage": stage, "live": live, "error": error})


def _location_form(request, template, context, account, start) -> HttpResponse:
    """The URL (a vhost of the user's plus a folder) and optional table prefix."""
    form = CopyTargetForm(request.POST or None, urls=account.vhost_urls())
    if request.method == "POST" and form.is_valid():
        try:
            _install, task = start(form.params())
        except InstallatronError as exc:
            # Beside its field; status 200, so an htmx swap shows it too (STYLE 20).
            form.add_error(form.field_for(exc), exc.message)
        else:
            return redirect("backups:task", task.pk)
    return render(request, template, {**context, "form": form})


@login_required
def task(request: HttpRequest, pk: str) -> HttpResponse:
    """Progress of a backup, restore or clone; polls only while the task runs."""
    found = Task.objects.visible_to(request.user).filter(pk=pk).select_related("account").first()
    if found is None:
        raise Http404
    context = {"task": found, "running": not found.done}
    template = "backups/task.html#progress" if request.htmx else "backups/task.html"
    return render(request, template, context)


def _get_location_for(principal: Account, pk: str) -> BackupLocation:
    """The principal's own location; another user's is 404."""
    found = BackupLocation.objects.filter(pk=pk if str(pk).isdigit() else None,
                                          account=principal).first()
    if found is None:
        raise Http404
    return found


@login_required
@require_http_methods(["GET", "POST"])
def location_list(request: HttpRequest) -> HttpResponse:
    """My backup locations, and a form to add one. A worker tests it (a small file written
    there and removed again); it is kept, and usable, only once that worked."""
    form = LocationForm(request.POST or None, account=request.user)
    error = ""
    if request.method == "POST" and form.is_valid():
        uri = form.uri()
        same = locations.find(request.user, uri)
        if same is not None:
            error = _("This location is already saved as “%(name)s”.") % {"name": same.name}
        else:
            with transaction.atomic():
                location = BackupLocation.objects.create(
                    account=request.user, name=form.cleaned_data["name"], uri=uri, pending=True)
                task = enqueue(tasks.check_location, location.pk, cmd="location",
                               label=location.name, account=request.user,
                               url=location.display())
            return redirect("backups:task", task.pk)
    saved = [*request.user.backup_locations.all()]
    for location in saved:
        location.install_count = len(locations.installs_using(location))
    return render(request, "backups/locations.html", {
        "form": form, "error": error, "locations": saved,
        "public_key": locations.owner_key(request.user).public_key})


@login_required
@require_http_methods(["GET", "POST"])
def location_delete(request: HttpRequest, pk: str) -> HttpResponse:
    location = _get_location_for(request.user, pk)
    using = locations.installs_using(location)
    if request.method == "POST":
        locations.forget(location)
        messages.success(request, _("The location was removed."))
        return redirect("backups:locations")
    return render(request, "backups/location_delete.html", {"location": location,
                                                            "using": using})
