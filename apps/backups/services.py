"""Backups, restores and clones of installed applications.

One archive per backup, ``<BACKUP_DIR>/<user>/<id>.tar.gz`` (mode 0600, outside every web
root), holding::

    installatron.json   the install's record at backup time (no passwords)
    database.sql        mysqldump of the install's own tables
    files/...           the install's own files (its list-files), regular files and folders

Every archive is treated as untrusted when it is read back (restore, restore to, import):
checksum first, then every member, before anything on the website or the database
server changes. Restores stage the files beside the live ones and swap them in by renames
at the end, and keep a dump of the live tables until the import has worked, so a failed
restore leaves the site as it was. Long work runs in Celery tasks (``tasks.py``) holding
the install through the installs app's busy fence.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import http.client
import json
import logging
import os
import re
import secrets
import shutil
import socket
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone as dt_timezone
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Account
from apps.installs import services as installs
from apps.installs.errors import InstallError
from apps.installs.models import Install
from apps.installs.notifications import notify
from apps.installs.steps import Report, Step, opcache_settle, run_steps
from apps.recipes.base import UnsupportedError
from apps.sites.database import Database
from apps.sites.urlrewrite import UrlRewriter
from apps.tasks.models import Task
from installatron_gui.lib.errors import InstallatronError

from .errors import BackupError
from .models import Backup, parse_expiry

log = logging.getLogger(__name__)

FORMAT = 1
META = "installatron.json"
DUMP = "database.sql"
FILES = "files"
# An archive larger than this once unpacked is refused (a gzip bomb, or not ours).
MAX_UNPACKED = int(getattr(settings, "BACKUP_MAX_UNPACKED", 64 * 1024**3))
MAX_MEMBERS = 1_000_000
# importbackup reads the archive through the website's transport in one piece.
MAX_IMPORT = int(getattr(settings, "BACKUP_MAX_IMPORT", 4 * 1024**3))
MAX_META = 1024 * 1024
# Temporary archives older than this are leftovers of a killed worker.
STALE_PART_SECONDS = 6 * 3600


# --------------------------------------------------------------------------- storage


def user_dir(account: Account) -> Path:
    """``BACKUP_DIR/<user>``, private to us (0700), created on first use."""
    base = Path(settings.BACKUP_DIR)
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = base / account.username
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


@contextmanager
def _workdir(account: Account) -> Iterator[Path]:
    """A private scratch folder beside the user's backups, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=".work-", dir=user_dir(account)))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class _HashingWriter:
    """A write-only file object that hashes and counts what passes through."""

    def __init__(self, fh):
        self.fh = fh
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.fh.write(data)

    def flush(self) -> None:
        self.fh.flush()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download_name(installer: str, domain: str, title: str, when) -> str:
    """The reference's style: app_host_Title_date.tar.gz, safe in a header."""
    host = re.sub(r"[^A-Za-z0-9]+", "-", domain or "site").strip("-")
    title = re.sub(r"[^A-Za-z0-9]+", "-", title or installer).strip("-")[:40]
    installer = re.sub(r"[^A-Za-z0-9_]+", "", installer)[:64] or "app"
    return f"{installer}_{host}_{title}_{when.strftime('%Y-%m-%d_%H-%M-%S')}.tar.gz"


# --------------------------------------------------------------------------- databases


# The install's database, reached over one route (here or the website's SSH shell).
DbAccess = Database


def _db_call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except InstallError as exc:
        raise BackupError(exc.message, errcode=exc.errcode, status=exc.status) from None


def dump_tables(db: Database, tables: list[str], out, folder: Path | None = None) -> None:
    """mysqldump of ``tables`` (one consistent snapshot) into the file object ``out``."""
    for table in tables:
        if not installs.TABLE_RE.match(table):
            raise BackupError(f"Refusing to dump a table with an odd name: {table[:64]!r}.")
    _db_call(db.dump, tables, out)


def import_dump(db: Database, dump: Path, folder: Path | None = None) -> None:
    """Feed an SQL file to the mysql client, connected as the install's own user."""
    _db_call(db.load, dump)


def own_tables(db: Database) -> list[str]:
    """The install's tables (its prefix, less neighbours'), listed over the dump's route."""
    return installs.own_tables(_db_call(db.tables), db.prefix, db.name)


def tables_of_others(db: Database, names: list[str]) -> list[str]:
    """Of ``names`` (tables about to be written under the prefix), another install's."""
    own = set(installs.own_tables(set(_db_call(db.tables)) | set(names), db.prefix, db.name))
    return sorted(n for n in names if n not in own)


_STATEMENT = re.compile(
    rb"^(DROP TABLE IF EXISTS|CREATE TABLE|LOCK TABLES|INSERT INTO|REPLACE INTO"
    rb"|/\*!40000 ALTER TABLE|ALTER TABLE|-- Table structure for table"
    rb"|-- Dumping data for table|-- Dumping routines for table) `([^`]+)`")
