"""PostfixAdmin's standalone tree from Debian's ``postfixadmin`` package.

Upstream's tree wants the web server's document root on its ``public/`` folder; an
installer puts an application at a URL folder. So the package is ``public/`` at its top
(what the URL serves) and everything else under ``app/`` beside it, with the few
``dirname(__FILE__) . '/../'`` paths of ``public/`` pointed at ``app/`` (and an
``app/.htaccess`` that keeps Apache from serving it). Debian's indirections are replaced:
``config.inc.php`` (a link into /etc that reads dbconfig-common's credentials) becomes
upstream's defaults, ``templates_c`` (a link into /var/cache) an empty writable folder,
and the symlinks inside ``public/`` are copied. The recipe writes ``app/config.local.php``.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from apps.recipes.base import BuiltPackage, CatalogError
from installatron_gui.lib.children import child_env
from installatron_gui.lib.packing import write_archive

SOURCE = Path("/usr/share/postfixadmin")
APP = "app"
# Debian's links out of the tree, replaced (config.inc.php is rewritten, the others made).
DROPPED = {"config.inc.php", "config.local.php", "templates_c", "index.php", "public"}
WRITABLE_DIRS = (f"{APP}/templates_c",)
# Upstream's database defaults for Debian's require of /etc/postfixadmin/dbconfig.inc.php.
_DBCONFIG = re.compile(r"require_once\('dbconfig\.inc\.php'\);\s*if \(!isset\(\$dbserver\) "
                       r"\|\| empty\(\$dbserver\)\) \{\s*\$dbserver='localhost';\s*\}", re.S)
_UPSTREAM_DB = ("$dbtype = 'mysqli';\n$dbserver = 'localhost';\n$dbuser = 'postfix';\n"
                "$dbpass = 'postfixadmin';\n$dbname = 'postfix';")
_VERSION = re.compile(r"^\$CONF\['version'\] = '[^']*';", re.M)
# public/ reaches the rest through '/../': in the package it is app/ beside it.
PUBLIC_PATHS = [("dirname(__FILE__) . '/../", "dirname(__FILE__) . '/app/"),
                ('dirname(__FILE__) . "/../', 'dirname(__FILE__) . "/app/'),
                ('realpath(__DIR__ . "/../config.local.php")',
                 'realpath(__DIR__ . "/app/config.local.php")')]
HTACCESS = b"# The application's code and configuration: never served.\nRequire all denied\n"


def debian_version() -> str:
    """The upstream part of the installed package's version (3.3.13 of 3.3.13-1+deb12u1)."""
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "postfixadmin"],
                             capture_output=True, text=True, timeout=30, check=True,
                             env=child_env()).stdout
    except (OSError, subprocess.SubprocessError):
        raise CatalogError("Debian's postfixadmin package is not installed (apt-get install "
                           "postfixadmin).", errcode="invalid_argument_source") from None
    return re.split(r"-\d|\+", out.split(":")[-1])[0]


def upstream_config(debian_config: str, version: str) -> str:
    """Debian's config.inc.php with upstream's database defaults and the real version."""
    text, count = _DBCONFIG.subn(lambda _m: _UPSTREAM_DB, debian_config)
    text, vcount = _VERSION.subn(lambda _m: f"$CONF['version'] = '{version}';", text)
    if count != 1 or vcount != 1:
        raise CatalogError("Debian's config.inc.php no longer reads dbconfig.inc.php as "
                           "expected; update the build.", errcode="invalid_argument_source")
    return text


def public_file(text: str) -> str:
    for old, new in PUBLIC_PATHS:
        text = text.replace(old, new)
    return text


def build(out_dir: Path, *, source: str | None = None,
          version: str | None = None) -> list[BuiltPackage]:
    """The recipe's ``build_package`` hook: ``postfixadmin.tar.gz`` in ``out_dir``."""
    root = Path(source or SOURCE)
    if not (root / "public" / "setup.php").is_file() or not (root / "model").is_dir():
        raise CatalogError(f"{root} has no public/setup.php and model/; is it PostfixAdmin?",
                           errcode="invalid_argument_source")
    version = version or debian_version()
    files: dict[str, Path] = {}
    contents: dict[str, bytes] = {}
    dirs: set[str] = {APP, *WRITABLE_DIRS}
    for base, prefix in ((root / "public", ""), (root, f"{APP}/")):
        for top, dirnames, filenames in os.walk(base, followlinks=True):
            rel = Path(top).relative_to(base).as_posix()
            here = prefix + ("" if rel == "." else rel + "/")
            if rel == "." and prefix:
                dirnames[:] = [d for d in dirnames if d not in DROPPED]
                filenames = [f for f in filenames if f not in DROPPED]
            for name in dirnames:
                dirs.add(here + name)
            for name in filenames:
                path = Path(top) / name
                if not path.resolve().is_file():
                    raise CatalogError(f"{here}{name} points to nothing.",
                                       errcode="invalid_argument_source")
                if not prefix and name.endswith(".php"):
                    text = path.read_text("utf-8")
                    patched = public_file(text)
                    if patched != text:
                        contents[here + name] = patched.encode("utf-8")
                        continue
                files[here + name] = path
    config = (root / "config.inc.php").resolve().read_text("utf-8")
    contents[f"{APP}/config.inc.php"] = upstream_config(config, version).encode("utf-8")
    contents[f"{APP}/.htaccess"] = HTACCESS
    if "common.php" not in contents or "setup.php" not in contents:
        raise CatalogError("public/common.php or setup.php no longer reach '../'; update "
                           "the build.", errcode="invalid_argument_source")
    dest = Path(out_dir) / "postfixadmin.tar.gz"
    write_archive(dest, files, dirs, contents,
                  mtime=int((root / "functions.inc.php").stat().st_mtime))
    return [BuiltPackage(path=dest, version=version,
                         summary=f"{len(files) + len(contents)} files")]
