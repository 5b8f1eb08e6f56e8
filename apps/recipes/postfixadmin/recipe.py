"""PostfixAdmin: ``app/config.local.php`` with the install's database, table prefix and a
setup password made for this install (PHP's password_hash format, bcrypt), then one POST to
its own ``setup.php``: PostfixAdmin creates its tables (upgrade.php) and the superadmin
account through its own code, over HTTP, so every kind of website works.

The package serves ``public/`` at the install's URL with the code in ``app/`` (build.py).
PostfixAdmin keeps no URL in its tables; a copy needs its config pointed at its database
and prefix, and gets a new setup password.
"""

from __future__ import annotations

import posixpath
import re
import secrets
import warnings

from apps.recipes.base import Found, InstallError, TransportError, http_request
from apps.recipes.base import Recipe as BaseRecipe
from apps.recipes.base import read_text_file
from installatron_gui.lib.php import php_quote

with warnings.catch_warnings():  # bcrypt as PHP's password_hash writes it ($2b$ is read)
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

CONFIG = "app/config.local.php"
DEFAULTS = "app/config.inc.php"
# PostfixAdmin's own rule for admin passwords (config.inc.php password_validation).
PASSWORD_RULES = [(re.compile(r".{5}"), "at least 5 characters"),
                  (re.compile(r"([a-zA-Z].*){3}"), "at least 3 letters"),
                  (re.compile(r"([0-9].*){2}"), "at least 2 digits")]
EMAIL_RE = re.compile(r"^[^@\s<>'\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_CONF = re.compile(r"^\$CONF\['(\w+)'\]\s*=\s*'((?:[^'\\]|\\.)*)';", re.M)
_CONF_BOOL = re.compile(r"^\$CONF\['(\w+)'\]\s*=\s*(true|false);", re.M)


def setup_hash(password: str) -> str:
    """bcrypt, as PHP's password_hash(PASSWORD_DEFAULT) writes it."""
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))  # noqa: S324 (bcrypt)


def admin_hash(password: str, scheme: str) -> str:
    """An admin password as PostfixAdmin's pacrypt() stores it for ``$CONF['encrypt']``:
    ``md5crypt`` (its default: ``$1$`` MD5-crypt) or ``php_crypt`` (PHP's crypt(), bcrypt
    here); other schemes are refused rather than stored in a form it would not read."""
    if scheme == "md5crypt":
        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_MD5))  # noqa: S324
    if scheme in ("php_crypt", "php_crypt:BLOWFISH"):
        return setup_hash(password)
    raise InstallError(f"PostfixAdmin here hashes passwords with '{scheme[:40]}', which "
                       "cannot be set from here; change the password in PostfixAdmin.",
                       errcode="invalid_argument_passwd", field="passwd")


def config_text(app, setup_password_hash: str) -> str:
    """config.local.php: overrides of config.inc.php for this install."""
    host, _, port = (app.db_host or "localhost").partition(":")
    lines = ["<?php", "// Written by the installer; PostfixAdmin reads it after config.inc.php.",
             "$CONF['configured'] = true;",
             f"$CONF['setup_password'] = '{php_quote(setup_password_hash)}';",
             "$CONF['database_type'] = 'mysqli';",
             f"$CONF['database_host'] = '{php_quote(host)}';"]
    if port.isdigit():
        lines.append(f"$CONF['database_port'] = '{port}';")
    lines += [f"$CONF['database_user'] = '{php_quote(app.db_user)}';",
              f"$CONF['database_password'] = '{php_quote(app.db_pass)}';",
              f"$CONF['database_name'] = '{php_quote(app.db_name)}';",
              f"$CONF['database_prefix'] = '{php_quote(app.db_prefix)}';",
              f"$CONF['admin_email'] = '{php_quote(app.fields.get('login') or '')}';",
              # A new mail server's domains often do not resolve yet (and a host may have
              # no DNS): the domain of an address is not looked up before it is accepted.
              "$CONF['emailcheck_resolve_domain'] = 'NO';", ""]
    return "\n".join(lines)


def read_conf(text: str) -> dict[str, str]:
    """The plain ``$CONF['name'] = 'value';`` lines (the last one of each name wins)."""
    values = {name: re.sub(r"\\([\\'])", r"\1", value) for name, value in _CONF.findall(text)}
    values.update({name: value for name, value in _CONF_BOOL.findall(text)})
    return values


