"""The backup archive: where archives live, how one is written, and how one read back is
checked before anything is changed.

One archive per backup, ``<BACKUP_DIR>/<user>/<id>.tar.zst`` (or ``.tar.gz`` with
``BACKUP_COMPRESSION = "gzip"``; mode 0600, outside every web root), holding::

    files/...           the install's own files (its list-files), regular files and folders
    database.sql        mysqldump of the install's own tables, among the files
    installatron.json   the install's record at backup time (no passwords), last

Readers take the members in any order (archives written before the dump ran beside the
files hold it first).

Written and read as streams (``installatron_gui.lib.compression``); what is read is
recognised by its first bytes (zstd, gzip or plain tar), never by its name.

Every archive is treated as untrusted when it is read back (restore, restore to, import):
checksum first, then every member (``installatron_gui.lib.archives.member_problem``),
before anything on the website or the database server changes.
"""

from __future__ import annotations

import glob
import io
import json
import logging
import os
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

from apps.accounts.models import Account
from apps.installs.models import Install
from apps.installs.reach import TABLE_RE, open_website
from apps.installs.record import record
from apps.installs.steps import Report
from apps.sites.database import Database
from installatron_gui.lib import archives
from installatron_gui.lib.archives import CHUNK, member_name, member_problem, sha256_of
from installatron_gui.lib.compression import GZIP, SUFFIXES, ZSTD, tar_reader, tar_writer

from .errors import BackupError
from .tables import copy_dump, dump_tables, own_tables

log = logging.getLogger(__name__)

FORMAT = 1
META = "installatron.json"
DUMP = "database.sql"
FILES = "files"
# An archive larger than this once unpacked is refused (a zstd or gzip bomb, or not ours);
# settings.BACKUP_MAX_UNPACKED overrides it.
MAX_UNPACKED = int(getattr(settings, "BACKUP_MAX_UNPACKED", 64 * 1024**3))
MAX_MEMBERS = 1_000_000
# importbackup reads the archive through the website's transport in one piece.
MAX_IMPORT = int(getattr(settings, "BACKUP_MAX_IMPORT", 4 * 1024**3))
MAX_META = 1024 * 1024


# --------------------------------------------------------------------------- storage


def user_dir(account: Account) -> Path:
    """``BACKUP_DIR/<user>``, private to us (0700), created on first use."""
    base = Path(settings.BACKUP_DIR)
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = base / account.username
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


@contextmanager
def workdir(account: Account) -> Iterator[Path]:
    """A private scratch folder beside the user's backups, removed afterwards."""
    with archives.workdir(user_dir(account)) as path:
        yield path


# --------------------------------------------------------------------------- writing


def _own_files_excludes(transport, install: Install) -> list[str]:
    """get_tree exclude patterns: every top-level name that is not the install's."""
    own = set(install.list_files)
    return [glob.escape(name) for name in transport.listdir(install.path) if name not in own]


def compression() -> str:
    """How new archives are compressed (``settings.BACKUP_COMPRESSION``: ZSTD or GZIP; the
    system check reports any other value, which writes zstd)."""
    value = getattr(settings, "BACKUP_COMPRESSION", ZSTD)
    return value if value in (ZSTD, GZIP) else ZSTD


def archive_name(stem: str, kind: str | None = None) -> str:
    """``<stem>.tar.zst`` or ``<stem>.tar.gz``: an archive's file name for its compression."""
    return f"{stem}{SUFFIXES[kind or compression()]}"


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def add_dump(tar: tarfile.TarFile, dump, mtime: int) -> None:
    """The file ``dump`` (a mysqldump) as the archive's ``database.sql``."""
    dump.seek(0)
    info = tarfile.TarInfo(DUMP)
    info.size = os.fstat(dump.fileno()).st_size
    info.mode = 0o600
    info.mtime = mtime
    tar.addfile(info, dump)


