"""MediaWiki's package builder (``manage.py build_package mediawiki``) from Debian's
``mediawiki`` package (measured in the feasibility study, §2 and §7.14).

Debian's /usr/share/mediawiki points into /etc and /var/lib: ``LocalSettings.php`` is a
dangling link to /etc/mediawiki, ``extensions`` is a farm of links onto ``extensions-core``,
``config`` and ``images`` are /var/lib folders, and
``mw-config/overrides/DebianOverrides.php`` makes the installer write to /etc. The
standalone tree takes the files themselves (links dereferenced), ``extensions-core`` as
``extensions``, an empty ``images`` folder and no Debian override. Its ``vendor`` folder is
already complete (nothing is loaded from /usr/share/php).

Languages: with every language the tree is 284 MB and about 23,500 files, most of it the
translations of ~440 languages repeated in every ``i18n`` folder of core, skins and
extensions. The package keeps those of ``KEPT_LANGUAGES`` (the manifest's list, which the
tests check against this one), so the archive stays small enough to copy over FTP/SFTP;
MediaWiki falls back to English for a message it has no translation of.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from apps.recipes.base import BuiltPackage, CatalogError
from installatron_gui.lib.packing import write_archive

SOURCE = Path("/usr/share/mediawiki")
VERSION_FILE = "includes/Defines.php"
VERSION_RE = re.compile(r"define\(\s*'MW_VERSION',\s*'([0-9][0-9A-Za-z.+~-]*)'\s*\)")
# Debian's indirections: not in the standalone tree (``extensions`` comes from
# extensions-core; ``images`` is made empty below).
SKIPPED_TOP = {"LocalSettings.php", "extensions", "images", "config"}
DROPPED = {"mw-config/overrides/DebianOverrides.php", "includes/PlatformSettings.php"}
KEPT_LANGUAGES = ("en", "de", "es", "fr", "it", "ja", "nl", "pl", "pt", "ru")
# A translation file: ``i18n/<code>.json`` (anywhere) or ``languages/messages/Messages<Code>.php``.
_I18N_RE = re.compile(r"(?:^|/)i18n(?:/[^/]+)*/([a-z][a-z0-9-]*)\.json$")
_MESSAGES_RE = re.compile(r"^languages/messages/Messages([A-Za-z_]+)\.php$")
# Debian's includes/PlatformSettings.php points the caches and logs at /var/cache and
# /var/log/mediawiki (outside the site: a 500 under open_basedir) and adds a "Powered by
# Debian" icon; upstream ships the file as an empty hook for packagers.
PLATFORM = "includes/PlatformSettings.php"
ADDED = {"images/README": b"Uploaded files of this wiki.\n",
         PLATFORM: b"<?php\n// Upstream's empty hook for packagers (Debian's pointed outside the "
                   b"site).\n"}


def read_version(text: str) -> str:
    """MW_VERSION from includes/Defines.php ("" if it has none)."""
    match = VERSION_RE.search(text)
    return match.group(1) if match else ""


def _language_kept(rel: str) -> bool:
    match = _I18N_RE.search(rel)
    if match:
        code = match.group(1)
        # qqq/qqx are message documentation, not languages; "en" variants stay.
        return code in KEPT_LANGUAGES
    match = _MESSAGES_RE.match(rel)
    if match:
        code = match.group(1).lower().replace("_", "-")
        return code in KEPT_LANGUAGES
    return True


def _collect(source: Path) -> tuple[dict[str, Path], set[str], int]:
    files: dict[str, Path] = {}
    dirs: set[str] = set()
    dropped = 0
    tops = [(name, name) for name in os.listdir(source) if name not in SKIPPED_TOP]
    tops = [(n, "extensions" if n == "extensions-core" else n) for n, _ in tops]
    for top, target in sorted(tops):
        path = source / top
        if path.is_file():
            files[target] = path
            continue
        for root, dirnames, filenames in os.walk(path, followlinks=False):
            rel_root = Path(root).relative_to(source).as_posix()
            rel_root = target + rel_root[len(top):]
            dirs.add(rel_root)
            for name in dirnames:
                if (Path(root) / name).is_symlink():
                    raise CatalogError(f"{rel_root}/{name} is a symlinked folder; not "
                                       "supported.", errcode="invalid_argument_source")
            for name in filenames:
                rel = f"{rel_root}/{name}"
                if rel in DROPPED:
                    continue
                if not _language_kept(rel):
                    dropped += 1
                    continue
                file = Path(root) / name
                if not file.resolve().is_file():
                    raise CatalogError(f"{rel} points to nothing.",
                                       errcode="invalid_argument_source")
                files[rel] = file
    return files, dirs, dropped


def build(out_dir: Path, *, source: str | None = None) -> list[BuiltPackage]:
    """The recipe's ``build_package`` hook: a standalone MediaWiki ``.tar.gz`` (files at
    the root, reproducible) from Debian's tree (``source``, default /usr/share/mediawiki)."""
    source = Path(source or SOURCE)
    defines = source / VERSION_FILE
    if not defines.is_file() or not (source / "extensions-core").is_dir():
        raise CatalogError(f"{source} is not Debian's MediaWiki tree: install the Debian "
                           "package mediawiki.", errcode="invalid_argument_source")
    version = read_version(defines.read_text("utf-8", "replace"))
    if not version:
        raise CatalogError(f"{VERSION_FILE} does not define MW_VERSION.",
                           errcode="invalid_argument_source")
    files, dirs, dropped = _collect(source)
    dirs.add("images")
    dest = Path(out_dir) / "mediawiki.tar.gz"
    write_archive(dest, files, dirs, dict(ADDED), mtime=int(defines.stat().st_mtime))
    return [BuiltPackage(path=dest, version=version,
                         summary=f"{len(files) + len(ADDED)} files, {dropped} translation "
                                 "files of other languages left out")]
