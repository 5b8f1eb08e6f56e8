"""DokuWiki's package (``manage.py build_package dokuwiki``) from Debian's package.

Debian's dokuwiki is spread over /usr/share/dokuwiki (code), /var/lib/dokuwiki (data,
templates, plugins: ``lib/tpl`` and ``lib/plugins`` are links there), /etc/dokuwiki
(configuration, found through Debian's ``inc/preload.php``), and borrows PHP libraries
from /usr/share/php and jQuery from /usr/share/javascript. The build puts everything in
one tree laid out as upstream's release is (``conf/``, ``data/``), so it runs on any host
with PHP, local or over FTP/SFTP (measured in the feasibility note, §2).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from apps.recipes.base import BuiltPackage, CatalogError
from installatron_gui.lib.packing import write_archive

SOURCE = Path("/usr/share/dokuwiki")
DATA = Path("/var/lib/dokuwiki/data")
CONF = Path("/etc/dokuwiki")
PHP_LIBS = Path("/usr/share/php")
GESHI = Path("/usr/share/php-geshi")
JAVASCRIPT = Path("/usr/share/javascript")
# What the installer (install.php) writes: a package holding them would make it refuse.
# The web server files are Debian's own, not DokuWiki's.
CONF_LEFT_OUT = {"local.php", "users.auth.php", "acl.auth.php", "plugins.local.php",
                 "apache.conf", "lighttpd.conf"}
LIBS = "vendor/debian-libs"  # where the borrowed PHP libraries go
SCRIPTS = "lib/scripts/debian"  # and the borrowed JavaScript
# file -> [(Debian's path, the tree's)], applied as plain text replacements.
PATCHES = {
    "vendor/composer/autoload_files.php": [("$vendorDir . '/usr/share/php/", "$vendorDir . '/debian-libs/")],
    "vendor/composer/autoload_psr4.php": [("'/usr/share/php/", "$vendorDir . '/debian-libs/")],
    "vendor/composer/autoload_namespaces.php": [("'/usr/share/php/", "$vendorDir . '/debian-libs/")],
    "vendor/composer/autoload_static.php": [("'/usr/share/php/", "__DIR__ . '/../debian-libs/"),
                                            ("'/usr/share/php-geshi/", "__DIR__ . '/../debian-libs/php-geshi/")],
    "vendor/composer/autoload_classmap.php": [("'/usr/share/php-geshi/", "$vendorDir . '/debian-libs/php-geshi/")],
    "inc/load.php": [("'/usr/share/php/", f"DOKU_INC.'{LIBS}/")],
    "inc/parserutils.php": [("'/usr/share/php-geshi/", f"DOKU_INC.'{LIBS}/php-geshi/")],
    "lib/exe/jquery.php": [("'/usr/share/javascript/jquery/", f"DOKU_INC.'{SCRIPTS}/"),
                           ("'/usr/share/javascript/jquery-ui/", f"DOKU_INC.'{SCRIPTS}/")],
    "lib/exe/js.php": [("'/usr/share/javascript/jquery-cookie/", f"DOKU_INC.'{SCRIPTS}/"),
                       ("'/usr/share/javascript/jquery-ui/ui/i18n/", f"DOKU_INC.'{SCRIPTS}/i18n/")],
    "conf/dokuwiki.php": [("'/var/lib/dokuwiki/data'", "'./data'")],
    # Under PHP's built-in server index.php acts as a router for a wiki at the document
    # root; in a sub-folder it requires itself forever. Redirect there, as elsewhere.
    "index.php": [("if (php_sapi_name() != 'cli-server') {",
                   "if (php_sapi_name() != 'cli-server' || realpath($_SERVER['DOCUMENT_ROOT']) !== __DIR__) {")],
}  # fmt: skip
# Paths that must be gone from the tree's PHP once it is built.
DEBIAN_PATHS = re.compile(rb"['\"](/usr/share/(php|javascript)|/etc/dokuwiki|/var/lib/dokuwiki)")


def read_version(tree: Path) -> str:
    """``2022-07-31b`` from VERSION (``2022-07-31b "Igor"``)."""
    words = (tree / "VERSION").read_text("utf-8").split()
    if not words or not re.match(r"^\d{4}-\d{2}-\d{2}[a-z]?$", words[0]):
        raise CatalogError(f"{tree}/VERSION does not name a DokuWiki release.",
                           errcode="invalid_argument_source")
    return words[0]


def standalone_tree(tree: Path, source: Path = SOURCE) -> None:
    """Debian's DokuWiki as one upstream-shaped tree in ``tree`` (which must not exist)."""
    if not (source / "doku.php").is_file():
        raise CatalogError(f"There is no DokuWiki in {source} (install Debian's dokuwiki).",
                           errcode="invalid_argument_source")
    shutil.copytree(source, tree, symlinks=False)  # lib/tpl, lib/plugins dereferenced
    shutil.copytree(DATA, tree / "data", symlinks=False)
    # Upstream's release keeps its empty data folders with a _dummy file (Debian's has
    # none): DokuWiki refuses to run without data/tmp, data/locks, ..., and a copy made
    # from a list of files would lose an empty folder.
    for folder in (tree / "data").rglob("*"):
        if folder.is_dir() and not any(folder.iterdir()):
            (folder / "_dummy").write_text("You can safely delete this file.\n")
    conf = tree / "conf"
    conf.mkdir(exist_ok=True)
    for path in sorted(CONF.iterdir()):
        if path.name not in CONF_LEFT_OUT and path.is_file():
            shutil.copyfile(path, conf / path.name)
    # Debian's preload.php points DokuWiki at /etc/dokuwiki; upstream has none.
    (tree / "inc" / "preload.php").write_text("<?php\n")
    libs = tree / LIBS
    for name in ("phpseclib", "simplepie"):
        shutil.copytree(PHP_LIBS / name, libs / name, symlinks=False)
    shutil.copytree(GESHI, libs / "php-geshi", symlinks=False)
    scripts = tree / SCRIPTS
    (scripts / "i18n").mkdir(parents=True)
    for rel in ("jquery/jquery.min.js", "jquery-ui/jquery-ui.min.js",
                "jquery-cookie/jquery.cookie.js"):
        shutil.copyfile(JAVASCRIPT / rel, scripts / Path(rel).name)
    for path in sorted((JAVASCRIPT / "jquery-ui/ui/i18n").glob("datepicker-*.js")):
        shutil.copyfile(path, scripts / "i18n" / path.name)
    for rel, replacements in PATCHES.items():
        text = (tree / rel).read_text("utf-8")
        for old, new in replacements:
            if old not in text:
                raise CatalogError(f"{rel} has no {old.strip()!r}: this DokuWiki is not the "
                                   "packaging the build knows.", errcode="invalid_argument_source")
            text = text.replace(old, new)
        (tree / rel).write_text(text, "utf-8")
    left = [str(p.relative_to(tree)) for p in tree.rglob("*.php")
            if DEBIAN_PATHS.search(p.read_bytes())]
    if left:
        raise CatalogError(f"{left[0]} still uses Debian's paths.",
                           errcode="invalid_argument_source")


def build(out_dir: Path, *, source: str | None = None) -> list[BuiltPackage]:
    """The recipe's ``build_package`` hook: the tree, then a reproducible archive."""
    tree = Path(out_dir) / "dokuwiki-tree"
    standalone_tree(tree, Path(source) if source else SOURCE)
    version = read_version(tree)
    files: dict[str, Path] = {}
    dirs: set[str] = set()
    for root, dirnames, filenames in os.walk(tree):
        rel = Path(root).relative_to(tree).as_posix()
        prefix = "" if rel == "." else rel + "/"
        dirs.update(prefix + name for name in dirnames)
        files.update({prefix + name: Path(root) / name for name in filenames})
    dest = Path(out_dir) / f"dokuwiki-{version}.tar.gz"
    write_archive(dest, files, dirs, {}, mtime=int((tree / "VERSION").stat().st_mtime))
    shutil.rmtree(tree)
    return [BuiltPackage(path=dest, version=version, summary=f"{len(files)} files")]