class Recipe(BaseRecipe):
    """PostfixAdmin's install logic."""

    extra_files = (CONFIG,)

    def check_fields(self, values: dict) -> None:
        login, password = values.get("login") or "", values.get("passwd") or ""
        if login and not EMAIL_RE.match(login):
            raise InstallError("PostfixAdmin's administrator is an email address "
                               "(admin@example.com).", errcode="invalid_argument_login",
                               field="login")
        missing = [rule for pattern, rule in PASSWORD_RULES if not pattern.search(password)]
        if password and missing:
            raise InstallError("PostfixAdmin wants an administrator password with "
                               + ", ".join(missing) + ".", errcode="invalid_argument_passwd",
                               field="passwd")

    def write_config(self, app) -> list[str]:
        """config.local.php with a setup password made for this install (kept on ``app``
        for run_installer only: never stored, only its hash is in the file)."""
        app.setup_password = secrets.token_urlsafe(24) + "Ab12"
        app.transport.write(app.path(CONFIG),
                            config_text(app, setup_hash(app.setup_password)).encode("utf-8"),
                            mode=0o640)
        return [CONFIG]

    def run_installer(self, app) -> None:
        """setup.php with the setup password and ``createadmin``: its upgrade.php makes the
        tables, create_admin() the superadmin."""
        form = {"setup_password": app.setup_password, "submit": "createadmin",
                "username": app.fields["login"], "password": app.fields["passwd"],
                "password2": app.fields["passwd"]}
        status, _, page = http_request("POST", app.url.rstrip("/") + "/setup.php",
                                       ip=app.url_ip, data=form)
        if status != 200 or "You are done with your basic setup" not in page:
            reason = re.search(r"class='text-danger'>([^<]{1,200})", page or "")
            raise InstallError(f"PostfixAdmin's setup.php did not create the administrator "
                               f"(HTTP {status}" + (f": {reason.group(1)}" if reason else "")
                               + ").", errcode="failed_install", status=500)

    def verify(self, app) -> None:
        """The login page answers."""
        status, _, text = http_request("GET", app.url.rstrip("/") + "/login.php", ip=app.url_ip)
        if status != 200 or 'name="fUsername"' not in text:
            raise InstallError(f"PostfixAdmin at {app.url} does not show its login page "
                               f"(HTTP {status}).", errcode="failed_install", status=500)

    def repoint(self, app, *, old_url: str, old_prefix: str, conn=None, config: bool = True,
                renew_secrets: bool = False) -> list[str]:
        """A copy at its new place: config.local.php's database and prefix (its tables hold
        no URL), and a setup password of its own for a new site."""
        if not config:
            return []
        try:
            old = read_conf(app.transport.read(app.path(CONFIG)).decode("utf-8"))
        except (TransportError, UnicodeDecodeError):
            old = {}
        digest = old.get("setup_password", "")
        if renew_secrets or not digest:
            digest = setup_hash(secrets.token_urlsafe(24))
        app.transport.write(app.path(CONFIG), config_text(app, digest).encode("utf-8"),
                            mode=0o640)
        return [CONFIG]

    def apply_settings(self, conn, prefix: str, admin_login: str, changes: dict, *,
                       app=None) -> None:
        """Edit: a new password for the superadmin, hashed as PostfixAdmin's own pacrypt()
        does for the site's ``$CONF['encrypt']`` scheme, into its ``admin`` table."""
        if "passwd" not in changes:
            return
        scheme = "md5crypt"
        if app is not None:
            for name in (DEFAULTS, CONFIG):  # config.local.php wins, as PostfixAdmin reads
                scheme = read_conf(read_text_file(app.transport, app.path(name))).get(
                    "encrypt", scheme)
        digest = admin_hash(str(changes["passwd"]), scheme)
        cur = conn.cursor()
        cur.execute(f"UPDATE `{prefix}admin` SET password = %s, modified = NOW() "
                    "WHERE username = %s", (digest, admin_login))
        if cur.rowcount != 1:
            raise InstallError(f"PostfixAdmin has no administrator {admin_login}.",
                               errcode="invalid_argument_login", field="login", status=500)
        conn.commit()

    def read_version(self, transport, path) -> str | None:
        """$CONF['version'] of app/config.inc.php (the build sets it to the release)."""
        try:
            text = transport.read(path(DEFAULTS)).decode("utf-8", "replace")
        except TransportError:
            return None
        return read_conf(text).get("version")

    def detect_settings(self, conn, prefix: str, *, app=None) -> dict:
        """Import: the first superadmin (``superadmin`` set, or administering ``ALL``
        domains as older versions record it) as ``login``."""
        cur = conn.cursor()
        cur.execute(f"SELECT a.username FROM `{prefix}admin` a WHERE a.superadmin = 1 OR "
                    f"EXISTS (SELECT 1 FROM `{prefix}domain_admins` d WHERE d.username = "
                    "a.username AND d.domain = 'ALL') ORDER BY a.created, a.username LIMIT 1")
        row = cur.fetchone()
        return {"login": row[0]} if row else {}

    def detect_install(self, transport, folder: str) -> Found | None:
        """app/config.inc.php (the version) and app/config.local.php (the database)."""
        join = (lambda *p: posixpath.join(folder, *p) if folder else posixpath.join(*p))
        defaults = read_text_file(transport, join(DEFAULTS))
        if "PostfixAdmin" not in defaults or not read_text_file(transport, join("setup.php")):
            return None
        values = read_conf(read_text_file(transport, join(CONFIG)))
        missing = [n for n in ("database_name", "database_user", "database_password")
                   if n not in values]
        if missing:
            raise InstallError(f"{CONFIG} does not set " + ", ".join(missing)
                               + " as plain values.", errcode="invalid_argument_url",
                               field="url")
        host = values.get("database_host") or "localhost"
        if values.get("database_port", "").isdigit():
            host = f"{host}:{values['database_port']}"
        return Found(version=read_conf(defaults).get("version", ""), db_host=host,
                     db_name=values["database_name"], db_user=values["database_user"],
                     db_pass=values["database_password"],
                     db_prefix=values.get("database_prefix", ""), config=CONFIG)

    def build_package(self, out_dir, *, source=None, languages=False, addons=None) -> list:
        """From Debian's postfixadmin (build.py); no add-on packages."""
        from . import build

        if addons is not None:
            raise InstallError("PostfixAdmin has no add-on packages to build.",
                               errcode="invalid_argument_kind")
        return build.build(out_dir, source=source)
