"""Build WordPress plugin and theme archives from Debian's packages and add them to the store.

Debian installs add-ons below /usr/share/wordpress/wp-content: akismet (with WordPress),
http-authentication (wordpress-plugin-http-authentication), twentytwentytwo and
twentytwentyone (wordpress-theme-*). Each becomes ``<kind>-<slug>-<version>.tar.gz`` with
the folder's contents at its root, versioned from its own ``Version:`` header.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.catalog import services
from apps.catalog.recipes.wordpress import debian
from apps.catalog.errors import CatalogError
from apps.catalog.models import AddonPackage
from apps.catalog.recipes.wordpress.addons import PLUGIN_HEADERS, THEME_HEADERS, read_headers

CONTENT = debian.WORDPRESS_SOURCE / "wp-content"
DEFAULT_PLUGINS = ("akismet", "http-authentication")
DEFAULT_THEMES = ("twentytwentytwo", "twentytwentyone")
_VERSION_LINE = re.compile(r"^([ \t/*#@]*Version:[ \t]*)(\S+)", re.M | re.I)


@dataclass(frozen=True)
class BuiltAddon:
    path: Path
    kind: str
    slug: str
    version: str
    name: str
    main: str  # a plugin's main file; "" for a theme


def _main_file(source: Path, kind: str) -> tuple[str, dict]:
    """The plugin file with a Plugin Name header (folder/folder.php first), or style.css."""
    if kind == AddonPackage.Kind.THEME:
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
                        version: str | None = None) -> BuiltAddon:
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
        services.check_version(version)
        text = (source / marker).read_text("utf-8")
        text, count = _VERSION_LINE.subn(lambda m: m.group(1) + version, text, count=1)
        if count != 1:
            raise CatalogError(f"{marker} has no Version header to rewrite.",
                               errcode="invalid_argument_source")
        contents[marker] = text.encode("utf-8")
        del files[marker]
    else:
        version = headers.get("Version", "")
        services.check_version(version)
    mtime = int((source / marker).stat().st_mtime)
    debian.write_archive(Path(dest), files, dirs, contents, mtime=mtime)
    return BuiltAddon(path=Path(dest), kind=kind, slug=source.name, version=version,
                      name=headers["Name"], main=main)


def store_addon(built: BuiltAddon) -> AddonPackage:
    return services.add_addon_package(built.kind, built.slug, built.version, built.path,
                                      main=built.main, name=built.name)


class Command(BaseCommand):
    help = ("Build plugin and theme archives from Debian's /usr/share/wordpress/wp-content "
            "(akismet, http-authentication, twentytwentytwo, twentytwentyone by default) "
            "and add them to the package store; versions already stored are skipped.")

    def add_arguments(self, parser):
        parser.add_argument("--plugin", action="append", dest="plugins",
                            help="a folder name in wp-content/plugins (repeatable)")
        parser.add_argument("--theme", action="append", dest="themes",
                            help="a folder name in wp-content/themes (repeatable)")
        parser.add_argument("--content", default=str(CONTENT),
                            help="the wp-content folder to read from")

    def handle(self, *args, plugins, themes, content, **opts):
        if not plugins and not themes:
            plugins, themes = list(DEFAULT_PLUGINS), list(DEFAULT_THEMES)
        wanted = [(AddonPackage.Kind.PLUGIN, "plugins", n) for n in plugins or []] + \
                 [(AddonPackage.Kind.THEME, "themes", n) for n in themes or []]
        for kind, folder, name in wanted:
            if not services.ADDON_SLUG_RE.match(name) or ".." in name:
                raise CommandError(f"'{name}' is not a folder name.")
            try:
                with tempfile.TemporaryDirectory(prefix="wp-addon-") as tmp:
                    built = build_addon_archive(Path(content) / folder / name,
                                                Path(tmp) / "addon.tar.gz", kind=kind)
                    if AddonPackage.objects.of(kind, built.slug).filter(
                            version=built.version).exists():
                        self.stdout.write(f"{built.slug} {built.version} is already stored")
                        continue
                    package = store_addon(built)
            except CatalogError as exc:
                raise CommandError(exc.message) from None
            self.stdout.write(f"{package.get_kind_display()} {package} added: "
                              f"{package.archive} sha256 {package.sha256}")
