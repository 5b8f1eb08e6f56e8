"""Updating an installed application to a newer version from the package store.

The API (v1 ``cmd=upgrade``/``update``, v2 ``POST /installs/{id}/update``), the GUI and
the automatic updates (``apps.updates.schedules.run_autoupdates``) all go through ``check_update`` ->
``start_update``; the Celery task runs ``update_app``.

``update_app`` is an ordered list of undoable steps (STYLE 7):

1. check the package's checksum;
2. take a backup (``apps.backups.services.create_backup``) when the install has
   ``autoup_backup`` on or the call said ``revert=yes``;
3. dump the install's tables aside (always: this is what undoes the database step);
4. the application's own steps (``recipe.update_steps``: for example swap the core
   files, keep the owner's content and configuration, run the database upgrade);
5. check the site: it answers and its files read back as the new version.

If any step fails, the steps begun are undone in reverse; when a backup was taken it is
then restored too (``restore_backup``), so files and tables are exactly what they were.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from apps.backups import archive, restore
from apps.backups import services as backups
from apps.backups import tables as backup_tables
from apps.catalog.errors import CatalogError
from apps.catalog.services import package_for, upgrade_from, verify_package, versions_available_from
from apps.installs import addons, notifications
from apps.installs.errors import InstallError
from apps.installs.holds import busy_error, hold_install
from apps.installs.models import Install
from apps.installs.reach import drop_tables, open_website, tables_with_prefix
from apps.installs.services import app_context, record_tables
from apps.installs.steps import Report, Step, opcache_settle, run_steps
from apps.recipes.base import get_recipe
from apps.sites.database import Database
from apps.tasks.models import Task
from apps.tasks.services import enqueue
from installatron_gui.lib.errors import InstallatronError

log = logging.getLogger(__name__)

# "current": update only plugins/themes, not the application itself (the reference).
CURRENT = "current"
_YES = {"1", "yes", "true", "on", "all"}
_NO = {"", "0", "no", "false", "off", "none"}


@dataclass
class UpdatePlan:
    """A checked update: which install, to which package (None: core stays), how."""

    install: Install
    package: object | None
    version: str
    previous: str
    kind: str  # minor, major, or "" for "current"
    backup: bool
    revert: bool
    plugins: str = ""
    themes: str = ""
    automatic: bool = False
    dryrun: int = 0


def _flag(params: dict, name: str) -> bool:
    text = str(params.get(name) if params.get(name) is not None else "").strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise InstallError(f"{name} must be yes or no.", errcode=f"invalid_argument_{name}",
                       field=name)


def _addon_list(install: Install, params: dict, name: str) -> str:
    """``plugin``/``theme``: ``*`` or a comma-separated list of ids (each checked by the
    application's add-on manager when the update runs)."""
    value = params.get(name)
    if value in (None, ""):
        return ""
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    text = str(value).strip()
    if text != "*" and not all(part.strip() and len(part.strip()) <= 200
                               for part in text.split(",")):
        raise InstallError(f"{name} must be '*' or a comma-separated list of ids.",
                           errcode=f"invalid_argument_{name}", field=name)
    if not addons.supports_addons(install):
        raise InstallError(f"Updating {name}s is not available for this application.",
                           errcode=f"unsupported_argument_{name}", status=501, field=name)
    return text


def latest_for(install: Install, *, minor_only: bool = False) -> str:
    """The newest stored version ``install`` can update to ("" when there is none)."""

    try:
        found = versions_available_from(install.installer, install.version)
    except CatalogError:
        return ""
    names = found["versions-available-minor" if minor_only else "versions-available"]
    return names[-1] if names else ""


def check_update(install: Install, params: dict, *, dryrun: int = 0,
                 automatic: bool = False) -> UpdatePlan:
    """Validate an update request (the reference's upgrade table).

    ``version``: a stored version, ``latest``/empty (the newest this install can update
    to) or ``current`` (skip the application, only ``plugin``/``theme``). A version that
    is not newer, or that the catalog says must be done by hand, is refused with
    ``invalid_argument_version``. A busy install is refused with ``busy``.
    """


    if install.status != Install.Status.INSTALLED:
        raise InstallError(f"The install is {install.get_status_display().lower()}; only an "
                           "installed application can be updated.",
                           errcode="invalid_argument_id", field="id")
    if install.busy:
        raise busy_error(install)
    revert = _flag(params, "revert")
    plugins = _addon_list(install, params, "plugin")
    themes = _addon_list(install, params, "theme")
    raw = params.get("version")
    version = "" if raw is None else str(raw).strip()
    if version.lower() == CURRENT:
        if not (plugins or themes):
            raise InstallError("version=current updates only plugins and themes; give "
                               "plugin or theme too.", errcode="invalid_argument_version",
                               field="version")
        package, target, kind = None, install.version, ""
    else:
        try:
            get_recipe(install.installer)
            if version.lower() in ("", "latest"):
                version = latest_for(install)
                if not version:
                    raise CatalogError(f"{install.app_name} {install.version} is already the "
                                       "newest version available.")
            package = package_for(install.installer, version)
        except CatalogError as exc:
            raise InstallError(exc.message, errcode="invalid_argument_version",
                               field="version") from None
        kind = upgrade_from(package, install.version)
        if kind == "none":
            raise InstallError(f"Version {package.version} is not newer than the installed "
                               f"{install.version}.", errcode="invalid_argument_version",
                               field="version")
        if kind == "manual":
            raise InstallError(f"{install.version} cannot be updated to {package.version} "
                               "automatically; it must be done by hand.",
                               errcode="invalid_argument_version", field="version")
        target = package.version
        if dryrun == 2:
            try:
                verify_package(package)
            except CatalogError as exc:
                raise InstallError(exc.message, errcode=exc.errcode, status=500) from None
    return UpdatePlan(install=install, package=package, version=target,
                      previous=install.version, kind=kind,
                      backup=bool(install.autoup_backup or revert), revert=revert,
                      plugins=plugins, themes=themes, automatic=automatic, dryrun=dryrun)


@transaction.atomic
def start_update(plan: UpdatePlan) -> Task:
    """Create the Task row, take the install's busy fence, enqueue on commit."""
    from . import tasks  # tasks imports this module

    install = plan.install
    task = enqueue(tasks.update_app, "" if plan.package is None else plan.version, plan.revert,
                   plan.plugins, plan.themes, plan.automatic, cmd="upgrade",
                   label="_tasks_upgrading", install=install)
    hold_install(install, task)
    return task


def _scaled(report: Report, start: int, end: int) -> Report:
    """A report callback for a sub-operation that counts 0..100 inside start..end."""
    def inner(low: int, high: int, message: str = "") -> None:
        span = end - start
        report(start + span * low // 100, start + span * high // 100, message)

    return inner


def _test_pause() -> None:
    """Tests that kill a worker mid-update need it slow (never honoured in production)."""
    if os.environ.get("INSTALLATRON_TESTING"):
        seconds = float(os.environ.get("INSTALLATRON_TEST_UPDATE_PAUSE") or 0)
        if seconds > 0:
            time.sleep(seconds)


def _app_context(install: Install):
    recipe = get_recipe(install.installer)
    return recipe, app_context(install, recipe)


def update_app(install: Install, *, report: Report, version: str, revert: bool = False,
               plugins: str = "", themes: str = "", automatic: bool = False) -> Install:
    """Update ``install`` (held by the running task) to ``version`` ("" = core stays).

    On success the install's version, time-updated (and version-autouped for automatic
    updates) are recorded and ``update`` is notified; on failure the site is put back
    (steps undone, then the backup restored when one was taken), ``update_error`` is
    notified and the error is raised with what happened to the site.
    """

    previous = install.version
    if install.website is None:
        raise InstallError("The website of this install no longer exists.",
                           errcode="failed_filesystem_missing", status=500)
    state: dict = {"backup": None}
    try:
        recipe, app = _app_context(install)
        package = package_for(install.installer, version) if version else None
        if package is not None and not recipe.supports("update"):
            raise InstallError(f"{recipe.name} cannot be updated automatically.",
                               errcode="invalid_argument_version", field="version")
    except CatalogError as exc:
        raise InstallError(exc.message, errcode="invalid_argument_version",
                           field="version") from None

    def verify():
        try:
            verify_package(package)
        except CatalogError as exc:
            raise InstallError(exc.message, errcode=exc.errcode, status=500) from None

    def take_backup():
        what = f"Before the update to {version}" if version else "Before the add-on update"
        backup = backups.create_backup(install, report=_scaled(report, 3, 35), title=what)
        state["backup"] = backup
        # The reaper names it if this worker dies from here on.
        Task.objects.filter(pk=install.task_id).update(result={"backup": backup.id})

    def dump_tables():
        if not install.db_name:
            return
        db = Database.of(install)
        conn = db.connect()
        try:
            state["tables"] = tables_with_prefix(conn, install.db_prefix)
        finally:
            conn.close()
        state["dump"] = work / "tables-before-update.sql"
        with open(state["dump"], "wb") as fh:
            backup_tables.dump_tables(db, state["tables"], fh, work)

    def put_tables_back():
        if "dump" not in state:
            return

        db = Database.of(install)
        conn = db.connect()
        try:
            drop_tables(conn, tables_with_prefix(conn, install.db_prefix))
        finally:
            conn.close()
        backup_tables.import_dump(db, state["dump"], work)

    def check_site():
        _test_pause()
        recipe.check_updated(app, version)

    def update_addons():
        # Each add-on is swapped and checked on its own by the application's add-on
        # manager; one that fails is left as it was and named in the result.
        state["addons"] = addons.update_addons(install, {"plugin": plugins, "theme": themes})

    core: dict = {}
    steps = []
    if package is not None:
        steps.append(Step("package", verify, message="Checking the package"))
    if install.autoup_backup or revert:
        steps.append(Step("backup", take_backup, message="Taking a backup", weight=6))
    if package is not None:
        steps.append(Step("tables", dump_tables, put_tables_back,
                          message="Saving the tables"))
    try:
        with open_website(install.website) as transport, \
                tempfile.TemporaryDirectory(prefix=".update-",
                                            dir=archive.user_dir(install.account)) as scratch:
            work = Path(scratch)
            app.transport = transport
            if package is not None:
                steps += recipe.update_steps(app, package.path, core)
                steps.append(Step("verify", check_site, message="Checking the website"))
            if plugins or themes:
                steps.append(Step("addons", update_addons,
                                  message="Updating plugins and themes", weight=2))
            try:
                run_steps(steps, report=report, end=95)
            except BaseException as exc:
                raise _rolled_back(install, exc, state, report) from None
            report(95, 100, "Cleaning up")
            if package is not None:
                try:
                    recipe.update_cleanup(app, core)
                except InstallatronError:
                    log.warning("update %s: leftover staging folders", install.id)
                install.list_files = sorted(set(install.list_files) | set(core["names"]))
                install.cache_files = sum(transport.size(app.path(n))
                                          for n in install.list_files)
        if package is not None:
            record_tables(install, app)
    except InstallatronError as exc:
        notifications.notify(install, "update_error", version=version or previous,
                             previous=previous, message=exc.message)
        raise
    install.version = version or previous
    install.time_updated = timezone.now()
    install.cache_time = install.time_updated
    fields = ["version", "time_updated", "cache_time", "list_files", "cache_files",
              "list_tables", "cache_tables"]
    if automatic:
        install.version_autouped, install.version_autouped_attempts = install.version, 0
        fields += ["version_autouped", "version_autouped_attempts"]
    install.save(update_fields=fields)
    notifications.notify(install, "update", version=install.version, previous=previous,
                         backup=state["backup"].id if state["backup"] else "")
    return install


def _rolled_back(install: Install, exc: BaseException, state: dict,
                 report: Report) -> BaseException:
    """After the steps were undone: restore the backup if there is one, and say what the
    site is left as. Returns the error to raise (an InstallError the user can read)."""
    reason = getattr(exc, "message", "") or "an internal error"
    if not isinstance(exc, InstallatronError):
        log.error("update of %s crashed", install.id, exc_info=exc)
    errcode = getattr(exc, "errcode", "failed_upgrade")
    backup = state.get("backup")
    if backup is None:
        opcache_settle()
        return InstallError(f"The update failed: {reason} The changes were undone.",
                            errcode=errcode, status=500)
    try:
        install.refresh_from_db()
        restore.restore_backup(backup, install, report=_scaled(report, 90, 100))
    except Exception as restore_exc:  # noqa: BLE001 - said in the message, logged
        log.exception("update of %s: restoring backup %s failed", install.id, backup.id)
        detail = getattr(restore_exc, "message", type(restore_exc).__name__)
        return InstallError(f"The update failed: {reason} Restoring the backup taken before "
                            f"it ({backup.id}) failed too: {detail} The site may be "
                            "half-updated; restore that backup.", errcode=errcode, status=500)
    opcache_settle()
    return InstallError(f"The update failed: {reason} The site was restored from the backup "
                        f"taken before the update ({backup.id}).", errcode=errcode,
                        status=500)
