"""Installing and uninstalling applications: checks, the undoable steps, the task rows.

The API (v1 ``cmd=install`` and v2 ``POST /browser/{app}/install``) and the GUI both go
through ``check_install`` -> ``start_install``; the Celery task runs ``install_app``.
"""

from __future__ import annotations

import ipaddress
import logging
import posixpath
import re
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Account, Website
from apps.accounts.validation import normalize_vhost_url, vhost_target
from apps.recipes import fields as app_fields
from apps.recipes.fields import text_value
from apps.tasks.models import Task
from installatron_gui.lib.errors import InstallatronError

from .errors import InstallError
from .models import BackupSchedule, Install
from .requirements import check_requirements
from .steps import Report, Step, run_steps

log = logging.getLogger(__name__)

NOTIFICATIONS = {
    "update_available", "update", "update_error", "backup", "backup_error", "restore",
    "restore_error", "clone", "clone_error", "install", "uninstall", "autobk", "autobk_error",
}  # fmt: skip
BKLOC_SCHEMES = {"ftp", "ftps", "sftp", "ssh", "s3"}
PREFIX_RE = re.compile(r"^[A-Za-z0-9_]{1,32}$")
DB_IDENT_RE = re.compile(r"^[A-Za-z0-9_$.-]{1,64}$")
TABLE_RE = re.compile(r"^[A-Za-z0-9_$]{1,64}$")
# Statuses whose install still occupies its URL and files.
LIVE = [Install.Status.INSTALLING, Install.Status.INSTALLED, Install.Status.UNINSTALLING]


# --------------------------------------------------------------------------- the plan


@dataclass
class DbPlan:
    """The database an install will use. ``mode``: panel, manual (given in the call),
    website (one of the website's listed databases) or none."""

    mode: str
    type: str = "mysql"
    host: str = ""
    name: str = ""
    user: str = ""
    password: str = field(default="", repr=False)
    prefix: str = ""
    # A temporary address to reach db_host from here (the reference's db_host_ip).
    host_ip: str = ""


@dataclass
class InstallPlan:
    """Everything ``check_install`` validated; ``start_install`` turns it into rows.

    ``fields`` holds the application's field values by name (its manifest's fields,
    ``fields.py``), secrets included, in memory only: ``repr`` leaves them out.
    """

    account: Account
    website: Website
    recipe: object
    package: object
    version: str
    language: str
    url: str
    url_domain: str
    url_ip: str
    target: str
    db: DbPlan
    fields: dict = field(repr=False)
    content: str = "yes"
    autoup: int = 0
    autoup_backup: bool = True
    autobk: str = ""
    autobk_daily: int = 0
    autobk_weekly: int = 0
    autobk_monthly: int = 0
    bkloc: str = field(default="", repr=False)
    notification: list = field(default_factory=list)
    dryrun: int = 0

    @property
    def application(self) -> str:
        return self.recipe.id

    @property
    def title(self) -> str:
        """The install's title: its title field (``role: "title"``), else the app's name."""
        name = app_fields.title_field(self.recipe)
        return str(self.fields.get(name) or "") if name else self.recipe.name

    def as_api(self, v2: bool) -> dict:
        """What a dryrun answers: the values that would be used, secrets left out
        (v1 member names; v2's renames come from the API's shared table)."""
        from apps.api.v2names import for_version

        return for_version({
            "installer": self.application,
            "version": self.version,
            "language": self.language,
            "url": self.url,
            "url-domain": self.url_domain,
            "path": posixpath.join(self.website.display_path, self.target),
            "db-host": self.db.host,
            "db-name": self.db.name,
            "db-user": self.db.user,
            "db-prefix": self.db.prefix,
            **app_fields.api_members(self.recipe, app_fields.stored(self.recipe, self.fields)),
        }, v2)


def _text(params: dict, name: str) -> str | None:
    return text_value(params.get(name), name)


def _int_in(params: dict, name: str, allowed: range, default: int, errcode: str) -> int:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        number = None
    if number is None or number not in allowed:
        raise InstallError(f"{name} must be a number from {allowed.start} to {allowed.stop - 1}.",
                           errcode=errcode, field=name)
    return number


def _flag(params: dict, name: str, default: bool) -> bool:
    value = params.get(name)
    if value in (None, ""):
        return default
    text = str(value).strip().lower()
    if text in {"1", "yes", "true", "on", "all"}:
        return True
    if text in {"0", "no", "false", "off", "none"}:
        return False
    raise InstallError(f"{name} must be 0 or 1.", errcode=f"invalid_argument_{name}", field=name)


def find_vhost(website_list, url: str) -> tuple[Website, str, str] | None:
    """The website and vhost whose URL is the longest prefix of ``url``.

    Returns (website, vhost URL, target folder relative to the website path) or None.
    On a tie the first website wins (the account's order: the current header's first).
    A URL path with ``..``, ``.`` or empty components never matches (``vhost_target``).
    """
    best = None
    for website in website_list:
        found = vhost_target(website.vhosts, url)
        if found is not None and (best is None or len(found[0]) > len(best[1])):
            best = (website, *found)
    return best


