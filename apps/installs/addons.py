"""Plugins and themes of an install: the engine's side of the recipe's ``addons`` hook.

The engine fences the install (locked, installed, not busy), opens its website, hands
the recipe a ``SiteAccess`` (transport, folder, URL, a database connection, the package
store's add-on archives) and calls the ``Addons`` manager the recipe returns. What an
add-on is, where it lives and how it is switched on is the application's (its recipe's
``addons`` hook). The API commands and the GUI call this module only.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import transaction

from apps.catalog import directory
from apps.catalog import services as catalog
from apps.catalog.errors import CatalogError
from apps.catalog.models import AddonPackage
from apps.recipes.base import Addons, Recipe, SiteAccess, get_recipe

from .errors import InstallError
from .holds import busy_error
from .models import Install
from .reach import connect_db, open_website


def recipe_of(install: Install) -> Recipe | None:
    try:
        return get_recipe(install.installer)
    except CatalogError:
        return None


def supports_addons(install: Install) -> bool:
    """Whether the install's application manages plugins and themes here."""
    recipe = recipe_of(install)
    return recipe is not None and recipe.supports("addons")


def _newest_package(kind: str, slug: str) -> AddonPackage | None:
    return AddonPackage.objects.of(kind, slug).newest()


def _verify_package(package: AddonPackage) -> None:
    try:
        catalog.verify_package(package)
    except CatalogError as exc:
        raise InstallError(exc.message, errcode=exc.errcode, status=500) from None


@contextmanager
def open_addons(install: Install, *, fence: bool = True):
    """The install's add-on manager (``Addons``), for one operation.

    With ``fence`` (the API and the GUI) a busy or not-installed install is refused and
    the row stays locked (SELECT ... FOR UPDATE) while we work, so two add-on changes to
    one site never interleave. Without it the caller (an update task) holds the install.
    An application without add-ons is refused (``unsupported_addons``, HTTP 501).
    """
    recipe = recipe_of(install)
    if recipe is None or not recipe.supports("addons"):
        name = recipe.name if recipe is not None else install.installer
        raise InstallError(f"{name} has no plugins or themes to manage here.",
                           errcode="unsupported_addons", status=501)
    with transaction.atomic():
        if fence:
            locked = Install.objects.select_for_update().get(pk=install.pk)
            if locked.busy:
                raise busy_error(locked)
            if locked.status != Install.Status.INSTALLED:
                raise InstallError(f"The install is {locked.get_status_display().lower()}, "
                                   "not installed.", errcode="invalid_argument_id", field="id")
        if install.website is None:
            raise InstallError("The website of this install no longer exists.")
        with open_website(install.website) as transport:
            yield recipe.addons(SiteAccess(
                transport=transport, folder=install.path, url=install.url,
                url_ip=install.url_ip, db_prefix=install.db_prefix,
                connect=lambda: connect_db(install.db_host, install.db_user,
                                           install.db_pass, install.db_name),
                newest_package=_newest_package, verify_package=_verify_package,
                label=str(install.id)))


def fetch_from_directory(kind: str, slug: str) -> AddonPackage:
    """Bring an add-on (``kind``: plugin or theme) from the upstream directory
    (``ADDON_DIRECTORY_URL``) into the package store, so the store's staged install (with
    its rollback) adds it. Done before the install is fenced: a slow download never holds
    the install's lock."""
    try:
        return directory.fetch_addon(directory.store_kind(kind), slug)
    except CatalogError as exc:
        raise InstallError(exc.message, errcode=exc.errcode, status=exc.status) from None


def handle_edit(install: Install, params: dict) -> dict:
    """The edit API's plugin and theme parameters (v1 member names in the reply)."""
    _fetch_missing(install, params)
    with open_addons(install) as addons:
        return addons.edit(params)


def _fetch_missing(install: Install, params: dict) -> None:
    """An add-on the edit API installs (v1 ``install-plugin``/``install-theme``, a v2
    POST to a plugin or theme route) that the package store lacks comes from the
    upstream directory first, when one is configured: Installatron takes such an add-on
    from WordPress.org. Before the fence, like the GUI's add. One the directory does not
    have either gets the store's own answer (``invalid_argument_<kind>``, 404)."""
    if not directory.directory_url():
        return
    route = params.get("__v2_addon")
    wanted = [(kind, params.get(f"install-{kind}")) for kind in ("plugin", "theme")]
    if route in ("plugin", "theme"):
        wanted.append((route, params.get(route)))
    # A name that is no folder name is left to the manager's own check of the id; the
    # website is opened only when the store lacks one.
    wanted = [(kind, slug) for kind, value in wanted if isinstance(value, str)
              and catalog.ADDON_SLUG_RE.match(slug := value.strip().split("/", 1)[0])
              and ".." not in slug
              and not AddonPackage.objects.of(directory.store_kind(kind), slug).exists()]
    if not wanted:
        return
    with open_addons(install, fence=False) as addons:
        missing = [(kind, slug) for kind, slug in wanted if kind in addons.kinds
                   and slug not in {item.folder for item in addons.items(kind)}]
    for kind, slug in missing:
        try:
            fetch_from_directory(kind, slug)
        except InstallError as exc:
            if exc.errcode != "invalid_argument_slug":
                raise


def list_addons(install: Install) -> dict:
    """The view API's plugin and theme members (v1 names)."""
    with open_addons(install, fence=False) as addons:
        return addons.listing()


def update_addons(install: Install, specs: dict[str, str], *, report=None) -> dict:
    """The update API's ``plugin``/``theme`` parameters; the update task holds the
    install (no fence here)."""
    with open_addons(install, fence=False) as addons:
        return addons.update(specs, report=report)


def offers(addons: Addons, installed: set[tuple[str, str]]) -> list[AddonPackage]:
    """The store's add-ons of the manager's kinds that are not installed yet, each with
    ``addon_kind`` (the manager's name of its kind: ``plugin``)."""
    by_store_kind = {store: name for name, store in addons.kinds.items()}
    keys = set(AddonPackage.objects.filter(kind__in=by_store_kind)
               .values_list("kind", "slug")) - installed
    found = []
    for key in keys:
        package = AddonPackage.objects.of(*key).newest()
        package.addon_kind = by_store_kind[package.kind]
        found.append(package)
    return sorted(found, key=lambda p: (p.kind, (p.name or p.slug).lower()))
