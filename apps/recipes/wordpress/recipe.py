"""WordPress: wp-config.php from the archive's sample, then WordPress's own web installer.

Measured in the feasibility note: GET ``wp-admin/install.php?step=1`` then POST ``step=2``
takes about half a second when the web server handles two requests at once. The request
goes to the site's public URL (``siteurl``/``home`` come from its Host header), connecting
to ``url_ip`` when DNS does not point at the server.
"""

from __future__ import annotations

import html
import posixpath
import re

from apps.recipes.base import Found, InstallError, TransportError, http_request
from apps.recipes.base import Recipe as BaseRecipe
from apps.recipes.base import read_text_file
from installatron_gui.lib.php import read_php_settings

from . import config
from .config import CONFIG, SAMPLE

LOGIN_RE = re.compile(r"^[A-Za-z0-9 _.@-]{1,60}$")
PASSWD_MIN = 8
# The prefixes WordPress accepts (wp-settings.php refuses others), within our limit.
PREFIX_RE = re.compile(r"^[A-Za-z0-9_]{1,32}$")


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
        sample = app.transport.read(app.path(SAMPLE)).decode("utf-8")
        src = config.from_sample(sample, self._db_values(app))
        # Holds the database password: readable by the site's owner only.
        app.transport.write(app.path(CONFIG), src.encode("utf-8"), mode=0o640)
        return [CONFIG]

    @staticmethod
    def _db_values(app) -> dict[str, str]:
        return {"db_name": app.db_name, "db_user": app.db_user, "db_pass": app.db_pass,
                "db_host": app.db_host, "db_prefix": app.db_prefix}

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
        try:
            src = app.transport.read(app.path(CONFIG)).decode("utf-8")
            src = config.rewrite(src, self._db_values(app))
        except (TransportError, InstallError, UnicodeDecodeError):
            if not renew_secrets:
                raise  # edit: the owner's own config, not ours to replace
            # A copied site whose wp-config.php is elsewhere or hand-written: a fresh one
            # from the sample, as an install writes it (WordPress keeps no account in it).
            return self.write_config(app)
        if renew_secrets:
            src = config.rewrite_salts(src, config.salts())
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

    def apply_settings(self, conn, prefix: str, admin_login: str, changes: dict, *,
                       app=None) -> None:
        from . import site

        site.apply_settings(conn, prefix, admin_login, changes)

    def read_settings(self, conn, prefix: str, admin_login: str, *, app=None) -> dict:
        from . import site

        return site.read_settings(conn, prefix, admin_login)

    def detect_settings(self, conn, prefix: str, *, app=None) -> dict:
        from . import site

        return site.detect_settings(conn, prefix)

    def addons(self, site):
        """Plugins and themes (addons.py)."""
        from . import addons

        return addons.Site(site)

    def sso_file(self, token: str, expires: int, login: str) -> bytes:
        from . import site

        return site.sso_file(token, expires, login)

    def package_languages(self, names: frozenset[str]) -> list[str]:
        """English, and each language whose core translation (wp-content/languages/
        <locale>.mo) is in the archive (Debian's wordpress-l10n, build_package --l10n)."""
        return [code for code in self.languages
                if not self.locale_for(code)
                or f"wp-content/languages/{self.locale_for(code)}.mo" in names]

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

    # Import and migrate: what is installed in a folder, read from its files.
    def detect_install(self, transport, folder: str) -> Found | None:
        """$wp_version from wp-includes/version.php, the database settings from
        wp-config.php (or the one a folder up, where WordPress also looks)."""
        join = (lambda *p: posixpath.join(folder, *p) if folder else posixpath.join(*p))
        version_php = read_text_file(transport, join("wp-includes", "version.php"))
        if not version_php:
            return None
        version = read_php_settings(version_php).variable("wp_version") or ""
        config_rel = CONFIG
        src = read_text_file(transport, join(CONFIG))
        if not src and folder:
            parent = posixpath.dirname(folder)
            up = (lambda name: posixpath.join(parent, name) if parent else name)
            above = read_text_file(transport, up(CONFIG))
            if above and not read_text_file(transport, up("wp-settings.php")):
                src, config_rel = above, f"../{CONFIG}"
        if not src:
            raise InstallError(f"WordPress was found but it has no {CONFIG} (it was never "
                               "set up).", errcode="invalid_argument_url", field="url")
        values = config.read(src)
        missing = [config.SETTINGS[k] for k in config.SETTINGS if k not in values]
        if missing:
            raise InstallError(f"{CONFIG} does not set " + ", ".join(missing)
                               + " as plain values; it cannot be read without running it.",
                               errcode="invalid_argument_url", field="url")
        prefix = values["db_prefix"]
        if prefix and not PREFIX_RE.match(prefix):
            raise InstallError(f"The table prefix in {CONFIG} has unusual characters.",
                               errcode="invalid_argument_url", field="url")
        return Found(version=version, db_host=values["db_host"] or "localhost",
                     db_name=values["db_name"], db_user=values["db_user"],
                     db_pass=values["db_pass"], db_prefix=prefix, config=config_rel)

    # Package building (build.py): WordPress and its add-ons from Debian's packages.
    def build_package(self, out_dir, *, source=None, languages=False, addons=None) -> list:
        from . import build

        return build.build(out_dir, source=source, languages=languages, addons=addons)
