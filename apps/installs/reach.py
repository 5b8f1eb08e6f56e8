"""How this server reaches an install's database and its website's files.

Checks, installs, edits, updates and backups all connect and list tables through these,
so a table belongs to one install by one rule (``own_tables``).
"""

from __future__ import annotations

from apps.recipes.base import all_recipes
# How this server reaches a website's files and an install's database is the sites layer's;
# these names are used through this module too.
from apps.sites.database import TABLE_RE, connect_db, split_host
from apps.sites.files import open_website

from .errors import InstallError
from .models import Install

__all__ = ["TABLE_RE", "connect_db", "drop_tables", "free_table_prefix", "neighbour_prefixes",
           "open_website",
           "own_tables", "remove_empty_dirs", "split_host", "tables_of_others",
           "tables_size", "tables_with_prefix"]


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


def free_table_prefix(conn, prefix: str, taken: set[str]) -> str:
    """A table prefix like ``prefix`` (``wp_`` -> ``wp2_``, ``wp3_``, ...) that no table
    of the connection's database starts with and that is not in ``taken`` (prefixes of
    installs not written yet): where Installatron "manages table prefixes" (001 3.17.3)."""
    _db_name, names = _all_tables(conn)
    base = prefix.rstrip("_") or "t"
    for n in range(2, 1000):
        candidate = f"{base}{n}_"
        if candidate not in taken and not any(name.startswith(candidate) for name in names):
            return candidate
    raise InstallError(f"No free table prefix like '{prefix}' is left in this database.",
                       errcode="invalid_argument_db_prefix", field="db_prefix")


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
    """Longer prefixes than ``prefix`` (``app_b_`` beside ``app_``) that are other installs'
    in the same database: those of installs we know of, and any under which every table
    an application always makes is present (an install made by hand). Sub-sites
    that lack one of those tables (a multisite network's) stay their network's own."""
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
    cur.execute("SELECT COALESCE(SUM(data_length + index_length), 0) FROM "  # noqa: S608 (placeholders only)
                "information_schema.TABLES WHERE table_schema = %s AND table_name IN ("
                + ", ".join(["%s"] * len(tables)) + ")", (db_name, *tables))
    return int(cur.fetchone()[0] or 0)


def drop_tables(conn, tables: list[str]) -> None:
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



# --------------------------------------------------------------------------- files


def remove_empty_dirs(transport, dirs: list[str]) -> None:
    """Remove the folders made for an install (``dirs``, parents first) that are empty."""
    for folder in reversed(dirs):
        if transport.exists(folder) and not transport.listdir(folder):
            transport.remove(folder)
