"""How this server reaches an install's database and its website's files.

Checks, installs, edits, updates and backups all connect and list tables through these,
so a table belongs to one install by one rule (``own_tables``).
"""

from __future__ import annotations

import re
from contextlib import ExitStack, contextmanager

import MySQLdb

from apps.accounts.models import Website
from apps.panels.base import PanelError
from apps.panels.services import secondary_path, website_path
from apps.recipes.base import all_recipes
from apps.transports.base import open_transport
from apps.transports.remote import WithSecondary, ssh_key_options

from .errors import InstallError
from .models import Install

TABLE_RE = re.compile(r"^[A-Za-z0-9_$]{1,64}$")



def split_host(host: str) -> tuple[str, int | None, str | None]:
    """``db.example.com:3307`` -> host, port; ``localhost:/run/mysqld.sock`` -> socket."""
    if host.startswith("["):
        addr, _, rest = host[1:].partition("]")
        return addr, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None, None
    name, sep, rest = host.partition(":")
    if sep and rest.startswith("/"):
        return name, None, rest
    if sep and rest.isdigit():
        return name, int(rest), None
    return host, None, None


def connect_db(host: str, user: str, password: str, name: str | None = None, *,
               errcode: str = "failed_database_connect", status: int = 500):
    """A MySQLdb connection; errors become InstallError with the password scrubbed."""
    hostname, port, socket_path = split_host(host)
    kwargs = {"host": hostname, "user": user, "passwd": password or "", "connect_timeout": 10,
              "charset": "utf8mb4"}
    if port:
        kwargs["port"] = port
    if socket_path:
        kwargs["unix_socket"] = socket_path
    if name:
        kwargs["db"] = name
    try:
        return MySQLdb.connect(**kwargs)
    except MySQLdb.Error as exc:
        detail = str(exc.args[1] if len(exc.args) > 1 else exc)
        if password:
            detail = detail.replace(password, "***")
        raise InstallError(f"Could not connect to the database {name or ''} on {host} as "
                           f"{user}: {detail}", errcode=errcode, status=status,
                           field="db_host") from None


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
    """Longer prefixes than ``prefix`` (``wp_b_`` beside ``wp_``) that are other installs'
    in the same database: those of installs we know of, and any under which every table
    an application always makes is present (an install made by hand). A WordPress
    network's ``wp_2_`` sites lack ``users``, so they stay the network's own."""
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
    cur.execute("SELECT COALESCE(SUM(data_length + index_length), 0) FROM "
                "information_schema.TABLES WHERE table_schema = %s AND table_name IN ("
                + ", ".join(["%s"] * len(tables)) + ")", (db_name, *tables))
    return int(cur.fetchone()[0] or 0)


def drop_tables(conn, tables: list[str]) -> None:
    cur = conn.cursor()
    for table in tables:
        if not TABLE_RE.match(table):
            raise InstallError(f"Refusing to drop a table with an odd name: {table[:64]!r}.")
        cur.execute(f"DROP TABLE IF EXISTS `{table}`")
    conn.commit()



# --------------------------------------------------------------------------- files


@contextmanager
def open_website(website: Website):
    """The website's transport, connected (``with open_website(w) as t``).

    The path comes through the panel's path hooks (section 4.1: recorded, released when
    idle); SSH host keys are checked against the website's ``_trust_host_key``. On a
    remote website without a shell, put_tree/get_tree go through the panel's secondary
    ssh:// path when it offers one (section 4.2), asked for on the first bulk call.
    """
    custom = website.custom or {}
    options = {"trust_host_key": custom.get("_trust_host_key"), "website_id": website.pk}
    entered = False
    try:
        with website_path(website) as path, ExitStack() as stack:
            transport = stack.enter_context(open_transport(
                path, uid=website.uid, gid=website.gid, **options, **ssh_key_options(path)))

            def opener():
                uri = stack.enter_context(secondary_path(website))
                return stack.enter_context(
                    open_transport(uri, **options, **ssh_key_options(uri))) if uri else None

            remote = "://" in path and not transport.has_shell
            entered = True
            yield WithSecondary(transport, opener if remote else None)
    except PanelError as exc:
        if entered:  # the panel failed inside the caller's work: not ours to reword
            raise
        raise InstallError(exc.message, errcode=exc.errcode or "failed_filesystem_permission",
                           status=500) from None


def remove_empty_dirs(transport, dirs: list[str]) -> None:
    """Remove the folders made for an install (``dirs``, parents first) that are empty."""
    for folder in reversed(dirs):
        if transport.exists(folder) and not transport.listdir(folder):
            transport.remove(folder)