def _check_url(account: Account, params: dict, recipe) -> tuple[Website, str, str, str]:
    raw = _text(params, "url")
    if not raw or not raw.strip():
        raise InstallError("The url argument is required.", errcode="invalid_argument_url",
                           field="url")
    try:
        parts = urlsplit(raw.strip())
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        parts = None
    if (parts is None or parts.scheme.lower() not in {"http", "https"} or not parts.hostname
            or parts.query or parts.fragment or parts.username or parts.password):
        raise InstallError("The url must be a plain http:// or https:// address.",
                           errcode="invalid_argument_url", field="url")
    url = normalize_vhost_url(raw)
    found = find_vhost(account.websites.all(), url)
    if found is None:
        raise InstallError(
            f"The url {url} does not belong to any of your websites' domains.",
            errcode="invalid_argument_url", field="url")
    website, vhost, target = found
    if recipe.manifest.get("rootonly") and url != vhost:
        raise InstallError(f"{recipe.name} can only be installed at the root of a domain "
                           f"({vhost}).", errcode="invalid_argument_url_rootonly", field="url")
    return website, url, (parts.hostname or "").lower(), target


def _check_fields(recipe, params: dict, account: Account, website: Website) -> dict:
    """language, content and the application's own fields, each by the type its manifest
    gives it (``fields.py``): no field is asked for that the manifest does not name."""
    language = check_language(recipe, params)
    content = (_text(params, "content") or "yes").strip().lower()
    if content not in {"yes", "no"}:
        # content=<template id>: a saved template (templates_service), or refused there.
        from .templates_service import check_template_content

        content = check_template_content(account, recipe, content)
    values = app_fields.check_values(recipe, params,
                                     owner_email=website.email or account.email)
    # The application's own, stricter rules.
    recipe.check_fields({"language": language, "content": content, **values})
    return {"language": language, "content": content, "fields": values}


def check_language(recipe, params: dict) -> str:
    language = (_text(params, "language") or "en").lower().replace("-", "_")
    if language not in recipe.languages:
        raise InstallError(f"{recipe.name} is not available in the language '{language[:16]}'.",
                           errcode="invalid_argument_language", field="language")
    return language


def _check_backup_options(params: dict) -> dict:
    autoup = _int_in(params, "autoup", range(0, 3), 0, "invalid_argument_autoup")
    autoup_backup = _flag(params, "autoup_backup", True)
    autobk = (_text(params, "autobk") or "").strip().lower()
    counts = {"daily": 0, "weekly": 0, "monthly": 0}
    if autobk in ("", "0", "none", "no"):
        autobk = ""
    elif autobk == "custom":
        for period in counts:
            counts[period] = _int_in(params, f"autobk_{period}", range(0, 100), 0,
                                     f"invalid_argument_autobk_custom_{period}")
        if not any(counts.values()):
            raise InstallError("A custom backup schedule needs at least one daily, weekly or "
                               "monthly backup.", errcode="invalid_argument_autobk_custom_daily",
                               field="autobk_daily")
    elif not BackupSchedule.objects.filter(name=autobk).exists():
        # A schedule id: one of the administrator's (manage.py backupschedule).
        raise InstallError(f"There is no backup schedule '{autobk[:32]}'.",
                           errcode="invalid_argument_autobk_schedule", field="autobk")
    bkloc = _text(params, "bkloc")
    if bkloc is not None:
        if not bkloc.strip():
            raise InstallError("bkloc is empty: give 'local' or a backup location URI.",
                               errcode="empty_argument_bkloc", field="bkloc")
        bkloc = bkloc.strip()
        if bkloc.lower() == "local":
            bkloc = ""
        else:
            try:
                parts = urlsplit(bkloc)
                ok = parts.scheme.lower() in BKLOC_SCHEMES and bool(parts.hostname)
            except ValueError:
                ok = False
            if not ok:
                raise InstallError("bkloc must be 'local' or an ftp://, ftps://, sftp://, "
                                   "ssh:// or s3:// location.", errcode="invalid_argument_bkloc",
                                   field="bkloc")
    notification = _text(params, "notification")
    names: list[str] = []
    if notification:
        names = [n.strip() for n in notification.split(",") if n.strip()]
        if names == ["all"]:
            names = sorted(NOTIFICATIONS)
        unknown = [n for n in names if n not in NOTIFICATIONS]
        if unknown:
            raise InstallError(f"Unknown notification '{unknown[0][:40]}'.",
                               errcode="invalid_argument_notification", field="notification")
    return {"autoup": autoup, "autoup_backup": autoup_backup, "autobk": autobk,
            "autobk_daily": counts["daily"], "autobk_weekly": counts["weekly"],
            "autobk_monthly": counts["monthly"], "bkloc": bkloc or "", "notification": names}


