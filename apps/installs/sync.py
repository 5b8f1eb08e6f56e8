"""View/sync an installed application (the reference's ``view`` and ``sync``, 3.7).

The record is read again from the site: the version from the application's files, the
settings the owner may have changed inside it (title, tagline, admin email), the size of
its files (through the transport) and of its tables (information_schema), and with
``addons`` the plugins and themes it has.
"""

from __future__ import annotations

import logging
import posixpath

import MySQLdb
from django.utils import timezone

from apps.catalog.errors import CatalogError
from apps.recipes import fields as app_fields
from apps.recipes.base import get_recipe
from apps.sites.database import LOCAL, route_for
from installatron_gui.lib.errors import InstallatronError

from . import addons as addon_manager
from . import services
from .errors import InstallError
from .holds import busy_error
from .models import Install
from .reach import connect_db, open_website

log = logging.getLogger(__name__)


def _join(base: str, name: str) -> str:
    return posixpath.join(base, name) if base else name


class _Db:
    """What services.record_tables needs: a connection with the install's account."""

    def __init__(self, install: Install):
        self.install = install

    def connect(self):
        i = self.install
        return connect_db(i.db_host, i.db_user, i.db_pass, i.db_name)


def sync_install(install: Install, *, addons: bool = False) -> dict:
    """Refresh ``install`` from its site and return the extra members the view shows
    (``list-plugins``/``list-themes`` with ``addons``). Saves the record."""

    if install.status != Install.Status.INSTALLED or install.website is None:
        raise InstallError(f"The install is {install.get_status_display().lower()}; only an "
                           "installed application can be synced.", errcode="invalid_argument_id",
                           field="id")
    if install.busy:
        # Reading a site that a task is changing would record a half-changed state.
        raise busy_error(install)
    try:
        recipe = get_recipe(install.installer)
    except CatalogError:
        recipe = None
    extra: dict = {}
    path = (lambda n: _join(install.path, n))
    try:
        with open_website(install.website) as t:
            if recipe is not None and recipe.supports("read_version"):
                install.version = recipe.read_version(t, path)
            present = [n for n in install.list_files if t.exists(path(n))]
            install.cache_files = sum(t.size(path(n)) for n in present)
            if addons and recipe is not None:
                extra = _addons(install, recipe, t, path)
            if recipe is not None and recipe.supports("read_settings"):
                # Settings are in the application's tables, its files (its
                # configuration), or both: the hook gets the site and the database.
                app = services.app_context(install, recipe, transport=t)
                conn = _Db(install).connect() if install.db_name else None
                try:
                    found = recipe.read_settings(conn, install.db_prefix, install.admin_login,
                                                 app=app)
                finally:
                    if conn is not None:
                        conn.close()
                store_settings(install, recipe, found)
    except InstallatronError as exc:
        raise InstallError(f"The site could not be read: {exc.message}",
                           errcode=exc.errcode, status=exc.status) from None
    if install.db_name:
        services.record_tables(install, _Db(install))
    install.cache_time = timezone.now()
    install.save(update_fields=["version", "cache_files", "cache_tables", "list_tables",
                                "fields", "title", "cache_time"])
    return extra


def detect_settings(install: Install) -> None:
    """Import and migrate: fill an adopted install's fields (``cf-login``, ``cf-email``,
    ``cf-sitetitle``, ...), title and language from what its site has (the recipe's
    ``detect_settings``), so that edit and ``createadminsso`` know its administrator.
    Best effort: a site whose database does not answer from here keeps empty fields
    (logged), as the import itself succeeded. Saves the record."""
    recipe = install.recipe()
    if recipe is None or install.website is None:
        return
    if install.db_name and route_for(install.website, install.db_host) != LOCAL:
        # Reached only through the site's shell: no query runs there (and "localhost"
        # here is another server, whose database must not be read as the site's).
        log.info("settings of imported install %s not read: its database answers over SSH",
                 install.id)
        return
    try:
        with open_website(install.website) as t:
            app = services.app_context(install, recipe, transport=t)
            if not install.db_name:
                found = recipe.detect_settings(None, "", app=app)
            else:
                conn = _Db(install).connect()
                try:
                    found = recipe.detect_settings(conn, install.db_prefix, app=app)
                finally:
                    conn.close()
    except (InstallatronError, MySQLdb.Error) as exc:
        log.warning("settings of imported install %s not read: %s", install.id,
                    getattr(exc, "errcode", type(exc).__name__))
        return
    store_settings(install, recipe, found)
    if isinstance(found.get("locale"), str):
        # The application's locale back to Installatron's code ("" is its default, en).
        codes = {recipe.locale_for(code): code for code in recipe.languages}
        install.language = codes.get(found["locale"], install.language)
    install.save(update_fields=["fields", "title", "language"])


def store_settings(install: Install, recipe, found: dict) -> None:
    """Keep what the application says its stored fields are now (``read_settings``);
    its title field is also the install's title."""
    stored = app_fields.stored(recipe, found)
    install.fields = {**(install.fields or {}),
                      **{n: v[:255] if isinstance(v, str) else v for n, v in stored.items()}}
    title = app_fields.title_field(recipe)
    if title and title in stored:
        install.title = str(stored[title])[:255]


def _addons(install: Install, recipe, transport, path) -> dict:
    """Plugins and themes: the application's add-on manager when it has one (with the
    store's updates), else what its files' headers say."""
    if recipe.supports("addons"):
        return addon_manager.list_addons(install)
    return recipe.list_addons(transport, path)
