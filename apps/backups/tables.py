"""An install's tables in a backup: dumped, loaded, renamed to another prefix, and
re-addressed to another URL.

Every call goes over the install's one database route (``apps.sites.database``: from
here, or through the website's SSH shell), and database errors are told as BackupError.
"""

from __future__ import annotations

import re
from pathlib import Path

from apps.installs import reach
from apps.installs.errors import InstallError
from apps.installs.reach import TABLE_RE
from apps.sites.database import Database
from apps.sites.urlrewrite import UrlRewriter

from .errors import BackupError


def db_call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except InstallError as exc:
        raise BackupError(exc.message, errcode=exc.errcode, status=exc.status) from None


def dump_tables(db: Database, tables: list[str], out, folder: Path | None = None) -> None:
    """mysqldump of ``tables`` (one consistent snapshot) into the file object ``out``."""
    for table in tables:
        if not TABLE_RE.match(table):
            raise BackupError(f"Refusing to dump a table with an odd name: {table[:64]!r}.")
    db_call(db.dump, tables, out)


def import_dump(db: Database, dump: Path, folder: Path | None = None) -> None:
    """Feed an SQL file to the mysql client, connected as the install's own user."""
    db_call(db.load, dump)


def own_tables(db: Database) -> list[str]:
    """The install's tables (its prefix, less neighbours'), listed over the dump's route."""
    return reach.own_tables(db_call(db.tables), db.prefix, db.name)


def tables_of_others(db: Database, names: list[str]) -> list[str]:
    """Of ``names`` (tables about to be written under the prefix), another install's."""
    own = set(reach.own_tables(set(db_call(db.tables)) | set(names), db.prefix, db.name))
    return sorted(n for n in names if n not in own)



def drop(db: Database, tables: list[str]) -> None:
    try:
        db.drop(tables)
    except InstallError as exc:
        raise BackupError(exc.message, errcode="failed_database", status=500) from None


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
