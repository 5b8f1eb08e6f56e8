"""Backups kept at a remote location (bkloc sftp://): uploaded whole or not at all, a
failed upload keeps the local copy, a restore downloads and verifies before it starts."""

from __future__ import annotations

import os

import pytest

from .conftest import db_rows, run_backup, run_install, table_snapshot

pytestmark = pytest.mark.slow


def test_backups_go_to_a_remote_location_and_come_back_verified(site, known_sshd, remote_site,
                                                                wordpress_package):
    from apps.backups import services as backups
    from apps.backups import tasks as backup_tasks
    from apps.backups.models import Backup
    from apps.tasks.models import Task

    os.chmod(remote_site, 0o700)
    bkloc = known_sshd.url("sftp", remote_site)
    install = run_install(site, f"{site.url}/blog", title="Bkloc Blog", bkloc=bkloc)
    assert install.bkloc == bkloc and known_sshd.password not in install.as_api(False)["bkloc"]

    backup = run_backup(install)
    task = Task.objects.filter(install=install.id, cmd="backup").latest("created")
    assert "A copy was stored at" in task.message and known_sshd.password not in task.message
    stored = remote_site / f"{backup.id}.tar.gz"
    assert stored.read_bytes() == backup.archive_path.read_bytes()
    assert [p.name for p in remote_site.iterdir()] == [stored.name]  # no .part left
    assert Backup.objects.get(pk=backup.pk).backup_location == "remote"

    # The local copy is gone: restore fetches it, checks it, then restores.
    tables = table_snapshot(install)
    db_rows(install, "UPDATE wp_options SET option_value = 'Changed' WHERE option_name = "
                     "'blogname'")
    backup.archive_path.unlink()
    install.refresh_from_db()
    task = backups.start_restore(backup)
    backup_tasks.restore_backup(task.id, backup.id, "")
    task.refresh_from_db()
    assert task.status == "completed", task.message
    assert table_snapshot(install) == tables

    # A tampered remote copy is refused before anything changes.
    backup.archive_path.unlink()
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(bytes(data))
    db_rows(install, "UPDATE wp_options SET option_value = 'Changed' WHERE option_name = "
                     "'blogname'")
    changed = table_snapshot(install)
    install.refresh_from_db()
    task = backups.start_restore(backup)
    backup_tasks.restore_backup(task.id, backup.id, "")
    task.refresh_from_db()
    assert task.status == "failed" and task.errcode == "failed_backup_invalid", task.message
    assert table_snapshot(install) == changed
    assert not backup.archive_path.exists()


def test_a_failed_upload_keeps_the_local_copy_and_says_so(site, known_sshd, remote_site,
                                                         wordpress_package):
    from apps.installs.models import Install
    from apps.tasks.models import Task

    bad = known_sshd.url("sftp", remote_site, password="not-the-password")
    install = run_install(site, f"{site.url}/blog", title="Bkloc Blog", bkloc=bad)
    backup = run_backup(Install.objects.get(pk=install.pk))
    task = Task.objects.filter(install=install.id, cmd="backup").latest("created")
    assert task.status == "completed"
    assert "failed" in task.message and "kept on this server" in task.message
    assert "not-the-password" not in task.message
    assert backup.archive_path.exists() and backup.backup_location == "local"
    assert list(remote_site.iterdir()) == []


def test_automatic_backups_go_to_the_remote_location_and_deleting_removes_the_copy(
        site, known_sshd, remote_site, wordpress_package):
    from apps.backups import services as backups
    from apps.backups.models import Backup
    from apps.installs.schedules import autobackup_install

    os.chmod(remote_site, 0o700)
    install = run_install(site, f"{site.url}/blog", title="Auto Bkloc",
                          bkloc=known_sshd.url("sftp", remote_site), autobk="custom",
                          autobk_daily="1")
    first = autobackup_install(install, ["daily"], report=lambda *a: None)
    assert Backup.objects.get(pk=first.pk).backup_location == "remote"
    assert [p.name for p in remote_site.iterdir()] == [f"{first.id}.tar.gz"]
    # The next daily backup replaces it (autobk_daily=1), here and there.
    second = autobackup_install(install, ["daily"], report=lambda *a: None)
    assert not Backup.objects.filter(pk=first.pk).exists()
    assert [p.name for p in remote_site.iterdir()] == [f"{second.id}.tar.gz"]
    backups.delete_backup(Backup.objects.get(pk=second.pk))
    assert list(remote_site.iterdir()) == [] and not second.archive_path.exists()