def _check_database(recipe, params: dict, website: Website) -> DbPlan:
    if not recipe.needs_database:
        return DbPlan(mode="none", type="")
    prefix = _text(params, "db_prefix")
    if prefix not in (None, "") and not PREFIX_RE.match(prefix):
        raise InstallError("The table prefix may have letters, digits and _ only.",
                           errcode="invalid_argument_db_prefix", field="db_prefix")
    host_ip = (_text(params, "db_host_ip") or "").strip()
    given = {n: _text(params, n) for n in ("db_host", "db_name", "db_user", "db_pass")}
    if any(v not in (None, "") for v in given.values()):
        for name in ("db_name", "db_user"):
            if not given[name] or not DB_IDENT_RE.match(given[name]):
                raise InstallError(f"{name} is required with a pre-created database "
                                   "(letters, digits, _ $ . -).",
                                   errcode=f"invalid_argument_{name}", field=name)
        host = (given["db_host"] or "localhost").strip()
        if not re.match(r"^[A-Za-z0-9.:\[\]_/-]{1,255}$", host):
            raise InstallError("db_host is not a host name.", errcode="invalid_argument_db_host",
                               field="db_host")
        return DbPlan(mode="manual", host=host, name=given["db_name"], user=given["db_user"],
                      password=given["db_pass"] or "", prefix=prefix or recipe.table_prefix,
                      host_ip=host_ip)
    if website.db_mode == Website.DbMode.MANUAL:
        if not recipe.supports_table_prefix:
            raise InstallError(f"{recipe.name} cannot share a database (it has no table "
                               "prefix); ask your host for database automation.",
                               errcode="invalid_argument_application", field="application")
        used = set(Install.objects.filter(website=website, status__in=LIVE)
                   .values_list("db_name", flat=True))
        for db in website.databases or []:
            if db.get("type", "mysql") != "mysql" or db["name"] in used:
                continue
            password = db.get("pass") or given["db_pass"] or ""
            return DbPlan(mode="website", host=db.get("host") or "localhost", name=db["name"],
                          user=db.get("user") or db["name"], password=password,
                          prefix=prefix or recipe.table_prefix, host_ip=host_ip)
        raise InstallError("Every database listed for this website is in use; create another "
                           "database in your control panel first.",
                           errcode="failed_database_create", status=500, field="db_name")
    return DbPlan(mode="panel", prefix=prefix or recipe.table_prefix, host_ip=host_ip)


def check_install(account: Account | None, params: dict, *, dryrun: int = 0,
                  acting: Account | None = None) -> InstallPlan:
    """Validate an install request (every parameter of the reference's install table).

    Raises InstallError with the reference's errcode, HTTP status and ``field``.
    ``dryrun=1`` checks the input only; ``dryrun=0`` and ``2`` also look at the target
    folder, and ``2`` checks everything else (database credentials, folder writable,
    package checksum) without changing anything.

    The target folder rule: the URL picks the website vhost with the longest matching
    URL prefix; the folder is that vhost's folder plus the rest of the URL path. If any
    name the application's archive would create already exists there, or an
    ``index.html``/``index.htm`` would be served instead of the application, the install
    is refused with ``invalid_argument_url_alreadyexists``. Other files that are already
    there (``cgi-bin``, ``.well-known``, a ``robots.txt``, ...) are kept and never touched,
    not even by uninstall.
    """
    from apps.catalog.errors import CatalogError
    from apps.recipes.base import get_recipe
    from apps.catalog.services import can_use, package_for

    if account is None:
        raise InstallError("The user argument is required.", errcode="empty_argument_user",
                           field="user")
    if not account.is_active or (acting is not None and acting.pk != account.pk
                                 and not acting.manages(account)):
        raise InstallError(f"The user '{account.username}' cannot install here.",
                           errcode="invalid_argument_user", status=403, field="user")
    app_id = _text(params, "application")
    try:
        recipe = get_recipe(app_id or "")
        if not can_use(account, recipe.id):
            raise CatalogError(f"{recipe.name} is not available to this account.")
        if not recipe.supports("install"):
            raise CatalogError(f"{recipe.name} cannot be installed here yet.")
    except CatalogError as exc:
        raise InstallError(exc.message, errcode="invalid_argument_application",
                           field="application") from None
    try:
        package = package_for(recipe.id, _text(params, "version"))
    except CatalogError as exc:
        raise InstallError(exc.message, errcode="invalid_argument_version",
                           field="version") from None
    website, url, url_domain, target = _check_url(account, params, recipe)
    url_ip = (_text(params, "url_ip") or "").strip() or website.vhost_ip
    if url_ip:
        try:
            url_ip = str(ipaddress.ip_address(url_ip))
        except ValueError:
            raise InstallError("url_ip must be an IP address.", errcode="invalid_argument_url",
                               field="url_ip") from None
    taken = Install.objects.filter(status__in=LIVE).filter(
        Q(url=url) | Q(website=website, path=target)).first()
    if taken is not None:
        raise InstallError(f"Another application is already installed at {url}.",
                           errcode="invalid_argument_url_alreadyexists", field="url")
    values = _check_fields(recipe, params, account, website)
    options = _check_backup_options(params)
    db = _check_database(recipe, params, website)
    plan = InstallPlan(
        account=account, website=website, recipe=recipe, package=package,
        version=package.version, url=url, url_domain=url_domain, url_ip=url_ip,
        target=target, db=db, dryrun=dryrun, **values, **options)
    if dryrun != 1:
        check_requirements(recipe, package.version, website.path)
        check_target(plan)
    if dryrun == 2:
        check_resources(plan)
    return plan