@contextmanager
def tree_stream(transport, rel: str, exclude: list[str], work: Path) -> Iterator:
    """``transport.get_tree`` as a readable stream.

    On this machine (``same_machine``) it is read while it is written: a thread writes
    the tar into a pipe, so the files are never stored in between (a backup of WordPress
    with 100 MB of uploads: 1.3 s through a temporary file, 0.8 s so). A failure of
    get_tree is raised here, also when the reader saw only an early end.

    A remote website's get_tree may reach the database (the panel's secondary path, its
    records, known host keys), which must stay on the caller's thread and connection
    (its transaction and row locks): there the tar goes through a temporary file in
    ``work``, and the network, not the disk, is what takes the time."""
    if not transport.same_machine:
        with tempfile.TemporaryFile(dir=work) as stored:
            transport.get_tree(rel, stored, exclude=exclude)
            stored.seek(0)
            yield stored
        return
    rfd, wfd = os.pipe()
    reader = os.fdopen(rfd, "rb", buffering=CHUNK)
    writer = os.fdopen(wfd, "wb", buffering=CHUNK)
    failure: list[BaseException] = []

    def produce():
        try:
            transport.get_tree(rel, writer, exclude=exclude)
        except BaseException as exc:  # noqa: BLE001 - raised again by the reading thread
            failure.append(exc)
        finally:
            try:
                writer.close()  # the reader sees the end (recorded failure first)
            except OSError:
                pass  # the reader is gone already: its own error is the one raised
            # A reconnecting transport may have read its known host keys in this thread.
            connections.close_all()

    thread = threading.Thread(target=produce, name="get_tree", daemon=True)
    thread.start()
    try:
        yield reader
        while reader.read(CHUNK):  # the padding after the tar's end
            pass
    except BaseException:
        earlier = list(failure)  # get_tree's own failure, from before the reader stopped
        reader.close()  # a writer still writing gets EPIPE and stops
        thread.join()
        if earlier:
            raise earlier[0] from None
        raise
    reader.close()
    thread.join()
    if failure:
        raise failure[0]


@contextmanager
def tree_members(transport, rel: str, exclude: list[str], work: Path) -> Iterator:
    """The files of folder ``rel`` as (TarInfo, file or None) pairs: straight from the
    transport where it walks the folder itself (``tree_members``: a website on this
    machine, one pass), else read from its get_tree stream (``tree_stream``)."""
    if transport.tree_members is not None:
        yield transport.tree_members(rel, exclude=exclude)
        return
    with tree_stream(transport, rel, exclude, work) as raw, \
            tarfile.open(fileobj=raw, mode="r|") as src:
        yield _stream_members(src)


def _stream_members(src: tarfile.TarFile) -> Iterator:
    """(TarInfo, file or None) pairs of a tar read as a stream."""
    return ((member, src.extractfile(member) if member.isreg() else None) for member in src)


def add_files(tar: tarfile.TarFile, raw) -> tuple[list[str], list[str]]:
    """``add_members`` of the tar stream ``raw`` (get_tree's)."""
    with tarfile.open(fileobj=raw, mode="r|") as src:
        return add_members(tar, _stream_members(src))


def add_members(tar: tarfile.TarFile, members, between=None) -> tuple[list[str], list[str]]:
    """Copy ``members`` ((TarInfo, file or None) pairs) under ``files/``: regular files
    and folders, owned by nobody, without special bits. Returns the sorted top-level
    names they held and the paths left out (links and special files, which cannot be
    restored safely). ``between()``, if given, is called before each member."""
    tops: set[str] = set()
    skipped: list[str] = []
    for member, fobj in members:
        if between is not None:
            between()
        name = member.name.removeprefix("./")
        name = name.strip("/")
        if not name:
            continue
        tops.add(name.split("/")[0])
        if not (member.isreg() or member.isdir()):
            skipped.append(name)
            continue
        member.name = f"{FILES}/{name}"
        # A stale PAX "path" header would win over the new name.
        member.pax_headers = {}
        member.uid = member.gid = 0
        member.uname = member.gname = ""
        member.mode &= 0o777
        tar.addfile(member, fobj if member.isreg() else None)
    return sorted(tops), skipped


