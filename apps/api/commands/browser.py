"""browser (v1 ``cmd=browser``, v2 ``GET /browser`` and ``GET /browser/{application}``)."""

from __future__ import annotations

import re

from django.conf import settings

from apps.accounts.models import Account
from apps.catalog import requirements, services
from apps.catalog.errors import CatalogError
from apps.catalog.models import Package
from apps.recipes import Recipe, get_recipe
from apps.recipes import fields as app_fields
from installatron_gui import __version__
from installatron_gui.lib import versions

from ..dispatch import Context, command
from ..paging import page
from ..replies import list_reply, reply
from ..v2names import for_version
from .installs import _read_header

LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})?$")


class Listing(list):
    """A list that ``paging.page`` can count and slice like a queryset."""

    def count(self, *args) -> int:  # type: ignore[override]
        return len(self)


def release_data(recipe: Recipe, package: Package, *, v2: bool,
                 from_version: str | None = None, language: str = "",
                 account: Account | None = None) -> dict:
    """One release as the reference's browser example shows it (v2: with its renames).
    ``language``: the texts in that language where the recipe has them (else English)."""
    upgrade = services.release_kind(package)
    texts = recipe.texts(language)
    # A release date, else the day the package entered the store (v2's time needs one).
    released = package.released or package.created.date()
    data: dict = {"id": package.key, "appid": recipe.id, "version": package.version,
                  "branch": package.branch, "name": recipe.name, "category": recipe.category,
                  "type": recipe.type, "date": released.isoformat(),
                  "license": recipe.license, "tags": recipe.tags(package.version),
                  "description": texts["description"],
                  "authordescription": texts["authordescription"],
                  "changelog": recipe.changelog(package.version),
                  "upgrade": upgrade, "install": "auto"}
    links = recipe.links
    data.update({f"link_{name}": url for name, url in links.items()})
    data["link_admin"] = recipe.link_admin
    # Where to report a problem with the installer's packaging of the application.
    data["link_installersupport"] = settings.INSTALLER_SUPPORT_URL
    # itron: the installer version the package needs (this one or newer), as 3.2 shows.
    needs = {"itron": f"{__version__}-", **recipe.requirements}
    # What this host lacks to run it (empty when nothing): the install would be refused.
    data.update({"requirements": needs,
                 "requirements_unmet": requirements.unmet(recipe, account),
                 "languages": recipe.languages,
                 "fields": app_fields.public_fields(recipe), "images": recipe.images})
    if from_version is not None:
        data["upgrade_from"] = services.upgrade_from(package, from_version)
    return for_version(data, v2, "browser")


def _applications(value) -> list[str] | None:
    if value in (None, ""):
        return None
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CatalogError("application must be an application id or a list of them.")
    return value


def _caller(ctx: Context) -> Account | None:
    """The ``user`` the call is about, whose AppSet filters the list (None: no filter)."""
    _read_header(ctx)
    username = ctx.params.get("user")
    if not isinstance(username, str) or not username:
        return None
    return Account.objects.filter(username=username).first()


@command("browser")
def browser(ctx: Context):
    params = ctx.params
    language = params.get("language")
    if language not in (None, "") and not (isinstance(language, str)
                                             and LANGUAGE_RE.match(language)):
        raise CatalogError("The language is not a language code.",
                           errcode="invalid_argument_language")
    caller = _caller(ctx)
    visible = {r.id: r for r in services.applications_for(caller)}
    wanted = _applications(params.get("application"))
    if wanted is None:
        recipes = list(visible.values())
    else:
        for app_id in wanted:
            if app_id not in visible:
                get_recipe(app_id)  # an unknown id says so; a known one is just not offered
                raise CatalogError(f"The application '{app_id}' is not available.")
        recipes = [visible[app_id] for app_id in dict.fromkeys(wanted)]
    single = recipes[0] if len(recipes) == 1 and wanted is not None else None
    version = params.get("version")
    from_version = params.get("from-version")
    available_from = params.get("versions-available-from")
    for name, value in (("version", version), ("from-version", from_version),
                        ("versions-available-from", available_from)):
        if value in (None, ""):
            continue
        if single is None:
            raise CatalogError(f"{name} needs exactly one application.",
                               errcode="invalid_argument_application")
        if not isinstance(value, str) or not services.VERSION_RE.match(value):
            raise CatalogError(f"{name} is not a version number.",
                               errcode="invalid_argument_version")
    if available_from:
        return reply(services.versions_available_from(single.id, available_from))
    items = []
    if version:
        items.append(release_data(single, services.package_for(single.id, version), v2=ctx.v2,
                                  language=language or "", account=caller))
    elif from_version:
        for package in services.versions_of(single.id):
            if versions.compare(package.version, from_version) >= 0:
                items.append(release_data(single, package, v2=ctx.v2, from_version=from_version,
                                          language=language or "", account=caller))
    else:
        for recipe in recipes:
            items.append(release_data(recipe, services.package_for(recipe.id), v2=ctx.v2,
                                      language=language or "", account=caller))
    shown, total, has_more = page(Listing(items), params, v1=not ctx.v2)
    return list_reply(shown, total=total, has_more=has_more, message="The task is complete.\n")
