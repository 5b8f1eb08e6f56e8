"""Migration from another server (the reference's ``cmd=import`` with ``source_url``, v2
``/browser/{id}/migrate``).

An application on another server, reached by FTP, FTPS, SFTP or SSH (``source_ftu``), is
copied to a website of the user: files pulled through the source transport, the database
dumped on the source host (SSH) or from here (its database server reachable), both packed
as a backup archive and deployed with ``deploy_archive`` (new database from the panel,
tables under the new prefix, URLs rewritten, configuration written for the new database).
The source is only read. What the application is and where it keeps its settings is found
by ``apps.installs.imports.detect`` (the recipe's ``detect_install`` hook).
"""

from __future__ import annotations

import ipaddress
import json
import posixpath
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Account
from apps.accounts.validation import mask_path
from apps.installs.errors import InstallError
from apps.installs.imports import check_detects, detect, recipe_of
from apps.installs.models import Install
from apps.installs.reach import connect_db, own_tables, split_host, tables_with_prefix
from apps.installs.sync import detect_settings
from apps.recipes.base import Found, get_recipe
from apps.sites.database import Database, is_loopback
from apps.tasks.services import RateMeter, run_task
from apps.transports.base import TransportError, open_transport
from installatron_gui.lib.compression import ZSTD, tar_writer

from . import appworker, archive, copies
from .errors import BackupError

SOURCE_SCHEMES = {"ftp", "ftps", "sftp", "ssh"}


@dataclass
class MigrationPlan:
    account: Account
    recipe: object
    location: object  # backups.copies.LocationPlan
    source_url: str
    source_ftu: str = field(repr=False)
    source_key: str = ""
    source_ip: str = ""
    trust: str = ""
    version: str = ""

    def as_api(self, v2: bool) -> dict:
        data = self.location.as_api(v2)
        data.update({"installer" if not v2 else "application": self.recipe.id,
                     "source_url": self.source_url, "source_ftu": mask_path(self.source_ftu)})
        return data


def _source_uri(params: dict) -> tuple[str, str]:
    """source_ftu checked: an ftp/ftps/sftp/ssh URI, or app://username:password (WordPress
    only: the worker plugin, apps/backups/appworker.py)."""
    ftu = params.get("source_ftu")
    if not isinstance(ftu, str) or not ftu.strip():
        raise InstallError("source_ftu is required to migrate: an ftp://, ftps://, sftp:// or "
                           "ssh:// address of the source account.",
                           errcode="empty_argument_source_ftu", field="source_ftu")
    ftu = ftu.strip()
    try:
        parts = urlsplit(ftu)
        scheme = parts.scheme.lower()
        host = parts.hostname
    except ValueError:
        scheme, host = "", None
    if ftu[:6].lower() == "app://":
        user, password = appworker.split_app(ftu)
        if not user or not password:
            raise InstallError("source_ftu must be app://username:password.",
                               errcode="invalid_argument_source_ftu", field="source_ftu")
        return "app://" + ftu[6:], "app"
    if scheme not in SOURCE_SCHEMES or not host:
        raise InstallError("source_ftu must be an ftp://, ftps://, sftp:// or ssh:// address.",
                           errcode="invalid_argument_source_ftu", field="source_ftu")
    return ftu, scheme