class _Dump:
    """The install's tables listed and dumped into the file ``fh``, and added to the
    archive as ``database.sql`` as soon as the dump is complete.

    The tables are listed first, on the caller's thread (which installs share the
    database is asked of Django). Where mysqldump runs here (the database is reached
    from this machine), it then runs in a thread beside the file walk, so a backup takes
    as long as the longer of the two rather than both (the thread only runs the client:
    no Django, no transport). Over the website's SSH shell it runs before the files, on
    the caller's thread, as that shell may be the website's own connection."""

    def __init__(self, db: Database, fh, work: Path, mtime: int):
        self.db, self.fh, self.work, self.mtime = db, fh, work, mtime
        self.tables: list[str] = []
        self.failure: BaseException | None = None
        self.done = threading.Event()
        self.added = False
        self.thread: threading.Thread | None = None

    def start(self, report: Report | None) -> None:
        if not self.db.name:
            self.done.set()
            return
        # Listed over the same route as the dump: a site whose database
        # answers only on its own host is listed there too.
        self.tables = own_tables(self.db)
        if self.db.over_ssh:
            if report:
                report(5, 15, "Dumping the database")
            self.run()
            if self.failure is not None:
                raise self.failure
        else:
            self.thread = threading.Thread(target=self.run, name="dump", daemon=True)
            self.thread.start()

    def run(self) -> None:
        try:
            dump_tables(self.db, self.tables, self.fh, self.work)
        except BaseException as exc:  # noqa: BLE001 - raised again on the writing thread
            self.failure = exc
        finally:
            self.done.set()

    def add_if_done(self, tar: tarfile.TarFile) -> None:
        """Between two members: the dump, once it is complete (its failure, raised)."""
        if self.added or not self.done.is_set():
            return
        self.added = True
        if self.failure is not None:
            raise self.failure
        add_dump(tar, self.fh, self.mtime)

    def join(self) -> None:
        if self.thread is not None:
            self.thread.join()


def write_archive(install: Install, out, work: Path, *, report: Report | None = None,
                  kind: str | None = None) -> dict:
    """Write a backup archive of ``install`` to the binary file ``out``, compressed as
    ``kind`` (default: ``compression()``), as one stream.

    Returns the metadata stored in it (``list-files``, ``list-tables``, skipped links).
    """
    if install.website is None:
        raise BackupError("The website of this install no longer exists.",
                          errcode="failed_filesystem_missing", status=500)
    db = Database.of(install)
    with open_website(install.website) as transport, tempfile.TemporaryFile(dir=work) as fh:
        created = int(timezone.now().timestamp())
        dump = _Dump(db, fh, work, created)
        try:
            dump.start(report)
            if report:
                report(15, 95, "Collecting and compressing the files")
            excludes = _own_files_excludes(transport, install)
            with tar_writer(out, kind or compression()) as tar:
                with tree_members(transport, install.path, excludes, work) as members:
                    files_present, skipped = add_members(
                        tar, members, between=lambda: dump.add_if_done(tar))
                dump.join()
                dump.add_if_done(tar)
                meta = {
                    "format": FORMAT,
                    "install": {k: v for k, v in record(install).items()
                                if k not in ("db-pass", "task", "status")},
                    "path": install.path,
                    "list-files": files_present,
                    "list-tables": dump.tables,
                    "skipped": skipped,
                    "created": created,
                }
                add_bytes(tar, META, json.dumps(meta, indent=1).encode())
        finally:
            dump.join()  # a failed file walk waits for the client to end
    if skipped:
        log.info("backup of %s: left out %d links/special files", install.id, len(skipped))
    return meta


# --------------------------------------------------------------------------- reading


@dataclass
class ArchiveInfo:
    meta: dict
    tops: list[str]
    has_dump: bool
    files: int
    unpacked: int


