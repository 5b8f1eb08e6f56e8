"""Restores in place: a backup put back over its install, and a stage clone pushed over
its live install; both are ``replace_install``.

Nothing changes until the archive has passed ``verify_archive``. The files are staged
beside the live ones and swapped in by renames at the end, and a dump of the live
tables is kept until the import has worked, so a failed restore leaves the site as it
was.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from apps.catalog.errors import CatalogError
from apps.installs.errors import InstallError
from apps.installs.models import Install
from apps.installs.notifications import notify
from apps.installs.reach import open_website
from apps.installs.services import app_context
from apps.installs.steps import Report, Step, opcache_settle, run_steps
from apps.panels.base import DatabaseSpec, get_panel
from apps.recipes.base import get_recipe
from apps.sites.database import Database
from apps.sites.urlrewrite import UrlRewriter
from installatron_gui.lib.errors import InstallatronError

from .archive import (
    archive_name,
    dump_tables_of,
    extract_dump,
    files_package,
    left_out,
    user_dir,
    verify_archive,
    workdir,
    write_archive,
)
from .copies import site_answers
from .errors import BackupError
from .models import Backup
from .services import create_backup
from .tables import (
    db_call,
    drop,
    dump_tables,
    import_dump,
    own_tables,
    rewrite_urls,
    tables_of_others,
)

log = logging.getLogger(__name__)


def _database_exists(db: Database, panel, session: dict) -> bool:
    """False only when the database is known to be gone: the server says so, or its
    user cannot sign in and the panel says the database does not exist either."""
    try:
        db.tables()
    except InstallError as exc:
        if "Unknown database" in exc.message:
            return False
        if "Access denied" in exc.message and \
                panel.database_exists(db.name, "mysql", session) is False:
            return False
        raise
    return True


def restore_backup(backup: Backup, install: Install, *, report: Report,
                   db_mode: str | None = None) -> Install:
    """Put ``install`` back to the state of ``backup``: files and tables.

    Nothing changes until the archive has passed ``verify_archive``. Then: the files
    are unpacked into a staging folder beside the live ones; the live tables are dumped
    aside and the backup's dump imported (the database is recreated through the panel
    when it is gone, unless ``db_mode == "manual"``); finally live and staged files are
    swapped by renames. A failure at any point undoes what was done, so the website and
    its tables stay as they were.
    """
    install = replace_install(install, backup.archive_path, backup.checksum, report=report,
                              db_mode=db_mode, version=backup.version)
    notify(install, "restore", backup=backup.id, version=install.version)
    return install


def _keep_aside(install: Install, safety: Path) -> Path:
    """Keep a restore's dump of the live tables (0600, in the owner's backup folder) when
    they could not be put back: it must outlive the work folder."""
    kept = user_dir(install.account) / f"tables-before-restore-{install.id}-" \
        f"{timezone.now():%Y%m%d-%H%M%S}.sql"
    shutil.move(safety, kept)
    os.chmod(kept, 0o600)
    log.error("restore of install %s: its tables could not be put back; kept in %s",
              install.id, kept)
    return kept


def _remove_stale_staging(t, base: str) -> None:
    """Staging folders a killed restore left (copies unpacked from an archive, never the
    live files: those go aside as .itron-old-*, which is left for the owner to look at)."""
    for name in t.listdir(base) if t.is_dir(base) else []:
        if name.startswith(".itron-restore-"):
            t.remove(f"{base}/{name}" if base else name)


def replace_install(install: Install, archive: Path, checksum: str | None, *,
                    report: Report, db_mode: str | None = None, version: str = "",
                    source_url: str = "", source_prefix: str | None = None,
                    keep: tuple[str, ...] = (), verify: bool = False) -> Install:
    """Replace ``install``'s files and tables with those of ``archive`` (restore_backup's
    steps). An archive of another install (a stage being pushed) names it: its tables are
    renamed from ``source_prefix`` to this install's prefix, ``source_url`` is replaced
    by this install's URL in them, the files named in ``keep`` (its configuration) stay
    this install's own, and with ``verify`` the site must answer before the old files
    are let go of; otherwise everything is put back as it was."""
    if install.website is None:
        raise BackupError("The website of this install no longer exists.",
                          errcode="failed_filesystem_missing", status=500)
    report(2, 10, "Checking the backup archive")
    info = verify_archive(archive, checksum)
    dump_prefix = install.db_prefix if source_prefix is None else source_prefix
    tables = dump_tables_of(info, dump_prefix)
    # The names the tables get here.
    renamed = [install.db_prefix + t[len(dump_prefix):] for t in tables]
    db = Database.of(install)
    tag = secrets.token_hex(5)
    base = install.path
    staging = f"{base}/.itron-restore-{tag}" if base else f".itron-restore-{tag}"
    aside = f"{base}/.itron-old-{tag}" if base else f".itron-old-{tag}"
    join = (lambda *p: "/".join(x for x in (base, *p) if x))
    state: dict = {"moved_out": [], "moved_in": [], "carried": []}
    kept_links = left_out(info)
    session = install.website.as_session()
    try:
        recipe = get_recipe(install.installer)
    except CatalogError:
        recipe = None

    with workdir(install.account) as work, open_website(install.website) as t:
        package = work / "files.tar.gz"
        _remove_stale_staging(t, base)

        def stage():
            files_package(archive, package, compress=not t.same_machine)
            state["tops"] = t.put_tree(package, staging)
            for name in keep:  # this install's own configuration replaces the archive's
                if t.exists(join(name)) and not t.is_dir(join(name)):
                    t.write(f"{staging}/{name}", t.read(join(name)), mode=0o640)
                    if name not in state["tops"]:
                        state["tops"].append(name)

        def unstage():
            t.remove(staging)

        def database():
            if not db.name or not info.has_dump:
                return
            panel = get_panel()
            if not _database_exists(db, panel, session):
                if db_mode == "manual" or not install.db_created_by_panel:
                    raise BackupError(f"The database {db.name} does not exist; create it "
                                      "first (db=manual) or restore without db=manual.",
                                      errcode="failed_database_missing", status=400)
                # The server said the database is unknown, so nothing of it is left to
                # lose; its user may be (grants outlive DROP DATABASE), and create_db
                # refuses an existing user: clear it first, then create both again.
                panel.remove_db(db.name, "mysql", session)
                panel.create_db(DatabaseSpec(name=db.name, user=db.user,
                                             password=db.password, host=db.host), session)
                state["created_db"] = True
            db_call(db.refuse_server_wide)  # the archive's SQL runs with this account
            stray = tables_of_others(db, renamed)
            state["live_tables"] = own_tables(db)
            if stray:  # an archive made before neighbours in a database were told apart
                raise BackupError(
                    f"The backup holds tables of another application in the database "
                    f"{db.name} ({', '.join(stray[:3])}...); it was not restored.",
                    errcode="failed_backup_invalid", status=400)
            safety = work / "live.sql"
            with open(safety, "wb") as fh:
                dump_tables(db, state["live_tables"], fh, work)
            dump = work / "restore.sql"
            extract_dump(archive, dump, set(tables), dump_prefix, install.db_prefix)
            state["safety"] = safety  # complete: from here on the live tables change
            import_dump(db, dump, work)
            repoint = dump_prefix != install.db_prefix and recipe is not None and \
                recipe.supports("repoint")
            moved = source_url and source_url.rstrip("/") != install.url.rstrip("/")
            if repoint or moved:  # queries a client run cannot do: a direct connection
                conn = db.connect()
                try:
                    if repoint:
                        # The tables only: this install's own configuration stays.
                        recipe.repoint(app_context(install, recipe), conn=conn,
                                       config=False, old_url=source_url,
                                       old_prefix=dump_prefix)
                    if moved:
                        rewrite_urls(conn, renamed, UrlRewriter(source_url, install.url))
                finally:
                    conn.close()
            # Tables made since the backup (the dump had none).
            drop(db, [n for n in own_tables(db) if n not in renamed])

        def undo_database():
            if state.get("created_db"):
                get_panel().remove_db(db.name, "mysql", session)
                return
            if "safety" not in state:
                return
            try:
                # A server that stopped mid-import is waited for (a restart), so the
                # tables go back as they were rather than stay half-imported.
                if not db.answers_within(settings.DB_RECOVERY_WAIT):
                    raise BackupError("The database server did not answer again.",
                                      errcode="failed_database", status=500)
                drop(db, own_tables(db))
                import_dump(db, state["safety"], work)
            except BaseException:
                state["kept"] = _keep_aside(install, state["safety"])
                raise

        def swap():
            t.mkdir(aside)
            for name in sorted(set(install.list_files) | set(state["tops"])):
                if name not in kept_links and t.exists(join(name)):
                    t.rename(join(name), f"{aside}/{name}")
                    state["moved_out"].append(name)
            # What the backup left out inside its folders goes along into the new ones.
            for rel in kept_links:
                parent = rel.rpartition("/")[0]
                if parent and t.exists(f"{aside}/{rel}") and t.is_dir(f"{staging}/{parent}") \
                        and not t.exists(f"{staging}/{rel}"):
                    t.rename(f"{aside}/{rel}", f"{staging}/{rel}")
                    state["carried"].append(rel)
            for name in state["tops"]:
                t.rename(f"{staging}/{name}", join(name))
                state["moved_in"].append(name)

        def unswap():
            for name in reversed(state["moved_in"]):
                t.rename(join(name), f"{staging}/{name}")
            for rel in reversed(state["carried"]):
                t.rename(f"{staging}/{rel}", f"{aside}/{rel}")
            for name in reversed(state["moved_out"]):
                t.rename(f"{aside}/{name}", join(name))
            t.remove(aside)
            if verify:
                opcache_settle()  # the old files are what PHP serves when we say so

        def check_site():
            opcache_settle()
            site_answers(install.url, install.url_ip)

        steps = [
            Step("stage", stage, unstage, message="Unpacking the files", weight=4),
            Step("database", database, undo_database, message="Restoring the database",
                 weight=3),
            Step("swap", swap, unswap, message="Putting the files in place"),
        ]
        if verify:
            steps.append(Step("verify", check_site, message="Checking the website"))
        try:
            run_steps(steps, report=report, start=10, end=95)
        except Exception as exc:
            if state.get("kept"):
                raise BackupError(
                    "The database stopped answering during the restore and its tables "
                    "could not be put back; they are saved as they were before in "
                    f"{state['kept']} (import that file to get them back).",
                    errcode="failed_database", status=500) from exc
            raise
        report(95, 100, "Cleaning up")
        for leftover in (aside, staging):
            try:
                t.remove(leftover)
            except InstallatronError:
                log.warning("restore %s: could not remove %s", install.id, leftover)
        install.list_files = sorted(set(state["tops"]) | {
            n for n in kept_links if "/" not in n and n in install.list_files and t.exists(join(n))})
        install.version = version or install.version
        install.cache_files = sum(t.size(join(n)) for n in install.list_files)
    if db.name:
        install.list_tables = renamed
    install.cache_time = timezone.now()
    install.save(update_fields=["list_files", "list_tables", "version", "cache_files",
                                "cache_time"])
    return install


def push_stage(stage: Install, live: Install, *, report: Report) -> tuple[Install, Backup]:
    """Copy a stage clone's files and tables over its live install.

    A backup of the live site comes first (listed, so it can be restored by hand later).
    Then the stage is archived and put in the live site's place by ``replace_install``:
    its tables renamed to the live prefix and its URL replaced by the live one, the live
    configuration file kept (database account, salts), and the live site must answer
    before its old files are let go of. Any failure puts the live site back as it was.
    """
    def part(start: int, end: int) -> Report:
        return lambda lo, hi, msg="": report(start + (end - start) * lo // 100,
                                             start + (end - start) * hi // 100, msg)

    try:
        keep = tuple(get_recipe(live.installer).extra_files)
    except CatalogError:
        keep = ()
    safety = create_backup(live, report=part(0, 30),
                           title=f"Before the push from the stage at {stage.url}"[:255])
    with workdir(stage.account) as work:
        archive = work / archive_name("stage")
        with open(archive, "wb") as fh:
            write_archive(stage, fh, work, report=part(30, 50))
        live = replace_install(live, archive, None, report=part(50, 100),
                               version=stage.version, source_url=stage.url,
                               source_prefix=stage.db_prefix, keep=keep, verify=True)
    return live, safety
