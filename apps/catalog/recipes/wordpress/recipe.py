"""WordPress: wp-config.php from the archive's sample, then WordPress's own web installer.

Measured in the feasibility note: GET ``wp-admin/install.php?step=1`` then POST ``step=2``
takes about half a second when the web server handles two requests at once. The request
goes to the site's public URL (``siteurl``/``home`` come from its Host header), connecting
to ``url_ip`` when DNS does not point at the server.
"""

from __future__ import annotations

import html
import http.client
import re
import secrets
import socket
import ssl
import string
from urllib.parse import urlencode, urlsplit

from apps.catalog.recipes.base import Recipe as BaseRecipe
from apps.installs.errors import InstallError

CONFIG = "wp-config.php"
SAMPLE = "wp-config-sample.php"
SALT_PLACEHOLDER = "put your unique phrase here"
# Printable ASCII without the quote and backslash: safe inside a PHP single-quoted string.
SALT_ALPHABET = "".join(c for c in string.printable[:94] if c not in "'\\")
LOGIN_RE = re.compile(r"^[A-Za-z0-9 _.@-]{1,60}$")
PASSWD_MIN = 8
TIMEOUT = 60


def php_quote(value: str) -> str:
    """Escape for a PHP single-quoted string: backslash and quote."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _define(src: str, name: str, value: str) -> str:
    """Replace ``define( 'NAME', '...' );`` in the sample with our value."""
    pattern = re.compile(r"define\(\s*'" + name + r"',\s*'[^']*'\s*\);")
    if not pattern.search(src):
        raise InstallError(f"{SAMPLE} has no {name} setting; the package is not usable.",
                           errcode="failed_package_invalid", status=500)
    return pattern.sub(lambda _m: f"define( '{name}', '{php_quote(value)}' );", src, count=1)


class _Connection(http.client.HTTPConnection):
    """Connects to ``ip`` while the request (Host header) names the URL's host."""

    def __init__(self, host, port=None, *, ip="", **kwargs):
        super().__init__(host, port, **kwargs)
        self._ip = ip

    def connect(self):
        self.sock = socket.create_connection((self._ip or self.host, self.port), self.timeout)


