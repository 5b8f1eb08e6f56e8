"""Roundcube: config/config.inc.php written by us, the schema from Roundcube's own
SQL/mysql.initial.sql run through the engine's database connection (so it works on every
kind of website: nothing runs on the host but PHP serving the pages). Roundcube has no
admin account: its users are the mail server's.
"""

from __future__ import annotations

import re

from apps.recipes.base import Found, InstallError, http_request
from apps.recipes.base import Recipe as BaseRecipe
from apps.recipes.base import read_text_file

from . import config as rc_config
from .config import CONFIG

SCHEMA = "SQL/mysql.initial.sql"
INISET = "program/include/iniset.php"
VERSION_RE = re.compile(r"define\(\s*'RCMAIL_VERSION'\s*,\s*'([^']+)'\s*\)")
PRODUCT = "Roundcube Webmail"
# The install's fields that are settings of config.inc.php.
SERVER_FIELDS = ("imap_host", "smtp_host")


def statements(sql: str) -> list[str]:
    """The statements of Roundcube's schema file: ``--`` comment lines dropped, split at
    the ``;`` ending a line (the file has no ``;`` inside a line's strings)."""
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*(?:\n|$)", body) if s.strip()]


class Recipe(BaseRecipe):
    """Roundcube's install logic."""

    extra_files = (CONFIG,)

    def write_config(self, app) -> list[str]:
        """config/config.inc.php with the database, the mail servers and a new des_key."""
        src = rc_config.new(self._db_values(app), app.fields.get("imap_host") or "localhost:143",
                         app.fields.get("smtp_host") or "localhost:587")
        # Holds the database password: readable by the site's owner only.
        app.transport.write(app.path(CONFIG), src.encode("utf-8"), mode=0o640)
        return [CONFIG]

    @staticmethod
    def _db_values(app) -> dict[str, str]:
        return {"db_name": app.db_name, "db_user": app.db_user, "db_pass": app.db_pass,
                "db_host": app.db_host}

    def run_installer(self, app) -> None:
        """Roundcube's tables from the package's own schema file."""
        sql = read_text_file(app.transport, app.path(SCHEMA))
        if not sql:
            raise InstallError(f"This Roundcube package has no {SCHEMA}.",
                               errcode="failed_install", status=500)
        conn = app.connect()
        try:
            cur = conn.cursor()
            for statement in statements(sql):
                cur.execute(statement)
            conn.commit()
        finally:
            conn.close()

    def verify(self, app) -> None:
        """The install's URL answers with Roundcube's login form."""
        status, _, text = http_request("GET", app.url.rstrip("/") + "/", ip=app.url_ip)
        if status != 200 or PRODUCT not in text or "rcmloginuser" not in text:
            raise InstallError(f"Roundcube at {app.url} does not answer with its login page "
                               f"(HTTP {status}).", errcode="failed_install", status=500)

    def repoint(self, app, *, old_url: str, old_prefix: str, conn=None, config: bool = True,
                renew_secrets: bool = False) -> list[str]:
        """The copy's config points at its own database; a clone gets a new des_key (the
        source's sessions and stored passwords do not open it). Nothing in Roundcube's
        tables names its URL, folder or database."""
        if not config:
            return []
        src = read_text_file(app.transport, app.path(CONFIG))
        if not src:
            return self.write_config(app)
        values = {"db_dsnw": rc_config.dsn(self._db_values(app))}
        if renew_secrets:
            values["des_key"] = rc_config.des_key()
        src = rc_config.rewrite(src, values)
        app.transport.write(app.path(CONFIG), src.encode("utf-8"), mode=0o640)
        return [CONFIG]

    def read_settings(self, conn, prefix: str, admin_login: str, *, app=None) -> dict:
        """The IMAP and SMTP servers as config.inc.php sets them (plain values only)."""
        if app is None:
            return {}
        values = rc_config.read(read_text_file(app.transport, app.path(CONFIG)))
        return {name: values[name] for name in SERVER_FIELDS
                if isinstance(values.get(name), str)}

    def apply_settings(self, conn, prefix: str, admin_login: str, changes: dict, *,
                       app=None) -> None:
        """Edit: a new IMAP or SMTP server rewrites its value in config.inc.php (as a
        PHP string literal, escaped); Roundcube has no settings of ours in its tables."""
        values = {name: str(changes[name]) for name in SERVER_FIELDS if name in changes}
        if not values:
            return
        if app is None:
            raise InstallError("Roundcube keeps its mail servers in config.inc.php; there is "
                               "no site to write them to.", errcode="failed_install",
                               status=500)
        src = read_text_file(app.transport, app.path(CONFIG))
        if not src:
            raise InstallError(f"This Roundcube has no {CONFIG}.", errcode="failed_install",
                               status=500)
        app.transport.write(app.path(CONFIG), rc_config.rewrite(src, values).encode("utf-8"),
                            mode=0o640)

    def read_version(self, transport, path) -> str | None:
        """RCMAIL_VERSION from program/include/iniset.php."""
        match = VERSION_RE.search(read_text_file(transport, path(INISET)))
        return match.group(1) if match else None

    def detect_install(self, transport, folder: str) -> Found | None:
        """Roundcube is where iniset.php defines RCMAIL_VERSION; its database is the
        config's db_dsnw."""
        join = (lambda name: f"{folder}/{name}" if folder else name)
        match = VERSION_RE.search(read_text_file(transport, join(INISET)))
        if not match:
            return None
        src = read_text_file(transport, join(CONFIG))
        if not src:
            raise InstallError(f"Roundcube was found but it has no {CONFIG} (it was never "
                               "set up).", errcode="invalid_argument_url", field="url")
        values = rc_config.parse_dsn(rc_config.read(src).get("db_dsnw") or "")
        if not values:
            raise InstallError(f"{CONFIG} has no MySQL db_dsnw as a plain value; it cannot "
                               "be read without running it.", errcode="invalid_argument_url",
                               field="url")
        prefix = rc_config.read(src).get("db_prefix") or ""
        if prefix:
            raise InstallError("This Roundcube uses a table prefix (db_prefix); only "
                               "installs without one can be imported.",
                               errcode="invalid_argument_url", field="url")
        return Found(version=match.group(1), db_prefix="", config=CONFIG, **values)

    def build_package(self, out_dir, *, source=None, languages=False, addons=None) -> list:
        """The standalone tree from Debian's roundcube-core (build.py)."""
        from . import build

        if addons is not None:
            raise InstallError("Roundcube's plugins are part of its package.",
                               errcode="invalid_argument_addons")
        return build.build(out_dir, source=source)