def archive_names(package) -> list[str]:
    """Top-level names the package archive creates (validated member by member)."""
    from apps.transports.local import check_archive

    return _archive_names(str(package.path), package.sha256, check_archive)


_NAMES_CACHE: dict[tuple[str, str], list[str]] = {}


def _archive_names(path: str, sha256: str, lister) -> list[str]:
    key = (path, sha256)
    if key not in _NAMES_CACHE:
        try:
            with open(path, "rb") as fh:
                _NAMES_CACHE[key] = lister(fh)
        except OSError:
            raise InstallError("The application package is missing from the store.",
                               errcode="failed_package_missing", status=500) from None
        except InstallatronError as exc:
            raise InstallError(exc.message, errcode=exc.errcode, status=500) from None
    return _NAMES_CACHE[key]


SHADOWING = ("index.html", "index.htm")


def check_target(plan: InstallPlan) -> None:
    """Refuse a target folder where the archive's names (or an index.html) exist."""
    from apps.transports.base import TransportError

    names = set(archive_names(plan.package)) | set(plan.recipe.extra_files)
    names |= set(SHADOWING)
    try:
        with _open_website(plan.website) as transport:
            if not transport.exists(plan.target):
                return
            if not transport.is_dir(plan.target):
                raise InstallError(f"{plan.url} points to a file, not a folder.",
                                   errcode="invalid_argument_url_alreadyexists", field="url")
            clash = sorted(names & set(transport.listdir(plan.target)))
    except TransportError as exc:
        raise InstallError(exc.message, errcode="failed_filesystem_permission",
                           status=500) from None
    if clash:
        raise InstallError(
            f"The folder for {plan.url} already holds {', '.join(clash[:5])}; remove "
            "them or choose another location.",
            errcode="invalid_argument_url_alreadyexists", field="url")


def check_resources(plan: InstallPlan) -> None:
    """dryrun=2: package checksum, database reachable, target writable; nothing changes."""
    from apps.catalog.errors import CatalogError
    from apps.catalog.services import verify_package
    from apps.panels.base import get_panel

    try:
        verify_package(plan.package)
    except CatalogError as exc:
        raise InstallError(exc.message, errcode=exc.errcode, status=500) from None
    if plan.db.mode in ("manual", "website"):
        conn = connect_db(plan.db.host_ip or plan.db.host, plan.db.user, plan.db.password,
                          plan.db.name, errcode="invalid_argument_db_user", status=400)
        try:
            clash = tables_with_prefix(conn, plan.db.prefix)
        finally:
            conn.close()
        if clash:
            raise InstallError(f"The database {plan.db.name} already has tables with the prefix "
                               f"'{plan.db.prefix}'; choose another db_prefix.",
                               errcode="invalid_argument_db_prefix", field="db_prefix")
    elif plan.db.mode == "panel":
        get_panel().generate_db("mysql", plan.website.as_session())  # reaches the server
    _check_writable(plan)


def _check_writable(plan: InstallPlan) -> None:
    """Write and remove a probe file in the target (or its nearest existing parent)."""
    from apps.transports.base import TransportError

    folder = plan.target
    try:
        with _open_website(plan.website) as transport:
            while folder and not transport.exists(folder):
                folder = posixpath.dirname(folder)
            probe = posixpath.join(folder, f".itron-probe-{secrets.token_hex(6)}")
            transport.write(probe, b"")
            transport.remove(probe)
    except TransportError as exc:
        raise InstallError(f"The folder for {plan.url} is not writable: {exc.message}",
                           errcode="failed_filesystem_permission", status=500,
                           field="url") from None


# --------------------------------------------------------------------------- databases


def _split_host(host: str) -> tuple[str, int | None, str | None]:
    """``db.example.com:3307`` -> host, port; ``localhost:/run/mysqld.sock`` -> socket."""
    if host.startswith("["):
        addr, _, rest = host[1:].partition("]")
        return addr, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None, None
    name, sep, rest = host.partition(":")
    if sep and rest.startswith("/"):
        return name, None, rest
    if sep and rest.isdigit():
        return name, int(rest), None
    return host, None, None


def connect_db(host: str, user: str, password: str, name: str | None = None, *,
               errcode: str = "failed_database_connect", status: int = 500):
    """A MySQLdb connection; errors become InstallError with the password scrubbed."""
    import MySQLdb

    hostname, port, socket_path = _split_host(host)
    kwargs = {"host": hostname, "user": user, "passwd": password or "", "connect_timeout": 10,
              "charset": "utf8mb4"}
    if port:
        kwargs["port"] = port
    if socket_path:
        kwargs["unix_socket"] = socket_path
    if name:
        kwargs["db"] = name
    try:
        return MySQLdb.connect(**kwargs)
    except MySQLdb.Error as exc:
        detail = str(exc.args[1] if len(exc.args) > 1 else exc)
        if password:
            detail = detail.replace(password, "***")
        raise InstallError(f"Could not connect to the database {name or ''} on {host} as "
                           f"{user}: {detail}", errcode=errcode, status=status,
                           field="db_host") from None


