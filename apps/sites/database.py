"""A website's database: one ``Database`` object, one route, the same for every use.

The database server of an install is the one it names (``db_host``). Two routes reach it:

* ``local``: a connection (and mysqldump/mysql) from this machine to ``db_host``. Used for
  every local website, and for a remote website whose database server answers from here.
* ``ssh``: mysqldump/mysql run on the website's host through its SSH connection (the
  website's own ssh:// path, or the panel's secondary ssh:// path), as argv lists; the
  password goes in a 0600 option file written through the transport and removed right
  after, never on a command line.

A loopback ``db_host`` (``localhost``, ``127.0.0.1``, ``::1``, a socket) on a remote
website means the website host's own server: it is "here" only when that host is this
machine. Any other host is probed with a TCP connection. ``settings.DB_ACCESS``
(``auto``, ``local`` or ``ssh``) overrides the choice. The route is decided once per
``Database``, so listing the tables, dumping, loading and dropping them all talk to the
same server.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

import MySQLdb
from django.conf import settings

from installatron_gui.lib.children import child_env
from installatron_gui.lib.errors import InstallError

from .files import open_website

# One line of SHOW GRANTS that gives rights on every database (group 1: the rights).
SERVER_WIDE = re.compile(r"^GRANT (.+?) ON \*\.\* TO ", re.IGNORECASE)
log = logging.getLogger(__name__)

LOCAL = "local"
SSH = "ssh"
PROBE_TIMEOUT = 3.0
MYSQLDUMP = shutil.which("mysqldump") or shutil.which("mariadb-dump") or "/usr/bin/mysqldump"
MYSQL = shutil.which("mysql") or shutil.which("mariadb") or "/usr/bin/mysql"
# The same options wherever mysqldump runs, so a dump reads the same from either route.
DUMP_OPTIONS = ["--single-transaction", "--no-tablespaces", "--default-character-set=utf8mb4",
                "--hex-blob", "--skip-dump-date", "--add-drop-table"]
# Client commands (\\!, source, LOAD DATA LOCAL) in a dump stay inert: binary mode
# parses none of them, sandbox and local-infile=0 as well.
LOAD_OPTIONS = ["--default-character-set=utf8mb4", "--batch", "--binary-mode", "--sandbox",
                "--local-infile=0"]
TIMEOUT = 3600
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


def refuse_server_wide(grants: list[str], user: str, name: str) -> None:
    """Refuse an account whose ``grants`` (SHOW GRANTS) give rights beyond ``USAGE`` on
    ``*.*`` (root, an admin): an application's account is limited to its own database,
    and SQL we run with it (an imported backup's) must not reach the server's others."""
    wide = [m.group(1) for line in grants
            if (m := SERVER_WIDE.match(line)) and m.group(1).strip().upper() != "USAGE"]
    if wide:
        raise InstallError(
            f"The database user {user} has rights on every database of the server "
            f"({wide[0][:60]}); give an account limited to the database {name}.",
            errcode="invalid_argument_db_user", status=400, field="db_user")


def is_loopback(host: str) -> bool:
    host = (host or "").strip().strip("[]").lower()
    if host in ("", "localhost", "localhost.localdomain") or host.startswith("/"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT):
            return True
    except OSError:
        return False


def route_for(website, db_host: str) -> str:
    """``local`` or ``ssh``: how this server reaches ``db_host`` for ``website``."""
    forced = str(getattr(settings, "DB_ACCESS", "auto") or "auto").lower()
    if forced in (LOCAL, SSH):
        return forced
    path = (website.path or "") if website is not None else ""
    if website is None or "://" not in path:
        return LOCAL  # a local website (or a panel path hook: its databases are local)
    site_host = urlsplit(path).hostname or ""
    name, port, socket_path = split_host(db_host or "localhost")
    if socket_path or is_loopback(name):
        return LOCAL if is_loopback(site_host) else SSH
    return LOCAL if _answers(name, port or 3306) else SSH


def _option(value: str) -> str:
    if "\n" in value or "\r" in value or "\x00" in value:
        raise InstallError("A database setting contains a line break.",
                           errcode="failed_database")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def option_file(host: str, user: str, password: str) -> bytes:
    """The text of a ``[client]`` option file for mysql/mysqldump (the one writer of it):
    the password never goes on a command line."""
    name, port, socket_path = split_host(host or "localhost")
    lines = ["[client]", f"user={_option(user)}", f"password={_option(password or '')}",
             f"host={_option(name)}"]
    if port:
        lines.append(f"port={int(port)}")
    if socket_path:
        lines.append(f"socket={_option(socket_path)}")
    return ("\n".join(lines) + "\n").encode()


def shell_of(transport):
    """The transport that can run commands for a website, or an error saying why not."""
    shell = transport.shell() if hasattr(transport, "shell") else (
        transport if transport.has_shell else None)
    if shell is None:
        raise InstallError("The database server of this website cannot be reached from here, "
                           "and the website has no SSH access to reach it through.",
                           errcode="failed_database_connect", status=500)
    return shell


@dataclass
class Database:
    """One install's database as this server reaches it (see the module docstring)."""

    host: str
    name: str
    user: str
    password: str = field(repr=False)
    prefix: str = ""
    # The website whose host may be the only way to the server.
    website: object = field(default=None, repr=False)
    # A shell already open on the database's host (a migration's source): the SSH route.
    shell: object = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, obj) -> Database:
        """The database an install (or anything with ``db_*`` fields) names."""
        return cls(obj.db_host, obj.db_name, obj.db_user, obj.db_pass, obj.db_prefix,
                   getattr(obj, "website", None))

    @cached_property
    def route(self) -> str:
        if self.shell is not None:
            return SSH
        return route_for(self.website, self.host) if self.website is not None else LOCAL

    @property
    def over_ssh(self) -> bool:
        return self.route == SSH

    def connect(self):
        """A direct connection (for queries a client run cannot do: URL rewrites)."""
        return connect_db(self.host, self.user, self.password, self.name)

    def tables(self) -> list[str]:
        """Every table of the database, read over the same route as dumps."""
        out = self._client(["--batch", "--skip-column-names", "--execute=SHOW TABLES"],
                           f"Listing the tables of the database {self.name}", timeout=300)
        return [line for line in out.decode("utf-8", "replace").splitlines() if line]

    def answers_within(self, seconds: float) -> bool:
        """Whether the server answers (a table listing over the usual route) within
        ``seconds``: an undo waits out a restarting server rather than leave its
        tables half-changed."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.tables()
                return True
            except InstallError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(1)

    def refuse_server_wide(self) -> None:
        """refuse_server_wide for this account, its grants read over the usual route."""
        out = self._client(["--batch", "--skip-column-names", "--execute=SHOW GRANTS"],
                           f"Reading the rights of the database user {self.user}")
        refuse_server_wide(out.decode("utf-8", "replace").splitlines(), self.user, self.name)

    def drop(self, tables: list[str]) -> None:
        """DROP TABLE IF EXISTS each of ``tables`` (names checked before)."""
        if not tables:
            return
        # Off for this client session only: an application's own tables may reference each
        # other (Tiny Tiny RSS), which one DROP at a time would refuse (MariaDB error 1451).
        sql = "SET SESSION FOREIGN_KEY_CHECKS = 0;\n" + "".join(
            f"DROP TABLE IF EXISTS `{check_table(t)}`;\n" for t in tables)
        self._client(LOAD_OPTIONS, f"Dropping tables of the database {self.name}",
                     stdin=sql.encode())

    def dump(self, tables: list[str], out) -> None:
        """mysqldump of ``tables`` (one consistent snapshot) into the file object ``out``."""
        for table in tables:
            check_table(table)
        if tables:
            self._client(DUMP_OPTIONS, f"Dumping the database {self.name}", tables=tables,
                         out=out, program=MYSQLDUMP)

    def load(self, dump: Path) -> None:
        """Feed an SQL file to the mysql client, connected as the install's own user."""
        self._client(LOAD_OPTIONS, f"Importing the tables into the database {self.name}",
                     stdin=Path(dump))

    # -- one client run, here or on the website's host

    def _client(self, options: list[str], what: str, *, tables=(), stdin=None, out=None,
                program: str = MYSQL, timeout: int = TIMEOUT) -> bytes:
        data = option_file(self.host, self.user, self.password)
        if self.over_ssh:
            with self._remote_shell() as shell:
                rel = f".itron-db-{secrets.token_hex(8)}.cnf"
                shell.write(rel, data, mode=0o600)
                try:
                    # The website's host has its own clients, found on its PATH.
                    argv = ["mysqldump" if program == MYSQLDUMP else "mysql",
                            f"--defaults-extra-file={shell.url.path(rel)}", *options, "--",
                            self.name, *tables]
                    if isinstance(stdin, Path):
                        stdin = stdin.read_bytes()
                    status, stdout, stderr = shell.run(argv, stdin=stdin, timeout=timeout)
                finally:
                    try:
                        shell.remove(rel)
                    except Exception:  # noqa: BLE001 - the client's own error matters more
                        log.warning("could not remove the remote option file %s", rel)
            if status != 0:
                raise self._error(f"{what} on the website's host", stderr, status)
            if out is not None:
                out.write(stdout)
                return b""
            return stdout
        with _local_option_file(data) as defaults:
            argv = [program, f"--defaults-extra-file={defaults}", *options, "--",
                    self.name, *tables]
            try:
                with open(stdin, "rb") if isinstance(stdin, Path) else nullcontext() as fh:
                    proc = subprocess.run(
                        argv, stdin=fh, input=None if fh else stdin,
                        stdout=out if out is not None else subprocess.PIPE,
                        stderr=subprocess.PIPE, timeout=timeout, check=False, env=child_env())
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise InstallError(f"{what} failed: {type(exc).__name__}.",
                                   errcode="failed_database", status=500) from None
        if proc.returncode != 0:
            raise self._error(what, proc.stderr, proc.returncode)
        return proc.stdout or b""

    @contextmanager
    def _remote_shell(self):
        if self.shell is not None:
            yield self.shell
            return
        with open_website(self.website) as transport:
            yield shell_of(transport)

    def _error(self, what: str, stderr: bytes, status) -> InstallError:
        lines = (stderr or b"").decode("utf-8", "replace").strip().splitlines()
        detail = next((ln for ln in lines if "Warning" not in ln), lines[0] if lines else "")
        if self.password:
            detail = detail.replace(self.password, "***")
        return InstallError(f"{what} failed: {detail[:300] or f'exit status {status}'}",
                            errcode="failed_database", status=500)


def check_table(table: str) -> str:
    """``table`` if it is a plain table name, else an error (it goes inside backquotes)."""
    if not TABLE_RE.match(table or ""):
        raise InstallError(f"Refusing to touch a table with an odd name: {table[:64]!r}.",
                           errcode="failed_database")
    return table


@contextmanager
def _local_option_file(data: bytes):
    fd, path = tempfile.mkstemp(prefix=".my-", suffix=".cnf")  # 0600 by mkstemp
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        yield path
    finally:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
