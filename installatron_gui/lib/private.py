"""Our own files are private: the data folder 0700, what it holds 0600, whatever the umask.

``lock_down()`` runs first in every entry point (manage.py, wsgi.py, the Celery worker and
beat): it sets the umask to 077, so everything the process creates from then on (the
SQLite database and the journal files SQLite gives the same mode, settings.ini, keys,
logs, backups, broker messages) is private, and fixes the modes of what an earlier
version or another umask left readable. The database holds live session keys and the
folder holds the keys that decrypt website credentials: no other local user may read them.

Website files are not ours to change: the demo website and the static files (public
anyway) are left alone; the folder's 0700 already keeps others out of them.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
# Below DATA_DIR: folders whose whole tree is ours and private.
PRIVATE_TREES = ("etc", "log", "run", "broker", "backups", "packages")

log = logging.getLogger(__name__)


def _fix(path: Path, mode: int) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode) or stat.S_IMODE(st.st_mode) & ~mode == 0:
        return  # never through a link; already no more open than ``mode``
    try:
        os.chmod(path, stat.S_IMODE(st.st_mode) & mode)
    except OSError as exc:
        log.warning("could not make %s private: %s", path, exc.strerror)


def make_tree_private(top: Path) -> None:
    """Folders 0700 (at most), files 0600 (at most), symlinks neither followed nor changed.

    A folder that is already private keeps everyone else out of what it holds, so its tree
    is walked only when the folder itself was open: start-up does not read every backup."""
    top = Path(top)
    if top.is_symlink() or not top.is_dir():
        _fix(top, PRIVATE_FILE)
        return
    if stat.S_IMODE(os.lstat(top).st_mode) & ~PRIVATE_DIR == 0:
        return
    _fix(top, PRIVATE_DIR)
    for folder, dirs, files in os.walk(top):
        for name in dirs:
            _fix(Path(folder, name), PRIVATE_DIR)
        for name in files:
            _fix(Path(folder, name), PRIVATE_FILE)


def private_paths(settings) -> list[Path]:
    """Every file or tree of ours that must be private, from the settings."""
    data = Path(settings.DATA_DIR)
    paths = [data / name for name in PRIVATE_TREES]
    paths += [Path(settings.BACKUP_DIR), Path(settings.PACKAGE_STORE), Path(settings.SETTINGS_INI)]
    paths += sorted(data.glob("celerybeat-schedule*"))
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3") and str(database["NAME"]) != ":memory:":
        name = str(database["NAME"])
        paths += [Path(name + suffix) for suffix in ("", "-journal", "-wal", "-shm")]
    return list(dict.fromkeys(p.absolute() for p in paths))  # BACKUP_DIR is data/backups


def lock_down() -> None:
    """The umask first (settings create folders when imported), then the modes."""
    os.umask(PRIVATE_UMASK)
    from django.conf import settings

    _fix(Path(settings.DATA_DIR), PRIVATE_DIR)
    for path in private_paths(settings):
        make_tree_private(path)