def tables_with_prefix(conn, prefix: str) -> list[str]:
    """The tables of the install whose table prefix is ``prefix`` in the connection's
    database: see own_tables (never ``LIKE 'wp_%'``, which also matches ``wp_b_...``)."""
    db_name, names = _all_tables(conn)
    return own_tables(names, prefix, db_name)


def tables_of_others(conn, prefix: str, names: list[str]) -> list[str]:
    """Of ``names`` (tables about to be written under ``prefix``), those that would be
    another install's in the connection's database."""
    db_name, present = _all_tables(conn)
    own = set(own_tables(set(present) | set(names), prefix, db_name))
    return sorted(n for n in names if n not in own)


def _all_tables(conn) -> tuple[str, list[str]]:
    cur = conn.cursor()
    cur.execute("SELECT DATABASE()")
    db_name = cur.fetchone()[0] or ""
    cur.execute("SHOW TABLES")
    return db_name, [row[0] for row in cur.fetchall()]


def own_tables(names, prefix: str, db_name: str = "") -> list[str]:
    """Of the table ``names`` of one database, those of the install with ``prefix``: the
    names starting with it, less those under another install's longer prefix there."""
    others = neighbour_prefixes(names, prefix, db_name)
    return sorted(n for n in names
                  if n.startswith(prefix) and not any(n.startswith(o) for o in others))


def neighbour_prefixes(names, prefix: str, db_name: str = "") -> set[str]:
    """Longer prefixes than ``prefix`` (``wp_b_`` beside ``wp_``) that are other installs'
    in the same database: those of installs we know of, and any under which every table
    an application always makes is present (an install made by hand). A WordPress
    network's ``wp_2_`` sites lack ``users``, so they stay the network's own."""
    from apps.recipes.base import all_recipes

    names = set(names)
    found: set[str] = set()
    if db_name:
        found.update(Install.objects.filter(db_name=db_name, db_prefix__startswith=prefix)
                     .exclude(db_prefix=prefix).values_list("db_prefix", flat=True))
    for core in {tuple(sorted(r.tables)) for r in all_recipes() if r.tables}:
        for name in names:
            if name.startswith(prefix) and name.endswith(core[0]):
                other = name[: len(name) - len(core[0])]
                if len(other) > len(prefix) and all(other + t in names for t in core):
                    found.add(other)
    return found


def tables_size(conn, db_name: str, tables: list[str]) -> int:
    """Bytes of data and indexes of exactly ``tables``."""
    if not tables:
        return 0
    cur = conn.cursor()
    cur.execute("SELECT COALESCE(SUM(data_length + index_length), 0) FROM "
                "information_schema.TABLES WHERE table_schema = %s AND table_name IN ("
                + ", ".join(["%s"] * len(tables)) + ")", (db_name, *tables))
    return int(cur.fetchone()[0] or 0)


def _drop_tables(conn, tables: list[str]) -> None:
    bad = [t for t in tables if not TABLE_RE.match(t)]
    if bad:
        raise InstallError(f"Refusing to drop a table with an odd name: {bad[0][:64]!r}.")
    cur = conn.cursor()
    # Applications with foreign keys between their own tables (Tiny Tiny RSS) cannot be
    # dropped one table at a time otherwise (MariaDB error 1451); all of them go here.
    cur.execute("SET SESSION FOREIGN_KEY_CHECKS = 0")
    try:
        for table in tables:
            cur.execute(f"DROP TABLE IF EXISTS `{table}`")
        conn.commit()
    finally:
        cur.execute("SET SESSION FOREIGN_KEY_CHECKS = 1")


# --------------------------------------------------------------------------- start


@transaction.atomic
def start_install(plan: InstallPlan) -> tuple[Install, Task]:
    """Create the Install (status installing, held by its task) and the Task row, and
    enqueue the install once the transaction commits. The admin password is kept
    encrypted on the row for the worker, never in the Celery message."""
    from . import tasks

    if Install.objects.select_for_update().filter(status__in=LIVE).filter(
            Q(url=plan.url) | Q(website=plan.website, path=plan.target)).exists():
        raise InstallError(f"Another application is already installed at {plan.url}.",
                           errcode="invalid_argument_url_alreadyexists", field="url")
    install = Install.objects.create(
        account=plan.account, website=plan.website, installer=plan.application,
        version=plan.version, language=plan.language, path=plan.target, url=plan.url,
        url_domain=plan.url_domain, url_ip=plan.url_ip, db_type=plan.db.type,
        db_host=plan.db.host, db_name=plan.db.name, db_user=plan.db.user,
        db_pass=plan.db.password, db_prefix=plan.db.prefix, title=plan.title,
        autoup=plan.autoup, autoup_backup=plan.autoup_backup, bkloc=plan.bkloc,
        autobk=plan.autobk, autobk_daily=plan.autobk_daily, autobk_weekly=plan.autobk_weekly,
        autobk_monthly=plan.autobk_monthly, notification=plan.notification,
        fields=app_fields.stored(plan.recipe, plan.fields), content=plan.content,
        status=Install.Status.INSTALLING,
        pending_secrets={"fields": app_fields.secret_values(plan.recipe, plan.fields),
                         "db_mode": plan.db.mode, "db_host_ip": plan.db.host_ip},
    )
    if plan.bkloc:  # the reference: a bkloc URI is associated with the user
        from apps.backups.locations import remember

        remember(plan.account, plan.bkloc)
    task = Task.objects.create(
        account=plan.account, ws_label=plan.website.label or plan.website.ws_id, cmd="install",
        url=plan.url, title=plan.title, label="_tasks_installing", install=install.id,
        message="Waiting for a worker",
    )
    install.task = task
    install.save(update_fields=["task"])
    task_id = task.id
    transaction.on_commit(lambda: tasks.install_app.delay(task_id))
    return install, task


