"""phpMyAdmin: no database and no account of its own; ``config.inc.php`` says which MySQL
server it signs in to (host and port, the install's fields) with a ``blowfish_secret``
that encrypts its sign-in cookies, generated per install and again for every copy.

The configuration is read and rewritten as the few ``$cfg`` lines we write, never run.
"""

from __future__ import annotations

import posixpath
import re
import secrets
import string
from pathlib import Path

from apps.recipes.base import (
    BuiltPackage,
    Found,
    InstallError,
    TransportError,
    http_request,
    read_text_file,
)
from apps.recipes.base import Recipe as BaseRecipe
from installatron_gui.lib.php import php_quote, php_unquote

CONFIG = "config.inc.php"
VERSION_FILE = "libraries/classes/Version.php"
SECRET_ALPHABET = string.ascii_letters + string.digits
# phpMyAdmin 5.2 wants a secret of exactly 32 bytes (sodium's key length).
SECRET_LENGTH = 32
HOST_RE = re.compile(r"^[A-Za-z0-9.:_-]{1,255}$")
_LITERAL = r"('(?:[^'\\]|\\.)*')"
SETTINGS = {
    "blowfish_secret": re.compile(r"^\$cfg\['blowfish_secret'\]\s*=\s*" + _LITERAL + r"\s*;", re.MULTILINE),
    "server_host": re.compile(r"^\$cfg\['Servers'\]\[\$i\]\['host'\]\s*=\s*" + _LITERAL
                              + r"\s*;", re.MULTILINE),
    "server_port": re.compile(r"^\$cfg\['Servers'\]\[\$i\]\['port'\]\s*=\s*" + _LITERAL
                              + r"\s*;", re.MULTILINE),
}


def new_secret() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


def config_text(host: str, port: str, secret: str) -> str:
    """A new config.inc.php: cookie sign-in to one server, no password-less accounts."""
    return ("<?php\n"
            "/* phpMyAdmin configuration, written by the installer. */\n"
            "declare(strict_types=1);\n\n"
            "// Encrypts the sign-in cookies; a copy of this site gets its own.\n"
            f"$cfg['blowfish_secret'] = '{php_quote(secret)}';\n\n"
            "$i = 0;\n$i++;\n"
            "$cfg['Servers'][$i]['auth_type'] = 'cookie';\n"
            f"$cfg['Servers'][$i]['host'] = '{php_quote(host)}';\n"
            f"$cfg['Servers'][$i]['port'] = '{php_quote(port)}';\n"
            "$cfg['Servers'][$i]['AllowNoPassword'] = false;\n\n"
            "$cfg['UploadDir'] = '';\n$cfg['SaveDir'] = '';\n")


def read_config(src: str) -> dict[str, str]:
    """The settings of ``SETTINGS`` that config.inc.php sets once as plain strings."""
    found = {}
    for name, pattern in SETTINGS.items():
        matches = pattern.findall(src)
        if len(matches) == 1:
            found[name] = php_unquote(matches[0])
    return found


def rewrite_config(src: str, values: dict[str, str]) -> str:
    """config.inc.php with new values for settings it sets exactly once; refused if one
    is missing or set twice (the owner's own layout: change it by hand)."""
    for name, value in values.items():
        pattern = SETTINGS[name]
        if len(pattern.findall(src)) != 1:
            raise InstallError(f"{CONFIG} does not set {name} exactly once as a plain "
                               "value; change it by hand.", errcode="failed_config", status=500)
        literal = f"'{php_quote(value)}'"
        src = pattern.sub(lambda m, new=literal: m.group(0).replace(m.group(1), new), src)
    return src


def version_of(text: str) -> str | None:
    match = re.search(r"public const VERSION = '([0-9][0-9.]*[0-9])'", text)
    return match.group(1) if match else None


