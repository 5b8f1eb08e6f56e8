"""DokuWiki: no database; its own installer (install.php, one POST) writes conf/local.php,
conf/users.auth.php, conf/acl.auth.php and conf/plugins.local.php.

The POST goes to the site's public URL over HTTP, so it works on every kind of website
(local, FTP, SFTP) without a shell. DokuWiki works out its base URL from each request,
so a copy has no address to rewrite: ``repoint`` empties the render cache (pages
rendered at the old address) and, for a clone, drops the cookie salt so sessions of the
source do not carry over. Edits rewrite the same files install.php wrote.
"""

from __future__ import annotations

import hashlib
import html
import posixpath
import re
import secrets
from pathlib import Path

from apps.recipes.base import Found, InstallError, TransportError, http_request
from apps.recipes.base import Recipe as BaseRecipe
from apps.recipes.base import read_text_file
from installatron_gui.lib.php import php_quote, php_unquote

LOCAL = "conf/local.php"
USERS = "conf/users.auth.php"
ACL = "conf/acl.auth.php"
PLUGINS = "conf/plugins.local.php"
CACHE = "data/cache"
COOKIE_SALT = "data/meta/_htcookiesalt2"
# $conf['name'] = 'value'; as install.php writes them (addslashes inside single quotes)
CONF_LINE = re.compile(r"^\$conf\['(\w+)'\]\s*=\s*('(?:[^'\\]|\\.)*'|\d+)\s*;", re.M)
# acl.auth.php lines install.php writes for each policy (0 open, 1 public, 2 closed)
POLICIES = {
    "0": "*               @ALL          8\n",
    "1": "*               @ALL          1\n*               @user         8\n",
    "2": "*               @ALL          0\n*               @user         8\n",
}
PBKDF2_ITERATIONS = 10000


def password_hash(password: str) -> str:
    """A hash DokuWiki's PassHash accepts (its ``seafilepbkdf2`` form), made without PHP."""
    salt = secrets.token_bytes(32)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, PBKDF2_ITERATIONS)
    return f"PBKDF2SHA256${PBKDF2_ITERATIONS}${salt.hex()}${digest.hex()}"


def read_conf(source: str) -> dict[str, str]:
    """The ``$conf[...]`` values of conf/local.php."""
    found = {}
    for name, literal in CONF_LINE.findall(source):
        found[name] = php_unquote(literal) if literal.startswith("'") else literal
    return found


def set_conf(source: str, values: dict[str, str]) -> str:
    """conf/local.php with ``values`` set: a line replaced where there is one, else added."""
    for name, value in values.items():
        line = f"$conf['{name}'] = '{php_quote(value)}';"
        pattern = re.compile(rf"^\$conf\['{re.escape(name)}'\]\s*=.*?;[ \t]*$", re.M)
        source, count = pattern.subn(lambda _m, line=line: line, source, count=1)
        if not count:
            source = source.rstrip("\n") + "\n" + line + "\n"
    return source


def policy_of(acl: str) -> str | None:
    """Which of install.php's policies ``acl.auth.php`` holds (None: edited by hand)."""
    rules = "".join(line + "\n" for line in acl.splitlines()
                    if line.strip() and not line.lstrip().startswith("#"))
    normal = {k: re.sub(r"[ \t]+", " ", v) for k, v in POLICIES.items()}
    return next((k for k, v in normal.items() if re.sub(r"[ \t]+", " ", rules) == v), None)


def _join(folder: str, *parts: str) -> str:
    return posixpath.join(folder, *parts) if folder else posixpath.join(*parts)


