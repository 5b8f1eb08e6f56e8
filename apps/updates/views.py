"""The update page of an install."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.accounts.models import Account
from apps.installs.views import get_install_for, recipe_or_none
from installatron_gui.lib.errors import InstallatronError

from . import services


@login_required
@require_http_methods(["GET", "POST"])
def update(request: HttpRequest, pk: str) -> HttpResponse:
    """Confirm and start an update to the newest version (apps.updates.services)."""

    principal: Account = request.user
    install = get_install_for(principal, pk)
    version = request.POST.get("version") or services.latest_for(install)
    error = ""
    try:
        plan = services.check_update(install, {"version": version})
    except InstallatronError as exc:
        plan, error = None, exc.message
    if request.method == "POST" and plan is not None:
        try:
            services.start_update(plan)
        except InstallatronError as exc:
            messages.error(request, exc.message)
        return redirect("installs:detail", install.pk)
    recipe = recipe_or_none(install.installer)
    return render(request, "updates/update.html", {
        "install": install, "plan": plan, "error": error,
        "app_name": recipe.name if recipe else install.installer,
    })