_REFERENCES = re.compile(rb"REFERENCES `([^`]+)`")


def copy_dump(src, dst, tables: set[str], old_prefix: str, new_prefix: str) -> None:
    """Copy a mysqldump file, renaming ``tables`` from ``old_prefix`` to ``new_prefix``.

    A mysqldump-style statement naming a table outside ``tables`` is refused
    (BackupError). That is a consistency check, not the security boundary: the dump
    runs as the install's own database user, limited by its grants to its database.

    Only the table name of each statement line is touched (mysqldump writes one
    statement per line, with newlines in data escaped), never the data.
    """
    names = {t.encode() for t in tables}
    old, new = old_prefix.encode(), new_prefix.encode()

    def rename(match: re.Match) -> bytes:
        name = match.group(match.lastindex)
        if name not in names:
            # A dump (maybe from an imported archive) touching tables it does not list.
            raise BackupError(f"The backup's database dump names the table "
                              f"'{name[:64].decode(errors='replace')}', which it does not "
                              "list; it was not imported.", errcode="failed_backup_invalid")
        if name in names and name.startswith(old):
            name = new + name[len(old):]
        start, end = match.span(match.lastindex)
        return match.group(0)[: start - match.start()] + name \
            + match.group(0)[end - match.start():]

    for line in src:
        line = _STATEMENT.sub(rename, line, count=1)
        if line.lstrip().startswith(b"CONSTRAINT"):
            line = _REFERENCES.sub(rename, line)
        dst.write(line)


def rewrite_urls(conn, tables: list[str], rewriter: UrlRewriter) -> int:
    """Replace the old URL in every text column of ``tables``; returns values changed."""
    return rewriter.rewrite_tables(conn, tables)


# --------------------------------------------------------------------------- writing archives


def _own_files_excludes(transport, install: Install) -> list[str]:
    """get_tree exclude patterns: every top-level name that is not the install's."""
    own = set(install.list_files)
    return [glob.escape(name) for name in transport.listdir(install.path) if name not in own]


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(timezone.now().timestamp())
    import io

    tar.addfile(info, io.BytesIO(data))


def write_archive(install: Install, out, work: Path, *, report: Report | None = None) -> dict:
    """Write a backup archive of ``install`` to the binary file ``out``.

    Returns the metadata stored in it (``list-files``, ``list-tables``, skipped links).
    """
    if install.website is None:
        raise BackupError("The website of this install no longer exists.",
                          errcode="failed_filesystem_missing", status=500)
    db = DbAccess.of(install)
    skipped: list[str] = []
    with installs.open_website(install.website) as transport:
        if report:
            report(5, 60, "Collecting the files")
        with tempfile.TemporaryFile(dir=work) as raw:
            transport.get_tree(install.path, raw, exclude=_own_files_excludes(transport, install))
            files_present = sorted({n.split("/")[0] for n in _names(raw)})
            if report:
                report(60, 70, "Dumping the database")
            tables: list[str] = []
            with tempfile.TemporaryFile(dir=work) as dump:
                if db.name:
                    # Listed over the same route as the dump: a site whose database
                    # answers only on its own host is listed there too.
                    tables = own_tables(db)
                    dump_tables(db, tables, dump, work)
                meta = {
                    "format": FORMAT,
                    "install": {k: v for k, v in install.as_api(False).items()
                                if k not in ("db-pass", "task", "status")},
                    "path": install.path,
                    "list-files": files_present,
                    "list-tables": tables,
                    "skipped": skipped,
                    "created": int(timezone.now().timestamp()),
                }
                if report:
                    report(70, 95, "Compressing the archive")
                with tarfile.open(fileobj=out, mode="w:gz", compresslevel=6,
                                  format=tarfile.PAX_FORMAT) as tar:
                    raw.seek(0)
                    with tarfile.open(fileobj=raw, mode="r:") as src:
                        for member in src:
                            if not (member.isreg() or member.isdir()):
                                # Links and special files cannot be restored safely.
                                skipped.append(member.name)
                                continue
                            member.name = f"{FILES}/{member.name}"
                            # A stale PAX "path" header would win over the new name.
                            member.pax_headers = {}
                            member.uid = member.gid = 0
                            member.uname = member.gname = ""
                            member.mode &= 0o777
                            tar.addfile(member, src.extractfile(member) if member.isreg()
                                        else None)
                    dump.seek(0)
                    info = tarfile.TarInfo(DUMP)
                    info.size = os.fstat(dump.fileno()).st_size
                    info.mode = 0o600
                    info.mtime = meta["created"]
                    tar.addfile(info, dump)
                    _add_bytes(tar, META, json.dumps(meta, indent=1).encode())
    if skipped:
        log.info("backup of %s: left out %d links/special files", install.id, len(skipped))
    return meta


def _names(raw) -> list[str]:
    raw.seek(0)
    with tarfile.open(fileobj=raw, mode="r:") as tar:
        return [m.name for m in tar]


