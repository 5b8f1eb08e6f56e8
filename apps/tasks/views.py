"""The Tasks page: what runs now (with live progress) and what ran recently."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from .models import Task

PER_PAGE = 25

def describe(tasks) -> list[Task]:
    """The tasks, each with whether its install can still be opened and its application's
    name (empty once the install is gone)."""
    from apps.installs.models import Install

    tasks = list(tasks)
    ids = {t.install for t in tasks if t.install}
    existing = {str(i.pk): i for i in Install.objects.filter(pk__in=ids).only("pk", "installer")}
    for task in tasks:
        task.install_exists = task.install in existing
        task.app_name = existing[task.install].app_name if task.install_exists else ""
    return tasks


@login_required
@vary_on_headers("HX-Request")  # the partial must never stand in for the page in a cache
def task_list(request: HttpRequest) -> HttpResponse:
    tasks = Task.objects.visible_to(request.user).select_related("account")
    page = Paginator(tasks, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = describe(page.object_list)
    # Poll only while something on this page still runs (STYLE 19).
    running = any(not task.done for task in page.object_list)
    template = "tasks/list.html#rows" if request.htmx else "tasks/list.html"
    return render(request, template, {"page": page, "running": running})
