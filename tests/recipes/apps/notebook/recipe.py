"""The tests' own application: a notebook with no database and fields of its own.

Its settings live in ``config.php`` and its admin account in ``admin.php`` (a salted
sha256, so PHP checks it without extensions); the recipe writes both at install time
and changes them on edit. A copy (clone, restore to a new place) gets its new URL in
``config.php`` and keeps ``admin.php`` as it was.
"""

from __future__ import annotations

import hashlib
import posixpath
import secrets

from apps.recipes.base import Found, InstallError
from apps.recipes.base import Recipe as BaseRecipe
from apps.recipes.base import read_text_file
from installatron_gui.lib.php import php_quote, read_php_settings, set_php_settings

CONFIG = "config.php"
ADMIN = "admin.php"
VERSION = "version.php"
# config.php's defines <- the manifest's fields
SETTINGS = {"title": "NB_TITLE", "theme": "NB_THEME", "show_notes": "NB_SHOW_NOTES"}


def _php_defines(values: dict[str, str]) -> bytes:
    lines = ["<?php"] + [f"define('{name}', '{php_quote(value)}');"
                         for name, value in values.items()]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _setting(field: str, value) -> str:
    if field == "show_notes":
        return "1" if value else "0"
    return str(value)


def _admin(login: str, password: str) -> bytes:
    salt = secrets.token_hex(16)
    digest = hashlib.sha256((salt + password).encode("utf-8")).hexdigest()
    return _php_defines({"NB_ADMIN_LOGIN": login, "NB_ADMIN_SALT": salt,
                         "NB_ADMIN_HASH": digest})


class Recipe(BaseRecipe):
    """The notebook's install, copy, edit, sync and import hooks."""

    extra_files = (CONFIG, ADMIN)

    def write_config(self, app) -> list[str]:
        """config.php from the fields, admin.php from login and passwd."""
        values = {define: _setting(name, app.fields[name]) for name, define in SETTINGS.items()}
        app.transport.write(app.path(CONFIG), _php_defines({**values, "NB_URL": app.url}),
                            mode=0o640)
        app.transport.write(app.path(ADMIN), _admin(app.fields["login"], app.fields["passwd"]),
                            mode=0o640)
        return [CONFIG, ADMIN]

    def repoint(self, app, *, old_url: str, old_prefix: str, conn=None, config: bool = True,
                renew_secrets: bool = False) -> list[str]:
        """The copy's URL in config.php; admin.php (the owner's account) stays as it is."""
        if not config:
            return []
        source = app.transport.read(app.path(CONFIG)).decode("utf-8")
        source, missing = set_php_settings(source, {"NB_URL": app.url})
        if missing:
            raise InstallError("config.php of this notebook has no NB_URL.",
                               errcode="failed_install", status=500)
        app.transport.write(app.path(CONFIG), source.encode("utf-8"), mode=0o640)
        return [CONFIG]

    def read_version(self, transport, path) -> str | None:
        """version.php's NOTEBOOK_VERSION."""
        return self._version(transport, path(VERSION))

    @staticmethod
    def _version(transport, rel: str) -> str | None:
        text = read_text_file(transport, rel)
        marker = "const NOTEBOOK_VERSION = '"
        if marker not in text:
            return None
        return text.split(marker, 1)[1].split("'", 1)[0]

    def read_settings(self, conn, prefix: str, admin_login: str, *, app=None) -> dict:
        """The fields as config.php has them now (and the admin login from admin.php)."""
        if app is None:
            return {}
        config = read_php_settings(read_text_file(app.transport, app.path(CONFIG)))
        found = {name: config.define(define) for name, define in SETTINGS.items()
                 if config.define(define) is not None}
        if "show_notes" in found:
            found["show_notes"] = found["show_notes"] == "1"
        login = read_php_settings(read_text_file(app.transport, app.path(ADMIN))).define(
            "NB_ADMIN_LOGIN")
        if login:
            found["login"] = login
        return found

    def apply_settings(self, conn, prefix: str, admin_login: str, changes: dict, *,
                       app=None) -> None:
        """Edit: the changed fields into config.php; a new login or password rewrites
        admin.php (the password must then be given: a login alone keeps the old hash)."""
        if app is None:
            raise InstallError("The notebook keeps its settings in files; the edit has no "
                               "site to write them to.", errcode="failed_install", status=500)
        values = {SETTINGS[n]: _setting(n, v) for n, v in changes.items() if n in SETTINGS}
        if values:
            source = app.transport.read(app.path(CONFIG)).decode("utf-8")
            source, missing = set_php_settings(source, values)
            if missing:
                raise InstallError(f"config.php of this notebook has no {missing[0]}.",
                                   errcode="failed_install", status=500)
            app.transport.write(app.path(CONFIG), source.encode("utf-8"), mode=0o640)
        if "passwd" in changes:
            login = changes.get("login") or admin_login
            app.transport.write(app.path(ADMIN), _admin(login, changes["passwd"]), mode=0o640)
        elif "login" in changes:
            source = app.transport.read(app.path(ADMIN)).decode("utf-8")
            source, _ = set_php_settings(source, {"NB_ADMIN_LOGIN": changes["login"]})
            app.transport.write(app.path(ADMIN), source.encode("utf-8"), mode=0o640)

    def detect_install(self, transport, folder: str) -> Found | None:
        """A notebook is a folder with version.php and config.php; no database."""
        def path(name: str) -> str:
            return posixpath.join(folder, name) if folder else name

        version = self._version(transport, path(VERSION))
        if version is None or not read_text_file(transport, path(CONFIG)):
            return None
        return Found(version=version, db_host="", db_name="", db_user="", db_pass="",
                     db_prefix="", config=CONFIG)
