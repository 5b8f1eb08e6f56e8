"""The administrator's console: applications, default install options, the mail server
and the audit log. Anyone but the admin gets 404; every change is written to the audit log
(apps.accounts.audit) with who made it and what changed."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts import audit, keys
from apps.accounts.errors import AccountError
from apps.accounts.mail import send_test_message
from apps.accounts.models import Account, AuditEntry, SiteSettings
from apps.api.models import ApiLog
from apps.catalog import services as catalog
from apps.catalog.errors import CatalogError
from apps.catalog.models import ApplicationSetting
from apps.installs.backup_schedules import delete_schedule, save_schedule
from apps.installs.errors import InstallError
from apps.installs.models import BackupSchedule, Install
from apps.recipes import all_recipes
from installatron_gui.lib.pages import IdsFirstPaginator

from .forms import (AuditFilterForm, DefaultsForm, EmailForm, LanguagesForm, ScheduleForm,
                    TestMessageForm)

PER_PAGE = 50


def _admin(request: HttpRequest) -> Account:
    if not request.user.is_admin:
        raise Http404
    return request.user


def _applications() -> list[dict]:
    """Every application with a stored version, switched on or off, with its settings."""
    stored = catalog.packages_by_application(r.id for r in all_recipes())
    chosen = {s.application: s for s in ApplicationSetting.objects.all()}
    rows = []
    for recipe in all_recipes():
        if recipe.id not in stored:
            continue
        setting = chosen.get(recipe.id)
        rows.append({"recipe": recipe, "versions": [p.version for p in reversed(stored[recipe.id])],
                     "enabled": setting is None or setting.enabled,
                     "default_version": setting.default_version if setting else ""})
    return rows


def _application(app_id: str) -> dict:
    row = next((r for r in _applications() if r["recipe"].id == app_id), None)
    if row is None:
        raise Http404
    return row


@login_required
def applications(request: HttpRequest) -> HttpResponse:
    _admin(request)
    return render(request, "console/applications.html", {"apps": _applications()})


@login_required
@require_http_methods(["GET", "POST"])
def application_edit(request: HttpRequest, app_id: str) -> HttpResponse:
    """GET asks before switching an application off; POST switches it on or off
    (``enabled``) or sets its default version (``default_version``)."""
    admin = _admin(request)
    row = _application(app_id)
    if request.method == "GET":
        return render(request, "console/application_disable.html", {"app": row})
    enabled = request.POST.get("enabled", "1" if row["enabled"] else "0") == "1"
    version = request.POST.get("default_version", row["default_version"]).strip()
    try:
        catalog.save_application_setting(app_id, enabled=enabled, default_version=version)
    except CatalogError as exc:
        messages.error(request, exc.message)
    else:
        detail = audit.changes({"enabled": row["enabled"], "default_version": row["default_version"]},
                               {"enabled": enabled, "default_version": version})
        if detail:
            action = ("application.enable" if enabled else "application.disable") \
                if enabled != row["enabled"] else "application.version"
            audit.record(admin, action, app_id, detail)
        row = _application(app_id)
        if not request.htmx:
            messages.success(request, _("%(name)s was saved.") % {"name": row["recipe"].name})
    if request.htmx:
        return render(request, "console/applications.html#app", {"app": row})
    return redirect("console:applications")


def _save_site(admin: Account, form, names, action: str, secret=()) -> None:
    site = SiteSettings.load()
    before = {name: getattr(site, name) for name in names}
    after = {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}
    for name, value in after.items():
        setattr(site, name, value)
    site.save()
    detail = audit.changes(before, after, secret)
    if detail:
        audit.record(admin, action, "", detail)


def _site_form(request: HttpRequest, form_class):
    """``form_class`` bound to the POST, showing the stored settings."""
    site = SiteSettings.load()
    initial = {name: getattr(site, name) for name in form_class.FIELDS}
    return site, form_class(request.POST or None, initial=initial)


@login_required
@require_http_methods(["GET", "POST"])
def defaults(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    _site, form = _site_form(request, DefaultsForm)
    if request.method == "POST" and form.is_valid():
        _save_site(admin, form, DefaultsForm.FIELDS, "defaults.change")
        messages.success(request, _("The default install options were saved."))
        return redirect("console:defaults")
    return render(request, "console/defaults.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def languages(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    site = SiteSettings.load()
    initial = {"languages": site.offered_codes(),
               "default_language": site.fallback_language()}
    form = LanguagesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        _save_site(admin, form, LanguagesForm.FIELDS, "languages.change")
        messages.success(request, _("The languages were saved."))
        return redirect("console:languages")
    return render(request, "console/languages.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def email(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    site, form = _site_form(request, EmailForm)
    if request.method == "POST" and form.is_valid():
        names = list(EmailForm.FIELDS)
        if form.cleaned_data["clear_password"]:
            form.cleaned_data["smtp_password"] = ""
            names.append("smtp_password")
        elif form.cleaned_data["smtp_password"]:
            names.append("smtp_password")
        _save_site(admin, form, names, "email.change", secret=("smtp_password",))
        messages.success(request, _("The mail server settings were saved."))
        return redirect("console:email")
    return render(request, "console/email.html", {
        "form": form, "site": site,
        "test_form": TestMessageForm(initial={"to": admin.email})})


@login_required
@require_POST
def email_test(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    form = TestMessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Type the address the test message goes to."))
        return redirect("console:email")
    to = form.cleaned_data["to"]
    try:
        send_test_message(SiteSettings.load(), to)
    except AccountError as exc:
        audit.record(admin, "email.test", to, "failed")
        messages.error(request, exc.message)
    else:
        audit.record(admin, "email.test", to, "sent")
        messages.success(request, _("A test message was sent to %(to)s.") % {"to": to})
    return redirect("console:email")


def _audit_entries(data: dict):
    """The console's changes and the API's calls (``logs``) as one list, newest first."""
    text = CharField()
    changes = AuditEntry.objects.annotate(
        who=F("actor"), what=F("action"), on=F("target"), note=F("detail"),
        source=Value("gui", output_field=text))
    calls = ApiLog.objects.annotate(
        who=F("user"), what=F("cmd"), on=F("install"), note=F("errcode"),
        source=Value("api", output_field=text))
    if data.get("user"):
        changes = changes.filter(actor=data["user"])
        calls = calls.filter(user=data["user"])
    if data.get("action"):
        changes = changes.filter(action__icontains=data["action"])
        calls = calls.filter(cmd__icontains=data["action"])
    zone = timezone.get_current_timezone()
    if data.get("since"):
        since = datetime.combine(data["since"], time.min, tzinfo=zone)
        changes, calls = changes.filter(time__gte=since), calls.filter(time__gte=since)
    if data.get("until"):
        until = datetime.combine(data["until"], time.max, tzinfo=zone)
        changes, calls = changes.filter(time__lte=until), calls.filter(time__lte=until)
    columns = ("time", "who", "what", "on", "note", "source")
    calls = calls.annotate(ok=Cast("result", output_field=text))
    changes = changes.annotate(ok=Value("1", output_field=text))
    return changes.values(*columns, "ok").union(calls.values(*columns, "ok"), all=True) \
        .order_by("-time")


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    _admin(request)
    form = AuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    page = IdsFirstPaginator(_audit_entries(data), PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "console/audit.html", {
        "form": form, "page": page, "query": query.urlencode(), "filtered": bool(
            data and any(data.values()))})


@login_required
@require_http_methods(["GET", "POST"])
def schedules(request: HttpRequest) -> HttpResponse:
    """The automatic backup schedules, how many installs use each, and a form that adds
    one or changes the one it names."""
    admin = _admin(request)
    form = ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        before = BackupSchedule.objects.filter(name=data["name"]).first()
        try:
            saved = save_schedule(data["name"], daily=data["daily"], weekly=data["weekly"],
                                  monthly=data["monthly"], description=data["description"])
        except InstallError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            audit.record(admin, "schedule.save", saved.name, audit.changes(
                {**before.counts(), "description": before.description} if before else {},
                {**saved.counts(), "description": saved.description}))
            messages.success(request, _("The backup schedule %(name)s was saved.")
                             % {"name": saved.name})
            return redirect("console:schedules")
    rows = [(s, Install.objects.filter(autobk=s.name).count())
            for s in BackupSchedule.objects.all()]
    return render(request, "console/schedules.html", {"rows": rows, "form": form})


@login_required
@require_POST
def schedule_delete(request: HttpRequest, name: str) -> HttpResponse:
    admin = _admin(request)
    try:
        delete_schedule(name)
    except InstallError as exc:
        messages.error(request, exc.message)
    else:
        audit.record(admin, "schedule.delete", name)
        messages.success(request, _("The backup schedule %(name)s was removed.") % {"name": name})
    return redirect("console:schedules")


def _masked_keys() -> dict[str, str]:
    return {name: ("…" + value[-4:]) if value else "" for name, value in keys.current_keys().items()}


@login_required
def api_keys(request: HttpRequest) -> HttpResponse:
    _admin(request)
    return render(request, "console/keys.html", {"keys": _masked_keys()})


@login_required
@require_http_methods(["GET", "POST"])
def api_key_rotate(request: HttpRequest, name: str) -> HttpResponse:
    """GET asks first (panels using the key stop working); POST makes a new key and shows
    it once, on this page only: it is never written to a log or a message."""
    admin = _admin(request)
    if name not in keys.KEY_NAMES:
        raise Http404
    if request.method == "GET":
        return render(request, "console/key_rotate.html", {"name": name})
    try:
        new = keys.rotate(name)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("console:keys")
    audit.record(admin, "apikey.rotate", name, "a new key was made")
    response = render(request, "console/keys.html", {"keys": _masked_keys(), "new_key": new,
                                                     "new_name": name})
    return response