class Recipe(BaseRecipe):
    """DokuWiki's install, copy, edit, sync and import hooks."""

    extra_files = (LOCAL, USERS, ACL, PLUGINS)

    def check_fields(self, values: dict) -> None:
        """DokuWiki's own rules (install.php's check_data): a user name it keeps as is,
        no ``:`` in the fields of users.auth.php, a title."""
        if "title" in values and not str(values["title"]).strip():
            raise InstallError("The wiki name must not be empty.",
                               errcode="invalid_argument_title", field="title")
        for name in ("login", "email"):
            if ":" in str(values.get(name) or ""):
                raise InstallError(f"The {name} must not contain ':'.",
                                   errcode=f"invalid_argument_{name}", field=name)

    def write_config(self, app) -> list[str]:
        """Nothing before the installer: install.php refuses to run over existing
        configuration files, and writes them itself (inside conf/, which the package
        has, so a failed install removes them with the files)."""
        return []

    def run_installer(self, app) -> None:
        """install.php's form, posted once: title, superuser, ACL policy, licence."""
        base = app.url.rstrip("/")
        form = {
            "l": app.locale or "en", "d[title]": app.fields["title"], "d[acl]": "on",
            "d[superuser]": app.fields["login"], "d[fullname]": app.fields["login"],
            "d[email]": app.fields["email"], "d[password]": app.fields["passwd"],
            "d[confirm]": app.fields["passwd"], "d[policy]": app.fields["acl_policy"],
            "d[license]": app.fields["license"], "submit": "1",
        }  # no d[pop]: the popularity plugin would send reports out
        status, _, text = http_request("POST", f"{base}/install.php", ip=app.url_ip, data=form)
        if status >= 400:
            raise InstallError(f"DokuWiki's installer answered HTTP {status} at {base}/"
                               "install.php; check that the url is served from this folder.",
                               errcode="failed_http", status=500)
        written = read_text_file(app.transport, app.path(LOCAL))
        if "$conf['title']" not in written:
            errors = re.findall(r'<div class="error">(.*?)</div>', text, re.S)
            detail = html.unescape(re.sub("<[^>]+>", " ", errors[0])).strip() if errors else ""
            raise InstallError("DokuWiki's installer did not finish"
                               + (f": {detail[:300]}" if detail else "."),
                               errcode="failed_install", status=500)

    def verify(self, app) -> None:
        """The wiki answers with its title."""
        status, _, text = http_request("GET", app.url.rstrip("/") + "/doku.php", ip=app.url_ip)
        title = (app.fields or {}).get("title")
        if status >= 400 or (title and html.escape(title, quote=False) not in text):
            raise InstallError(f"The wiki at {app.url} does not answer with its title "
                               f"(HTTP {status}).", errcode="failed_install", status=500)

    def repoint(self, app, *, old_url: str, old_prefix: str, conn=None, config: bool = True,
                renew_secrets: bool = False) -> list[str]:
        """A copy works anywhere as it is: only pages rendered at the old address (the
        cache) go, and a clone gets a new cookie salt. users.auth.php is never touched."""
        if not config:
            return []
        for name in _listdir(app.transport, app.path(CACHE)):
            if name != "_dummy":  # keeps the folder in copies made from file lists
                app.transport.remove(app.path(f"{CACHE}/{name}"))
        if renew_secrets:
            app.transport.remove(app.path(COOKIE_SALT))
        return []

    def read_version(self, transport, path) -> str | None:
        """``2022-07-31b`` from VERSION."""
        words = read_text_file(transport, path("VERSION")).split()
        return words[0] if words else None

    def read_settings(self, conn, prefix: str, admin_login: str, *, app=None) -> dict:
        """Title and licence from conf/local.php, the policy from conf/acl.auth.php, the
        superuser's email from conf/users.auth.php."""
        if app is None:
            return {}
        conf = read_conf(read_text_file(app.transport, app.path(LOCAL)))
        found = {name: conf[name] for name in ("title", "license") if name in conf}
        policy = policy_of(read_text_file(app.transport, app.path(ACL)))
        if policy is not None:
            found["acl_policy"] = policy
        for line in read_text_file(app.transport, app.path(USERS)).splitlines():
            parts = line.split(":")
            if len(parts) == 5 and parts[0] == admin_login:
                found["email"] = parts[3]
        return found

    def detect_settings(self, conn, prefix: str, *, app=None) -> dict:
        """Import: ``read_settings``, the superuser (conf/local.php's ``superuser`` when it
        names one user, else the first of users.auth.php in the ``admin`` group) as
        ``login`` with its email, and the language (``lang``) as ``locale``."""
        if app is None:
            return {}
        conf = read_conf(read_text_file(app.transport, app.path(LOCAL)))
        users = [parts for line in read_text_file(app.transport, app.path(USERS)).splitlines()
                 if len(parts := line.split(":")) == 5 and not line.startswith("#")]
        # superuser is a comma-separated list of users and @groups ("boss,@admin").
        named = [n.strip() for n in conf.get("superuser", "").split(",")
                 if n.strip() and not n.strip().startswith("@")]
        logins = [p[0] for p in users if p[0] in named]
        logins += [p[0] for p in users if "admin" in p[4].split(",")]
        login = logins[0] if logins else ""
        found = self.read_settings(conn, prefix, login, app=app)
        if login:
            found["login"] = login
        if "lang" in conf:
            found["locale"] = "" if conf["lang"] == "en" else conf["lang"]
        return found

    def apply_settings(self, conn, prefix: str, admin_login: str, changes: dict, *,
                       app=None) -> None:
        """Edit: conf/local.php (title, licence, language), acl.auth.php (policy) and the
        superuser's line of users.auth.php (login, password, email)."""
        if app is None:
            raise InstallError("DokuWiki keeps its settings in files; the edit has no site "
                               "to write them to.", errcode="failed_install", status=500)
        t = app.transport
        conf = {name: str(changes[name]) for name in ("title", "license") if name in changes}
        if "locale" in changes:
            conf["lang"] = changes["locale"] or "en"
        if conf:
            source = t.read(app.path(LOCAL)).decode("utf-8")
            t.write(app.path(LOCAL), set_conf(source, conf).encode("utf-8"), mode=0o640)
        if "acl_policy" in changes:
            source = t.read(app.path(ACL)).decode("utf-8")
            head = "".join(line + "\n" for line in source.splitlines()
                           if line.lstrip().startswith("#") or not line.strip())
            t.write(app.path(ACL), (head + POLICIES[changes["acl_policy"]]).encode("utf-8"),
                    mode=0o640)
        if changes.keys() & {"login", "passwd", "email"}:
            self._change_user(app, admin_login, changes)

    @staticmethod
    def _change_user(app, admin_login: str, changes: dict) -> None:
        lines = app.transport.read(app.path(USERS)).decode("utf-8").splitlines()
        for index, line in enumerate(lines):
            parts = line.split(":")
            if len(parts) != 5 or parts[0] != admin_login:
                continue
            if "login" in changes:
                parts[0] = changes["login"]
            if "passwd" in changes:
                parts[1] = password_hash(changes["passwd"])
            if "email" in changes:
                parts[3] = changes["email"]
            lines[index] = ":".join(parts)
            break
        else:
            raise InstallError(f"The superuser {admin_login} is not in users.auth.php any "
                               "more; change it in DokuWiki's user manager.",
                               errcode="invalid_argument_login", field="login")
        app.transport.write(app.path(USERS), ("\n".join(lines) + "\n").encode("utf-8"),
                            mode=0o640)

    def detect_install(self, transport, folder: str) -> Found | None:
        """doku.php and VERSION, set up (conf/local.php written); no database."""
        if not read_text_file(transport, _join(folder, "doku.php")):
            return None
        version = self.read_version(transport, lambda name: _join(folder, name))
        if not version:
            return None
        if not read_text_file(transport, _join(folder, LOCAL)):
            raise InstallError("DokuWiki was found but it was never set up (it has no "
                               f"{LOCAL}).", errcode="invalid_argument_url", field="url")
        return Found(version=version, db_host="", db_name="", db_user="", db_pass="",
                     db_prefix="", config=LOCAL)

    def build_package(self, out_dir, *, source=None, languages=False, addons=None) -> list:
        """From Debian's dokuwiki package (build.py); its languages are always in."""
        from . import build

        if addons is not None:
            raise self._unsupported("addons")
        return build.build(Path(out_dir), source=source)


def _listdir(transport, rel: str) -> list[str]:
    try:
        return transport.listdir(rel)
    except TransportError as exc:
        if exc.errcode == "failed_filesystem_missing":
            return []
        raise
