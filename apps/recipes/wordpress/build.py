"""WordPress's package builders (``manage.py build_package wordpress``), from Debian's
packages: the application (debian.py) and its plugins and themes.

Debian installs add-ons below /usr/share/wordpress/wp-content: akismet (with WordPress),
http-authentication (wordpress-plugin-http-authentication), twentytwentytwo and
twentytwentyone (wordpress-theme-*). Each becomes an archive with the folder's contents at
its root, versioned from its own ``Version:`` header.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from apps.recipes.base import BuiltPackage, CatalogError

from . import debian
from .addons import KINDS, PLUGIN_HEADERS, THEME_HEADERS, read_headers

CONTENT = debian.WORDPRESS_SOURCE / "wp-content"
DEFAULT_PLUGINS = ("akismet", "http-authentication")
DEFAULT_THEMES = ("twentytwentytwo", "twentytwentyone")
ADDON_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")
_VERSION_LINE = re.compile(r"^([ \t/*#@]*Version:[ \t]*)(\S+)", re.M | re.I)


def _main_file(source: Path, kind: str) -> tuple[str, dict]:
    """The plugin file with a Plugin Name header (folder/folder.php first), or style.css."""
    if kind == KINDS["theme"]:
        style = source / "style.css"
        headers = read_headers(style.read_text("utf-8", "replace"), THEME_HEADERS) \
            if style.is_file() else {}
        if not headers.get("Name"):
            raise CatalogError(f"{source} has no style.css with a Theme Name.",
                               errcode="invalid_argument_source")
        return "", headers
    candidates = sorted(source.glob("*.php"), key=lambda p: (p.stem != source.name, p.name))
    for path in candidates:
        headers = read_headers(path.read_text("utf-8", "replace"), PLUGIN_HEADERS)
        if headers["Name"]:
            return path.name, headers
    raise CatalogError(f"{source} has no .php file with a Plugin Name header.",
                       errcode="invalid_argument_source")


def build_addon_archive(source: Path, dest: Path, *, kind: str,
                        version: str | None = None) -> BuiltPackage:
    """Write a reproducible archive of the add-on folder ``source`` (symlinks dereferenced,
    like the WordPress build; a symlinked folder is refused).

    ``version`` rewrites the ``Version:`` header of the main file (style.css for a theme)
    in the archive: this is how the tests derive a newer release of a real plugin to
    update to. Without it the version is the header's.
    """
    source = Path(source)
    if not source.is_dir():
        raise CatalogError(f"There is no folder {source}.", errcode="invalid_argument_source")
    main, headers = _main_file(source, kind)
    marker = main or "style.css"
    files: dict[str, Path] = {}
    dirs: set[str] = set()
    for root, dirnames, filenames in os.walk(source, followlinks=False):
        rel_root = Path(root).relative_to(source).as_posix()
        prefix = "" if rel_root == "." else rel_root + "/"
        for name in dirnames:
            if (Path(root) / name).is_symlink():
                raise CatalogError(f"{prefix}{name} is a symlinked folder; not supported.",
                                   errcode="invalid_argument_source")
            dirs.add(prefix + name)
        for name in filenames:
            path = Path(root) / name
            if not path.resolve().is_file():
                raise CatalogError(f"{prefix}{name} points to nothing.",
                                   errcode="invalid_argument_source")
            files[prefix + name] = path
    contents: dict[str, bytes] = {}
    if version is not None:
        text = (source / marker).read_text("utf-8")
        text, count = _VERSION_LINE.subn(lambda m: m.group(1) + version, text, count=1)
        if count != 1:
            raise CatalogError(f"{marker} has no Version header to rewrite.",
                               errcode="invalid_argument_source")
        contents[marker] = text.encode("utf-8")
        del files[marker]
    else:
        version = headers.get("Version", "")
    mtime = int((source / marker).stat().st_mtime)
    debian.write_archive(Path(dest), files, dirs, contents, mtime=mtime)
    return BuiltPackage(path=Path(dest), version=version, kind=kind, slug=source.name,
                        name=headers["Name"], main=main)


def build(out_dir: Path, *, source: str | None = None, languages: bool = False,
          addons: list[tuple[str, str]] | None = None) -> list[BuiltPackage]:
    """The recipe's ``build_package`` hook: WordPress itself from Debian's tree
    (``source``, default /usr/share/wordpress; ``languages``: wordpress-l10n's files), or
    with ``addons`` those plugins and themes (``[]``: the default four) from its
    wp-content."""
    if addons is None:
        built = debian.build_wordpress_archive(Path(out_dir) / "wordpress.tar.gz",
                                               source=Path(source or debian.WORDPRESS_SOURCE),
                                               l10n=languages)
        return [BuiltPackage(path=built.path, version=built.version,
                             summary=f"{built.files} files, {built.languages} language files")]
    content = Path(source) / "wp-content" if source else CONTENT
    wanted = addons or [("plugin", n) for n in DEFAULT_PLUGINS] + \
        [("theme", n) for n in DEFAULT_THEMES]
    found = []
    for index, (kind, name) in enumerate(wanted):
        if kind not in KINDS:
            raise CatalogError(f"WordPress has no add-on kind '{kind[:20]}'; use plugin or "
                               "theme.", errcode="invalid_argument_kind")
        if not ADDON_NAME_RE.match(name) or ".." in name:
            raise CatalogError(f"'{name[:80]}' is not a folder name.",
                               errcode="invalid_argument_source")
        found.append(build_addon_archive(content / f"{kind}s" / name,
                                         Path(out_dir) / f"addon-{index}.tar.gz",
                                         kind=KINDS[kind]))
    return found