def _busy_error(install: Install) -> InstallError:
    running = Task.objects.filter(pk=install.task_id).first() if install.task_id else None
    what = f"task {running.pk} ({running.cmd}, {running.status})" if running else "another task"
    return InstallError(f"The install is busy with {what}; try again when it has finished.",
                        errcode="busy", status=409, field="id")


@transaction.atomic
def start_uninstall(install: Install, *, force: bool = False) -> Task:
    """Queue the uninstall of ``install``. Refused with ``busy`` while a task holds it.

    The fence is a conditional UPDATE on the Install row, so of two concurrent callers
    exactly one gets the install.
    """
    from . import tasks

    task = Task.objects.create(
        account=install.account, ws_label=(install.website.label or install.website.ws_id)
        if install.website_id else "", cmd="uninstall", url=install.url, title=install.title,
        label="_tasks_uninstalling", install=install.id, message="Waiting for a worker",
    )
    won = Install.objects.filter(
        pk=install.pk, task__isnull=True,
        status__in=[Install.Status.INSTALLED, Install.Status.FAILED],
    ).update(task=task, status=Install.Status.UNINSTALLING)
    if won != 1:
        install.refresh_from_db()
        raise _busy_error(install)
    task_id = task.id
    transaction.on_commit(lambda: tasks.uninstall_app.delay(task_id, bool(force)))
    return task


# --------------------------------------------------------------------------- the work


@contextmanager
def _open_website(website: Website):
    """The website's transport, connected (``with _open_website(w) as t``).

    The path comes through the panel's path hooks (section 4.1: recorded, released when
    idle); SSH host keys are checked against the website's ``_trust_host_key``. On a
    remote website without a shell, put_tree/get_tree go through the panel's secondary
    ssh:// path when it offers one (section 4.2), asked for on the first bulk call.
    """
    from contextlib import ExitStack

    from apps.panels.base import PanelError
    from apps.panels.services import secondary_path, website_path
    from apps.transports.base import open_transport
    from apps.transports.remote import WithSecondary, ssh_key_options

    custom = website.custom or {}
    options = {"trust_host_key": custom.get("_trust_host_key"), "website_id": website.pk}
    entered = False
    try:
        with website_path(website) as path, ExitStack() as stack:
            transport = stack.enter_context(open_transport(
                path, uid=website.uid, gid=website.gid, **options, **ssh_key_options(path)))

            def opener():
                uri = stack.enter_context(secondary_path(website))
                return stack.enter_context(
                    open_transport(uri, **options, **ssh_key_options(uri))) if uri else None

            remote = "://" in path and not transport.has_shell
            entered = True
            yield WithSecondary(transport, opener if remote else None)
    except PanelError as exc:
        if entered:  # the panel failed inside the caller's work: not ours to reword
            raise
        raise InstallError(exc.message, errcode=exc.errcode or "failed_filesystem_permission",
                           status=500) from None


def pending_fields(pending: dict | None) -> dict:
    """The secret field values kept for the worker on ``Install.pending_secrets``
    (a row queued before fields were data has its admin password as ``passwd``)."""
    pending = pending or {}
    if "fields" in pending:
        return dict(pending["fields"] or {})
    return {"passwd": pending["passwd"]} if pending.get("passwd") else {}


@dataclass
class AppContext:
    """What a recipe sees while installing: where, which database, which answers.
    ``fields``: the application's field values by name (secrets only at install time)."""

    transport: object
    target: str
    url: str
    url_ip: str
    version: str
    language: str
    locale: str
    db_host: str
    db_host_ip: str
    db_name: str
    db_user: str
    db_pass: str = field(repr=False)
    db_prefix: str
    fields: dict = field(repr=False)
    content: str = "yes"
    archive_names: list[str] = field(default_factory=list)

    def path(self, name: str) -> str:
        return posixpath.join(self.target, name) if self.target else name

    def connect(self):
        """A connection to the install's database with the install's own account."""
        return connect_db(self.db_host_ip or self.db_host, self.db_user, self.db_pass,
                          self.db_name)


