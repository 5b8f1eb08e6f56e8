"""Faults (issue 15, Deliver 4): a database server stopped mid-task, a full disk on the
website and on the backup store, a corrupted archive, a worker killed mid-task. After each,
the task ends failed (or finishes once the fault is gone), never stuck, and the website and
its database are as before or as after, never in between."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.backups.conftest import backup_dir, db_rows, run_backup, run_install  # noqa: F401
from tests.fixtures.mariadb import private_mariadb  # noqa: F401
from tests.installs.conftest import ADMIN_PASS, fetch, listing, make_site, owner, site  # noqa: F401


@pytest.fixture
def small_fs():
    """``small_fs(megabytes)``: a tmpfs of that size, mounted for this test only."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root (scripts/test.sh runs as root)")
    mounted: list[Path] = []

    def mount(megabytes: int) -> Path:
        point = Path(tempfile.mkdtemp(prefix="itron-full-"))
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0755",
                               "tmpfs", str(point)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"this machine cannot mount a tmpfs: {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)
        os.rmdir(point)


def wait_task(task_id: str, timeout: float = 300):
    from apps.tasks.services import wait_for_task

    return wait_for_task(task_id, timeout=timeout)
