"""Import (the reference's ``cmd=import``, v2 ``/browser/{id}/import``).

An application someone installed by hand in the user's website folder at ``url`` becomes
a managed install. Its version and database settings are read from its files by the
recipe's ``detect_install`` hook (which reads them as PHP tokens, never running them).

Migration from another server (``cmd=import`` with ``source_url``) builds a backup
archive and is in apps/backups/migration.py; it uses ``detect`` from here.
"""

from __future__ import annotations

import logging
import posixpath
import re

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Account
from apps.recipes.base import Found
from apps.sites.database import SSH, Database, route_for, shell_of
from installatron_gui.lib.errors import InstallatronError

from .errors import InstallError
from .models import Install
from .sync import detect_settings

log = logging.getLogger(__name__)

VERSION_RE = re.compile(r"^[0-9][0-9A-Za-z.+-]{0,31}$")

# --------------------------------------------------------------------------- detection


def detect(recipe, transport, folder: str) -> Found:
    """What the recipe's ``detect_install`` hook finds in ``folder`` (import, migrate)."""
    check_detects(recipe)
    found = recipe.detect_install(transport, folder)
    if found is None:
        raise InstallError(f"No {recipe.name} was found in that folder.",
                           errcode="invalid_argument_url", field="url")
    return found


def check_detects(recipe, verb: str = "imported") -> None:
    if not recipe.supports("detect"):
        raise InstallError(f"{recipe.name} cannot be {verb} yet.",
                           errcode="invalid_argument_application", field="application")


def _own_names(recipe, names: list[str], version: str) -> list[str]:
    """The top-level names that are the application's: what its package would create,
    plus the files the recipe writes; the owner's other files are not listed."""
    from apps.catalog.errors import CatalogError
    from apps.catalog.services import package_for

    from .services import archive_names

    try:
        expected = set(archive_names(package_for(recipe.id, version)))
    except (CatalogError, InstallatronError):
        try:
            expected = set(archive_names(package_for(recipe.id, None)))
        except (CatalogError, InstallatronError):
            expected = None
    expected_extra = {n.split("/", 1)[0] for n in recipe.extra_files}
    if expected is None:
        keep = {"cgi-bin", ".well-known"}
        return sorted(n for n in names if n not in keep)
    return sorted(n for n in names if n in expected or n in expected_extra)


# --------------------------------------------------------------------------- tables


def list_tables(website, transport, found: Found, db_host_ip: str = "") -> tuple[list, int]:
    """Tables with the application's prefix and their size, reached the way the database route says (sites.database)."""
    from .services import connect_db, own_tables, tables_size, tables_with_prefix

    if route_for(website, found.db_host) == SSH and not db_host_ip:
        db = Database(found.db_host, found.db_name, found.db_user, found.db_pass,
                      found.db_prefix, website, shell=shell_of(transport))
        return own_tables(db.tables(), found.db_prefix, found.db_name), 0
    conn = connect_db(db_host_ip or found.db_host, found.db_user, found.db_pass,
                      found.db_name, errcode="failed_database_connect")
    try:
        tables = tables_with_prefix(conn, found.db_prefix)
        return tables, tables_size(conn, found.db_name, tables)
    finally:
        conn.close()


# --------------------------------------------------------------------------- import


def _version(params: dict, found: str) -> str:
    given = params.get("version")
    if given in (None, ""):
        return found or "unknown"
    if not isinstance(given, str) or not VERSION_RE.match(given):
        raise InstallError("version is not a version number.",
                           errcode="invalid_argument_version", field="version")
    return given


def recipe_of(params: dict):
    from apps.catalog.errors import CatalogError
    from apps.recipes.base import get_recipe

    app_id = params.get("application")
    if not isinstance(app_id, str) or not app_id:
        raise InstallError("The application argument is required.",
                           errcode="empty_argument_application", field="application")
    try:
        return get_recipe(app_id)
    except CatalogError as exc:
        raise InstallError(exc.message, errcode="invalid_argument_application",
                           field="application") from None


def _refuse_managed(url: str, website, target: str) -> None:
    if Install.objects.occupying(url, website, target).exists():
        raise InstallError(f"An application at {url} is already managed here.",
                           errcode="invalid_argument_url_alreadyexists", field="url")


def import_install(account: Account, params: dict, *, dryrun: int = 0) -> Install | dict:
    """Import the application found at ``url`` in one of ``account``'s websites.

    Refused when an install already manages that URL or folder. With ``dryrun`` the
    values that would be recorded are returned and nothing is written.
    """
    from apps.transports.base import TransportError

    from . import services

    if account is None:
        raise InstallError("The user argument is required.", errcode="empty_argument_user",
                           field="user")
    recipe = recipe_of(params)
    website, url, domain, target = services.check_url(account, params, recipe)
    _refuse_managed(url, website, target)
    if dryrun == 1:
        return {"installer": recipe.id, "url": url, "url-domain": domain,
                "path": posixpath.join(website.display_path, target)}
    url_ip = str(params.get("url_ip") or "").strip()
    try:
        with services.open_website(website) as t:
            if not t.is_dir(target):
                raise InstallError(f"There is no folder at {url}.",
                                   errcode="invalid_argument_url", field="url")
            found = detect(recipe, t, target)
            names = _own_names(recipe, t.listdir(target), found.version)
            # An application without a database (found.db_name empty) has no tables.
            tables, table_bytes = list_tables(website, t, found) if found.db_name else ([], 0)
            files_bytes = sum(t.size(posixpath.join(target, n) if target else n)
                              for n in names)
    except TransportError as exc:
        raise InstallError(exc.message, errcode=exc.errcode, status=exc.status) from None
    version = _version(params, found.version)
    data = {"installer": recipe.id, "version": version, "url": url, "url-domain": domain,
            "path": posixpath.join(website.display_path, target), "db-host": found.db_host,
            "db-name": found.db_name, "db-user": found.db_user, "db-prefix": found.db_prefix,
            "list-files": names, "list-tables": tables}
    if dryrun:
        return data
    with transaction.atomic():
        _refuse_managed(url, website, target)
        install = Install.objects.create(
            account=account, website=website, installer=recipe.id, version=version,
            path=target, path_created=[], url=url, url_domain=domain, url_ip=url_ip,
            db_type="mysql" if found.db_name else "", db_host=found.db_host,
            db_name=found.db_name, db_user=found.db_user, db_pass=found.db_pass,
            db_prefix=found.db_prefix, db_created_by_panel=False,
            title="", list_files=names,
            list_tables=tables, cache_files=files_bytes, cache_tables=table_bytes,
            cache_time=timezone.now(), status=Install.Status.INSTALLED)
    # The site's own settings: its admin account, email, title (cf-login, ...).
    detect_settings(install)
    if not install.title:
        install.title = _site_title(url, url_ip) or recipe.name
        install.save(update_fields=["title"])
    return install


def _site_title(url: str, ip: str = "") -> str:
    """The <title> the site answers with (best effort: the record needs a title)."""
    import html

    from installatron_gui.lib.http import http_request

    try:
        status, _, text = http_request("GET", url.rstrip("/") + "/", ip=ip)
    except InstallatronError:
        return ""
    match = re.search(r"<title[^>]*>(.*?)</title>", text, re.S | re.I)
    if status != 200 or not match:
        return ""
    return html.unescape(match.group(1)).strip()[:255]
