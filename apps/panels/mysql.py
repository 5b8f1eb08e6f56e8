"""The built-in panel: databases on a local MySQL/MariaDB server, made with an admin account.

settings.MYSQL_ADMIN gives host, port, user, password and client_host (the host part of
created users and the db_host the application is told); PANEL["OPTIONS"] may override any
of them. One database and one user of the same name per install, limited to that database.
"""

from __future__ import annotations

import logging
import re
import secrets
import string

from .base import BasePanel, DatabaseSpec, PanelError, generate_password

log = logging.getLogger(__name__)

# Strict identifiers: we backquote them, but refuse anything a backquote would have to escape.
IDENTIFIER = re.compile(r"^[a-z0-9_]{1,32}$")
# The host part of 'user'@'host': a name, an address, a netmask or the % wildcard.
CLIENT_HOST = re.compile(r"^[A-Za-z0-9.:%_/-]{1,255}$")
# MySQL 5.7+/8 user names are at most 32 characters (MariaDB allows 80): one name for both.
NAME_MAX = 32
SUFFIX_LEN = 8
PREFIX_MAX = NAME_MAX - SUFFIX_LEN - 1
SYSTEM_SCHEMAS = {"mysql", "information_schema", "performance_schema", "sys"}


def name_prefix(website: dict) -> str:
    """``<user>_`` from the website's owner: lower case, [a-z0-9_] only, shortened."""
    raw = str((website or {}).get("user") or "").lower()
    cleaned = re.sub(r"[^a-z0-9_]", "", raw).strip("_")[:PREFIX_MAX].rstrip("_")
    return (cleaned or "site") + "_"


def _scrub(text: str, secret_values: list[str | None]) -> str:
    for value in secret_values:
        if value:
            # The server may echo the literal it was sent, escaped or not.
            for form in {value, value.replace("\\", "\\\\").replace("'", "\\'")}:
                text = text.replace(form, "********")
    return text