def create_backup(install: Install, *, report: Report, expiry=None, title: str = "") -> Backup:
    """Back up an install's files (its list-files only) and tables into one archive.

    The archive is written under a temporary name in the user's backup folder, flushed,
    fsynced and renamed; the Backup row is created only after that, so a backup that was
    cut short (a killed worker) is never listed. Leftover temporary files are swept by
    ``delete_expired_backups``.
    """
    folder = user_dir(install.account)
    backup_id = Backup._meta.get_field("id").default()
    final = folder / f"{backup_id}.tar.gz"
    tmp = folder / f".{backup_id}.{secrets.token_hex(4)}.part"
    state: dict = {}

    def write():
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o600)
        with os.fdopen(fd, "wb") as fh, _workdir(install.account) as work:
            writer = _HashingWriter(fh)
            state["meta"] = write_archive(install, writer, work, report=report)
            fh.flush()
            os.fsync(fh.fileno())
        state["sha"], state["size"] = writer.sha.hexdigest(), writer.size

    def publish():
        os.rename(tmp, final)
        dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    def unpublish():
        final.unlink(missing_ok=True)

    def record():
        now = timezone.now()
        meta = state["meta"]
        state["backup"] = Backup.objects.create(
            id=backup_id, account=install.account, install=install, install_ref=install.id,
            website=install.website, file=f"{install.account.username}/{final.name}",
            installer=install.installer, version=install.version, language=install.language,
            time=install.time, path=install.path, url=install.url,
            url_domain=install.url_domain, db_host=install.db_host, db_type=install.db_type,
            db_name=install.db_name, db_user=install.db_user, db_pass=install.db_pass,
            db_prefix=install.db_prefix, title=title or install.title,
            list_files=meta["list-files"], list_tables=meta["list-tables"], backup_time=now,
            backup_filename=_download_name(install.installer, install.url_domain, title or install.title, now), size=state["size"],
            checksum=state["sha"], expiry=expiry)
        # Not a column: what the task tells the owner about this run (left-out links).
        state["backup"].left_out = list(meta["skipped"])

    try:
        run_steps([
            Step("archive", write, lambda: tmp.unlink(missing_ok=True),
                 message="Writing the backup", weight=9),
            Step("publish", publish, unpublish, message="Saving the backup"),
            Step("record", record, message="Recording the backup"),
        ], report=report)
    except OSError as exc:
        raise BackupError(f"The backup could not be written: {os.strerror(exc.errno or 0)}.",
                          errcode="failed_backup", status=500) from None
    notify(install, "backup", backup=state["backup"].id)
    return state["backup"]


# --------------------------------------------------------------------------- reading archives


@dataclass
class ArchiveInfo:
    meta: dict
    tops: list[str]
    has_dump: bool
    files: int
    unpacked: int


def _unsafe(name: str) -> bool:
    parts = name.split("/")
    return (not name or name.startswith("/") or "\x00" in name or "\\" in name
            or ".." in parts or any(p in ("", ".") for p in parts[:-1]))


def verify_archive(path: Path, checksum: str | None = None) -> ArchiveInfo:
    """Check a backup archive before anything is changed: checksum, then every member.

    Allowed: ``installatron.json``, ``database.sql`` and ``files/...``; only regular files
    and folders, no links, devices or fifos, no absolute or ``..`` names, no set-id bits,
    and a sane total size. Raises BackupError (``failed_backup_invalid``) otherwise.
    """
    def bad(msg: str) -> BackupError:
        return BackupError(f"The backup archive is unsafe or damaged: {msg} Nothing was "
                           "changed.", errcode="failed_backup_invalid", status=400)

    try:
        if checksum is not None and file_sha256(path) != checksum:
            raise bad("its checksum does not match.")
        meta = None
        tops: set[str] = set()
        seen: set[str] = set()
        count = unpacked = 0
        has_dump = False
        with tarfile.open(path, mode="r:gz") as tar:
            for member in tar:
                count += 1
                unpacked += max(member.size, 0)
                name = member.name
                if count > MAX_MEMBERS or unpacked > MAX_UNPACKED:
                    raise bad("it is too large once unpacked.")
                if _unsafe(name):
                    raise bad(f"the entry '{name[:200]}' has an unsafe name.")
                if not (member.isreg() or member.isdir()):
                    raise bad(f"the entry '{name[:200]}' is a link or a special file.")
                if member.mode & 0o7000:
                    raise bad(f"the entry '{name[:200]}' has set-id bits.")
                if name in seen:
                    raise bad(f"the entry '{name[:200]}' appears twice.")
                seen.add(name.rstrip("/"))
                if name == META and member.isreg():
                    if member.size > MAX_META:
                        raise bad("its description is too large.")
                    try:
                        meta = json.loads(tar.extractfile(member).read())
                    except ValueError:
                        raise bad("its description is not JSON.") from None
                elif name == DUMP and member.isreg():
                    has_dump = True
                elif name.rstrip("/") == FILES and member.isdir():
                    pass
                elif name.startswith(FILES + "/"):
                    tops.add(name.split("/")[1])
                else:
                    raise bad(f"the entry '{name[:200]}' does not belong in a backup.")
    except (tarfile.TarError, OSError, EOFError, gzip.BadGzipFile) as exc:
        raise bad(f"{type(exc).__name__}.") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("install"), dict):
        raise bad("it has no installatron.json.")
    if not tops:
        raise bad("it holds no files.")
    return ArchiveInfo(meta=meta, tops=sorted(tops), has_dump=has_dump, files=count,
                       unpacked=unpacked)


