"""MediaWiki: its own CLI installer (``maintenance/install.php``) writes LocalSettings.php
and creates the tables and the admin account.

The database and its account are made by the engine beforehand; ``--installdbuser`` is
never passed (feasibility note §7.13: it creates accounts for the wrong host). The
installer needs a PHP command line on the website's host: a local website (run here, as
the website's owner) or an ssh:// website (its shell). Websites without a shell (ftp://,
sftp-only) are refused with ``unsupported_install_shell`` by ``write_config``, the first
hook the engine calls with the website's transport: the package's files are already
copied by then, and the failed install removes them again (no recipe hook runs before the
copy). MediaWiki's web installer is a multi-page session form that could not be driven reliably
in the time available, so an HTTP runner was not written (see the report of issue 12).
"""

from __future__ import annotations

import os
import posixpath
import secrets
import subprocess

from apps.recipes.base import Found, InstallError, TransportError, read_text_file
from apps.recipes.base import Recipe as BaseRecipe
from installatron_gui.lib.children import child_env

from .build import VERSION_FILE, read_version

CONFIG = "LocalSettings.php"
PHP = "php"
INSTALL_TIMEOUT = 600


def _local_root(transport) -> str:
    """The website's folder on this host ("" for a remote website).

    The engine hands recipes a wrapper around the website's transport (its panel's
    secondary path), so the transport's class says nothing; a local website's root is an
    absolute path, a remote one's an ftp/sftp/ssh URI."""
    root = getattr(transport, "root", "") or ""
    return root if os.path.isabs(root) else ""


def _refuse_without_shell(transport) -> None:
    if not getattr(transport, "has_shell", False) and not _local_root(transport):
        raise InstallError("MediaWiki's installer needs a command line on the website's host; "
                           "this website has none (FTP or SFTP only). Use a local or ssh:// "
                           "website.", errcode="unsupported_install_shell", status=501)


def _run_php(app, argv: list[str]) -> tuple[int, str]:
    """Run ``php argv`` in the install folder on the website's host."""
    transport = app.transport
    if getattr(transport, "has_shell", False):
        status, out, err = transport.run([PHP, *argv], cwd=app.target,
                                         timeout=INSTALL_TIMEOUT)
        return status, (out + err).decode("utf-8", "replace")
    _refuse_without_shell(transport)
    root = _local_root(transport)
    folder = os.path.join(root, app.target) if app.target else root
    owner = {}
    if os.geteuid() == 0 and transport.uid is not None:
        owner = {"user": transport.uid, "group": transport.gid}
    done = subprocess.run([PHP, *argv], cwd=folder, capture_output=True,
                          timeout=INSTALL_TIMEOUT, check=False, env=child_env(), **owner)
    return done.returncode, (done.stdout + done.stderr).decode("utf-8", "replace")


def _empty_object_cache(conn, prefix: str) -> None:
    """Empty the copied ``objectcache`` table. Its keys name the database and prefix the
    source ran under (MediaWiki's default $wgCachePrefix), so at the new place none of
    them is ever read again; they would only carry the source's sessions and folder
    paths (and parsed pages, deflated where no URL rewrite reaches) into the copy."""
    import MySQLdb

    try:
        cur = conn.cursor()
        cur.execute(f"DELETE FROM `{prefix}objectcache`")
        conn.commit()
    except MySQLdb.Error as exc:
        if exc.args and exc.args[0] == 1146:  # no such table: nothing cached
            return
        raise InstallError(f"MediaWiki's cache table {prefix}objectcache could not be "
                           f"emptied: {exc.args[-1]}", errcode="failed_config",
                           status=500) from None


def _scriptpath(url: str) -> str:
    path = url.split("://", 1)[-1].partition("/")[2].rstrip("/")
    return "/" + path if path else ""


