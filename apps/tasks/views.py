"""The Tasks page: what runs now (with live progress) and what ran recently."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from installatron_gui.lib.pages import IdsFirstPaginator

from .models import Task

PER_PAGE = 25


#: Functions that add to the listed tasks what an app above this one knows of them. Each
#: app appends its own in AppConfig.ready() (installs: whether the install can still be
#: opened and its application's name, see installs/receivers.py).
DESCRIBERS: list[Callable[[list[Task]], None]] = []


def describe(tasks) -> list[Task]:
    tasks = list(tasks)
    for add in DESCRIBERS:
        add(tasks)
    return tasks


@login_required
@vary_on_headers("HX-Request")  # the partial must never stand in for the page in a cache
def task_list(request: HttpRequest) -> HttpResponse:
    tasks = Task.objects.visible_to(request.user).select_related("account")
    page = IdsFirstPaginator(tasks, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = describe(page.object_list)
    # Poll only while something on this page still runs (STYLE 19).
    running = any(not task.done for task in page.object_list)
    template = "tasks/list.html#rows" if request.htmx else "tasks/list.html"
    return render(request, template, {"page": page, "running": running})
