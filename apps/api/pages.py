"""The GUI's page of API activity (the audit log that ``logs`` answers): the admin sees every
call, a reseller the calls about itself and the accounts below it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from apps.accounts.models import Account
from installatron_gui.lib.pages import IdsFirstPaginator

from .models import ApiLog

PER_PAGE = 50


@login_required
def activity(request: HttpRequest) -> HttpResponse:
    principal: Account = request.user
    if not (principal.is_admin or principal.is_reseller):
        raise Http404
    entries = ApiLog.objects.all()
    if not principal.is_admin:
        names = [principal.username, *Account.objects.owned_by(principal)
                 .values_list("username", flat=True)]
        entries = entries.for_usernames(names)
    user = request.GET.get("user", "").strip()[:64]
    if user:
        entries = entries.filter(user=user)
    cmd = request.GET.get("cmd", "").strip().lower()[:32]
    if cmd:
        entries = entries.filter(cmd=cmd)
    failed = request.GET.get("failed") == "1"
    if failed:
        entries = entries.filter(result=False)
    page = IdsFirstPaginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "api/activity.html", {
        "page": page, "user": user, "cmd": cmd, "failed": failed,
        "filtered": bool(user or cmd or failed), "query": query.urlencode(),
    })