def check_migrate(account: Account, params: dict, *, dryrun: int = 0) -> MigrationPlan:
    if account is None:
        raise InstallError("The user argument is required.", errcode="empty_argument_user",
                           field="user")
    recipe = recipe_of(params)
    check_detects(recipe, "migrated")
    source_url = params.get("source_url")
    if not isinstance(source_url, str) or not source_url.strip():
        raise InstallError("source_url is required to migrate.",
                           errcode="empty_argument_source_url", field="source_url")
    try:
        src = urlsplit(source_url.strip())
        ok = src.scheme in ("http", "https") and bool(src.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise InstallError("source_url must be an http:// or https:// address.",
                           errcode="invalid_argument_source_url", field="source_url")
    ftu, scheme = _source_uri(params)
    if scheme == "app" and recipe.id != "wordpress":
        raise InstallError("Migration with app:// (the administrator's login) is for "
                           "WordPress only.", errcode="invalid_worker_plugin", field="source_ftu")
    source_ip = str(params.get("source_url_ip") or "").strip()
    if source_ip:
        try:
            source_ip = str(ipaddress.ip_address(source_ip))
        except ValueError:
            raise InstallError("source_url_ip must be an IP address.",
                               errcode="invalid_argument_source_url_ip",
                               field="source_url_ip") from None
    key = str(params.get("source_ftu_key") or "").strip()
    try:
        location = copies.check_location(account, recipe.id, params, [], dryrun=dryrun)
    except BackupError as exc:
        raise InstallError(exc.message, errcode=exc.errcode, status=exc.status,
                           field=exc.field) from None
    plan = MigrationPlan(account=account, recipe=recipe, location=location,
                         source_url=source_url.strip().rstrip("/"), source_ftu=ftu,
                         source_key=key, source_ip=source_ip,
                         trust=str(params.get("source_trust_host_key") or "").strip(),
                         version=str(params.get("version") or ""))
    if scheme == "app" and dryrun != 1:
        # One sign-in answers a wrong user or password before anything is made here.
        with appworker.signed_in(plan.source_url, plan.source_ip, plan.source_ftu):
            pass
    elif dryrun == 2:
        with _open_source(plan) as (t, folder):
            detect(recipe, t, folder)
    return plan


def _source_path(plan: MigrationPlan) -> str:
    """The ftu URI with source_url_ip as its host when given."""
    if not plan.source_ip:
        return plan.source_ftu
    parts = urlsplit(plan.source_ftu)
    userinfo = parts.netloc.rpartition("@")[0]
    host = f"[{plan.source_ip}]" if ":" in plan.source_ip else plan.source_ip
    netloc = (userinfo + "@" if userinfo else "") + host + (f":{parts.port}" if parts.port
                                                           else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class _open_source:
    """The source account's transport and the application folder in it (the ftu path
    itself, or its public_html/<source_url path> when the application is there)."""

    def __init__(self, plan: MigrationPlan):
        self.plan = plan

    def __enter__(self):
        options = {"trust_host_key": self.plan.trust or None}
        if self.plan.source_key:
            options["key_file"] = self.plan.source_key
        try:
            self.t = open_transport(_source_path(self.plan), **options)
            self.t.__enter__()
        except TransportError as exc:
            raise InstallError(f"Could not log in to the source server: {exc.message}",
                               errcode=exc.errcode, status=exc.status,
                               field="source_ftu") from None
        url_path = urlsplit(self.plan.source_url).path.strip("/")
        candidates = ["", url_path, posixpath.join("public_html", url_path).rstrip("/")]
        # The application's own marker file (its package's), else any PHP site.
        probes = [p for p in (self.plan.recipe.archive_marker, "index.php") if p]
        for folder in dict.fromkeys(candidates):
            if folder and ".." in folder.split("/"):
                continue
            if any(self.t.exists(posixpath.join(folder, p) if folder else p) for p in probes):
                return self.t, folder
        self.t.close()
        raise InstallError("The application was not found in the source account's folder.",
                           errcode="invalid_argument_source_ftu", field="source_ftu")

    def __exit__(self, *exc):
        self.t.close()


@transaction.atomic
def start_migrate(plan: MigrationPlan):
    """The Install row (installing, held by its task) and the task; the source access is
    kept encrypted on the row for the worker, never in the Celery message."""
    source = {"installer": plan.recipe.id, "version": plan.version, "language": "en",
              "title": plan.recipe.name}
    install, task = copies.new_install(plan.location, source, migrate_app_task, cmd="migrate",
                                       label="_tasks_migrating")
    pending = dict(install.pending_secrets or {})
    pending["migrate"] = {"source_url": plan.source_url, "source_ftu": plan.source_ftu,
                          "source_key": plan.source_key, "source_ip": plan.source_ip,
                          "trust": plan.trust, "version": plan.version}
    Install.objects.filter(pk=install.pk).update(pending_secrets=pending)
    return install, task


def build_archive(plan: MigrationPlan, out_path: Path, work: Path, *, report) -> dict:
    """Pull the source application into a backup-format archive: its files
    (regular files and folders only) and a dump of its tables."""
    if plan.source_ftu.startswith("app://"):
        return _build_from_worker(plan, out_path, work, report=report)
    with _open_source(plan) as (t, folder):
        report(5, 10, "Reading the source configuration")
        found = detect(plan.recipe, t, folder)
        source_ip_host = plan.source_ip or urlsplit(plan.source_ftu).hostname or ""
        report(10, 40, "Copying the source files")
        with tempfile.TemporaryFile(dir=work) as raw, \
                tempfile.TemporaryFile(dir=work) as dump:
            meter = RateMeter(raw)  # the tasks API's rate: the source's files coming in
            t.get_tree(folder, meter)
            meter.note()
            report(40, 55, "Dumping the source database")
            tables = _dump_source(t, found, source_ip_host, dump, work)
            meta = {"format": archive.FORMAT, "path": folder, "list-tables": tables,
                    "install": {"installer": plan.recipe.id, "version": found.version,
                                "url": plan.source_url, "db-prefix": found.db_prefix,
                                "title": plan.recipe.name}}
            _write_archive(out_path, raw, dump, meta)
    return {"found": found, "meta": meta}


def _write_archive(out_path: Path, raw, dump, meta: dict) -> None:
    with open(out_path, "wb") as out, tar_writer(out, ZSTD) as tar:
        archive.add_dump(tar, dump, int(timezone.now().timestamp()))
        # Links and special files are not copied.
        raw.seek(0)
        meta["list-files"], _links = archive.add_files(tar, raw)
        archive.add_bytes(tar, archive.META, json.dumps(meta).encode())


def _build_from_worker(plan: MigrationPlan, out_path: Path, work: Path, *, report) -> dict:
    """build_archive for app://: the worker plugin sends the files and the dump."""
    report(5, 40, "Copying the source files")
    with tempfile.TemporaryFile(dir=work) as raw, tempfile.TemporaryFile(dir=work) as dump:
        meter = RateMeter(raw)
        info = appworker.pull_site(plan.source_url, plan.source_ip, plan.source_ftu,
                                   meter, dump)
        meter.note()
        found = Found(version=str(info.get("version") or ""), db_host="", db_name="",
                      db_user="", db_pass="", db_prefix=info["prefix"], config="wp-config.php")
        meta = {"format": archive.FORMAT, "path": "", "list-tables": info["tables"],
                "install": {"installer": plan.recipe.id, "version": found.version,
                            "url": plan.source_url, "db-prefix": found.db_prefix,
                            "title": plan.recipe.name}}
        _write_archive(out_path, raw, dump, meta)
    return {"found": found, "meta": meta}


def _dump_source(t, found: Found, source_host: str, out, work: Path) -> list[str]:
    """The source tables, dumped on the source host when it has a shell, else from here
    (the source's database server, or its host when the server is its localhost)."""
    if t.has_shell:
        db = Database(found.db_host, found.db_name, found.db_user, found.db_pass,
                      found.db_prefix, shell=t)
        tables = own_tables(db.tables(), found.db_prefix, found.db_name)
        db.dump(tables, out)
        return tables
    name, port, sock = split_host(found.db_host)
    host = found.db_host
    if sock or is_loopback(name):
        host = f"{source_host}:{port}" if port else source_host
    try:
        conn = connect_db(host, found.db_user, found.db_pass, found.db_name)
    except InstallError:
        raise InstallError("The source database cannot be reached from here and the source "
                           "account has no SSH access; give ssh:// or sftp:// access with a "
                           "shell, or open the database server to this host.",
                           errcode="failed_database_connect", status=500) from None
    try:
        tables = tables_with_prefix(conn, found.db_prefix)
    finally:
        conn.close()
    Database(host, found.db_name, found.db_user, found.db_pass, found.db_prefix).dump(
        tables, out)
    return tables


def migrate_app(install: Install, *, report) -> Install:
    """Copy the source application (the install's pending ``migrate`` members) to the
    install's location. The source is only read; a failure removes what was made."""
    pending = (install.pending_secrets or {}).get("migrate") or {}
    try:
        plan = MigrationPlan(account=install.account, recipe=get_recipe(install.installer),
                             location=None, source_url=pending["source_url"],
                             source_ftu=pending["source_ftu"],
                             source_key=pending.get("source_key", ""),
                             source_ip=pending.get("source_ip", ""),
                             trust=pending.get("trust", ""), version=pending.get("version", ""))
        with archive.workdir(install.account) as work:
            path = work / archive.archive_name("migrate", ZSTD)
            built = build_archive(plan, path, work,
                                  report=lambda lo, hi, msg: report(lo // 2, hi // 2, msg))
            found = built["found"]
            install.version = plan.version or found.version or install.version
            install.save(update_fields=["version"])
            install = copies.deploy_archive(install, path, None, report=report,
                                             old_url=plan.source_url, start=50)
    except BaseException:
        if Install.objects.filter(pk=install.pk, status=Install.Status.INSTALLING).exists():
            install.mark_failed()
        raise
    # The copy's own settings, as an import reads them (cf-login, cf-email, ...).
    detect_settings(install)
    return install


# The Celery entry point lives here with its service; apps.backups.tasks imports it so the
# worker registers it. Its name is the one it had in apps.installs.imports.
@shared_task(name="apps.installs.imports.migrate_app_task", acks_late=True, ignore_result=True)
def migrate_app_task(task_id: str) -> None:
    def body(task, report):
        install = Install.objects.select_related("website", "account").filter(
            pk=task.install).first()
        if install is None:
            raise InstallError("The install this task worked on no longer exists.")
        install = migrate_app(install, report=report)
        return f"{install.app_name} was migrated to {install.url}.", {"install": install.id}

    run_task(task_id, body)

