"""Backups kept at a remote location (bkloc sftp://): uploaded whole or not at all, a
failed upload keeps the local copy, a restore downloads and verifies before it starts."""

from __future__ import annotations

import os

import pytest

from apps.api import shapes
from tests.fixtures.locations import add_location

from .conftest import db_rows, run_backup, run_install, table_snapshot

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("scheme", ["sftp", "ftps"])
def test_backups_go_to_a_remote_location_and_come_back_verified(scheme, site, request,
                                                                wordpress_package):
    from apps.backups import services as backups
    from apps.backups import tasks as backup_tasks
    from apps.backups.locations import uri_of
    from apps.backups.models import Backup, BackupLocation
    from apps.tasks.models import Task

    if scheme == "sftp":
        server = request.getfixturevalue("known_sshd")
        remote_site = request.getfixturevalue("remote_site")
        os.chmod(remote_site, 0o700)
        bkloc = server.url("sftp", remote_site)
    else:  # FTP over TLS, certificate verified
        server = request.getfixturevalue("ftpd")
        remote_site = server.root / "backups"
        remote_site.mkdir()
        bkloc = server.url("ftps", "/backups")
    install = run_install(site, f"{site.url}/blog", title="Bkloc Blog", bkloc=bkloc)
    assert install.bkloc == bkloc and server.password not in shapes.install(install, False)["bkloc"]
    # The reference: a bkloc URI is associated with the user; it is listed in the GUI.
    assert BackupLocation.objects.get(account=site.account).uri == bkloc

    backup = run_backup(install)
    task = Task.objects.filter(install=install.id, cmd="backup").latest("created")
    assert "A copy was stored at" in task.message and server.password not in task.message
    assert uri_of(Backup.objects.get(pk=backup.pk)) == bkloc
    stored = remote_site / backup.archive_path.name
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
    from apps.backups.schedules import autobackup_install

    os.chmod(remote_site, 0o700)
    install = run_install(site, f"{site.url}/blog", title="Auto Bkloc",
                          bkloc=known_sshd.url("sftp", remote_site), autobk="custom",
                          autobk_daily="1")
    first = autobackup_install(install, ["daily"], report=lambda *a: None)
    assert Backup.objects.get(pk=first.pk).backup_location == "remote"
    assert [p.name for p in remote_site.iterdir()] == [first.archive_path.name]
    # The next daily backup replaces it (autobk_daily=1), here and there.
    second = autobackup_install(install, ["daily"], report=lambda *a: None)
    assert not Backup.objects.filter(pk=first.pk).exists()
    assert [p.name for p in remote_site.iterdir()] == [second.archive_path.name]
    backups.delete_backup(Backup.objects.get(pk=second.pk))
    assert list(remote_site.iterdir()) == [] and not second.archive_path.exists()