class _TlsConnection(http.client.HTTPSConnection):
    def __init__(self, host, port=None, *, ip="", **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._ip = ip

    def connect(self):
        sock = socket.create_connection((self._ip or self.host, self.port), self.timeout)
        # SNI and certificate checks use the URL's host name, whatever address we dialled.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def http_request(method: str, url: str, *, ip: str = "", data: dict | None = None,
                 cookies: str = "") -> tuple[int, dict, str]:
    """One request with the standard library; returns (status, lower-case headers, text)."""
    parts = urlsplit(url)
    cls = _TlsConnection if parts.scheme == "https" else _Connection
    conn = cls(parts.hostname, parts.port, ip=ip, timeout=TIMEOUT)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    body = urlencode(data).encode() if data is not None else None
    headers = {"User-Agent": "installatron-gui", "Accept": "text/html"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if cookies:
        headers["Cookie"] = cookies
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read(8 * 1024 * 1024).decode("utf-8", errors="replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text
    except (OSError, http.client.HTTPException) as exc:
        raise InstallError(
            f"Could not reach {parts.scheme}://{parts.netloc}{parts.path} "
            f"({type(exc).__name__}: {exc}). Check that the domain points at this website "
            "(or give url_ip).", errcode="failed_http", status=500) from None
    finally:
        conn.close()


def _loose(text: str) -> str:
    """Letters and digits only: WordPress texturizes quotes and dashes in titles."""
    return "".join(c for c in text.lower() if c.isalnum())


class Recipe(BaseRecipe):
    """WordPress's install logic."""

    # Written by us, not in the archive: part of list-files.
    extra_files = [CONFIG]

    def check_fields(self, values: dict) -> None:
        """The reference's field rules, as WordPress applies them."""
        if not LOGIN_RE.match(values["login"]):
            raise InstallError("The administrator username may have letters, digits, spaces "
                               "and _ . - @ (at most 60 characters).",
                               errcode="invalid_argument_login", field="login")
        if "\\" in values["passwd"]:
            # WordPress strips backslashes from posted passwords: the login would not match.
            raise InstallError("The administrator password must not contain a backslash.",
                               errcode="invalid_argument_passwd", field="passwd")
        if len(values["passwd"]) < PASSWD_MIN:
            raise InstallError(f"The administrator password must have at least {PASSWD_MIN} "
                               "characters.", errcode="invalid_argument_passwd", field="passwd")
        if not values["sitetitle"].strip():
            raise InstallError("The website title must not be empty.",
                               errcode="invalid_argument_sitetitle", field="sitetitle")
        # WordPress's is_email() wants a dot in the domain part.
        if "." not in values["email"].rpartition("@")[2]:
            raise InstallError("The email address needs a domain with a dot.",
                               errcode="invalid_argument_email", field="email")

    def write_config(self, app) -> list[str]:
        """wp-config.php from wp-config-sample.php; returns the names written."""
        src = app.transport.read(app.path(SAMPLE)).decode("utf-8")
        src = _define(src, "DB_NAME", app.db_name)
        src = _define(src, "DB_USER", app.db_user)
        src = _define(src, "DB_PASSWORD", app.db_pass)
        src = _define(src, "DB_HOST", app.db_host)
        src = _define(src, "DB_CHARSET", "utf8mb4")
        if src.count(SALT_PLACEHOLDER) != 8:
            raise InstallError(f"{SAMPLE} does not have the 8 salt settings.",
                               errcode="failed_package_invalid", status=500)
        salts: set[str] = set()
        while len(salts) < 8:
            salts.add("".join(secrets.choice(SALT_ALPHABET) for _ in range(64)))
        for salt in salts:
            src = src.replace(SALT_PLACEHOLDER, salt, 1)
        src, count = re.subn(r"\$table_prefix\s*=\s*'[^']*';",
                             lambda _m: f"$table_prefix = '{php_quote(app.db_prefix)}';", src)
        if count != 1:
            raise InstallError(f"{SAMPLE} has no $table_prefix.",
                               errcode="failed_package_invalid", status=500)
        # Updates are ours to run (autoup), and files are written directly.
        extra = ("define( 'AUTOMATIC_UPDATER_DISABLED', true );\n"
                 "define( 'FS_METHOD', 'direct' );\n")
        marker = "/* That's all, stop editing!"
        src = src.replace(marker, extra + "\n" + marker, 1) if marker in src else src + extra
        # Holds the database password: readable by the site's owner only.
        app.transport.write(app.path(CONFIG), src.encode("utf-8"), mode=0o640)
        return [CONFIG]

    def run_installer(self, app) -> None:
        """WordPress's install.php step 2, the tagline, the sample content choice."""
        language = ""
        if app.locale:
            if not app.transport.exists(app.path(f"wp-content/languages/{app.locale}.mo")):
                raise InstallError(f"This WordPress package has no {app.language} language "
                                   "files.", errcode="invalid_argument_language",
                                   field="language")
            language = app.locale
        base = app.url.rstrip("/")
        status, _, text = http_request("GET", f"{base}/wp-admin/install.php?step=1",
                                       ip=app.url_ip, data=None)
        if status >= 400:
            raise InstallError(f"WordPress's installer answered HTTP {status} at {base}/"
                               "wp-admin/install.php; check that the url is served from this "
                               "folder.", errcode="failed_http", status=500)
        if "already installed" in text.lower():
            raise InstallError("WordPress is already installed in this database.",
                               errcode="invalid_argument_db_prefix", field="db_prefix")
        form = {
            "weblog_title": app.sitetitle, "user_name": app.login,
            "admin_password": app.passwd, "admin_password2": app.passwd, "pw_weak": "1",
            "admin_email": app.email, "blog_public": "1", "language": language,
        }
        status, _, text = http_request("POST", f"{base}/wp-admin/install.php?step=2",
                                       ip=app.url_ip, data=form)
        if status != 200 or "wp-login.php" not in text:
            errors = re.findall(r'<p class="message">(.*?)</p>', text, re.S)
            detail = html.unescape(re.sub("<[^>]+>", "", errors[0])).strip() if errors else ""
            raise InstallError("WordPress's installer did not finish"
                               + (f": {detail}" if detail else f" (HTTP {status})."),
                               errcode="failed_install", status=500)
        import MySQLdb

        conn = app.connect()
        try:
            cur = conn.cursor()
            options = f"{app.db_prefix}options"
            cur.execute(f"UPDATE `{options}` SET option_value = %s "
                        "WHERE option_name = 'blogdescription'", (app.sitetagline,))
            if app.content == "no":
                # The blank template: no "Hello world!" post, sample page or comment.
                cur.execute(f"DELETE FROM `{app.db_prefix}comments` WHERE comment_post_ID = 1")
                cur.execute(f"DELETE FROM `{app.db_prefix}postmeta` WHERE post_id IN (1, 2)")
                cur.execute(f"DELETE FROM `{app.db_prefix}posts` WHERE ID IN (1, 2)")
            conn.commit()
        except MySQLdb.Error as exc:
            raise InstallError(f"Could not set the tagline in the database {app.db_name}: "
                               f"{exc.args[-1]}", errcode="failed_install", status=500) from None
        finally:
            conn.close()

    def rename_table_prefix(self, conn, old: str, new: str) -> None:
        """After a clone or restore under another table prefix: WordPress also keeps the
        prefix in option and user-meta keys (``wp_user_roles``, ``wp_capabilities``)."""
        if not old or old == new:
            return
        cur = conn.cursor()
        # Only the roles option: other options merely starting with "wp_" are core names
        # (wp_page_for_privacy_policy), not prefixed ones.
        cur.execute(f"UPDATE `{new}options` SET option_name = %s WHERE option_name = %s",
                    (f"{new}user_roles", f"{old}user_roles"))
        cur.execute(f"UPDATE `{new}usermeta` SET meta_key = CONCAT(%s, SUBSTRING(meta_key, "
                    "%s)) WHERE meta_key LIKE %s",
                    (new, len(old) + 1, old.replace("_", r"\_") + "%"))
        conn.commit()

    def verify(self, app) -> None:
        """The home page answers and shows the site's title."""
        status, _, text = http_request("GET", app.url.rstrip("/") + "/", ip=app.url_ip)
        match = re.search(r"<title[^>]*>(.*?)</title>", text, re.S | re.I)
        title = html.unescape(match.group(1)) if match else ""
        if status != 200 or _loose(app.sitetitle) not in _loose(title):
            raise InstallError(f"The new site at {app.url} does not answer with its title "
                               f"(HTTP {status}).", errcode="failed_install", status=500)

    # After the install: edit, sync/view and the one-time admin sign-in (site.py).
    sso_supported = True

    def read_version(self, transport, path) -> str:
        from . import site

        return site.read_version(transport, path)

    def list_addons(self, transport, path) -> dict:
        from . import site

        return {"list-plugins": site.list_plugins(transport, path),
                "list-themes": site.list_themes(transport, path)}

    def apply_settings(self, conn, prefix: str, admin_login: str, changes: dict) -> None:
        from . import site

        site.apply_settings(conn, prefix, admin_login, changes)

    def read_settings(self, conn, prefix: str, admin_login: str) -> dict:
        from . import site

        return site.read_settings(conn, prefix, admin_login)

    def rewrite_db_config(self, transport, path, values: dict) -> list[str]:
        """Point wp-config.php at new database settings; returns the files changed."""
        from . import site

        src = transport.read(path(CONFIG)).decode("utf-8")
        transport.write(path(CONFIG), site.rewrite_config(src, values).encode("utf-8"),
                        mode=0o640)
        return [CONFIG]

    def sso_file(self, token: str, expires: int, login: str) -> bytes:
        from . import site

        return site.sso_file(token, expires, login)

    def check_language(self, transport, path, locale: str) -> None:
        """A language can only be switched to if the site has its translation files."""
        if locale and not transport.exists(path(f"wp-content/languages/{locale}.mo")):
            raise InstallError(f"This WordPress site has no {locale} language files.",
                               errcode="invalid_argument_language", field="language")

    # Core updates (update.py): undoable steps, the check afterwards, the cleanup.
    def update_steps(self, app, package_path, state: dict) -> list:
        from . import update

        return update.update_steps(self, app, package_path, state)

    def check_updated(self, app, version: str) -> None:
        from . import update

        update.check_updated(self, app, version)

    def update_cleanup(self, app, state: dict) -> None:
        from . import update

        update.cleanup(app, state)