def verify_archive(path: Path, checksum: str | None = None) -> ArchiveInfo:
    """Check a backup archive before anything is changed: checksum, then every member.

    Allowed: ``installatron.json``, ``database.sql`` and ``files/...``; only regular files
    and folders, no links, devices or fifos, no absolute or ``..`` names, no set-id bits,
    and a sane total size. Raises BackupError (``failed_backup_invalid``) otherwise.
    """
    def bad(msg: str) -> BackupError:
        return BackupError(f"The backup archive is unsafe or damaged: {msg} Nothing was "
                           "changed.", errcode="failed_backup_invalid", status=400)

    limit = int(getattr(settings, "BACKUP_MAX_UNPACKED", MAX_UNPACKED))
    try:
        if checksum is not None and sha256_of(path) != checksum:
            raise bad("its checksum does not match.")
        meta = None
        tops: set[str] = set()
        seen: set[str] = set()
        count = unpacked = 0
        has_dump = False
        with tar_reader(path, whole=True) as tar:
            for member in tar:
                count += 1
                unpacked += max(member.size, 0)
                name = member.name
                if count > MAX_MEMBERS or unpacked > limit:
                    raise bad("it is too large once unpacked.")
                problem = member_problem(member, exact=True)
                if problem:
                    raise bad(f"the entry '{name[:200]}' {problem}.")
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
    except (tarfile.TarError, OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise bad(f"{type(exc).__name__}.") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("install"), dict):
        raise bad("it has no installatron.json.")
    if not tops:
        raise bad("it holds no files.")
    return ArchiveInfo(meta=meta, tops=sorted(tops), has_dump=has_dump, files=count,
                       unpacked=unpacked)


def files_package(path: Path, out_path: Path, *, compress: bool = True) -> None:
    """The ``files/`` part of a verified archive as a plain .tar.gz for put_tree; gzip
    level 0 unless ``compress`` (for a transport that reads it on this machine: 160 MB
    of WordPress and uploads restored in 3.1 s instead of 7.1 s at level 1)."""
    with tar_reader(path) as src, open(out_path, "wb") as out, \
            tar_writer(out, GZIP, level=1 if compress else 0) as dst:
        for member in src:
            if not member.name.startswith(FILES + "/"):
                continue
            if member_problem(member, exact=True):
                raise BackupError("The backup archive changed while it was read.",
                                  errcode="failed_backup_invalid")
            member.name = member.name[len(FILES) + 1:]
            member.pax_headers = {}
            dst.addfile(member, src.extractfile(member) if member.isreg() else None)


def extract_dump(path: Path, out_path: Path, tables: set[str], old_prefix: str,
                 new_prefix: str) -> None:
    """The archive's dump, its tables renamed from ``old_prefix`` to ``new_prefix``
    (``copy_dump``), into the file ``out_path``."""
    with tar_reader(path) as src, open(out_path, "wb") as dst:
        for member in src:
            if member.name == DUMP and member.isreg():
                copy_dump(src.extractfile(member), dst, tables, old_prefix, new_prefix)
                return
    raise BackupError("The backup archive has no database dump.",
                      errcode="failed_backup_invalid")


def left_out(info: ArchiveInfo) -> list[str]:
    """The paths the backup could not hold (links, special files; write_archive's
    ``skipped``): a restore keeps whatever is at them now, never deletes it."""
    names = info.meta.get("skipped") or []
    if not isinstance(names, list) or not all(isinstance(n, str) and member_name(n, exact=True) is not None
                                              for n in names):
        raise BackupError("The backup archive's list of left-out links is damaged; it was "
                          "not used.", errcode="failed_backup_invalid")
    return sorted({n.rstrip("/") for n in names})


def dump_tables_of(info: ArchiveInfo, prefix: str | None = None) -> list[str]:
    """The archive's table list, each a plain name starting with the archive's prefix."""
    tables = info.meta.get("list-tables") or []
    if prefix is None:
        prefix = str(info.meta.get("install", {}).get("db-prefix") or "")
    if not isinstance(tables, list) or not all(
            isinstance(t, str) and TABLE_RE.match(t) and t.startswith(prefix)
            for t in tables):
        raise BackupError("The backup archive lists tables that are not the application's; "
                          "it was not used.", errcode="failed_backup_invalid")
    return tables
