"""The Tasks page: what runs now (with live progress) and what ran recently."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.vary import vary_on_headers

from .models import Task

PER_PAGE = 25

# The reference's cmd names, as a person reads them.
VERBS = {
    "install": _("Install"),
    "uninstall": _("Uninstall"),
    "upgrade": _("Update"),
    "backup": _("Backup"),
    "restore": _("Restore"),
    "clone": _("Clone"),
    "delete": _("Delete backup"),
    "import": _("Import"),
}


def describe(tasks) -> list[Task]:
    """The tasks, each with its verb and whether its install can still be opened."""
    from apps.installs.models import Install

    tasks = list(tasks)
    ids = {t.install for t in tasks if t.install}
    existing = {str(pk) for pk in Install.objects.filter(pk__in=ids).values_list("pk", flat=True)}
    for task in tasks:
        task.verb = VERBS.get(task.cmd, task.cmd.capitalize())
        task.install_exists = task.install in existing
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
