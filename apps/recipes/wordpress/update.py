"""Updating WordPress's core, the way WordPress's own updater does it, as undoable steps.

1. The new version's files are unpacked into a staging folder beside the site.
2. Every top-level name of the new archive except ``wp-content`` is swapped in by renames
   (the live one moved into a folder aside first); ``wp-content`` (themes, plugins,
   uploads) and ``wp-config.php`` are never touched. Undo renames everything back.
3. WordPress's own database upgrade, ``wp-admin/upgrade.php?step=1``, requested over HTTP
   at the site's URL (dialling ``url_ip`` when set); it must leave ``db_version`` at the
   new release's ``$wp_db_version``.

The engine (``apps/updates/services.py``) takes the backup, keeps a dump of the tables
to put back if a step fails, and checks the site afterwards (``check_updated``).
"""

from __future__ import annotations

import re
import secrets
import time

from apps.recipes.base import InstallError, Step, http_request, opcache_settle

VERSION_FILE = "wp-includes/version.php"
# Kept from the live site: the content (themes, plugins, uploads) and the configuration.
KEEP = ("wp-content", "wp-config.php")
UPGRADE_ATTEMPTS = 6
UPGRADE_WAIT = 1.0
_VERSION_RE = re.compile(r"^\s*\$wp_version\s*=\s*'([^']{1,32})'\s*;", re.M)
_DB_VERSION_RE = re.compile(r"^\s*\$wp_db_version\s*=\s*(\d{1,9})\s*;", re.M)


def parse_versions(source: str) -> tuple[str, int | None]:
    """``$wp_version`` and ``$wp_db_version`` from the text of wp-includes/version.php."""
    version = _VERSION_RE.search(source)
    db_version = _DB_VERSION_RE.search(source)
    return (version.group(1) if version else "",
            int(db_version.group(1)) if db_version else None)


def files_version(app) -> tuple[str, int | None]:
    """The version the files on the site say they are (read through the transport)."""
    try:
        source = app.transport.read(app.path(VERSION_FILE)).decode("utf-8", "replace")
    except Exception as exc:  # noqa: BLE001 - a TransportError or OSError alike
        raise InstallError(f"{VERSION_FILE} cannot be read on the site "
                           f"({getattr(exc, 'message', type(exc).__name__)}).",
                           errcode="failed_upgrade", status=500) from None
    return parse_versions(source)


def update_steps(recipe, app, package_path, state: dict) -> list[Step]:
    """The core update of ``app`` to the archive at ``package_path`` as undoable steps.

    ``state`` collects what the steps did (for the engine and for undo).
    """
    tag = secrets.token_hex(5)
    staging = app.path(f".itron-update-{tag}")
    aside = app.path(f".itron-old-{tag}")
    state.update(moved_out=[], moved_in=[], names=[], staging=staging, aside=aside)

    def stage():
        names = app.transport.put_tree(package_path, staging)
        # Only the core: the site's own wp-content stays, whatever the archive holds.
        app.transport.remove(f"{staging}/wp-content")
        state["names"] = sorted(n for n in names if n not in KEEP)
        if "wp-includes" not in state["names"]:
            raise InstallError("The update package has no wp-includes folder.",
                               errcode="failed_package_invalid", status=500)

    def unstage():
        app.transport.remove(staging)

    def swap():
        app.transport.mkdir(aside)
        for name in state["names"]:
            if app.transport.exists(app.path(name)):
                app.transport.rename(app.path(name), f"{aside}/{name}")
                state["moved_out"].append(name)
            app.transport.rename(f"{staging}/{name}", app.path(name))
            state["moved_in"].append(name)

    def unswap():
        for name in reversed(state["moved_in"]):
            app.transport.rename(app.path(name), f"{staging}/{name}")
        for name in reversed(state["moved_out"]):
            app.transport.rename(f"{aside}/{name}", app.path(name))
        state["moved_in"], state["moved_out"] = [], []
        app.transport.remove(aside)

    def upgrade_database():
        opcache_settle()  # asking sooner would run, and check, the old code
        _, wanted = files_version(app)
        base = app.url.rstrip("/")
        # PHP's opcache may serve the old version.php for a moment (revalidate_freq, 2 s
        # by default): upgrade.php then says "No Update Required". Ask again until the
        # new files are seen; wp_upgrade() does nothing once the database is current.
        for attempt in range(UPGRADE_ATTEMPTS):
            if attempt:
                time.sleep(UPGRADE_WAIT)
            status, _, _ = http_request("GET", f"{base}/wp-admin/upgrade.php?step=1",
                                        ip=app.url_ip)
            if status != 200:
                raise InstallError(f"WordPress's database upgrade answered HTTP {status} at "
                                   f"{base}/wp-admin/upgrade.php.", errcode="failed_upgrade",
                                   status=500)
            found = database_version(app)
            if wanted is None or found == wanted:
                break
        if wanted is not None and found != wanted:
            raise InstallError(f"WordPress's database upgrade did not finish (database "
                               f"version {found}, expected {wanted}).",
                               errcode="failed_upgrade", status=500)

    return [
        Step("stage", stage, unstage, message="Unpacking the new version", weight=4),
        Step("swap", swap, unswap, message="Replacing the core files", weight=1),
        Step("upgrade", upgrade_database, message="Upgrading the database", weight=2),
    ]


def cleanup(app, state: dict) -> None:
    """After a successful update: the staging folder and the old core files go."""
    for name in (state.get("staging"), state.get("aside")):
        if name:
            app.transport.remove(name)


def database_version(app) -> int | None:
    """``db_version`` from the site's options table."""
    conn = app.connect()
    try:
        cur = conn.cursor()
        cur.execute(f"SELECT option_value FROM `{app.db_prefix}options` "
                    "WHERE option_name = 'db_version'")
        row = cur.fetchone()
    finally:
        conn.close()
    try:
        return int(row[0]) if row else None
    except (TypeError, ValueError):
        return None


def check_updated(recipe, app, version: str) -> None:
    """The home page answers 200 and the files read back as ``version``."""
    status, _, _ = http_request("GET", app.url.rstrip("/") + "/", ip=app.url_ip)
    if status != 200:
        raise InstallError(f"After the update the site at {app.url} answers HTTP {status}.",
                           errcode="failed_upgrade", status=500)
    found, _ = files_version(app)
    if found != version:
        raise InstallError(f"After the update the site's files say version {found or '?'}, "
                           f"not {version}.", errcode="failed_upgrade", status=500)