class Recipe(BaseRecipe):
    """phpMyAdmin's install logic."""

    extra_files = (CONFIG,)

    def check_fields(self, values: dict) -> None:
        host = values.get("server_host")
        if host is not None and not HOST_RE.match(str(host)):
            raise InstallError("The database server must be a host name or IP address.",
                               errcode="invalid_argument_server_host", field="server_host")
        port = values.get("server_port")
        if port is not None and not (str(port).isdigit() and 0 < int(port) < 65536):
            raise InstallError("The database server port must be a number from 1 to 65535.",
                               errcode="invalid_argument_server_port", field="server_port")

    def write_config(self, app) -> list[str]:
        """config.inc.php for a new install, with a fresh blowfish_secret."""
        src = config_text(str(app.fields.get("server_host") or "localhost"),
                          str(app.fields.get("server_port") or "3306"), new_secret())
        app.transport.write(app.path(CONFIG), src.encode("utf-8"), mode=0o640)
        return [CONFIG]

    def verify(self, app) -> None:
        """The page answers with phpMyAdmin's sign-in form."""
        status, _, text = http_request("GET", app.url.rstrip("/") + "/", ip=app.url_ip)
        if status != 200 or 'name="pma_username"' not in text:
            raise InstallError(f"phpMyAdmin at {app.url} does not show its sign-in form "
                               f"(HTTP {status}).", errcode="failed_install", status=500)

    def repoint(self, app, *, old_url: str, old_prefix: str, conn=None, config: bool = True,
                renew_secrets: bool = False) -> list[str]:
        """A copy gets its own blowfish_secret, so cookies of the source do not open it;
        the server it signs in to stays the owner's choice (nothing names the URL)."""
        if not (config and renew_secrets):
            return []
        try:
            src = app.transport.read(app.path(CONFIG)).decode("utf-8")
        except (TransportError, UnicodeDecodeError):
            src = ""
        values = read_config(src)
        if "blowfish_secret" in values:
            src = rewrite_config(src, {"blowfish_secret": new_secret()})
        else:  # missing or hand-written beyond reading: a fresh one, as an install writes
            src = config_text(values.get("server_host") or "localhost",
                              values.get("server_port") or "3306", new_secret())
        app.transport.write(app.path(CONFIG), src.encode("utf-8"), mode=0o640)
        return [CONFIG]

    def read_version(self, transport, path) -> str | None:
        return version_of(read_text_file(transport, path(VERSION_FILE)))

    def read_settings(self, conn, prefix: str, admin_login: str, *, app=None) -> dict:
        """server_host and server_port as config.inc.php sets them (the owner may have
        pointed it at another server); phpMyAdmin has no tables of its own to read."""
        if app is None:
            return {}
        values = read_config(read_text_file(app.transport, app.path(CONFIG)))
        return {k: v for k, v in values.items() if k != "blowfish_secret"}

    def apply_settings(self, conn, prefix: str, admin_login: str, changes: dict, *,
                       app=None) -> None:
        """Edit: another database server (host, port) rewrites its value in
        config.inc.php, as a PHP string literal (escaped)."""
        values = {name: str(changes[name]) for name in ("server_host", "server_port")
                  if name in changes}
        if not values:
            return
        if app is None:
            raise InstallError("phpMyAdmin keeps its server in config.inc.php; there is no "
                               "site to write it to.", errcode="failed_install", status=500)
        src = read_text_file(app.transport, app.path(CONFIG))
        app.transport.write(app.path(CONFIG), rewrite_config(src, values).encode("utf-8"),
                            mode=0o640)

    def detect_install(self, transport, folder: str) -> Found | None:
        """phpMyAdmin's Version.php; a config.inc.php of our shape or none. It has no
        database of its own."""
        join = (lambda n: posixpath.join(folder, n) if folder else n)
        version = version_of(read_text_file(transport, join(VERSION_FILE)))
        if version is None:
            return None
        has_config = bool(read_text_file(transport, join(CONFIG)))
        return Found(version=version, db_host="", db_name="", db_user="", db_pass="",
                     db_prefix="", config=CONFIG if has_config else "")

    def build_package(self, out_dir, *, source=None, languages=False, addons=None) -> list:
        """Debian's phpMyAdmin made standalone (build.py); every language is inside."""
        from . import build

        if addons is not None:
            from apps.recipes.base import CatalogError

            raise CatalogError("phpMyAdmin has no add-on packages.",
                               errcode="invalid_argument_kind")
        path, version, summary = build.build(Path(out_dir), source=source)
        return [BuiltPackage(path=path, version=version, summary=summary)]
