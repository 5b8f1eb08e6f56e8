"""An application version's requirements (php, php_extensions, diskspace) against the website it would
be installed on: ``invalid_argument_version_unmetrequirements`` when one is not met.

Requirements are written as Installatron writes them: ``"5.6.20-"`` (at least),
``"-8.3"`` (at most), ``"7.4-8.3"`` (between), and sizes as ``"70M"``. What cannot be
measured from here (the PHP of a remote server, the free space behind FTP) is not
guessed: only local websites are checked.
"""

from __future__ import annotations

import re
import shutil

from apps.catalog.requirements import ERRCODE, in_range, local_php_version, unmet

from .errors import InstallError

__all__ = ["ERRCODE", "check_requirements", "in_range", "local_php_version", "size_bytes"]
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def size_bytes(spec: str) -> int | None:
    match = _SIZE_RE.match(str(spec))
    if not match:
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def check_requirements(recipe, version: str, website_path: str) -> None:
    """Raise the reference's errcode when the local website cannot run ``version``."""
    if not website_path.startswith("/"):
        return
    wanted = recipe.requirements
    reasons = unmet(recipe)  # this machine's PHP: its version and extensions
    if reasons:
        raise InstallError(" ".join(reasons), errcode=ERRCODE, field="version")
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