def app_context(install: Install, recipe, **given) -> AppContext:
    """The AppContext of an existing install, for the recipe hooks that run after the
    install (repoint, update). Its secrets are not known (only an install has them);
    ``given`` overrides members (``transport``, the database of a new location, ...)."""
    values = dict(
        transport=None, target=install.path, url=install.url, url_ip=install.url_ip,
        version=install.version, language=install.language,
        locale=recipe.locale_for(install.language), db_host=install.db_host, db_host_ip="",
        db_name=install.db_name, db_user=install.db_user, db_pass=install.db_pass,
        db_prefix=install.db_prefix, fields=dict(install.fields or {}),
        content=install.content)
    values.update(given)
    return AppContext(**values)


def install_app(install: Install, *, report: Report) -> Install:
    """Install the application for an Install row in status installing.

    Steps: verify the package, create the database (panel) or check it (manual), unpack
    the files, write the configuration, run the application's installer, check the site
    answers. A failure undoes every step begun (files, tables, the panel's database) and
    marks the install failed; the website is left as it was.
    """
    from apps.catalog.errors import CatalogError
    from apps.recipes.base import get_recipe
    from apps.catalog.services import package_for, verify_package
    from apps.panels.base import get_panel

    if install.status != Install.Status.INSTALLING:
        raise InstallError(f"The install {install.id} is {install.status}, not installing.")
    if install.content not in ("yes", "no", ""):
        from .templates_service import install_from_template

        return install_from_template(install, report=report)
    pending = install.pending_secrets or {}
    try:
        if install.website is None:
            raise InstallError("The website of this install no longer exists.")
        recipe = get_recipe(install.installer)
        package = package_for(install.installer, install.version)
        website = install.website
        session = website.as_session()
        db_mode = pending.get("db_mode", "manual")
        app = AppContext(
            transport=None, target=install.path, url=install.url, url_ip=install.url_ip,
            version=install.version, language=install.language,
            locale=recipe.locale_for(install.language), db_host=install.db_host,
            db_host_ip=pending.get("db_host_ip", ""), db_name=install.db_name,
            db_user=install.db_user, db_pass=install.db_pass, db_prefix=install.db_prefix,
            fields={**(install.fields or {}), **pending_fields(pending)},
            content=install.content, archive_names=archive_names(package),
        )
        state: dict = {"tables_before": None, "files": [], "config": [], "dirs": []}

        def verify():
            try:
                verify_package(package)
            except CatalogError as exc:
                raise InstallError(exc.message, errcode=exc.errcode, status=500) from None

        def create_database():
            if db_mode == "panel":
                panel = get_panel()
                spec = panel.generate_db("mysql", session)
                state["panel_db"] = spec.name
                panel.create_db(spec, session)
                install.db_created_by_panel = True
                install.db_host, install.db_name, install.db_user = spec.host, spec.name, spec.user
                install.db_pass = spec.password or ""
                if spec.prefix:
                    install.db_prefix = spec.prefix
                install.save(update_fields=["db_created_by_panel", "db_host", "db_name",
                                            "db_user", "db_pass", "db_prefix"])
                app.db_host, app.db_name, app.db_user = spec.host, spec.name, spec.user
                app.db_pass, app.db_prefix = install.db_pass, install.db_prefix
            if db_mode == "none":
                return
            conn = app.connect()
            try:
                state["tables_before"] = set(tables_with_prefix(conn, app.db_prefix))
            finally:
                conn.close()
            if state["tables_before"]:
                raise InstallError(
                    f"The database {app.db_name} already has tables with the prefix "
                    f"'{app.db_prefix}'; choose another db_prefix.",
                    errcode="invalid_argument_db_prefix", status=400, field="db_prefix")

        def remove_database():
            if state.get("panel_db"):
                get_panel().remove_db(state["panel_db"], "mysql", session)

        def deploy_files():
            state["dirs"] = app.transport.mkdir(app.target) if app.target else []
            install.path_created = state["dirs"]
            state["files"] = app.transport.put_tree(package.path, app.target)

        def remove_files():
            for name in state["files"]:
                app.transport.remove(app.path(name))
            _remove_empty_dirs(app.transport, state["dirs"])

        def write_config():
            state["config"] = list(recipe.write_config(app))

        def remove_config():
            for name in state["config"]:
                app.transport.remove(app.path(name))

        def run_installer():
            recipe.run_installer(app)

        def drop_new_tables():
            if state["tables_before"] is None or state.get("panel_db"):
                return  # the panel's remove_db drops the whole database
            conn = app.connect()
            try:
                new = [t for t in tables_with_prefix(conn, app.db_prefix)
                       if t not in state["tables_before"]]
                _drop_tables(conn, new)
            finally:
                conn.close()

        def check_site():
            recipe.verify(app)

        steps = [
            Step("package", verify, message="Checking the package", weight=1),
            Step("database", create_database, remove_database,
                 message="Creating the database", weight=1),
            Step("files", deploy_files, remove_files, message="Copying files", weight=6),
            Step("config", write_config, remove_config, message="Writing the configuration"),
            Step("installer", run_installer, drop_new_tables,
                 message=f"Running the {recipe.name} installer", weight=3),
            Step("verify", check_site, message="Checking the website"),
        ]
        with _open_website(website) as transport:
            app.transport = transport
            run_steps(steps, report=report, end=95)
            report(95, 100, "Recording the install")
            install.list_files = sorted(set(state["files"]) | set(state["config"]))
            install.cache_files = sum(transport.size(app.path(n)) for n in install.list_files)
        _record_tables(install, app)
    except BaseException:
        install.mark_failed()
        raise
    install.status = Install.Status.INSTALLED
    install.pending_secrets = None
    install.task = None
    install.cache_time = timezone.now()
    install.save()
    return install


