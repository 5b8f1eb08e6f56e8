"""WordPress: wp-config.php from the archive's sample, then WordPress's own web installer.

Measured in the feasibility note: GET ``wp-admin/install.php?step=1`` then POST ``step=2``
takes about half a second when the web server handles two requests at once. The request
goes to the site's public URL (``siteurl``/``home`` come from its Host header), connecting
to ``url_ip`` when DNS does not point at the server.
"""

from __future__ import annotations

import html
import re
import secrets
import string

from apps.catalog.recipes.base import InstallError, TransportError, http_request
from apps.catalog.recipes.base import Recipe as BaseRecipe

CONFIG = "wp-config.php"
SAMPLE = "wp-config-sample.php"
SALT_PLACEHOLDER = "put your unique phrase here"
# Printable ASCII without the quote and backslash: safe inside a PHP single-quoted string.
SALT_ALPHABET = "".join(c for c in string.printable[:94] if c not in "'\\")
LOGIN_RE = re.compile(r"^[A-Za-z0-9 _.@-]{1,60}$")
PASSWD_MIN = 8


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


def _salts() -> set[str]:
    """Eight distinct random salts (AUTH_KEY ... NONCE_SALT)."""
    salts: set[str] = set()
    while len(salts) < 8:
        salts.add("".join(secrets.choice(SALT_ALPHABET) for _ in range(64)))
    return salts


def _loose(text: str) -> str:
    """Letters and digits only: WordPress texturizes quotes and dashes in titles."""
    return "".join(c for c in text.lower() if c.isalnum())


def _rename_table_prefix(conn, old: str, new: str) -> None:
    """WordPress also keeps the table prefix in option and user-meta keys
    (``wp_user_roles``, ``wp_capabilities``)."""
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


class Recipe(BaseRecipe):
    """WordPress's install logic."""

    # Written by us, not in the archive: part of list-files.
    extra_files = (CONFIG,)

    def check_fields(self, values: dict) -> None:
        """The reference's field rules, as WordPress applies them (an edit gives no
        password unless it changes one)."""
        if values.get("login") and not LOGIN_RE.match(values["login"]):
            raise InstallError("The administrator username may have letters, digits, spaces "
                               "and _ . - @ (at most 60 characters).",
                               errcode="invalid_argument_login", field="login")
        passwd = values.get("passwd")
        if passwd is not None and "\\" in passwd:
            # WordPress strips backslashes from posted passwords: the login would not match.
            raise InstallError("The administrator password must not contain a backslash.",
                               errcode="invalid_argument_passwd", field="passwd")
        if passwd is not None and len(passwd) < PASSWD_MIN:
            raise InstallError(f"The administrator password must have at least {PASSWD_MIN} "
                               "characters.", errcode="invalid_argument_passwd", field="passwd")
        if "sitetitle" in values and not str(values["sitetitle"]).strip():
            raise InstallError("The website title must not be empty.",
                               errcode="invalid_argument_sitetitle", field="sitetitle")
        # WordPress's is_email() wants a dot in the domain part.
        if values.get("email") and "." not in values["email"].rpartition("@")[2]:
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
        for salt in _salts():
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
            "weblog_title": app.fields["sitetitle"], "user_name": app.fields["login"],
            "admin_password": app.fields["passwd"], "admin_password2": app.fields["passwd"],
            "pw_weak": "1", "admin_email": app.fields["email"], "blog_public": "1", "language": language,
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
                        "WHERE option_name = 'blogdescription'", (app.fields.get("sitetagline", ""),))
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

    def repoint(self, app, *, old_url: str, old_prefix: str, conn=None, config: bool = True,
                renew_secrets: bool = False) -> list[str]:
        """A copy of a site at its new place: wp-config.php's database settings and
        ``$table_prefix`` (fresh salts with ``renew_secrets``), and the prefix WordPress
        also keeps in option and user-meta keys. The admin account is left alone."""
        changed = []
        if config:
            changed = self._repoint_config(app, renew_secrets)
        if conn is not None:
            _rename_table_prefix(conn, old_prefix, app.db_prefix)
        return changed

    def _repoint_config(self, app, renew_secrets: bool) -> list[str]:
        from . import site

        values = {"db_host": app.db_host, "db_name": app.db_name, "db_user": app.db_user,
                  "db_pass": app.db_pass, "db_prefix": app.db_prefix}
        try:
            src = app.transport.read(app.path(CONFIG)).decode("utf-8")
            src = site.rewrite_config(src, values)
        except (TransportError, InstallError, UnicodeDecodeError):
            if not renew_secrets:
                raise  # edit: the owner's own config, not ours to replace
            # A copied site whose wp-config.php is elsewhere or hand-written: a fresh one
            # from the sample, as an install writes it (WordPress keeps no account in it).
            return self.write_config(app)
        if renew_secrets:
            src = site.rewrite_salts(src, _salts())
        # Holds the database password: readable by the site's owner only.
        app.transport.write(app.path(CONFIG), src.encode("utf-8"), mode=0o640)
        return [CONFIG]

    def verify(self, app) -> None:
        """The home page answers and shows the site's title."""
        status, _, text = http_request("GET", app.url.rstrip("/") + "/", ip=app.url_ip)
        match = re.search(r"<title[^>]*>(.*?)</title>", text, re.S | re.I)
        title = html.unescape(match.group(1)) if match else ""
        if status != 200 or _loose(app.fields.get("sitetitle", "")) not in _loose(title):
            raise InstallError(f"The new site at {app.url} does not answer with its title "
                               f"(HTTP {status}).", errcode="failed_install", status=500)

    # After the install: edit, sync/view and the one-time admin sign-in (site.py).
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
