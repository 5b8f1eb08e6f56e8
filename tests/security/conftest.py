"""Helpers for running the product as scripts/run.sh does, and for acting as nobody."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def product_env(data: Path) -> dict:
    """The environment of scripts/run.sh's processes: the embedded SQLite database and
    the file-system broker (not the test settings' MariaDB and Redis)."""
    return {"PATH": os.environ["PATH"], "HOME": "/root", "LANG": "C.UTF-8",
            "INSTALLATRON_DATA": str(data), "CELERY_BROKER_URL": "filesystem://"}


def manage(data: Path, *args: str) -> str:
    """manage.py run as scripts/run.sh runs it, but under a permissive umask; its output."""
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT,
                          check=True, env=product_env(data), umask=0o022, capture_output=True,
                          text=True, timeout=300).stdout


def as_nobody(*argv: str) -> subprocess.CompletedProcess:
    if shutil.which("setpriv") is None:
        pytest.fail("setpriv (util-linux) is needed to act as nobody")
    return subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                           "--", *argv], capture_output=True, text=True, timeout=30)


@pytest.fixture
def open_parent():
    """A folder every local user may enter (like the checkout a data folder sits in)."""
    if os.geteuid() != 0:
        pytest.fail("acting as nobody needs root")
    base = Path(tempfile.mkdtemp(prefix="itron-private-", dir="/tmp"))
    base.chmod(0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)
