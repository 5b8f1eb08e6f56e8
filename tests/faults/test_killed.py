"""A worker SIGKILLed in the middle of an install and of a restore (backup, update and
clone: tests/backups and tests/updates). The reaper ends the task; the install is left
failed with what it made recorded, so uninstall removes it to the last file and table;
a killed restore leaves the live site as it was, and a second restore completes."""

from __future__ import annotations

import os
import signal
import time

import pytest

from .conftest import fetch, listing, run_backup, run_install

pytestmark = pytest.mark.slow


def _wait_message(task_id: str, message: str, timeout: float = 180) -> None:
    from apps.tasks.models import Task

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = Task.objects.get(pk=task_id)
        if task.message.startswith(message):
            return
        assert task.status in ("queued", "pending", "processing"), task.message
        time.sleep(0.05)
    pytest.fail(f"the task never reached {message!r}")


def _kill(worker) -> None:
    """SIGKILL the worker and what it started (tar, mysql), as a service manager
    stopping its unit or the OOM killer taking the whole group would."""
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


@pytest.fixture
def worker(transactional_db, wordpress_package, wordpress_archive, monkeypatch, request):
    """A real worker that finds the test's package store."""
    monkeypatch.setenv("INSTALLATRON_PACKAGES", str(wordpress_archive.store))
    return request.getfixturevalue("celery_worker")


def test_a_worker_killed_mid_install_leaves_what_uninstall_removes_whole(
        site, worker, api, mysql_query, backup_dir):
    from apps.installs import services, tasks
    from apps.installs.models import Install
    from apps.tasks.models import Task
    from apps.tasks.reaper import reap_stale_tasks
    from tests.installs.conftest import ADMIN_PASS, databases_of

    before = listing(site.root)
    reply = api.v1("install", user=site.account.username, application="wordpress",
                   url=f"{site.url}/blog", login="boss", passwd=ADMIN_PASS,
                   email="boss@example.com", sitetitle="Killed", background="1").json()
    assert reply["result"] is True, reply
    task_id = reply["task"]["id"] if "task" in reply else reply["data"]["task"]
    _wait_message(task_id, "Running the WordPress installer")
    _kill(worker)
    assert (site.docroot / "blog" / "wp-config.php").exists()  # in between, for now

    assert reap_stale_tasks(seconds=0) == [task_id]
    task = Task.objects.get(pk=task_id)
    assert task.status == "failed" and task.errcode == "failed_worker_lost"
    install = Install.objects.get(pk=task.install)
    assert install.status == "failed" and not install.busy
    assert "wp-config.php" in install.list_files and install.db_name

    task = services.start_uninstall(install, force=True)
    tasks.uninstall_app(task.id, True)
    assert Task.objects.get(pk=task.id).status == "completed"
    assert listing(site.root) == before
    assert databases_of(mysql_query, site.account) == []


def test_a_worker_killed_mid_restore_leaves_the_live_site_and_a_rerun_completes(
        site, worker, backup_dir):
    from apps.backups import services, tasks
    from apps.tasks.models import Task
    from apps.tasks.reaper import reap_stale_tasks

    install = run_install(site, f"{site.url}/blog", title="Restore Killed")
    big = site.docroot / "blog" / "wp-content" / "big.bin"
    with open(big, "wb") as fh:  # incompressible, so staging takes a while
        for _ in range(40):
            fh.write(os.urandom(8 * 1024 * 1024))
    backup = run_backup(install)
    big.unlink()
    (site.docroot / "blog" / "wp-content" / "after.txt").write_text("made after the backup")
    live = listing(site.docroot)

    task = services.start_restore(backup)
    deadline = time.monotonic() + 180
    while not list((site.docroot / "blog").glob(".itron-restore-*")):
        assert time.monotonic() < deadline, "the restore never started staging"
        time.sleep(0.02)
    _kill(worker)

    assert reap_stale_tasks(seconds=0) == [task.id]
    reaped = Task.objects.get(pk=task.pk)
    assert reaped.status == "failed" and reaped.errcode == "failed_worker_lost"
    visible = {k: v for k, v in listing(site.docroot).items() if ".itron-" not in k}
    assert visible == live  # what the site serves is untouched
    assert "Restore Killed" in fetch(f"{site.url}/blog/")[1]

    task = services.start_restore(backup)  # the rerun, in this process
    tasks.restore_backup(task.id, str(backup.id))
    assert Task.objects.get(pk=task.pk).status == "completed"
    assert big.stat().st_size == 40 * 8 * 1024 * 1024
    assert not (site.docroot / "blog" / "wp-content" / "after.txt").exists()
    assert not [k for k in listing(site.docroot) if ".itron-" in k]  # no leftovers