class MysqlPanel(BasePanel):
    """Creates ``<user>_<random>`` databases with a same-named user on MySQL/MariaDB."""

    def __init__(self, **options):
        super().__init__(**options)
        from django.conf import settings

        conf = {**settings.MYSQL_ADMIN, **options}
        self.host = conf.get("host", "127.0.0.1")
        self.port = int(conf.get("port", 3306))
        self.user = conf.get("user", "root")
        self.password = conf.get("password", "")
        self.client_host = conf.get("client_host", "127.0.0.1")
        self.connect_timeout = int(conf.get("connect_timeout", 10))

    # -- plumbing
    def _error(self, action: str, exc: BaseException, *extra_secrets: str | None) -> PanelError:
        detail = _scrub(str(exc), [self.password, *extra_secrets])
        log.warning("mysql panel: %s failed: %s", action, detail)
        return PanelError(f"The database server could not {action}: {detail}")

    def _connect(self):
        import MySQLdb

        try:
            return MySQLdb.connect(host=self.host, port=self.port, user=self.user,
                                   passwd=self.password, charset="utf8mb4",
                                   connect_timeout=self.connect_timeout)
        except (MySQLdb.Error, OSError) as exc:
            raise self._error("be reached", exc) from None

    def _check_client_host(self) -> str:
        if not CLIENT_HOST.match(self.client_host or ""):
            raise PanelError("The database client host setting is not a valid host name.")
        return self.client_host

    def _app_host(self) -> str:
        """The db_host an application is told: the client host, with the server's port
        when it is not MySQL's own (a MariaDB on 3307 must be reached on 3307)."""
        host = self._check_client_host()
        if self.port != 3306 and host != "localhost" and ":" not in host:
            return f"{host}:{self.port}"
        return host

    @staticmethod
    def _check_identifier(name: str, what: str) -> str:
        if not isinstance(name, str) or not IDENTIFIER.match(name) or name in SYSTEM_SCHEMAS:
            raise PanelError(f"The database {what} '{name}' is not a valid name "
                             "(a-z, 0-9 and _ only, at most 32 characters).",
                             errcode="failed_database_create", status=400)
        return name

    @staticmethod
    def _taken(cur, name: str, user: str) -> str | None:
        cur.execute("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (name,))
        if cur.fetchone():
            return f"A database named '{name}' already exists."
        cur.execute("SELECT 1 FROM mysql.user WHERE User = %s", (user,))
        if cur.fetchone():
            return f"A database user named '{user}' already exists."
        return None

    # -- contract
    def generate_db(self, db_type: str, website: dict) -> DatabaseSpec:
        """``<user>_<8 random>``, checked unused on the server; a 32-character password."""
        if db_type != "mysql":
            raise PanelError(f"Database type '{db_type}' is not supported.", status=400)
        prefix = name_prefix(website)
        alphabet = string.ascii_lowercase + string.digits
        import MySQLdb

        conn = self._connect()
        try:
            cur = conn.cursor()
            for _ in range(10):
                name = prefix + "".join(secrets.choice(alphabet) for _ in range(SUFFIX_LEN))
                if self._taken(cur, name, name) is None:
                    break
            else:
                raise PanelError("Could not find an unused database name.")
        except MySQLdb.Error as exc:
            raise self._error("look up database names", exc) from None
        finally:
            conn.close()
        return DatabaseSpec(name=name, user=name, password=generate_password(),
                            host=self._app_host(), prefix=None, type="mysql")

    def create_db(self, spec: DatabaseSpec, website: dict) -> None:
        """CREATE DATABASE (utf8mb4), CREATE USER, GRANT ALL on that database only.

        Refuses a database or user that already exists. A spec without a password gets
        one here (``spec.password`` is set). Half-done work is undone before raising.
        """
        import MySQLdb

        if spec.type != "mysql":
            raise PanelError(f"Database type '{spec.type}' is not supported.", status=400)
        name = self._check_identifier(spec.name, "name")
        user = self._check_identifier(spec.user, "user")
        host = self._check_client_host()
        if not spec.password:
            spec.password = generate_password()
        conn = self._connect()
        done: list[str] = []
        cur = conn.cursor()
        try:
            taken = self._taken(cur, name, user)
            if taken:
                raise PanelError(taken, status=400)
            # Without IF NOT EXISTS both statements fail on a name taken meanwhile.
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 "
                        "COLLATE utf8mb4_unicode_ci")
            done.append("database")
            cur.execute("CREATE USER %s@%s IDENTIFIED BY %s", (user, host, spec.password))
            done.append("user")
            cur.execute(f"GRANT ALL PRIVILEGES ON `{name}`.* TO %s@%s", (user, host))
        except MySQLdb.Error as exc:
            error = self._error("create the database", exc, spec.password)
            self._undo(cur, done, name, user, host)
            raise error from None
        except PanelError:
            self._undo(cur, done, name, user, host)
            raise
        finally:
            conn.close()

    def _undo(self, cur, done: list[str], name: str, user: str, host: str) -> None:
        import MySQLdb

        try:
            if "user" in done:
                cur.execute("DROP USER IF EXISTS %s@%s", (user, host))
            if "database" in done:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        except MySQLdb.Error as exc:
            log.error("mysql panel: could not undo creating %s: %s", name,
                      _scrub(str(exc), [self.password]))

    def database_exists(self, name: str, db_type: str, website: dict) -> bool | None:
        import MySQLdb

        if db_type != "mysql":
            return None
        conn = self._connect()
        try:
            cur = conn.cursor()
            cur.execute("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                        (name,))
            return cur.fetchone() is not None
        except MySQLdb.Error as exc:
            raise self._error("look up the database", exc) from None
        finally:
            conn.close()

    def remove_db(self, name: str, db_type: str, website: dict) -> None:
        """Drop the database and the user of the same name (at every host), if they exist.

        Only names generate_db could have made for this website (``<user>_...``) are
        removed, so a mistaken call cannot drop another customer's or a system database.
        """
        import MySQLdb

        if db_type != "mysql":
            raise PanelError(f"Database type '{db_type}' is not supported.", status=400)
        name = self._check_identifier(name, "name")
        if website is not None and not name.startswith(name_prefix(website)):
            raise PanelError(f"The database '{name}' does not belong to this website.",
                             status=400)
        conn = self._connect()
        try:
            cur = conn.cursor()
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cur.execute("SELECT Host FROM mysql.user WHERE User = %s", (name,))
            for (host,) in cur.fetchall():
                cur.execute("DROP USER IF EXISTS %s@%s", (name, host))
        except MySQLdb.Error as exc:
            raise self._error("remove the database", exc) from None
        finally:
            conn.close()
