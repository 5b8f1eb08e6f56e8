"""An application version's requirements (php, diskspace) against the website it would
be installed on: ``invalid_argument_version_unmetrequirements`` when one is not met.

Requirements are written as Installatron writes them: ``"5.6.20-"`` (at least),
``"-8.3"`` (at most), ``"7.4-8.3"`` (between), and sizes as ``"70M"``. What cannot be
measured from here (the PHP of a remote server, the free space behind FTP) is not
guessed: only local websites are checked.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess

from installatron_gui.lib.versions import compare
from installatron_gui.lib.children import child_env

from .errors import InstallError

ERRCODE = "invalid_argument_version_unmetrequirements"
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def in_range(version: str, spec: str) -> bool:
    """Whether ``version`` lies in the range ``spec`` ("5.6.20-", "-8.3", "7.4-8.3")."""
    low, sep, high = str(spec).strip().partition("-")
    if not sep:  # a bare version means "at least"
        low, high = low, ""
    if low.strip() and compare(version, low.strip()) < 0:
        return False
    return not (high.strip() and compare(version, high.strip()) > 0)


def size_bytes(spec: str) -> int | None:
    match = _SIZE_RE.match(str(spec))
    if not match:
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


@functools.lru_cache(maxsize=1)
def local_php_version() -> str | None:
    """The PHP this machine runs (None: no php-cli here, nothing to compare with)."""
    php = shutil.which("php")
    if php is None:
        return None
    try:
        result = subprocess.run([php, "-n", "-r", "echo PHP_VERSION;"], capture_output=True,
                                text=True, timeout=30, check=True, env=child_env())
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def check_requirements(recipe, version: str, website_path: str) -> None:
    """Raise the reference's errcode when the local website cannot run ``version``."""
    if not website_path.startswith("/"):
        return
    wanted = recipe.requirements
    php = local_php_version()
    if wanted.get("php") and php and not in_range(php, wanted["php"]):
        raise InstallError(f"{recipe.name} {version} needs PHP {wanted['php']}; this server "
                           f"runs PHP {php}.", errcode=ERRCODE, field="version")
    needed = size_bytes(wanted.get("diskspace", ""))
    if needed:
        try:
            free = shutil.disk_usage(website_path).free
        except OSError:
            return  # the folder's own checks say what is wrong with it
        if free < needed:
            raise InstallError(f"{recipe.name} {version} needs {wanted['diskspace']} of disk "
                               f"space; the website has {free >> 20} MB free.",
                               errcode=ERRCODE, field="version")
