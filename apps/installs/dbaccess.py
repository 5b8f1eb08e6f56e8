"""Where an install's database is dumped and restored from: here, or through SSH.

The database server of a website is the one its install names (``db_host``). Two ways
to reach it for a dump or a restore:

* ``local``: mysqldump/mysql run on this machine, connected to ``db_host``. Used for
  every local website, and for a remote website whose database server answers from here.
* ``ssh``: mysqldump/mysql run on the website's host through its SSH connection (the
  website's own ssh:// path, or the panel's secondary ssh:// path), as argv lists; the
  password goes in a 0600 defaults file written through the transport and removed
  right after, never on a command line.

A loopback ``db_host`` (``localhost``, ``127.0.0.1``, ``::1``, a socket) on a remote
website means the website host's own server: it is "here" only when that host is this
machine. Any other host is probed with a TCP connection. ``settings.DB_ACCESS``
(``auto``, ``local`` or ``ssh``) overrides the choice.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import socket
from urllib.parse import urlsplit

from django.conf import settings

from .errors import InstallError

log = logging.getLogger(__name__)

LOCAL = "local"
SSH = "ssh"
PROBE_TIMEOUT = 3.0


def _is_loopback(host: str) -> bool:
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
    """``local`` or ``ssh``: how a dump or a restore reaches ``db_host`` for ``website``."""
    from .services import split_host

    forced = str(getattr(settings, "DB_ACCESS", "auto") or "auto").lower()
    if forced in (LOCAL, SSH):
        return forced
    path = (website.path or "") if website is not None else ""
    if website is None or "://" not in path:
        return LOCAL  # a local website (or a panel path hook: its databases are local)
    site_host = urlsplit(path).hostname or ""
    name, port, socket_path = split_host(db_host or "localhost")
    if socket_path or _is_loopback(name):
        return LOCAL if _is_loopback(site_host) else SSH
    return LOCAL if _answers(name, port or 3306) else SSH


def _option(value: str) -> str:
    if "\n" in value or "\r" in value or "\x00" in value:
        raise InstallError("A database setting contains a line break.",
                           errcode="failed_database")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _defaults(host: str, user: str, password: str) -> bytes:
    from .services import split_host

    name, port, socket_path = split_host(host or "localhost")
    lines = ["[client]", f"user={_option(user)}", f"password={_option(password or '')}",
             f"host={_option(name)}"]
    if port:
        lines.append(f"port={int(port)}")
    if socket_path:
        lines.append(f"socket={_option(socket_path)}")
    return ("\n".join(lines) + "\n").encode()


class _RemoteDefaults:
    """A 0600 option file in the website's root on the remote host, removed on exit."""

    def __init__(self, shell, host: str, user: str, password: str):
        self.shell = shell
        self.rel = f".itron-db-{secrets.token_hex(8)}.cnf"
        self.data = _defaults(host, user, password)
        self.secret = password

    def __enter__(self) -> str:
        self.shell.write(self.rel, self.data, mode=0o600)
        return self.shell.url.path(self.rel)

    def __exit__(self, *exc) -> None:
        try:
            self.shell.remove(self.rel)
        except Exception:  # noqa: BLE001 - the dump's own error matters more
            log.warning("could not remove the remote database option file %s", self.rel)


def _remote_error(what: str, stderr: bytes, password: str) -> InstallError:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    detail = next((ln for ln in lines if "Warning" not in ln), lines[0] if lines else "")
    if password:
        detail = detail.replace(password, "***")
    return InstallError(f"{what} on the website's host failed: {detail[:300] or 'no details'}",
                        errcode="failed_database", status=500)


def dump_over_ssh(shell, *, host: str, name: str, user: str, password: str,
                  tables: list[str], out) -> None:
    """mysqldump run on the website's host (argv list), its output written to ``out``."""
    with _RemoteDefaults(shell, host, user, password) as defaults:
        argv = ["mysqldump", f"--defaults-extra-file={defaults}", "--single-transaction",
                "--no-tablespaces", "--default-character-set=utf8mb4", "--hex-blob",
                "--skip-dump-date", "--add-drop-table", "--", name, *tables]
        status, stdout, stderr = shell.run(argv, timeout=3600)
    if status != 0:
        raise _remote_error(f"Dumping the database {name}", stderr, password)
    out.write(stdout)


def load_over_ssh(shell, *, host: str, name: str, user: str, password: str,
                  sql: bytes) -> None:
    """Feed ``sql`` to the mysql client on the website's host (inert client commands)."""
    with _RemoteDefaults(shell, host, user, password) as defaults:
        argv = ["mysql", f"--defaults-extra-file={defaults}", "--default-character-set=utf8mb4",
                "--batch", "--binary-mode", "--sandbox", "--local-infile=0", "--", name]
        status, _, stderr = shell.run(argv, stdin=sql, timeout=3600)
    if status != 0:
        raise _remote_error(f"Importing the tables into the database {name}", stderr, password)


def shell_of(transport):
    """The transport that can run commands for a website, or an error saying why not."""
    shell = transport.shell() if hasattr(transport, "shell") else (
        transport if transport.has_shell else None)
    if shell is None:
        raise InstallError("The database server of this website cannot be reached from here, "
                           "and the website has no SSH access to reach it through.",
                           errcode="failed_database_connect", status=500)
    return shell


def tables_over_ssh(shell, *, host: str, name: str, user: str, password: str) -> list[str]:
    """SHOW TABLES run by the mysql client on the website's host."""
    with _RemoteDefaults(shell, host, user, password) as defaults:
        argv = ["mysql", f"--defaults-extra-file={defaults}", "--batch", "--skip-column-names",
                "--execute=SHOW TABLES", "--", name]
        status, stdout, stderr = shell.run(argv, timeout=300)
    if status != 0:
        raise _remote_error(f"Listing the tables of the database {name}", stderr, password)
    return [line for line in stdout.decode("utf-8", "replace").splitlines() if line]
