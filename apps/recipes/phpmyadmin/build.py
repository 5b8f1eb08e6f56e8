"""phpMyAdmin's package (``manage.py build_package phpmyadmin``) from Debian's tree.

Debian's /usr/share/phpmyadmin is not standalone (feasibility note §2): 22 symlinks
point into /usr/share/javascript, ``autoload.php`` loads 17 libraries from
/usr/share/php through ``include_path``, ``libraries/vendor_config.php`` reads its
configuration from /etc/phpmyadmin and keeps its cache in /var/lib/phpmyadmin, and the
Williamdes documentation index reads its data from /usr/share/php/data. The build makes
the upstream layout: links dereferenced, the libraries in ``vendor-debian/`` (put first on
the include path by ``autoload.php``), ``config.inc.php`` and ``tmp/`` inside the tree.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from apps.recipes.base import CatalogError
from installatron_gui.lib.packing import write_archive

SOURCE = Path("/usr/share/phpmyadmin")
PHP_LIBS = Path("/usr/share/php")
# What autoload.php and the libraries it loads require through include_path.
LIBRARIES = ("Composer", "FastRoute", "PhpMyAdmin", "Psr", "ReCaptcha", "Slim", "Symfony",
             "Twig", "Webmozart", "Williamdes", "Fig", "getallheaders")
VENDOR = "vendor-debian"
# Debian's documentation is a link to /usr/share/doc (often absent): left out.
LEFT_OUT = {"doc"}
VERSION_RE = re.compile(r"public const VERSION = '([0-9][0-9.]*[0-9A-Za-z-]*)'")
INCLUDE_PATH = ("<?php\n// The libraries Debian keeps in /usr/share/php, inside this tree.\n"
                "set_include_path(__DIR__ . '/" + VENDOR + "' . PATH_SEPARATOR"
                " . get_include_path());\n")
# libraries/vendor_config.php: Debian's paths -> the upstream layout.
VENDOR_PATHS = {
    "'/var/lib/phpmyadmin/tmp/'": "ROOT_PATH . 'tmp' . DIRECTORY_SEPARATOR",
    "'/etc/phpmyadmin/config.inc.php'": "ROOT_PATH . 'config.inc.php'",
    "'/usr/share/doc/phpmyadmin/changelog.gz'": "ROOT_PATH . 'ChangeLog'",
    "'/usr/share/doc/phpmyadmin/copyright'": "ROOT_PATH . 'LICENSE'",
}
WILLIAMDES_SEARCH = f"{VENDOR}/Williamdes/MariaDBMySQLKBS/Search.php"
WILLIAMDES_DATA = ("'/usr/share/php/data/Williamdes/MariaDBMySQLKBS/'",
                   "__DIR__ . '/../../data/Williamdes/MariaDBMySQLKBS/'")


def _walk(source: Path, prefix: str, files: dict[str, Path], dirs: set[str],
          skip: set[str] = frozenset()) -> int:
    """Every file below ``source`` (symlinks followed, the ``cp -rL`` of the note) under
    ``prefix``; links that point to nothing are left out and counted."""
    broken = 0
    for root, dirnames, filenames in os.walk(source, followlinks=True):
        rel_root = Path(root).relative_to(source).as_posix()
        here = prefix + ("" if rel_root == "." else rel_root + "/")
        dirnames[:] = sorted(d for d in dirnames if (here + d).removeprefix(prefix) not in skip
                             and (Path(root) / d).exists())
        dirs.update(here + d for d in dirnames)
        for name in filenames:
            path = Path(root) / name
            if path.resolve().is_file():
                files[here + name] = path
            else:
                broken += 1
    return broken


def _patched(path: Path, replacements: dict[str, str], what: str) -> bytes:
    text = path.read_text("utf-8")
    for old, new in replacements.items():
        if old not in text:
            raise CatalogError(f"{what} no longer has {old}; the build needs updating.",
                               errcode="invalid_argument_source")
        text = text.replace(old, new)
    return text.encode("utf-8")


def version_of(source: Path) -> str:
    try:
        text = (source / "libraries" / "classes" / "Version.php").read_text("utf-8")
    except OSError:
        raise CatalogError(f"{source} is not phpMyAdmin: install the Debian package "
                           "phpmyadmin.", errcode="invalid_argument_source") from None
    match = VERSION_RE.search(text)
    if not match:
        raise CatalogError("libraries/classes/Version.php has no VERSION.",
                           errcode="invalid_argument_source")
    return match.group(1)


def build(out_dir: Path, *, source: str | None = None) -> tuple[Path, str, str]:
    """The archive, its version and a summary line."""
    source = Path(source or SOURCE)
    version = version_of(source)
    files: dict[str, Path] = {}
    dirs: set[str] = {"tmp", VENDOR, f"{VENDOR}/data"}
    broken = _walk(source, "", files, dirs, skip=LEFT_OUT)
    for name in LIBRARIES:
        if not (PHP_LIBS / name).is_dir():
            raise CatalogError(f"{PHP_LIBS / name} is missing; install phpmyadmin's "
                               "dependencies.", errcode="invalid_argument_source")
        dirs.add(f"{VENDOR}/{name}")
        broken += _walk(PHP_LIBS / name, f"{VENDOR}/{name}/", files, dirs)
    dirs.add(f"{VENDOR}/data/Williamdes")
    broken += _walk(PHP_LIBS / "data" / "Williamdes", f"{VENDOR}/data/Williamdes/", files, dirs)
    contents = {
        "autoload.php": INCLUDE_PATH.encode() + _patched(
            files.pop("autoload.php"), {"<?php\n": ""}, "autoload.php"),
        "libraries/vendor_config.php": _patched(
            files.pop("libraries/vendor_config.php"), VENDOR_PATHS, "vendor_config.php"),
        WILLIAMDES_SEARCH: _patched(files.pop(WILLIAMDES_SEARCH), dict([WILLIAMDES_DATA]),
                                    "Williamdes' Search.php"),
    }
    dest = Path(out_dir) / "phpmyadmin.tar.gz"
    write_archive(dest, files, dirs, contents,
                  mtime=int((source / "libraries" / "classes" / "Version.php").stat().st_mtime))
    return dest, version, (f"{len(files) + len(contents)} files, "
                           f"{broken} links to nothing left out")
