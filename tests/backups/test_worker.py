"""Through a real Celery worker: the API's backup/backups/editbackup/restore/delete, and a
worker killed in the middle of a backup leaving nothing that looks like a backup."""

from __future__ import annotations

import os
import signal
import time

import pytest

from .conftest import fetch, run_install

pytestmark = pytest.mark.slow


@pytest.fixture
def worker(transactional_db, wordpress_package, wordpress_archive, monkeypatch, request):
    monkeypatch.setenv("INSTALLATRON_PACKAGES", str(wordpress_archive.store))
    return request.getfixturevalue("celery_worker")


def test_api_backup_list_edit_restore_delete(site, worker, api, stranger, backup_dir):
    install = run_install(site, f"{site.url}/blog", title="API Backups")
    user = site.account.username
    body = api.v1("backup", user=user, id=install.id, expiry="7d").json()
    assert body["result"] is True, body
    data = body["data"]
    assert data["backup-install"] == install.id and data["db-pass"] == ""
    assert data["backup-filename"].endswith(".tar.zst") and int(data["cache-archive"]) > 0
    assert data["expiry"] and int(data["expiry"]) > time.time() + 6 * 86400
    assert install.db_pass not in str(body)
    backup_id = data["id"]

    listed = api.v2("GET", "/backups", {"user": user, "pid": install.id}).json()
    assert listed["total_count"] == 1 and listed["data"][0]["backup_install"] == install.id
    assert "files" in listed["data"][0] and listed["data"][0]["db_pass"] == ""
    assert api.v2("GET", "/backups", {"user": user, "pid": "nope"}).json()["total_count"] == 0

    edited = api.v2("POST", f"/backups/{backup_id}", {"user": user, "expiry": "never",
                                                      "title": "Keep me"}).json()
    assert edited["data"]["expiry"] is None and edited["data"]["title"] == "Keep me"

    # Another owner's backup is 404, whatever the command.
    for method, path in (("POST", f"/backups/{backup_id}/restore"),
                         ("POST", f"/backups/{backup_id}"), ("DELETE", f"/backups/{backup_id}")):
        response = api.v2(method, path, {"user": stranger.username})
        assert response.status_code == 404, (path, response.json())

    response = api.v2("POST", f"/backups/{backup_id}/restore", {"user": user, "dryrun": "2"})
    assert response.status_code == 200, response.json()
    response = api.v2("POST", f"/backups/{backup_id}/restore", {"user": user,
                                                               "background": "1"})
    task_id = response.json()["task"]["id"]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        task = next(t for t in api.v2("GET", "/tasks", {"user": user}).json()["data"]
                    if t["id"] == task_id)
        if task["status"] in ("completed", "failed"):
            break
        time.sleep(0.5)
    assert task["status"] == "completed", task["text"]
    assert "<title>API Backups" in fetch(f"{site.url}/blog/")[1]

    clone = api.v1("clone", user=user, id=install.id, url=f"{site.url}/copy",
                   dryrun="1").json()
    assert clone["result"] is True and clone["data"]["url"] == f"{site.url}/copy"

    assert api.v2("DELETE", f"/backups/{backup_id}", {"user": user}).status_code == 200
    assert not list(backup_dir.rglob("*.tar.*"))
    assert not any(install.db_pass in line for line in worker.output)


def test_a_worker_killed_mid_backup_leaves_no_backup_listed(site, worker, api, backup_dir):
    from apps.backups import services
    from apps.backups.models import Backup
    from apps.tasks.models import Task

    install = run_install(site, f"{site.url}/blog", title="Killed")
    # Incompressible and large, so the backup takes long enough to be interrupted.
    with open(site.docroot / "blog" / "wp-content" / "big.bin", "wb") as fh:
        for _ in range(48):
            fh.write(os.urandom(8 * 1024 * 1024))
    task = services.start_backup(install)
    folder = backup_dir / site.account.username
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        parts = list(folder.glob(".*.part")) if folder.exists() else []
        if parts and parts[0].stat().st_size > 1024 * 1024:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the backup never started writing")
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)

    assert not Backup.objects.exists()
    assert api.v1("backups", user=site.account.username).json()["data"] == []
    # Only the hidden temporary file is there, no archive under its final name.
    assert not [p for p in folder.iterdir() if p.name.endswith((".tar.zst", ".tar.gz"))]
    assert list(folder.glob(".*.part"))
    assert Task.objects.get(pk=task.pk).status == "processing"
    # The sweeper removes the leftover once it is stale.
    from django.utils import timezone

    services.delete_expired_backups(now=timezone.now() + timezone.timedelta(days=1))
    assert not list(folder.glob(".*.part"))
