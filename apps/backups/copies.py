"""Copies of an install at a new location: restore to (from a backup), clone (from a live
install) and migration (from another server) all end in ``deploy_archive``.

A new location is checked like an install's (URL, vhost, database, a target folder that
holds none of the copy's names); the new Install row is held by its task until the copy
is in place, and a failure undoes every step begun and marks the install failed.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from apps.accounts.models import Account
from apps.catalog.errors import CatalogError
from apps.installs.errors import InstallError
from apps.installs.models import Install
from apps.installs.notifications import notify
from apps.installs.plan import SHADOWING, DbPlan, check_database, check_url
from apps.installs.reach import open_website, remove_empty_dirs, tables_with_prefix
from apps.installs.services import app_context, record_tables
from apps.installs.steps import Report, Step, run_steps
from apps.panels.base import get_panel
from apps.recipes.base import UnsupportedError, get_recipe
from apps.sites.database import Database
from apps.sites.urlrewrite import UrlRewriter
from apps.tasks.models import Task
from apps.tasks.services import enqueue
from apps.transports.base import TransportError

from .archive import (
    archive_name,
    dump_tables_of,
    extract_dump,
    files_package,
    verify_archive,
    workdir,
    write_archive,
)
from .errors import BackupError, as_backup_error
from .models import Backup
from .tables import drop, import_dump, rewrite_urls

# --------------------------------------------------------------------------- where


@dataclass
class LocationPlan:
    """A checked target for restore-to and clone: where, and which database."""

    account: Account
    website: object
    recipe: object
    url: str
    url_domain: str
    url_ip: str
    target: str
    db: DbPlan

    def as_api(self, v2: bool) -> dict:
        return {"url": self.url, ("url_domain" if v2 else "url-domain"): self.url_domain,
                "path": "/".join(p for p in (self.website.display_path.rstrip("/"),
                                             self.target) if p),
                ("db_host" if v2 else "db-host"): self.db.host,
                ("db_name" if v2 else "db-name"): self.db.name,
                ("db_user" if v2 else "db-user"): self.db.user,
                ("db_prefix" if v2 else "db-prefix"): self.db.prefix}



def check_location(account: Account, installer: str, params: dict, names: list[str], *,
                   default_prefix: str = "", dryrun: int = 0) -> LocationPlan:
    """The same URL, vhost and database checks as an install (check_url and
    check_database), and a target folder that holds none of ``names``."""
    try:
        recipe = get_recipe(installer)
    except CatalogError as exc:
        raise BackupError(exc.message, errcode="invalid_argument_application") from None
    if not recipe.supports("repoint"):  # a copy must be re-pointed at its new place
        raise as_backup_error(UnsupportedError(recipe, "repoint"))
    try:
        website, url, domain, target = check_url(account, params, recipe)
        params = dict(params)
        if params.get("db_prefix") in (None, "") and default_prefix:
            params["db_prefix"] = default_prefix
        db = check_database(recipe, params, website)
    except InstallError as exc:
        raise as_backup_error(exc) from None
    url_ip = str(params.get("url_ip") or "").strip() or website.vhost_ip
    if url_ip:
        try:
            url_ip = str(ipaddress.ip_address(url_ip))
        except ValueError:
            raise BackupError("url_ip must be an IP address.", errcode="invalid_argument_url",
                              field="url_ip") from None
    if Install.objects.occupying(url, website, target).exists():
        raise BackupError(f"Another application is already installed at {url}.",
                          errcode="invalid_argument_url_alreadyexists", field="url")
    plan = LocationPlan(account=account, website=website, recipe=recipe, url=url,
                        url_domain=domain, url_ip=url_ip, target=target, db=db)
    if dryrun != 1:
        _check_target_free(plan, names)
    return plan


def _check_target_free(plan: LocationPlan, names: list[str]) -> None:
    try:
        with open_website(plan.website) as transport:
            if not transport.exists(plan.target):
                return
            if not transport.is_dir(plan.target):
                raise BackupError(f"{plan.url} points to a file, not a folder.",
                                  errcode="invalid_argument_url_alreadyexists", field="url")
            clash = sorted((set(names) | set(SHADOWING))
                           & set(transport.listdir(plan.target)))
    except TransportError as exc:
        raise as_backup_error(exc) from None
    if clash:
        raise BackupError(f"The folder for {plan.url} already holds {', '.join(clash[:5])}; "
                          "remove them or choose another location.",
                          errcode="invalid_argument_url_alreadyexists", field="url")


def _fields_of(source: dict) -> dict:
    """The field values of an install record (its ``cf-<name>`` members)."""
    return {name[3:]: value for name, value in source.items() if name.startswith("cf-")}


def new_install(plan: LocationPlan, source: dict, task_fn, *args, cmd: str, label: str
                ) -> tuple[Install, Task]:
    """The Install row (installing, held by its task) for a restore-to, a clone or a
    migration, and its task: ``task_fn(task.id, *args)`` runs once the caller commits."""
    if Install.objects.select_for_update().occupying(plan.url, plan.website,
                                                     plan.target).exists():
        raise BackupError(f"Another application is already installed at {plan.url}.",
                          errcode="invalid_argument_url_alreadyexists", field="url")
    install = Install.objects.create(
        account=plan.account, website=plan.website, installer=source["installer"],
        version=source.get("version", ""), language=source.get("language") or "en",
        path=plan.target, url=plan.url, url_domain=plan.url_domain, url_ip=plan.url_ip,
        db_type=plan.db.type, db_host=plan.db.host, db_name=plan.db.name,
        db_user=plan.db.user, db_pass=plan.db.password, db_prefix=plan.db.prefix,
        title=source.get("title", ""), fields=_fields_of(source),
        status=Install.Status.INSTALLING,
        pending_secrets={"db_mode": plan.db.mode, "db_host_ip": plan.db.host_ip})
    task = enqueue(task_fn, *args, cmd=cmd, label=label, install=install)
    install.task = task
    install.save(update_fields=["task"])
    return install, task


# --------------------------------------------------------------------------- the copy


def site_answers(url: str, ip: str = "") -> None:
    """The new site answers (HTTP below 400) at its URL, dialling ``ip`` if given."""
    parts = urlsplit(url)
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    try:
        sock = socket.create_connection((ip or parts.hostname, port), 60)
        if tls:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        conn = http.client.HTTPConnection(parts.hostname, port, timeout=60)
        conn.sock = sock  # already connected (and wrapped): the Host header stays the URL's
        try:
            conn.request("GET", (parts.path.rstrip("/") or "") + "/",
                         headers={"User-Agent": "installatron-gui"})
            status = conn.getresponse().status
        finally:
            conn.close()
    except (OSError, http.client.HTTPException) as exc:
        raise BackupError(f"The site at {url} does not answer ({type(exc).__name__}). Check "
                          "that the domain points at this website (or give url_ip).",
                          errcode="failed_http", status=500) from None
    if status >= 400:
        raise BackupError(f"The site at {url} answers HTTP {status}.", errcode="failed_http",
                          status=500)


def deploy_archive(install: Install, archive: Path, checksum: str | None, *,
                   report: Report, old_url: str, start: int = 0) -> Install:
    """Make ``install`` (status installing, a new location) from a backup archive.

    Steps: check the archive, create the database (panel) or check it has no clashing
    tables, unpack the files, import the tables under the new prefix, replace the old URL
    everywhere in them (serialized values included), re-point the copy at its new
    database and prefix (the recipe's ``repoint``; its admin account is not touched),
    check the site answers. A failure undoes every step begun and marks the install
    failed.
    """
    pending = install.pending_secrets or {}
    try:
        if install.website is None:
            raise BackupError("The website of this install no longer exists.")
        recipe = get_recipe(install.installer)
        if not recipe.supports("repoint"):
            raise UnsupportedError(recipe, "repoint")
        report(start + 2, start + 5, "Checking the backup archive")
        info = verify_archive(archive, checksum)
        tables = dump_tables_of(info)
        old_prefix = str(info.meta.get("install", {}).get("db-prefix", "") or "")
        db_mode = pending.get("db_mode", "manual")
        session = install.website.as_session()
        app = app_context(install, recipe, db_host_ip=pending.get("db_host_ip", ""))
        state: dict = {"files": [], "dirs": [], "tables": []}

        def create_database():
            if db_mode == "panel":
                panel = get_panel()
                spec = panel.generate_db("mysql", session)
                state["panel_db"] = spec.name
                panel.create_db(spec, session)
                install.db_created_by_panel = True
                install.db_host, install.db_name, install.db_user = spec.host, spec.name, spec.user
                install.db_pass = spec.password or ""
                install.save(update_fields=["db_created_by_panel", "db_host", "db_name",
                                            "db_user", "db_pass"])
                app.db_host, app.db_name, app.db_user = spec.host, spec.name, spec.user
                app.db_pass = install.db_pass
            if db_mode == "none" or not install.db_name:
                return
            conn = app.connect()
            try:
                clash = tables_with_prefix(conn, install.db_prefix)
            finally:
                conn.close()
            new_names = {install.db_prefix + t[len(old_prefix):] for t in tables}
            if clash and (not install.db_prefix or new_names & set(clash)
                          or any(t.startswith(install.db_prefix) for t in clash)):
                raise BackupError(f"The database {app.db_name} already has tables with the "
                                  f"prefix '{install.db_prefix}'; choose another db_prefix.",
                                  errcode="invalid_argument_db_prefix", status=400,
                                  field="db_prefix")

        def remove_database():
            if state.get("panel_db"):
                get_panel().remove_db(state["panel_db"], "mysql", session)

        def deploy_files():
            package = work / "files.tar.gz"
            files_package(archive, package, compress=not app.transport.same_machine)
            state["dirs"] = app.transport.mkdir(app.target) if app.target else []
            install.path_created = state["dirs"]
            state["files"] = app.transport.put_tree(package, app.target)

        def remove_files():
            for name in state["files"]:
                app.transport.remove(app.path(name))
            remove_empty_dirs(app.transport, state["dirs"])

        def import_tables():
            if not install.db_name or not info.has_dump:
                return
            dump = work / "import.sql"
            extract_dump(archive, dump, set(tables), old_prefix, install.db_prefix)
            state["tables"] = [install.db_prefix + t[len(old_prefix):] for t in tables]
            import_dump(Database.of(install), dump, work)
            if old_url and old_url.rstrip("/") != install.url.rstrip("/"):
                conn = app.connect()
                try:
                    rewrite_urls(conn, state["tables"], UrlRewriter(old_url, install.url))
                finally:
                    conn.close()

        def repoint():
            # The copy's own configuration (new database account and prefix, new secrets:
            # sessions of the source do not carry over) and its prefixed keys. Never
            # write_config: that configures a NEW site, admin account included.
            conn = app.connect() if state["tables"] else None
            try:
                recipe.repoint(app, old_url=old_url, old_prefix=old_prefix, conn=conn,
                               config=True, renew_secrets=True)
            finally:
                if conn is not None:
                    conn.close()

        def drop_tables():
            if state.get("panel_db") or not state["tables"]:
                return
            drop(Database.of(install), state["tables"])

        def check_site():
            site_answers(install.url, install.url_ip)

        with workdir(install.account) as work, open_website(install.website) as t:
            app.transport = t
            run_steps([
                Step("database", create_database, remove_database,
                     message="Creating the database"),
                Step("files", deploy_files, remove_files, message="Copying files", weight=5),
                Step("tables", import_tables, drop_tables,
                     message="Copying the tables and rewriting the address", weight=3),
                Step("config", repoint, message="Writing the configuration"),
                Step("verify", check_site, message="Checking the website"),
            ], report=report, start=start + 5, end=97)
            report(97, 100, "Recording the install")
            install.list_files = sorted(state["files"])
            install.cache_files = sum(t.size(app.path(n)) for n in install.list_files)
        record_tables(install, app)
    except BaseException:
        install.mark_failed()
        raise
    install.mark_installed()
    return install


def restore_to(backup: Backup, install: Install, *, report: Report) -> Install:
    """Restore ``backup`` into the new ``install`` (another URL, a new database)."""
    return deploy_archive(install, backup.archive_path, backup.checksum, report=report,
                          old_url=backup.url)


def clone_install(source: Install, install: Install, *, report: Report) -> Install:
    """Copy ``source`` to the new ``install``: files, tables under the new prefix, the
    config for the new database, and the old URL replaced everywhere in the tables."""
    try:
        with workdir(source.account) as work:
            archive = work / archive_name("clone")
            with open(archive, "wb") as fh:
                write_archive(source, fh, work,
                              report=lambda lo, hi, msg: report(lo // 3, hi // 3, msg))
            clone = deploy_archive(install, archive, None, report=report, old_url=source.url,
                                   start=33)
            notify(source, "clone", url=clone.url)
            return clone
    except BaseException:
        if Install.objects.filter(pk=install.pk, status=Install.Status.INSTALLING).exists():
            install.mark_failed()
        raise