def _files_package(path: Path, out_path: Path) -> None:
    """The ``files/`` part of a verified archive as a plain .tar.gz for put_tree."""
    with tarfile.open(path, mode="r:gz") as src, \
            tarfile.open(out_path, mode="w:gz", compresslevel=1,
                         format=tarfile.PAX_FORMAT) as dst:
        for member in src:
            if not member.name.startswith(FILES + "/") or _unsafe(member.name):
                continue
            if not (member.isreg() or member.isdir()):
                raise BackupError("The backup archive changed while it was read.",
                                  errcode="failed_backup_invalid")
            member.name = member.name[len(FILES) + 1:]
            member.pax_headers = {}
            dst.addfile(member, src.extractfile(member) if member.isreg() else None)


def _extract_dump(path: Path, out_path: Path, tables: set[str], old_prefix: str,
                  new_prefix: str) -> None:
    with tarfile.open(path, mode="r:gz") as src, open(out_path, "wb") as dst:
        member = src.getmember(DUMP)
        copy_dump(src.extractfile(member), dst, tables, old_prefix, new_prefix)


def _left_out(info: ArchiveInfo) -> list[str]:
    """The paths the backup could not hold (links, special files; write_archive's
    ``skipped``): a restore keeps whatever is at them now, never deletes it."""
    names = info.meta.get("skipped") or []
    if not isinstance(names, list) or not all(isinstance(n, str) and not _unsafe(n)
                                              for n in names):
        raise BackupError("The backup archive's list of left-out links is damaged; it was "
                          "not used.", errcode="failed_backup_invalid")
    return sorted({n.rstrip("/") for n in names})


def _dump_tables_of(info: ArchiveInfo, prefix: str | None = None) -> list[str]:
    """The archive's table list, each a plain name starting with the archive's prefix."""
    tables = info.meta.get("list-tables") or []
    if prefix is None:
        prefix = str(info.meta.get("install", {}).get("db-prefix") or "")
    if not isinstance(tables, list) or not all(
            isinstance(t, str) and installs.TABLE_RE.match(t) and t.startswith(prefix)
            for t in tables):
        raise BackupError("The backup archive lists tables that are not the application's; "
                          "it was not used.", errcode="failed_backup_invalid")
    return tables


# --------------------------------------------------------------------------- restore


def _drop(db: Database, tables: list[str]) -> None:
    try:
        db.drop(tables)
    except InstallError as exc:
        raise BackupError(exc.message, errcode="failed_database", status=500) from None