def _record_tables(install: Install, app: AppContext) -> None:
    if not install.db_name:
        return
    conn = app.connect()
    try:
        install.list_tables = tables_with_prefix(conn, install.db_prefix)
        install.cache_tables = tables_size(conn, install.db_name, install.list_tables)
    finally:
        conn.close()


def _remove_empty_dirs(transport, dirs: list[str]) -> None:
    for folder in reversed(dirs):
        if transport.exists(folder) and not transport.listdir(folder):
            transport.remove(folder)


def _safe_name(name: str) -> bool:
    return bool(name) and "/" not in name and "\\" not in name and name not in (".", "..") \
        and "\x00" not in name


def uninstall_app(install: Install, *, report: Report, force: bool = False) -> list[str]:
    """Remove exactly what the install created: its top-level files (list-files), the
    folders made for it (when empty), its tables, and the database when the panel made
    it. Files that were in the website before are untouched. With ``force`` errors (a
    website that cannot be reached, a database server that is down) are logged and the
    record is removed anyway; without it the install stays as it was marked."""
    from apps.panels.base import PanelError, get_panel
    from apps.transports.base import TransportError

    problems: list[str] = []

    def attempt(what: str, fn) -> None:
        try:
            fn()
        except (InstallatronError, OSError) as exc:
            if not force:
                raise
            log.warning("uninstall %s: %s failed (forced): %s", install.id, what,
                        getattr(exc, "message", type(exc).__name__))
            problems.append(what)

    def remove_files():
        if install.website is None:
            raise InstallError("The website of this install no longer exists.")
        bad = [n for n in install.list_files if not _safe_name(n)]
        if bad:
            raise InstallError(f"The install lists an unsafe file name {bad[0][:64]!r}.")
        with _open_website(install.website) as transport:
            for name in install.list_files:
                transport.remove(posixpath.join(install.path, name) if install.path else name)
            _remove_empty_dirs(transport, list(install.path_created or []))

    def remove_tables():
        # Another install we know of in the same database keeps it; only ours go.
        shared = bool(install.db_name) and Install.objects.filter(
            db_host=install.db_host, db_name=install.db_name).exclude(pk=install.pk).exists()
        if install.db_created_by_panel and not shared:
            session = install.website.as_session() if install.website else None
            get_panel().remove_db(install.db_name, install.db_type or "mysql", session)
            return
        if not install.db_name or not install.list_tables:
            return
        conn = connect_db(install.db_host, install.db_user, install.db_pass, install.db_name)
        try:
            # A list recorded before neighbours were told apart may name theirs.
            own = set(tables_with_prefix(conn, install.db_prefix))
            _drop_tables(conn, [t for t in install.list_tables if t in own])
        finally:
            conn.close()

    try:
        report(10, 60, "Removing files")
        attempt("files", remove_files)
        report(60, 95, "Removing database tables")
        attempt("database", remove_tables)
    except (InstallatronError, OSError) as exc:
        # Not forced: the install stays, released, with the status it had before.
        previous = Install.Status.INSTALLED if install.list_files else Install.Status.FAILED
        Install.objects.filter(pk=install.pk).update(task=None, status=previous)
        if isinstance(exc, TransportError | InstallError | PanelError):
            raise InstallError(f"{exc.message} Use force to remove the record anyway.",
                               errcode=exc.errcode, status=exc.status) from None
        raise
    install.delete()
    return problems


# --------------------------------------------------------------------------- for other apps
# Backups (restore, restore to, clone) reuse the same checks and the same busy fence.
check_url = _check_url
check_database = _check_database
open_website = _open_website
record_tables = _record_tables
drop_tables = _drop_tables
remove_empty_dirs = _remove_empty_dirs
busy_error = _busy_error
split_host = _split_host


def hold_install(install: Install, task: Task) -> None:
    """Let ``task`` hold an installed ``install`` (conditional UPDATE), or raise ``busy``."""
    won = Install.objects.filter(pk=install.pk, task__isnull=True,
                                 status=Install.Status.INSTALLED).update(task=task)
    if won != 1:
        install.refresh_from_db()
        if install.task_id is None:
            raise InstallError(f"The install is {install.get_status_display().lower()}, "
                               "not installed.", errcode="invalid_argument_id", field="id")
        raise _busy_error(install)
    install.task = task


def release_install(install_id: str, task_id: str) -> None:
    """End ``task``'s hold on the install (no-op if another task holds it)."""
    Install.objects.filter(pk=install_id, task_id=task_id).update(task=None)