def test_a_user_saves_a_backup_location_in_the_gui_and_backs_up_there(
        client, site, known_sshd, remote_site, ftpd, wordpress_package):
    from apps.accounts.models import Account
    from apps.backups import tasks as backup_tasks
    from apps.backups.models import Backup, BackupLocation
    from apps.installs.models import Install
    from apps.tasks.models import Task

    os.chmod(remote_site, 0o700)
    install = run_install(site, f"{site.url}/blog", title="GUI Bkloc")
    client.force_login(site.account)
    assert "/gui/backups/locations/" in client.get("/gui/backups/").content.decode()
    page = client.get("/gui/backups/locations/").content.decode()
    assert "You have no backup locations yet" in page

    fields = {"name": "Offsite", "scheme": "sftp", "host": "127.0.0.1",
              "port": str(known_sshd.port), "username": known_sshd.user,
              "password": "wrong-pass!", "folder": str(remote_site)}
    _, refused = add_location(client, fields)
    assert refused.status == "failed" and "rejected the login" in refused.message
    assert "wrong-pass!" not in refused.message and not BackupLocation.objects.exists()
    _, missing = add_location(client, {**fields, "password": known_sshd.password,
                                       "folder": f"{remote_site}/nope"})
    assert missing.status == "failed" and not BackupLocation.objects.exists()

    saved, task = add_location(client, {**fields, "password": known_sshd.password})
    assert task.status == "completed", task.message
    progress = client.get(saved["Location"]).content.decode()
    assert "The location works and was saved." in progress and "/gui/backups/locations/" in progress
    location = BackupLocation.objects.get(account=site.account)
    assert location.uri == known_sshd.url("sftp", remote_site) and not location.pending
    assert list(remote_site.iterdir()) == []  # the test file was removed again
    listing = client.get("/gui/backups/locations/").content.decode()
    assert "Offsite" in listing and known_sshd.password not in listing
    assert f"sftp://{known_sshd.user}:***@127.0.0.1:{known_sshd.port}" in listing
    dup = client.post("/gui/backups/locations/", {**fields, "password": known_sshd.password})
    assert b"already have a location with this name" in dup.content
    again = client.post("/gui/backups/locations/", {**fields, "name": "Same place",
                                                    "password": known_sshd.password})
    assert "already saved as “Offsite”" in again.content.decode()
    assert BackupLocation.objects.filter(account=site.account).count() == 1
    # An FTP location of the same user: saved through the FTP server, also tested first.
    _, ftp = add_location(client, {
        "name": "FTP box", "scheme": "ftps", "host": "127.0.0.1", "port": str(ftpd.port),
        "username": "webftp", "password": ftpd.password, "folder": "/"})
    assert ftp.status == "completed", ftp.message

    # "Back up now" offers the locations; choosing one sends the copy there.
    detail = client.get(f"/gui/installs/{install.pk}/").content.decode()
    assert f'<option value="{location.pk}">Here and at Offsite</option>' in detail
    client.post(f"/gui/backups/install/{install.pk}/backup/", {"location": str(location.pk)})
    task = Task.objects.filter(install=install.id, cmd="backup").latest("created")
    backup_tasks.create_backup(task.id, "", str(location.pk))
    task.refresh_from_db()
    assert task.status == "completed" and "A copy was stored at" in task.message, task.message
    backup = Backup.objects.get(pk=task.result["backup"])
    assert (remote_site / backup.archive_path.name).read_bytes() == backup.archive_path.read_bytes()
    assert backup.location_uri == location.uri
    assert "here and at Offsite" in client.get("/gui/backups/").content.decode()
    assert Install.objects.get(pk=install.pk).bkloc == ""  # a one-off choice

    # Another user's location id is refused, and its pages are 404.
    other = Account.objects.create(username="someone-else", kind="user")
    theirs = BackupLocation.objects.create(account=other, name="Theirs", uri="ftp://x:y@h/")
    refused = client.post(f"/gui/backups/install/{install.pk}/backup/",
                          {"location": str(theirs.pk)}, follow=True).content.decode()
    assert "no such backup location" in refused
    assert client.get(f"/gui/backups/locations/{theirs.pk}/delete/").status_code == 404

    # The settings page makes it the install's location (the edit API's bkloc URI).
    edit = client.get(f"/gui/installs/{install.pk}/edit/").content.decode()
    assert "Backups are kept" in edit and "Here and at Offsite" in edit
    install.refresh_from_db()
    form = {"url": install.url, "sitetitle": install.fields["sitetitle"], "sitetagline":
            install.fields["sitetagline"], "login": "boss", "passwd": "", "email": install.fields["email"],
            "language": "en", "autoup": str(install.autoup), "autoup_backup": "on",
            "autobk": "0", "autobk_daily": "0", "autobk_weekly": "0", "autobk_monthly": "0",
            "db_host": install.db_host, "db_name": install.db_name, "db_user": install.db_user,
            "db_pass": "", "db_prefix": install.db_prefix, "bkloc": str(location.pk)}
    saved = client.post(f"/gui/installs/{install.pk}/edit/", form)
    assert saved.status_code == 302, saved.content.decode()[-3000:]
    assert Install.objects.get(pk=install.pk).bkloc == location.uri

    # Removing the location: confirmation names the install, which then backs up here.
    confirm = client.get(f"/gui/backups/locations/{location.pk}/delete/").content.decode()
    assert "GUI Bkloc" in confirm and "are not deleted" in confirm
    assert client.post(f"/gui/backups/locations/{location.pk}/delete/").status_code == 302
    assert Install.objects.get(pk=install.pk).bkloc == ""
    assert not BackupLocation.objects.filter(pk=location.pk).exists()
    # Its backup still knows where its copy is: the local one gone, a restore fetches it.
    backup.archive_path.unlink()
    from apps.backups import services as backups

    task = backups.start_restore(Backup.objects.get(pk=backup.pk))
    backup_tasks.restore_backup(task.id, backup.id, "")
    task.refresh_from_db()
    assert task.status == "completed", task.message