def _database_exists(db: DbAccess, panel, session: dict) -> bool:
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
    from apps.catalog.errors import CatalogError
    from apps.panels.base import DatabaseSpec, get_panel
    from apps.recipes.base import get_recipe

    if install.website is None:
        raise BackupError("The website of this install no longer exists.",
                          errcode="failed_filesystem_missing", status=500)
    report(2, 10, "Checking the backup archive")
    info = verify_archive(archive, checksum)
    dump_prefix = install.db_prefix if source_prefix is None else source_prefix
    tables = _dump_tables_of(info, dump_prefix)
    # The names the tables get here.
    renamed = [install.db_prefix + t[len(dump_prefix):] for t in tables]
    db = DbAccess.of(install)
    tag = secrets.token_hex(5)
    base = install.path
    staging = f"{base}/.itron-restore-{tag}" if base else f".itron-restore-{tag}"
    aside = f"{base}/.itron-old-{tag}" if base else f".itron-old-{tag}"
    join = (lambda *p: "/".join(x for x in (base, *p) if x))
    state: dict = {"moved_out": [], "moved_in": [], "carried": []}
    left_out = _left_out(info)
    session = install.website.as_session()
    try:
        recipe = get_recipe(install.installer)
    except CatalogError:
        recipe = None

    with _workdir(install.account) as work, installs.open_website(install.website) as t:
        package = work / "files.tar.gz"
        _remove_stale_staging(t, base)

        def stage():
            _files_package(archive, package)
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
            _db_call(db.refuse_server_wide)  # the archive's SQL runs with this account
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
            _extract_dump(archive, dump, set(tables), dump_prefix, install.db_prefix)
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
                        recipe.repoint(installs.app_context(install, recipe), conn=conn,
                                       config=False, old_url=source_url,
                                       old_prefix=dump_prefix)
                    if moved:
                        rewrite_urls(conn, renamed, UrlRewriter(source_url, install.url))
                finally:
                    conn.close()
            # Tables made since the backup (the dump had none).
            _drop(db, [n for n in own_tables(db) if n not in renamed])

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
                _drop(db, own_tables(db))
                import_dump(db, state["safety"], work)
            except BaseException:
                state["kept"] = _keep_aside(install, state["safety"])
                raise

        def swap():
            t.mkdir(aside)
            for name in sorted(set(install.list_files) | set(state["tops"])):
                if name not in left_out and t.exists(join(name)):
                    t.rename(join(name), f"{aside}/{name}")
                    state["moved_out"].append(name)
            # What the backup left out inside its folders goes along into the new ones.
            for rel in left_out:
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
            _check_site(install.url, install.url_ip)

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
            n for n in left_out if "/" not in n and n in install.list_files and t.exists(join(n))})
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
    from apps.catalog.errors import CatalogError
    from apps.recipes.base import get_recipe

    def part(start: int, end: int) -> Report:
        return lambda lo, hi, msg="": report(start + (end - start) * lo // 100,
                                             start + (end - start) * hi // 100, msg)

    try:
        keep = tuple(get_recipe(live.installer).extra_files)
    except CatalogError:
        keep = ()
    safety = create_backup(live, report=part(0, 30),
                           title=f"Before the push from the stage at {stage.url}"[:255])
    with _workdir(stage.account) as work:
        archive = work / "stage.tar.gz"
        with open(archive, "wb") as fh:
            write_archive(stage, fh, work, report=part(30, 50))
        live = replace_install(live, archive, None, report=part(50, 100),
                               version=stage.version, source_url=stage.url,
                               source_prefix=stage.db_prefix, keep=keep, verify=True)
    return live, safety


# --------------------------------------------------------------------------- new locations


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
    db: installs.DbPlan

    def as_api(self, v2: bool) -> dict:
        return {"url": self.url, ("url_domain" if v2 else "url-domain"): self.url_domain,
                "path": "/".join(p for p in (self.website.display_path.rstrip("/"),
                                             self.target) if p),
                ("db_host" if v2 else "db-host"): self.db.host,
                ("db_name" if v2 else "db-name"): self.db.name,
                ("db_user" if v2 else "db-user"): self.db.user,
                ("db_prefix" if v2 else "db-prefix"): self.db.prefix}


def _as_backup_error(exc: InstallatronError) -> BackupError:
    return BackupError(exc.message, errcode=exc.errcode, status=exc.status, field=exc.field)


def check_location(account: Account, installer: str, params: dict, names: list[str], *,
                   default_prefix: str = "", dryrun: int = 0) -> LocationPlan:
    """The same URL, vhost and database checks as an install (installs.check_url and
    check_database), and a target folder that holds none of ``names``."""
    import ipaddress

    from apps.catalog.errors import CatalogError
    from apps.recipes.base import get_recipe

    try:
        recipe = get_recipe(installer)
    except CatalogError as exc:
        raise BackupError(exc.message, errcode="invalid_argument_application") from None
    if not recipe.supports("repoint"):  # a copy must be re-pointed at its new place
        raise _as_backup_error(UnsupportedError(recipe, "repoint"))
    try:
        website, url, domain, target = installs.check_url(account, params, recipe)
        params = dict(params)
        if params.get("db_prefix") in (None, "") and default_prefix:
            params["db_prefix"] = default_prefix
        db = installs.check_database(recipe, params, website)
    except InstallError as exc:
        raise _as_backup_error(exc) from None
    url_ip = str(params.get("url_ip") or "").strip() or website.vhost_ip
    if url_ip:
        try:
            url_ip = str(ipaddress.ip_address(url_ip))
        except ValueError:
            raise BackupError("url_ip must be an IP address.", errcode="invalid_argument_url",
                              field="url_ip") from None
    if Install.objects.filter(status__in=installs.LIVE).filter(
            Q(url=url) | Q(website=website, path=target)).exists():
        raise BackupError(f"Another application is already installed at {url}.",
                          errcode="invalid_argument_url_alreadyexists", field="url")
    plan = LocationPlan(account=account, website=website, recipe=recipe, url=url,
                        url_domain=domain, url_ip=url_ip, target=target, db=db)
    if dryrun != 1:
        _check_target_free(plan, names)
    return plan


def _check_target_free(plan: LocationPlan, names: list[str]) -> None:
    from apps.transports.base import TransportError

    try:
        with installs.open_website(plan.website) as transport:
            if not transport.exists(plan.target):
                return
            if not transport.is_dir(plan.target):
                raise BackupError(f"{plan.url} points to a file, not a folder.",
                                  errcode="invalid_argument_url_alreadyexists", field="url")
            clash = sorted((set(names) | set(installs.SHADOWING))
                           & set(transport.listdir(plan.target)))
    except TransportError as exc:
        raise _as_backup_error(exc) from None
    if clash:
        raise BackupError(f"The folder for {plan.url} already holds {', '.join(clash[:5])}; "
                          "remove them or choose another location.",
                          errcode="invalid_argument_url_alreadyexists", field="url")


def _fields_of(source: dict) -> dict:
    """The field values of an install record (its ``cf-<name>`` members)."""
    return {name[3:]: value for name, value in source.items() if name.startswith("cf-")}


def _new_install(plan: LocationPlan, source: dict, task_cmd: str, label: str
                 ) -> tuple[Install, Task]:
    """The Install row (installing, held by its task) for a restore-to or a clone."""
    if Install.objects.select_for_update().filter(status__in=installs.LIVE).filter(
            Q(url=plan.url) | Q(website=plan.website, path=plan.target)).exists():
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
    task = Task.objects.create(
        account=plan.account, ws_label=plan.website.label or plan.website.ws_id, cmd=task_cmd,
        url=plan.url, title=install.title, label=label, install=install.id,
        message="Waiting for a worker")
    install.task = task
    install.save(update_fields=["task"])
    return install, task


def _check_site(url: str, ip: str = "") -> None:
    """The new site answers (HTTP below 400) at its URL, dialling ``ip`` if given."""
    import ssl

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
    from apps.panels.base import get_panel
    from apps.recipes.base import get_recipe

    pending = install.pending_secrets or {}
    try:
        if install.website is None:
            raise BackupError("The website of this install no longer exists.")
        recipe = get_recipe(install.installer)
        if not recipe.supports("repoint"):
            raise UnsupportedError(recipe, "repoint")
        report(start + 2, start + 5, "Checking the backup archive")
        info = verify_archive(archive, checksum)
        tables = _dump_tables_of(info)
        old_prefix = str(info.meta.get("install", {}).get("db-prefix", "") or "")
        db_mode = pending.get("db_mode", "manual")
        session = install.website.as_session()
        app = installs.app_context(install, recipe, db_host_ip=pending.get("db_host_ip", ""))
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
                clash = installs.tables_with_prefix(conn, install.db_prefix)
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
            _files_package(archive, package)
            state["dirs"] = app.transport.mkdir(app.target) if app.target else []
            install.path_created = state["dirs"]
            state["files"] = app.transport.put_tree(package, app.target)

        def remove_files():
            for name in state["files"]:
                app.transport.remove(app.path(name))
            installs.remove_empty_dirs(app.transport, state["dirs"])

        def import_tables():
            if not install.db_name or not info.has_dump:
                return
            dump = work / "import.sql"
            _extract_dump(archive, dump, set(tables), old_prefix, install.db_prefix)
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
            _drop(Database.of(install), state["tables"])

        def check_site():
            _check_site(install.url, install.url_ip)

        with _workdir(install.account) as work, installs.open_website(install.website) as t:
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
        installs.record_tables(install, app)
    except BaseException:
        install.mark_failed()
        raise
    install.status = Install.Status.INSTALLED
    install.pending_secrets = None
    install.task = None
    install.cache_time = timezone.now()
    install.save()
    return install


def restore_to(backup: Backup, install: Install, *, report: Report) -> Install:
    """Restore ``backup`` into the new ``install`` (another URL, a new database)."""
    return deploy_archive(install, backup.archive_path, backup.checksum, report=report,
                          old_url=backup.url)


def clone_install(source: Install, install: Install, *, report: Report) -> Install:
    """Copy ``source`` to the new ``install``: files, tables under the new prefix, the
    config for the new database, and the old URL replaced everywhere in the tables."""
    try:
        with _workdir(source.account) as work:
            archive = work / "clone.tar.gz"
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


# --------------------------------------------------------------------------- import, delete


def import_backup(account: Account, path: str, *, website=None) -> Backup:
    """Import an archive from the user's webspace (``path`` relative to the website's
    path, read through the transport) as a backup. Verified like any archive.
    ``website``: which of the user's websites (the API's user path is the first one)."""
    from apps.transports.base import TransportError

    if not isinstance(path, str) or not path.strip():
        raise BackupError("The path argument is required.", errcode="empty_argument_path",
                          field="path")
    websites = list(account.websites.all())
    if not websites:
        raise BackupError("This user has no website to import from.",
                          errcode="invalid_argument_path", field="path")
    folder = user_dir(account)
    backup_id = Backup._meta.get_field("id").default()
    tmp = folder / f".{backup_id}.{secrets.token_hex(4)}.part"
    final = folder / f"{backup_id}.tar.gz"
    website = website if website is not None and website in websites else websites[0]
    try:
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as fh, installs.open_website(website) as transport:
                if transport.size(path.strip()) > MAX_IMPORT:
                    raise BackupError("The archive is too large to import.",
                                      errcode="invalid_argument_path", field="path")
                transport.read_to(path.strip(), fh)  # streamed to disk, not into memory
                fh.flush()
                os.fsync(fh.fileno())
        except TransportError as exc:
            raise BackupError(exc.message, errcode="invalid_argument_path", status=400,
                              field="path") from None
        info = verify_archive(tmp)
        tables = _dump_tables_of(info)
        meta = info.meta["install"]
        files = sorted(info.tops)
        os.rename(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    source = Install.objects.filter(pk=str(meta.get("id", "")), account=account).first()
    now = timezone.now()

    def text(name: str, limit: int = 255) -> str:
        value = meta.get(name)
        return str(value)[:limit] if isinstance(value, str | int) else ""

    try:
        created = int(text("time") or "0")
        when = datetime.fromtimestamp(created, tz=dt_timezone.utc) if created else None
    except (ValueError, OverflowError, OSError):
        when = None
    installer = text("installer", 64) or "unknown"
    return Backup.objects.create(
        id=backup_id, account=account, install=source, install_ref=text("id", 32),
        website=source.website if source else None, file=f"{account.username}/{final.name}",
        installer=installer, version=text("version", 32), language=text("language", 16),
        time=when, path=str(info.meta.get("path") or "")[:1024], url=text("url", 2048),
        url_domain=text("url-domain"), db_host=text("db-host"), db_type=text("db-type", 16),
        db_name=text("db-name", 128), db_user=text("db-user", 128),
        db_prefix=text("db-prefix", 64), title=text("title"), list_files=files,
        list_tables=tables, backup_time=now, size=final.stat().st_size,
        backup_filename=_download_name(installer, text("url-domain"), text("title"), now),
        checksum=file_sha256(final), imported=True)


def delete_backup(backup: Backup) -> None:
    """Remove the archive, its copy at the install's remote location, and the row."""
    from . import locations

    uri = locations.uri_of(backup)
    if uri:
        locations.remove_remote_copy(backup, uri)
    try:
        backup.archive_path.unlink(missing_ok=True)
    except OSError as exc:
        raise BackupError(f"The backup archive could not be removed: "
                          f"{os.strerror(exc.errno or 0)}.", errcode="failed_backup",
                          status=500) from None
    backup.delete()


def edit_backup(backup: Backup, params: dict) -> Backup:
    """editbackup: ``expiry`` and ``title``."""
    fields = []
    if "expiry" in params:
        try:
            backup.expiry = parse_expiry(params["expiry"])
        except ValueError:
            raise BackupError("expiry must be 'never' or a number with h, d, w, m or y "
                              "(e.g. 7d).", errcode="invalid_argument_expiry",
                              field="expiry") from None
        fields.append("expiry")
    if "title" in params:
        title = str(params["title"] or "").strip()
        if len(title) > 255 or any(ord(c) < 32 for c in title):
            raise BackupError("The title must be at most 255 characters of text.",
                              errcode="invalid_argument_title", field="title")
        backup.title = title
        fields.append("title")
    if fields:
        backup.save(update_fields=fields)
    return backup


def delete_expired_backups(now=None) -> int:
    """Remove backups past their expiry, and temporary archives a killed worker left."""
    count = 0
    for backup in Backup.objects.expired(now):
        delete_backup(backup)
        count += 1
    base = Path(settings.BACKUP_DIR)
    cutoff = (now or timezone.now()).timestamp() - STALE_PART_SECONDS
    if base.is_dir():
        for path in base.glob("*/.*.part"):
            try:
                if path.lstat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                pass
    return count


# --------------------------------------------------------------------------- starting tasks


def parse_expiry_arg(value) -> str:
    """Validate an ``expiry`` argument; returns it normalized (the task parses it)."""
    try:
        parse_expiry(value)
    except ValueError:
        raise BackupError("expiry must be 'never' or a number with h, d, w, m or y "
                          "(e.g. 7d).", errcode="invalid_argument_expiry",
                          field="expiry") from None
    return "" if value is None else str(value).strip().lower()


def _task_for(install: Install, cmd: str, label: str, account: Account | None = None) -> Task:
    website = install.website
    return Task.objects.create(
        account=account or install.account,
        ws_label=(website.label or website.ws_id) if website else "", cmd=cmd, url=install.url,
        title=install.title, label=label, install=install.id, message="Waiting for a worker")


def _hold(install: Install, task: Task) -> None:
    try:
        installs.hold_install(install, task)
    except InstallError as exc:
        raise _as_backup_error(exc) from None


@transaction.atomic
def start_backup(install: Install, *, expiry=None, location: str = "") -> Task:
    """Queue a backup of ``install``; refused with ``busy`` while a task holds it.
    ``location`` as tasks.create_backup takes it ("", "local" or a saved location id)."""
    from . import locations, tasks

    expiry = parse_expiry_arg(expiry)
    location = str(location or "")
    locations.chosen_uri(install, location)  # refuses an unknown location before queueing
    task = _task_for(install, "backup", "_tasks_backingup")
    _hold(install, task)
    task_id = task.id
    transaction.on_commit(lambda: tasks.create_backup.delay(task_id, expiry, location))
    return task


def check_restore(backup: Backup, *, db_mode: str | None = None, dryrun: int = 0) -> Install:
    """The install a restore would replace; dryrun=2 also verifies the archive."""
    if db_mode not in (None, "", "manual"):
        raise BackupError("db must be 'manual' or left out.", errcode="invalid_argument_db",
                          field="db")
    install = (Install.objects.select_related("account", "website")
               .filter(pk=backup.install_ref or "", account=backup.account).first())
    if install is None:
        raise BackupError(f"The install of this backup ({backup.url}) no longer exists; "
                          "use restoreto to restore it to a location.",
                          errcode="invalid_argument_id", field="id")
    if install.busy:
        raise _as_backup_error(installs.busy_error(install))
    if dryrun == 2:
        verify_archive(backup.archive_path, backup.checksum)
    return install


@transaction.atomic
def start_restore(backup: Backup, *, db_mode: str | None = None) -> Task:
    from . import tasks

    install = check_restore(backup, db_mode=db_mode)
    task = _task_for(install, "restore", "_tasks_restoring")
    _hold(install, task)
    task_id, backup_id = task.id, backup.id
    transaction.on_commit(lambda: tasks.restore_backup.delay(task_id, backup_id,
                                                             db_mode or ""))
    return task


def check_restore_to(backup: Backup, params: dict, *, dryrun: int = 0) -> LocationPlan:
    plan = check_location(backup.account, backup.installer, params, backup.list_files,
                          default_prefix=backup.db_prefix, dryrun=dryrun)
    if dryrun == 2:
        verify_archive(backup.archive_path, backup.checksum)
    return plan


@transaction.atomic
def start_restore_to(backup: Backup, plan: LocationPlan) -> tuple[Install, Task]:
    from . import tasks

    source = {"installer": backup.installer, "version": backup.version,
              "language": backup.language, "title": backup.title}
    install, task = _new_install(plan, source, "restoreto", "_tasks_restoring")
    task_id, backup_id = task.id, backup.id
    transaction.on_commit(lambda: tasks.restore_to.delay(task_id, backup_id))
    return install, task


def check_push(stage: Install) -> Install:
    """The live install a stage clone is pushed onto; refused with a clear errcode when
    ``stage`` is not a stage, its live install is gone, or either is busy."""
    if not stage.stage_of:
        raise BackupError("This install is not a stage; only a clone made with stage=1 can "
                          "be pushed to its live site.", errcode="invalid_argument_push",
                          field="push")
    live = (Install.objects.select_related("account", "website")
            .filter(pk=stage.stage_of, account=stage.account).first())
    if live is None or live.status != Install.Status.INSTALLED:
        raise BackupError("The live install of this stage no longer exists.",
                          errcode="invalid_argument_push", field="push")
    if stage.status != Install.Status.INSTALLED:
        raise BackupError("Only an installed stage can be pushed.",
                          errcode="invalid_argument_id", field="id")
    for install in (stage, live):
        if install.busy:
            raise _as_backup_error(installs.busy_error(install))
    return live


@transaction.atomic
def start_push(stage: Install) -> tuple[Install, Task]:
    """Queue the push of ``stage`` onto its live install; both are held by the task."""
    from . import tasks

    live = check_push(stage)
    task = _task_for(live, "sync", "_tasks_pushing")
    _hold(live, task)
    _hold(stage, task)
    task_id, stage_id = task.id, stage.id
    transaction.on_commit(lambda: tasks.push_stage.delay(task_id, stage_id))
    return live, task


def check_clone(install: Install, params: dict, *, dryrun: int = 0) -> LocationPlan:
    if install.status != Install.Status.INSTALLED:
        raise BackupError("Only an installed application can be cloned.",
                          errcode="invalid_argument_id", field="id")
    if install.busy:
        raise _as_backup_error(installs.busy_error(install))
    return check_location(install.account, install.installer, params, install.list_files,
                          default_prefix=install.db_prefix, dryrun=dryrun)


@transaction.atomic
def start_clone(source: Install, plan: LocationPlan, *,
                stage: bool = False) -> tuple[Install, Task]:
    """Queue a clone: the new Install row (held by the task) and the source held too.
    A ``stage`` clone remembers its source, to be pushed back onto it later."""
    from . import tasks

    meta = source.as_api(False)
    install, task = _new_install(plan, meta, "clone", "_tasks_cloning")
    if stage:
        install.stage_of = source.id
        install.save(update_fields=["stage_of"])
    _hold(source, task)
    task_id, source_id = task.id, source.id
    transaction.on_commit(lambda: tasks.clone_install.delay(task_id, source_id))
    return install, task
