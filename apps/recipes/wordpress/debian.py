"""Standalone application archives built from Debian's packages.

Debian's ``wordpress`` package is not a standalone tree (see the feasibility note): 24 of
its files are symlinks into other packages, ``wp-config.php`` is Debian's dispatcher into
``/etc/wordpress`` and a few upstream files are missing. The build here turns it into the
tree upstream would ship, and writes it reproducibly: sorted members, owner 0, fixed modes
and mtimes, gzip without a name or time, so the same source gives the same bytes.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from apps.recipes.base import CatalogError
from installatron_gui.lib.children import child_env
from installatron_gui.lib.packing import write_archive

WORDPRESS_SOURCE = Path("/usr/share/wordpress")
# Debian's dispatcher config and its commented-out .htaccess have no place in a site.
DROPPED = {"wp-config.php", ".htaccess"}
# Upstream ships these; Debian's tree lacks them.
SILENCE = b"<?php\n// Silence is golden.\n"
ADDED_FILES = {"wp-content/index.php": SILENCE, "wp-content/themes/index.php": SILENCE}
ADDED_DIRS = ("wp-content/uploads",)
LANGUAGES_DIR = "wp-content/languages"
# Debian's wordpress-plugin-*/wordpress-theme-* packages add folders beside these; they are
# add-on packages of their own (build_package wordpress --addons), not part of the WordPress archive.
CORE_ADDONS = {"wp-content/plugins": {"akismet"}, "wp-content/themes": {"twentytwentythree"}}
REQUIRED_THEME = "wp-content/themes/twentytwentythree"
VERSION_RE = re.compile(r"""^\$wp_version\s*=\s*['"]([^'"]+)['"]\s*;""", re.M)


@dataclass(frozen=True)
class BuiltArchive:
    path: Path
    version: str
    files: int
    languages: int


def wordpress_version(source: Path) -> str:
    """``$wp_version`` from ``wp-includes/version.php``."""
    try:
        text = (source / "wp-includes" / "version.php").read_text(encoding="utf-8")
    except OSError:
        raise CatalogError(f"{source} has no wp-includes/version.php; is it a WordPress tree?",
                           errcode="invalid_argument_source") from None
    match = VERSION_RE.search(text)
    if not match:
        raise CatalogError("wp-includes/version.php does not set $wp_version.",
                           errcode="invalid_argument_source")
    return match.group(1)


def l10n_files(package: str = "wordpress-l10n") -> dict[str, Path]:
    """The language files Debian's ``wordpress-l10n`` installs, by their archive name.

    ``dpkg-query -L`` says where the package put them (``.../wp-content/languages/``);
    each maps to ``wp-content/languages/<same sub-path>`` in the archive.
    """
    try:
        listing = subprocess.run(["dpkg-query", "-L", package], check=True, capture_output=True,
                                 text=True, timeout=60, env=child_env()).stdout
    except (OSError, subprocess.SubprocessError):
        raise CatalogError(f"The Debian package {package} is not installed.",
                           errcode="invalid_argument_source") from None
    found: dict[str, Path] = {}
    marker = f"/{LANGUAGES_DIR}/"
    for line in listing.splitlines():
        if marker not in line or not line.endswith((".mo", ".po", ".json", ".l10n.php")):
            continue
        path = Path(line)
        if path.is_file():
            found[LANGUAGES_DIR + "/" + line.split(marker, 1)[1]] = path
    return found


def _collect(source: Path) -> tuple[dict[str, Path], set[str]]:
    """Files (dereferenced) and directories of the source tree, by archive name."""
    files: dict[str, Path] = {}
    dirs: set[str] = set()
    for root, dirnames, filenames in os.walk(source, followlinks=False):
        rel_root = Path(root).relative_to(source).as_posix()
        prefix = "" if rel_root == "." else rel_root + "/"
        if prefix.rstrip("/") == LANGUAGES_DIR:
            # Language files come only from wordpress-l10n, and only when asked for.
            dirnames[:] = []
            continue
        if prefix.rstrip("/") in CORE_ADDONS:
            dirnames[:] = [d for d in dirnames if d in CORE_ADDONS[prefix.rstrip("/")]]
        for name in list(dirnames):
            path = Path(root) / name
            if path.is_symlink():
                # A symlinked folder would be followed into another package's tree.
                raise CatalogError(f"{prefix}{name} is a symlinked folder; not supported.",
                                   errcode="invalid_argument_source")
            dirs.add(prefix + name)
        for name in filenames:
            rel = prefix + name
            if rel in DROPPED:
                continue
            path = Path(root) / name
            if not path.resolve().is_file():
                raise CatalogError(f"{rel} points to nothing ({os.readlink(path)}).",
                                   errcode="invalid_argument_source")
            files[rel] = path
    return files, dirs


def build_wordpress_archive(dest: Path, *, source: Path = WORDPRESS_SOURCE,
                            l10n: bool = False, mtime: int | None = None) -> BuiltArchive:
    """Write a standalone WordPress ``.tar.gz`` (files at the root) from Debian's tree.

    Symlinks are replaced by the files they point to; Debian's ``wp-config.php`` and
    ``.htaccess`` are left out; ``wp-content/index.php``, ``wp-content/themes/index.php``
    and ``wp-content/uploads/`` are added; with ``l10n`` the language files of
    ``wordpress-l10n`` go to ``wp-content/languages/``. ``mtime`` defaults to the mtime of
    ``wp-includes/version.php``, which comes from the .deb and so is the same everywhere.
    """
    source = Path(source)
    version = wordpress_version(source)
    if not (source / REQUIRED_THEME).is_dir():
        raise CatalogError("The twentytwentythree theme is missing: install the Debian package "
                           "wordpress-theme-twentytwentythree.", errcode="invalid_argument_source")
    files, dirs = _collect(source)
    contents: dict[str, bytes] = {n: data for n, data in ADDED_FILES.items() if n not in files}
    dirs.update(ADDED_DIRS)
    languages = l10n_files() if l10n else {}
    files.update(languages)
    if languages:
        dirs.add(LANGUAGES_DIR)
    for name in list(files) + list(contents):
        parent = name.rsplit("/", 1)[0] if "/" in name else ""
        while parent:
            dirs.add(parent)
            parent = parent.rsplit("/", 1)[0] if "/" in parent else ""
    if mtime is None:
        mtime = int((source / "wp-includes" / "version.php").stat().st_mtime)
    write_archive(Path(dest), files, dirs, contents, mtime=mtime)
    return BuiltArchive(path=Path(dest), version=version, files=len(files) + len(contents),
                        languages=len(languages))