class Recipe(BaseRecipe):
    """MediaWiki's install logic."""

    extra_files = (CONFIG,)

    def check_fields(self, values: dict) -> None:
        """MediaWiki's own rules: a user name is capitalised and may not hold # < > [ ] | { } /."""
        login = values.get("login")
        if login and (any(c in login for c in "#<>[]|{}/@:") or len(login) > 60):
            raise InstallError("The administrator username may not contain # < > [ ] | { } / "
                               "@ : (at most 60 characters).", errcode="invalid_argument_login",
                               field="login")
        passwd = values.get("passwd")
        if passwd is not None and len(passwd) < 10:
            raise InstallError("MediaWiki wants an administrator password of at least 10 "
                               "characters.", errcode="invalid_argument_passwd", field="passwd")

    def write_config(self, app) -> list[str]:
        """Nothing is written yet (install.php writes LocalSettings.php and refuses to run
        if it exists); named here so a failed install removes it. A website without a
        shell is refused now, before the installer runs."""
        _refuse_without_shell(app.transport)
        return [CONFIG]

    def run_installer(self, app) -> None:
        """``php maintenance/install.php`` with the install's database, prefix, URL and
        admin; the passwords go through a one-time file in the install folder (0600),
        never on the command line."""
        pass_rel = app.path(f".mw-install-{secrets.token_hex(12)}")
        app.transport.write(pass_rel, app.fields["passwd"].encode("utf-8"), mode=0o600)
        db_rel = pass_rel + "-db"
        app.transport.write(db_rel, app.db_pass.encode("utf-8"), mode=0o600)
        base = app.url.rstrip("/")
        server = base[:len(base) - len(_scriptpath(base))] if _scriptpath(base) else base
        argv = ["maintenance/install.php", "--dbtype=mysql",
                f"--dbserver={app.db_host_ip or app.db_host}", f"--dbname={app.db_name}",
                f"--dbuser={app.db_user}", f"--dbpassfile={posixpath.basename(db_rel)}",
                f"--dbprefix={app.db_prefix}", f"--server={server}",
                f"--scriptpath={_scriptpath(base)}", f"--lang={app.locale or 'en'}",
                f"--passfile={posixpath.basename(pass_rel)}",
                "--with-extensions", "--skins=Vector",
                "--", app.fields["sitetitle"], app.fields["login"]]
        try:
            status, output = _run_php(app, argv)
        finally:
            for rel in (pass_rel, db_rel):
                try:
                    app.transport.remove(rel)
                except TransportError:
                    pass
        if status != 0 or not app.transport.exists(app.path(CONFIG)):
            tail = output.strip().splitlines()[-3:]
            raise InstallError("MediaWiki's installer did not finish: " + " ".join(tail)[:400],
                               errcode="failed_install", status=500)

    def repoint(self, app, *, old_url: str, old_prefix: str, conn=None, config: bool = True,
                renew_secrets: bool = False) -> list[str]:
        """A copy at its new place: LocalSettings.php's $wgServer, $wgScriptPath, database
        settings and prefix (fresh $wgSecretKey/$wgUpgradeKey with ``renew_secrets``).
        MediaWiki keeps no table prefix inside its tables; with ``conn`` its object cache
        is emptied (see ``_empty_object_cache``)."""
        if conn is not None:
            _empty_object_cache(conn, app.db_prefix)
        if not config:
            return []
        from installatron_gui.lib.php import set_php_settings

        src = app.transport.read(app.path(CONFIG)).decode("utf-8")
        base = app.url.rstrip("/")
        script = _scriptpath(base)
        values = {"$wgServer": base[:len(base) - len(script)] if script else base,
                  "$wgScriptPath": script, "$wgDBserver": app.db_host,
                  "$wgDBname": app.db_name, "$wgDBuser": app.db_user,
                  "$wgDBpassword": app.db_pass, "$wgDBprefix": app.db_prefix}
        if renew_secrets:
            values["$wgSecretKey"] = secrets.token_hex(32)
            values["$wgUpgradeKey"] = secrets.token_hex(8)
        src, unusable = set_php_settings(src, values)
        if unusable:
            raise InstallError(f"{CONFIG} does not set {', '.join(unusable)} exactly once as "
                               "a plain value; change it by hand.", errcode="failed_config",
                               status=500)
        # Holds the database password: readable by the site's owner only.
        app.transport.write(app.path(CONFIG), src.encode("utf-8"), mode=0o640)
        return [CONFIG]

    def read_version(self, transport, path) -> str | None:
        """MW_VERSION from includes/Defines.php."""
        try:
            return read_version(transport.read(path(VERSION_FILE)).decode("utf-8",
                                                                         "replace")) or None
        except TransportError:
            return None

    def detect_settings(self, conn, prefix: str, *, app=None) -> dict:
        """Import: the first bureaucrat or sysop as ``login`` with its email, the site's name
        and language from LocalSettings.php."""
        from installatron_gui.lib.php import read_php_settings

        cur = conn.cursor()
        cur.execute(f"SELECT u.user_name, u.user_email FROM `{prefix}user` u "
                    f"JOIN `{prefix}user_groups` g ON g.ug_user = u.user_id "
                    "WHERE g.ug_group IN ('bureaucrat', 'sysop') ORDER BY u.user_id LIMIT 1")
        row = cur.fetchone()
        text = (lambda v: v.decode("utf-8", "replace") if isinstance(v, bytes) else v or "")
        found = {"login": text(row[0]), "email": text(row[1])} if row else {}
        if app is not None:
            settings = read_php_settings(read_text_file(app.transport, app.path(CONFIG)))
            if settings.variable("wgSitename"):
                found["sitetitle"] = settings.variable("wgSitename")
            if settings.variable("wgLanguageCode"):
                found["locale"] = settings.variable("wgLanguageCode")
        return {k: v for k, v in found.items() if v}

    def detect_install(self, transport, folder: str) -> Found | None:
        """The version from includes/Defines.php, the database from LocalSettings.php."""
        from installatron_gui.lib.php import read_php_settings

        join = (lambda *p: posixpath.join(folder, *p) if folder else posixpath.join(*p))
        defines = read_text_file(transport, join(VERSION_FILE))
        if not defines or "MW_VERSION" not in defines:
            return None
        src = read_text_file(transport, join(CONFIG))
        if not src:
            raise InstallError(f"MediaWiki was found but it has no {CONFIG} (it was never "
                               "set up).", errcode="invalid_argument_url", field="url")
        settings = read_php_settings(src)
        values = {k: settings.variable(k) for k in
                  ("wgDBserver", "wgDBname", "wgDBuser", "wgDBpassword", "wgDBprefix")}
        missing = [f"${k}" for k, v in values.items() if v is None]
        if missing:
            raise InstallError(f"{CONFIG} does not set " + ", ".join(missing) + " as plain "
                               "values; it cannot be read without running it.",
                               errcode="invalid_argument_url", field="url")
        return Found(version=read_version(defines), db_host=values["wgDBserver"] or "localhost",
                     db_name=values["wgDBname"], db_user=values["wgDBuser"],
                     db_pass=values["wgDBpassword"], db_prefix=values["wgDBprefix"],
                     config=CONFIG)

    def build_package(self, out_dir, *, source=None, languages=False, addons=None) -> list:
        """MediaWiki from Debian's package (build.py); it has no add-on packages here."""
        from . import build

        if addons is not None:
            raise self._unsupported("build_package")
        return build.build(out_dir, source=source)
