"""Adminer: one PHP file (``index.php``), nothing to configure, no database of its own.

Whoever opens it signs in with a database account of their own, so an install is the
file and nothing else: no configuration to write, nothing to rename on a copy. Its
version is the ``@version`` line of the file's header comment.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from apps.recipes.base import (
    BuiltPackage,
    CatalogError,
    Found,
    InstallError,
    http_request,
    read_text_file,
)
from apps.recipes.base import Recipe as BaseRecipe
from installatron_gui.lib.packing import write_archive

SOURCE = Path("/usr/share/adminer/adminer.php")
MAIN = "index.php"
# The header comment of the compiled file (not Adminer's editor, which says "Adminer Editor").
HEADER_RE = re.compile(r"\A<\?php\s*/\*\*\s*Adminer - Compact database management.*?"
                       r"@version\s+([0-9][0-9A-Za-z.+~-]{0,30})", re.DOTALL)
# The header sits in the first lines; reading more would read the whole 470 kB program.
HEADER_BYTES = 4096


def version_of(text: str) -> str | None:
    """The ``@version`` of an Adminer file's header, or None if it is not Adminer."""
    match = HEADER_RE.match(text[:HEADER_BYTES])
    return match.group(1) if match else None


class Recipe(BaseRecipe):
    """Adminer's install logic: the file is the whole install."""

    def write_config(self, app) -> list[str]:
        """Adminer has no configuration: the copied file is the install."""
        return []

    def verify(self, app) -> None:
        """The page answers with Adminer's login form."""
        status, _, text = http_request("GET", app.url.rstrip("/") + "/", ip=app.url_ip)
        if status != 200 or 'name="auth[username]"' not in text:
            raise InstallError(f"Adminer at {app.url} does not show its login form "
                               f"(HTTP {status}).", errcode="failed_install", status=500)

    def repoint(self, app, *, old_url: str, old_prefix: str, conn=None, config: bool = True,
                renew_secrets: bool = False) -> list[str]:
        """Nothing in Adminer names its URL, a database or a secret: a copy works as is.
        (Its sessions are PHP's, kept by the server, not in the install's files.)"""
        return []

    def read_version(self, transport, path) -> str | None:
        return version_of(read_text_file(transport, path(MAIN)))

    def detect_install(self, transport, folder: str) -> Found | None:
        """An ``index.php`` that is Adminer's compiled file; it has no database."""
        main = posixpath.join(folder, MAIN) if folder else MAIN
        version = version_of(read_text_file(transport, main, limit=4 * 1024 * 1024))
        if version is None:
            return None
        return Found(version=version, db_host="", db_name="", db_user="", db_pass="",
                     db_prefix="", config="")

    def build_package(self, out_dir, *, source=None, languages=False, addons=None) -> list:
        """Debian's compiled ``adminer.php`` (every language, style and driver inside it)
        as ``index.php``; Adminer has no add-ons to build."""
        if addons is not None:
            raise CatalogError("Adminer has no add-on packages.", errcode="invalid_argument_kind")
        source = Path(source or SOURCE)
        try:
            text = source.read_text("utf-8", "replace")
        except OSError:
            raise CatalogError(f"There is no {source}: install the Debian package adminer.",
                               errcode="invalid_argument_source") from None
        version = version_of(text)
        if version is None:
            raise CatalogError(f"{source} is not Adminer's compiled file.",
                               errcode="invalid_argument_source")
        dest = Path(out_dir) / "adminer.tar.gz"
        write_archive(dest, {MAIN: source}, set(), {}, mtime=int(source.stat().st_mtime))
        return [BuiltPackage(path=dest, version=version, summary="1 file")]
