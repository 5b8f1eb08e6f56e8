"""Tiny Tiny RSS's standalone tree from Debian's ``tt-rss`` package.

Debian's /usr/share/tt-rss/www is not a standalone tree: ``config.php`` points to
/etc/tt-rss (which reads the database from dbconfig-common's database.php),
``feed-icons`` to /var/lib/tt-rss, its cache lives in /var/cache/tt-rss, and dojo, dijit,
scriptaculous, php-gettext, phpqrcode, Psr and the icon font are symlinks into other
packages. The build dereferences them all and puts back the upstream layout: writable
``cache/`` (export, feeds, images, upload), ``lock/`` and ``feed-icons/`` in the tree, the
schema in ``schema/``, and ``config.php-dist`` (Debian's config with plain values instead of
its /etc indirection) from which the recipe writes ``config.php``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from apps.recipes.base import BuiltPackage, CatalogError
from installatron_gui.lib.packing import write_archive

SOURCE = Path("/usr/share/tt-rss")
DEBIAN_CONFIG = Path("/etc/tt-rss/config.php")
DIST = "config.php-dist"
# Debian's links out of the tree, replaced by the upstream folders.
DROPPED = {"config.php", "feed-icons"}
WRITABLE_DIRS = ("cache", "cache/export", "cache/feeds", "cache/images", "cache/upload",
                 "lock", "feed-icons")
VERSION_RE = re.compile(r"^Debian (\S+)", re.M)
# Debian's config reads the database settings from /etc/tt-rss/database.php.
_DB_BLOCK = re.compile(r"include_once\('/etc/tt-rss/database\.php'\);.*?define\('DB_PASS', "
                       r"\$dbpass\);", re.S)
_UPSTREAM_DB = ("define('DB_TYPE', 'mysql');\n\tdefine('DB_HOST', 'localhost');\n"
                "\tdefine('DB_PORT', '');\n\tdefine('DB_USER', 'fox');\n"
                "\tdefine('DB_NAME', 'fox');\n\tdefine('DB_PASS', 'XXXXXX');")
# Upstream's own values for what Debian points at /var and /etc.
_UPSTREAM_VALUES = {"LOCK_DIRECTORY": "lock", "CACHE_DIR": "cache",
                    "LOG_DESTINATION": "sql", "CHECK_FOR_UPDATES": False}


def ttrss_version(www: Path) -> str:
    """The version Debian records in version_static.txt (``21~git20210204.b4cbc79``)."""
    try:
        text = (www / "version_static.txt").read_text("utf-8")
    except OSError:
        raise CatalogError(f"{www} has no version_static.txt; is it Tiny Tiny RSS?",
                           errcode="invalid_argument_source") from None
    version = parse_version(text)
    if not version:
        raise CatalogError("version_static.txt names no version.",
                           errcode="invalid_argument_source")
    return version


def parse_version(text: str) -> str | None:
    """The version in version_static.txt's text, without Debian's revision (+dfsg-1.2),
    which is packaging, not the application's version."""
    match = VERSION_RE.search(text)
    return re.split(r"\+dfsg|-\d", match.group(1))[0] if match else None


def dist_config(debian_config: str) -> str:
    """Debian's config.php with plain database values and the upstream folders."""
    text, count = _DB_BLOCK.subn(_UPSTREAM_DB, debian_config)
    if count != 1:
        raise CatalogError("Debian's config.php no longer reads /etc/tt-rss/database.php; "
                           "update the build.", errcode="invalid_argument_source")
    from .config import set_defines

    return set_defines(text, _UPSTREAM_VALUES)


def build(out_dir: Path, *, source: str | None = None) -> list[BuiltPackage]:
    """The recipe's ``build_package`` hook: ``ttrss.tar.gz`` in ``out_dir``."""
    root = Path(source or SOURCE)
    www = root / "www"
    if not www.is_dir() or not (root / "schema" / "ttrss_schema_mysql.sql").is_file():
        raise CatalogError(f"{root} has no www/ and schema/; is it Debian's tt-rss?",
                           errcode="invalid_argument_source")
    version = ttrss_version(www)
    files: dict[str, Path] = {}
    dirs: set[str] = set(WRITABLE_DIRS)
    for base, prefix in ((www, ""), (root / "schema", "schema/")):
        if prefix:
            dirs.add(prefix.rstrip("/"))
        for top, dirnames, filenames in os.walk(base, followlinks=True):
            rel = Path(top).relative_to(base).as_posix()
            here = prefix + ("" if rel == "." else rel + "/")
            if rel == ".":
                dirnames[:] = [d for d in dirnames if d not in DROPPED]
                filenames = [f for f in filenames if f not in DROPPED]
            for name in dirnames:
                dirs.add(here + name)
            for name in filenames:
                path = Path(top) / name
                if not path.resolve().is_file():
                    raise CatalogError(f"{here}{name} points to nothing.",
                                       errcode="invalid_argument_source")
                files[here + name] = path
    contents = {DIST: dist_config(DEBIAN_CONFIG.read_text("utf-8")).encode("utf-8")}
    dest = Path(out_dir) / "ttrss.tar.gz"
    write_archive(dest, files, dirs, contents,
                  mtime=int((www / "version_static.txt").stat().st_mtime))
    return [BuiltPackage(path=dest, version=version, summary=f"{len(files) + 1} files")]
