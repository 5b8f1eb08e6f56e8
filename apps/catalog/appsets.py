"""Application sets (Installatron's "packages") in the GUI: the administrator manages the
sets offered to every account, a reseller its own, offered to the accounts below it and
holding only applications it may offer itself. Others get 404; every change is audited."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from apps.accounts import audit
from apps.accounts.models import Account
from apps.recipes import all_recipes

from . import services
from .errors import CatalogError
from .models import AppSet


class AppSetForm(forms.Form):
    name = forms.RegexField(
        label=gettext_lazy("Name"), max_length=64, regex=services.APP_SET_NAME,
        help_text=gettext_lazy("What a hosting panel sends as the account's package, such as "
                               "wordpress_only: letters, digits, _ . and -."),
        error_messages={"invalid": gettext_lazy("Use letters, digits, _ . and - only.")})
    description = forms.CharField(label=gettext_lazy("Description"), max_length=255,
                                  required=False)
    applications = forms.MultipleChoiceField(label=gettext_lazy("Applications"),
                                             widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, manager: Account, app_set: AppSet | None = None, **kwargs):
        if app_set is not None:
            kwargs.setdefault("initial", {"name": app_set.name, "description": app_set.description,
                                          "applications": app_set.applications})
        super().__init__(*args, **kwargs)
        allowed = None if manager.is_admin else services.allowed_ids(manager)
        self.fields["applications"].choices = [
            (r.id, r.name) for r in all_recipes() if allowed is None or r.id in allowed]
        if app_set is not None:
            self.fields["name"].disabled = True


def _manager(request: HttpRequest) -> Account:
    if not (request.user.is_admin or request.user.is_reseller):
        raise Http404
    return request.user


def _own_sets(manager: Account):
    return AppSet.objects.filter(owner=None if manager.is_admin else manager)


def _get_own_set(manager: Account, name: str) -> AppSet:
    found = _own_sets(manager).filter(name=name).first()
    if found is None:
        raise Http404
    return found


def _save(request, manager: Account, form: AppSetForm, before: AppSet | None) -> bool:
    data = form.cleaned_data
    try:
        saved = services.save_app_set(data["name"], data["applications"],
                                      description=data["description"], owner=manager)
    except CatalogError as exc:
        form.add_error("applications", exc.message)
        return False
    old = {} if before is None else {"applications": ",".join(before.applications),
                                     "description": before.description}
    audit.record(manager, "app_set.save", saved.name, audit.changes(
        old, {"applications": ",".join(saved.applications), "description": saved.description}))
    messages.success(request, _("The application set %(name)s was saved.") % {"name": saved.name})
    return True


@login_required
@require_http_methods(["GET", "POST"])
def app_sets(request: HttpRequest) -> HttpResponse:
    """The manager's sets and a form for a new one."""
    manager = _manager(request)
    form = AppSetForm(request.POST or None, manager=manager)
    if request.method == "POST" and form.is_valid():
        if _own_sets(manager).filter(name=form.cleaned_data["name"]).exists():
            form.add_error("name", _("You have a set of that name already."))
        elif _save(request, manager, form, None):
            return redirect("catalog:app_sets")
    names = {r.id: r.name for r in all_recipes()}
    rows = [(app_set, ", ".join(names.get(a, a) for a in app_set.applications))
            for app_set in _own_sets(manager)]
    return render(request, "catalog/app_sets.html", {"rows": rows, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def app_set_edit(request: HttpRequest, name: str) -> HttpResponse:
    manager = _manager(request)
    app_set = _get_own_set(manager, name)
    form = AppSetForm(request.POST or None, manager=manager, app_set=app_set)
    if request.method == "POST" and form.is_valid() and _save(request, manager, form, app_set):
        return redirect("catalog:app_sets")
    return render(request, "catalog/app_set_edit.html", {"app_set": app_set, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def app_set_delete(request: HttpRequest, name: str) -> HttpResponse:
    """GET asks first (and says how many accounts name the set); POST removes it."""
    manager = _manager(request)
    app_set = _get_own_set(manager, name)
    if request.method == "POST":
        services.delete_app_set(app_set.name, owner=manager)
        audit.record(manager, "app_set.delete", app_set.name)
        messages.success(request, _("The application set %(name)s was removed.")
                         % {"name": app_set.name})
        return redirect("catalog:app_sets")
    users = Account.objects.owned_by(manager).filter(package=app_set.name).count()
    return render(request, "catalog/app_set_delete.html", {"app_set": app_set, "users": users})
