"""Tiny Tiny RSS: config.php from the tree's config.php-dist, then its MySQL schema
imported through the install's own database account, and the admin account's login and
password set in ``ttrss_users`` the way ttrss hashes passwords.

ttrss has no table prefix (its tables are always ``ttrss_*``), so it wants a database of
its own.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import secrets

from apps.recipes.base import Found, InstallError, TransportError, http_request
from apps.recipes.base import Recipe as BaseRecipe
from apps.recipes.base import read_text_file

from . import config
from .config import CONFIG, DIST

SCHEMA = "schema/ttrss_schema_mysql.sql"
VERSION_FILE = "version_static.txt"
LOGIN_RE = re.compile(r"^[a-z0-9_.@-]{1,60}$")
# The schema's statements, split on the line ends of ``;`` (it has no ; inside values).
_STATEMENT_END = re.compile(r";\s*$", re.M)


def password_hash(password: str, salt: str) -> str:
    """ttrss's MODE2 hash (include/functions.php encrypt_password): sha256 of salt +
    password, what auth_internal checks against ttrss_users.pwd_hash with its salt."""
    return "MODE2:" + hashlib.sha256((salt + password).encode("utf-8")).hexdigest()


def new_salt() -> str:
    # What ttrss itself makes (substr(bin2hex(get_random_bytes(125)), 0, 250)).
    return secrets.token_hex(125)


def schema_statements(sql: str) -> list[str]:
    """The CREATE/INSERT statements of ttrss's schema. Its ``drop table if exists`` lines
    are left out: an install never drops tables it did not make."""
    statements = []
    for chunk in _STATEMENT_END.split(sql):
        lines = [ln for ln in chunk.strip().splitlines() if not ln.lstrip().startswith("--")]
        stmt = "\n".join(lines).strip()
        if stmt and not stmt.lower().startswith("drop table"):
            statements.append(stmt)
    return statements


class Recipe(BaseRecipe):
    """Tiny Tiny RSS's install logic."""

    extra_files = (CONFIG,)

    def check_fields(self, values: dict) -> None:
        """Logins of plain characters; no ``<`` in the password: ttrss passes posted
        passwords through strip_tags() (clean()) before checking them, so what follows a
        ``<`` would never match the hash set here."""
        if values.get("login") and not LOGIN_RE.match(values["login"]):
            raise InstallError("The administrator username may have lower-case letters, "
                               "digits and _ . - @ (at most 60 characters).",
                               errcode="invalid_argument_login", field="login")
        if "<" in (values.get("passwd") or ""):
            raise InstallError("The administrator password must not contain <: Tiny Tiny "
                               "RSS removes it and what follows from the login form.",
                               errcode="invalid_argument_passwd", field="passwd")

    def write_config(self, app) -> list[str]:
        """config.php from config.php-dist with the install's database and URL."""
        dist = app.transport.read(app.path(DIST)).decode("utf-8")
        src = config.set_defines(dist, config.db_values(app))
        # Holds the database password: readable by the site's owner only.
        app.transport.write(app.path(CONFIG), src.encode("utf-8"), mode=0o640)
        return [CONFIG]

    def run_installer(self, app) -> None:
        """ttrss's own schema (schema/ttrss_schema_mysql.sql of the install), then the
        admin account the schema makes (``admin``) gets the chosen login and password."""
        import MySQLdb

        sql = app.transport.read(app.path(SCHEMA)).decode("utf-8")
        conn = app.connect()
        try:
            cur = conn.cursor()
            cur.execute("SHOW TABLES LIKE 'ttrss\\_version'")
            if cur.fetchall():
                raise InstallError("Tiny Tiny RSS is already installed in this database.",
                                   errcode="invalid_argument_db_name", field="db_name")
            for stmt in schema_statements(sql):
                cur.execute(stmt)
            salt = new_salt()
            cur.execute("UPDATE ttrss_users SET login = %s, pwd_hash = %s, salt = %s "
                        "WHERE login = 'admin'",
                        (app.fields.get("login") or "admin",
                         password_hash(app.fields["passwd"], salt), salt))
            conn.commit()
        except MySQLdb.Error as exc:
            raise InstallError(f"Tiny Tiny RSS's schema could not be imported into "
                               f"{app.db_name}: {exc.args[-1]}", errcode="failed_install",
                               status=500) from None
        finally:
            conn.close()

    def apply_settings(self, conn, prefix: str, admin_login: str, changes: dict, *,
                       app=None) -> None:
        """Edit: a new password for the admin, ttrss's MODE2 hash with a new salt."""
        if "passwd" not in changes:
            return
        salt = new_salt()
        cur = conn.cursor()
        cur.execute("UPDATE ttrss_users SET pwd_hash = %s, salt = %s WHERE login = %s",
                    (password_hash(str(changes["passwd"]), salt), salt, admin_login))
        if cur.rowcount != 1:
            raise InstallError(f"Tiny Tiny RSS has no user {admin_login}.",
                               errcode="invalid_argument_login", field="login", status=500)
        conn.commit()

    def verify(self, app) -> None:
        """The login page answers (not ttrss's sanity-check error page)."""
        status, _, text = http_request("GET", app.url.rstrip("/") + "/", ip=app.url_ip)
        if status != 200 or 'name="login"' not in text:
            raise InstallError(f"Tiny Tiny RSS at {app.url} does not show its login page "
                               f"(HTTP {status}).", errcode="failed_install", status=500)

    def repoint(self, app, *, old_url: str, old_prefix: str, conn=None, config: bool = True,
                renew_secrets: bool = False) -> list[str]:
        """A copy at its new place: config.php's database settings and SELF_URL_PATH.
        ttrss keeps no secret of its own in config.php and no prefix in its tables."""
        if not config:
            return []
        try:
            src = app.transport.read(app.path(CONFIG)).decode("utf-8")
        except (TransportError, UnicodeDecodeError):
            if not renew_secrets:
                raise
            return self.write_config(app)
        src = _set(src, app)
        app.transport.write(app.path(CONFIG), src.encode("utf-8"), mode=0o640)
        return [CONFIG]

    def read_version(self, transport, path) -> str | None:
        """From version_static.txt (``Debian 21~git20210204.b4cbc79+dfsg-1.2``)."""
        try:
            text = transport.read(path(VERSION_FILE)).decode("utf-8", "replace")
        except TransportError:
            return None
        return _version(text)

    def detect_settings(self, conn, prefix: str, *, app=None) -> dict:
        """Import: the first user with the administrator's access level (10) as ``login``."""
        cur = conn.cursor()
        cur.execute("SELECT login FROM ttrss_users WHERE access_level >= 10 ORDER BY id LIMIT 1")
        row = cur.fetchone()
        return {"login": row[0]} if row else {}

    def detect_install(self, transport, folder: str) -> Found | None:
        """version_static.txt and config.php's DB_* defines."""
        join = (lambda *p: posixpath.join(folder, *p) if folder else posixpath.join(*p))
        marker = read_text_file(transport, join(VERSION_FILE))
        if not marker or not read_text_file(transport, join("include", "functions.php")):
            return None
        src = read_text_file(transport, join(CONFIG))
        if not src:
            raise InstallError(f"Tiny Tiny RSS was found but it has no {CONFIG} (it was "
                               "never set up).", errcode="invalid_argument_url", field="url")
        values = config.read_defines(src)
        missing = [n for n in ("DB_TYPE", "DB_NAME", "DB_USER", "DB_PASS") if n not in values]
        if missing:
            raise InstallError(f"{CONFIG} does not set " + ", ".join(missing)
                               + " as plain values.", errcode="invalid_argument_url",
                               field="url")
        if values["DB_TYPE"] != "mysql":
            raise InstallError("This Tiny Tiny RSS uses PostgreSQL; only MySQL installs can "
                               "be imported.", errcode="invalid_argument_url", field="url")
        host = values.get("DB_HOST") or "localhost"
        if values.get("DB_PORT", "").isdigit():
            host = f"{host}:{values['DB_PORT']}"
        return Found(version=_version(marker) or "", db_host=host, db_name=values["DB_NAME"],
                     db_user=values["DB_USER"], db_pass=values["DB_PASS"], db_prefix="",
                     config=CONFIG)

    def build_package(self, out_dir, *, source=None, languages=False, addons=None) -> list:
        """From Debian's tt-rss (build.py); ttrss has no add-on packages here."""
        from . import build

        if addons is not None:
            raise InstallError("Tiny Tiny RSS has no add-on packages to build.",
                               errcode="invalid_argument_kind")
        return build.build(out_dir, source=source)


def _set(src: str, app) -> str:
    return config.set_defines(src, config.db_values(app))


def _version(text: str) -> str | None:
    from .build import parse_version

    return parse_version(text)
