"""The application browser and an application's page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from . import requirements, services
from .models import Package
from apps.recipes import Recipe


def _get_app_for(principal, app_id: str) -> Recipe:
    """An application the principal may use; anything else is a plain 404."""
    for recipe in services.applications_for(principal):
        if recipe.id == app_id:
            return recipe
    raise Http404


@login_required
def browser(request: HttpRequest) -> HttpResponse:
    recipes = services.applications_for(request.user)
    categories = sorted({r.category for r in recipes if r.category})
    q = request.GET.get("q", "").strip()[:100]
    category = request.GET.get("category", "")
    shown = [r for r in recipes
             if (not category or r.category == category)
             and (not q or q.lower() in f"{r.name} {r.description} {r.category}".lower())]
    apps = [{"recipe": r, "latest": services.package_for(r.id), "unmet": requirements.unmet(r, request.user)}
            for r in shown]
    context = {"apps": apps, "categories": categories, "q": q, "category": category,
               "store_empty": not Package.objects.exists(), "any_visible": bool(recipes)}
    template = "catalog/browser.html"
    if request.htmx:
        template += "#apps"
    return render(request, template, context)


@login_required
def detail(request: HttpRequest, app_id: str) -> HttpResponse:
    recipe = _get_app_for(request.user, app_id)
    stored = services.versions_of(recipe.id)
    latest = stored[-1]
    return render(request, "catalog/detail.html", {
        "app": recipe, "latest": latest, "versions": list(reversed(stored)),
        "changelog": recipe.changelog(latest.version), "unmet": requirements.unmet(recipe, request.user),
    })
