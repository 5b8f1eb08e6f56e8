"""Checking an install request: the plan (``check_install``) and the checks of its
target folder and resources. Nothing here changes a server; ``services.start_install``
turns a plan into rows and a task.

Edits, restores and clones reuse the same checks (URL, fields, database, backup options).
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from apps.accounts.models import Account, SiteSettings, Website
from apps.accounts.validation import normalize_vhost_url, vhost_target
from apps.catalog.errors import CatalogError
from apps.catalog.services import can_use, default_version, package_for, verify_package
from apps.panels.base import get_panel
from apps.recipes import fields as app_fields
from apps.recipes.base import get_recipe
from apps.recipes.fields import text_value
from apps.transports.base import TransportError
from apps.transports.local import check_archive
from installatron_gui.lib.errors import InstallatronError

from .errors import InstallError
from .models import LIVE, BackupSchedule, Install, Template
from .reach import connect_db, open_website, tables_with_prefix
from .requirements import check_requirements

NOTIFICATIONS = {
    "update_available", "update", "update_error", "backup", "backup_error", "restore",
    "restore_error", "clone", "clone_error", "install", "uninstall", "autobk", "autobk_error",
}  # fmt: skip
BKLOC_SCHEMES = {"ftp", "ftps", "sftp", "ssh", "s3"}
PREFIX_RE = re.compile(r"^[A-Za-z0-9_]{1,32}$")
DB_IDENT_RE = re.compile(r"^[A-Za-z0-9_$.-]{1,64}$")


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
    # website mode without a db_prefix: the worker takes another free prefix when this
    # one is in use in the database (001 3.17.3: "let Installatron manage table prefixes").
    auto_prefix: bool = False


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


def flag_param(params: dict, name: str, default: bool) -> bool:
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


def check_url(account: Account, params: dict, recipe) -> tuple[Website, str, str, str]:
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


def check_fields(recipe, params: dict, account: Account, website: Website) -> dict:
    """language, content and the application's own fields, each by the type its manifest
    gives it (``fields.py``): no field is asked for that the manifest does not name."""
    language = check_language(recipe, params)
    content = (_text(params, "content") or "yes").strip().lower()
    if content not in {"yes", "no"}:
        # content=<template id>: a saved template (backups/templates_service.py).
        content = check_template_content(account, recipe, content)
    values = app_fields.check_values(recipe, params,
                                     owner_email=website.email or account.email)
    # The application's own, stricter rules.
    recipe.check_fields({"language": language, "content": content, **values})
    return {"language": language, "content": content, "fields": values}


def check_template_content(account, recipe, content: str) -> str:
    """``content=<template id>`` of install: a template of this application the account
    may use (its own, or one of the accounts above it). Returns the id."""
    owners = {account.pk}
    owner = account.owner if hasattr(account, "owner") else None
    while owner is not None:
        owners.add(owner.pk)
        owner = owner.owner
    found = Template.objects.filter(pk=content, account_id__in=owners,
                                    installer=recipe.id).first()
    if found is None:
        raise InstallError("content must be 'yes' (sample content), 'no' (blank) or the id "
                           f"of one of your {recipe.name} templates.",
                           errcode="invalid_argument_content", field="content")
    return found.id


def check_language(recipe, params: dict) -> str:
    language = (_text(params, "language") or "en").lower().replace("-", "_")
    if language not in recipe.languages:
        raise InstallError(f"{recipe.name} is not available in the language '{language[:16]}'.",
                           errcode="invalid_argument_language", field="language")
    return language


def with_install_defaults(params: dict) -> dict:
    """``params`` with the administrator's default install options (the console's) for
    the automation parameters the request does not give."""
    site = SiteSettings.load()
    defaults = {"autoup": str(site.default_autoup),
                "autoup_backup": "1" if site.default_autoup_backup else "0",
                "autobk": site.default_autobk, "autobk_daily": str(site.default_autobk_daily),
                "autobk_weekly": str(site.default_autobk_weekly),
                "autobk_monthly": str(site.default_autobk_monthly)}
    if site.default_autobk not in ("", "custom") and not BackupSchedule.objects.filter(
            name=site.default_autobk).exists():
        defaults["autobk"] = ""  # a schedule removed since: no default, not a refused install
    given = {name: value for name, value in params.items() if value is not None}
    if given.get("autobk") not in (None, ""):  # the request's own schedule, not half of ours
        defaults = {k: v for k, v in defaults.items() if not k.startswith("autobk")}
    return {**defaults, **given}


# The install-wide add-on update settings (check_addon_autoup).
ADDON_AUTOUP = ("autoup_plugins", "autoup_themes")


def check_backup_options(params: dict) -> dict:
    autoup = _int_in(params, "autoup", range(0, 3), 0, "invalid_argument_autoup")
    autoup_backup = flag_param(params, "autoup_backup", True)
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


def check_addon_autoup(params: dict) -> dict:
    """``autoup_plugins`` and ``autoup_themes``: 0 none, 1 all, 2 custom (v1 values; v2's
    enums come back as these through the API)."""
    return {name: _int_in(params, name, range(0, 3), 0, f"invalid_argument_{name}")
            for name in ADDON_AUTOUP}


def check_database(recipe, params: dict, website: Website) -> DbPlan:
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
        listed = [db for db in website.databases or [] if db.get("type", "mysql") == "mysql"]
        if not listed:
            raise InstallError("This website lists no MySQL database; create one in your "
                               "control panel first.",
                               errcode="failed_database_create", status=500, field="db_name")
        # A database of its own if one is free, else one shared under another table prefix.
        db = next((d for d in listed if d["name"] not in used), listed[0])
        password = db.get("pass") or given["db_pass"] or ""
        return DbPlan(mode="website", host=db.get("host") or "localhost", name=db["name"],
                      user=db.get("user") or db["name"], password=password,
                      prefix=prefix or recipe.table_prefix, host_ip=host_ip,
                      auto_prefix=not prefix)
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
        package = package_for(recipe.id, _text(params, "version") or default_version(recipe.id))
    except CatalogError as exc:
        raise InstallError(exc.message, errcode="invalid_argument_version",
                           field="version") from None
    website, url, url_domain, target = check_url(account, params, recipe)
    url_ip = (_text(params, "url_ip") or "").strip() or website.vhost_ip
    if url_ip:
        try:
            url_ip = str(ipaddress.ip_address(url_ip))
        except ValueError:
            raise InstallError("url_ip must be an IP address.", errcode="invalid_argument_url",
                               field="url_ip") from None
    if Install.objects.occupying(url, website, target).exists():
        raise InstallError(f"Another application is already installed at {url}.",
                           errcode="invalid_argument_url_alreadyexists", field="url")
    values = check_fields(recipe, params, account, website)
    if not package.has_language(values["language"]):
        raise InstallError(f"This {recipe.name} {package.version} package has no "
                           f"{values['language']} language files.",
                           errcode="invalid_argument_language", field="language")
    options = check_backup_options(with_install_defaults(params))
    db = check_database(recipe, params, website)
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


def input_problems(account: Account, params: dict) -> list[InstallError]:
    """Every problem ``check_install`` finds in the input alone, not only the first: a
    form shows them all at once, each beside its field. The URL, the language, each of
    the application's fields, the automation options and the database are checked apart;
    an empty list means ``check_install`` is next (it also looks at the target)."""
    recipe = get_recipe(_text(params, "application") or "")
    problems: list[InstallError] = []

    def attempt(check, *args, **kwargs):
        try:
            return check(*args, **kwargs)
        except InstallError as exc:
            problems.append(exc)
            return None

    found = attempt(check_url, account, params, recipe)
    website = found[0] if found else None
    attempt(check_language, recipe, params)
    owner_email = (website.email if website else "") or account.email
    values = {}
    for name, spec in app_fields.app_fields(recipe).items():
        values[name] = attempt(app_fields.check_value, name, spec, params.get(name),
                               owner_email=owner_email)
    # The application's own rules, on the values that passed their type's check.
    language = (_text(params, "language") or "en").lower().replace("-", "_")
    attempt(recipe.check_fields, {"language": language, "content": "yes",
                                  **{k: v for k, v in values.items() if v is not None}})
    attempt(check_backup_options, with_install_defaults(params))
    if website is not None:
        attempt(check_database, recipe, params, website)
    return problems


def check_database_login(plan: InstallPlan) -> None:
    """A database the request names (or the website's list gives): sign in to it and
    refuse tables already there under the prefix, before anything is created."""
    if plan.db.mode not in ("manual", "website"):
        return
    conn = connect_db(plan.db.host_ip or plan.db.host, plan.db.user, plan.db.password,
                      plan.db.name, errcode="invalid_argument_db_user", status=400)
    try:
        clash = tables_with_prefix(conn, plan.db.prefix)
    finally:
        conn.close()
    if clash and not plan.db.auto_prefix:  # else the worker takes a free prefix
        raise InstallError(f"The database {plan.db.name} already has tables with the prefix "
                           f"'{plan.db.prefix}'; choose another db_prefix.",
                           errcode="invalid_argument_db_prefix", field="db_prefix")


def archive_names(package) -> list[str]:
    """Top-level names the package archive creates (validated member by member)."""
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
    names = set(archive_names(plan.package)) | set(plan.recipe.extra_files)
    names |= set(SHADOWING)
    try:
        with open_website(plan.website) as transport:
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
    try:
        verify_package(plan.package)
    except CatalogError as exc:
        raise InstallError(exc.message, errcode=exc.errcode, status=500) from None
    if plan.db.mode in ("manual", "website"):
        check_database_login(plan)
    elif plan.db.mode == "panel":
        get_panel().generate_db("mysql", plan.website.as_session())  # reaches the server
    _check_writable(plan)


def _check_writable(plan: InstallPlan) -> None:
    """Write and remove a probe file in the target (or its nearest existing parent)."""
    folder = plan.target
    try:
        with open_website(plan.website) as transport:
            while folder and not transport.exists(folder):
                folder = posixpath.dirname(folder)
            probe = posixpath.join(folder, f".itron-probe-{secrets.token_hex(6)}")
            transport.write(probe, b"")
            transport.remove(probe)
    except TransportError as exc:
        raise InstallError(f"The folder for {plan.url} is not writable: {exc.message}",
                           errcode="failed_filesystem_permission", status=500,
                           field="url") from None
