"""Installing and uninstalling applications: the rows, the task, the undoable steps.

The API (v1 ``cmd=install`` and v2 ``POST /browser/{app}/install``) and the GUI both go
through ``plan.check_install`` -> ``start_install``; the Celery task runs ``install_app``.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from apps.catalog.errors import CatalogError
from apps.catalog.services import package_for, verify_package
from apps.panels.base import PanelError, get_panel
from apps.recipes import fields as app_fields
from apps.recipes.base import get_recipe
from apps.sites.database import refuse_server_wide
from apps.tasks.models import Task
from apps.tasks.services import enqueue
from apps.transports.base import TransportError
from installatron_gui.lib.errors import InstallatronError

from .errors import InstallError
from .holds import busy_error, hold_install, release_install  # noqa: F401  (re-exported)
from .models import LIVE, Install  # LIVE is also read from here
from .plan import InstallPlan, archive_names
from .reach import (connect_db, drop_tables, free_table_prefix, open_website,
                    remove_empty_dirs, tables_size, tables_with_prefix)
# Names that moved to plan, reach and holds, still read here by imports.py and tests
# until they import them from there (backups/ does already).
from .plan import (  # noqa: F401  isort: skip
    SHADOWING, DbPlan, check_database, check_install, check_language, check_url)
from .reach import TABLE_RE, own_tables, split_host, tables_of_others  # noqa: F401  isort: skip
from .sso import remove_sign_in_files
from .steps import Report, Step, run_steps

log = logging.getLogger(__name__)

# content=<template id> installs from a saved template, which is a backup-format archive:
# the backups app registers how (register_template_installer) in its AppConfig.ready().
_template_installer: list[Callable[..., Install]] = []


def register_template_installer(install_from_template: Callable[..., Install]) -> None:
    """``install_from_template(install, *, report)`` runs install_app for a template."""
    _template_installer[:] = [install_from_template]


# --------------------------------------------------------------------------- start


@transaction.atomic
def start_install(plan: InstallPlan) -> tuple[Install, Task]:
    """Create the Install (status installing, held by its task) and the Task row, and
    enqueue the install once the transaction commits. The admin password is kept
    encrypted on the row for the worker, never in the Celery message."""
    from . import tasks  # tasks imports this module
    if Install.objects.select_for_update().occupying(plan.url, plan.website, plan.target).exists():
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
                         "db_mode": plan.db.mode, "db_host_ip": plan.db.host_ip,
                         "db_prefix_auto": plan.db.auto_prefix},
    )
    task = enqueue(tasks.install_app, cmd="install", label="_tasks_installing", install=install)
    install.task = task
    install.save(update_fields=["task"])
    return install, task


@transaction.atomic
def start_uninstall(install: Install, *, force: bool = False) -> Task:
    """Queue the uninstall of ``install``. Refused with ``busy`` while a task holds it.

    The fence is a conditional UPDATE on the Install row, so of two concurrent callers
    exactly one gets the install.
    """
    from . import tasks  # tasks imports this module
    task = enqueue(tasks.uninstall_app, bool(force), cmd="uninstall",
                   label="_tasks_uninstalling", install=install)
    won = Install.objects.filter(
        pk=install.pk, task__isnull=True,
        status__in=[Install.Status.INSTALLED, Install.Status.FAILED],
    ).update(task=task, status=Install.Status.UNINSTALLING)
    if won != 1:
        install.refresh_from_db()
        raise busy_error(install)
    return task


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
    if install.status != Install.Status.INSTALLING:
        raise InstallError(f"The install {install.id} is {install.status}, not installing.")
    if install.content not in ("yes", "no", ""):
        if not _template_installer:
            raise InstallError("Installing from a template is not available.")
        return _template_installer[0](install, report=report)
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
            fields={**(install.fields or {}), **install.pending_fields()},
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
                if db_mode != "panel":  # an account the caller gave: never a server-wide one
                    cur = conn.cursor()
                    cur.execute("SHOW GRANTS")
                    refuse_server_wide([row[0] for row in cur.fetchall()], app.db_user,
                                       app.db_name)
                state["tables_before"] = set(tables_with_prefix(conn, app.db_prefix))
                if state["tables_before"] and pending.get("db_prefix_auto"):
                    _take_free_prefix(install, app, conn)
                    state["tables_before"] = set()
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
            # Saved now: a worker killed from here on leaves folders that uninstall (with
            # force, after the reaper) must know it made.
            Install.objects.filter(pk=install.pk).update(path_created=state["dirs"])
            state["files"] = app.transport.put_tree(package.path, app.target)

        def remove_files():
            for name in state["files"]:
                app.transport.remove(app.path(name))
            remove_empty_dirs(app.transport, state["dirs"])

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
                drop_tables(conn, new)
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
        with open_website(website) as transport:
            app.transport = transport
            run_steps(steps, report=report, end=95)
            report(95, 100, "Recording the install")
            # Top-level names only (uninstall removes each whole): a config written
            # inside a folder of the package (config/config.inc.php) is that folder's.
            install.list_files = sorted(set(state["files"])
                                        | {n.split("/", 1)[0] for n in state["config"]})
            install.cache_files = sum(transport.size(app.path(n)) for n in install.list_files)
        record_tables(install, app)
    except BaseException:
        install.mark_failed()
        raise
    install.mark_installed()
    return install


def record_tables(install: Install, app: AppContext) -> None:
    if not install.db_name:
        return
    conn = app.connect()
    try:
        install.list_tables = tables_with_prefix(conn, install.db_prefix)
        install.cache_tables = tables_size(conn, install.db_name, install.list_tables)
    finally:
        conn.close()


def _safe_name(name: str) -> bool:
    return bool(name) and "/" not in name and "\\" not in name and name not in (".", "..") \
        and "\x00" not in name


def _take_free_prefix(install: Install, app: AppContext, conn) -> None:
    """The install's table prefix is in use in its database (shared by the website's
    installs, db_mode=manual): move to a free one before anything is written."""
    taken = set(Install.objects.filter(db_host=install.db_host, db_name=install.db_name,
                                       status__in=LIVE).exclude(pk=install.pk)
                .values_list("db_prefix", flat=True))
    install.db_prefix = app.db_prefix = free_table_prefix(conn, install.db_prefix, taken)
    install.save(update_fields=["db_prefix"])


def uninstall_app(install: Install, *, report: Report, force: bool = False) -> list[str]:
    """Remove exactly what the install created: its top-level files (list-files), the
    folders made for it (when empty), its tables, and the database when the panel made
    it. Files that were in the website before are untouched. With ``force`` errors (a
    website that cannot be reached, a database server that is down) are logged and the
    record is removed anyway; without it the install stays as it was marked."""
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
        names = list(install.list_files)
        # Installs recorded before list-files kept top-level names only also list their
        # config inside a listed folder (config/config.inc.php): that folder covers it.
        names = [n for n in names if not (isinstance(n, str) and "/" in n
                                          and n.split("/", 1)[0] in names
                                          and ".." not in n.split("/"))]
        bad = [n for n in names if not _safe_name(n)]
        if bad:
            raise InstallError(f"The install lists an unsafe file name {bad[0][:64]!r}.")
        with open_website(install.website) as transport:
            remove_sign_in_files(install, transport)
            for name in names:
                transport.remove(posixpath.join(install.path, name) if install.path else name)
            remove_empty_dirs(transport, list(install.path_created or []))

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
            drop_tables(conn, [t for t in install.list_tables if t in own])
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

