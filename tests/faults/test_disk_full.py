"""A full disk: on the website (an install, a restore) and on the backup store (a backup).
The task fails with a clear message and leaves nothing half-made: no files, no database,
no backup listed, no temporary file."""

from __future__ import annotations

import os

import pytest

from .conftest import fetch, listing, make_site, run_backup, run_install, wait_task

pytestmark = pytest.mark.slow


def _fill(path, leave_mb: int) -> None:
    """Fill the filesystem of ``path`` (a file there) until ``leave_mb`` MB are left."""
    with open(path, "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * (1 << 20))
                fh.flush()
        except OSError:
            pass
        os.ftruncate(fh.fileno(), max(0, fh.tell() - (leave_mb << 20)))


def test_an_install_onto_a_full_website_fails_and_leaves_it_as_it_was(
        owner, small_fs, php_server, mysql_query, wordpress_package, backup_dir):
    from apps.installs import services, tasks
    from installatron_gui.lib.errors import InstallError
    from tests.installs.conftest import ADMIN_PASS, databases_of

    site = make_site(owner, small_fs(120) / "site", php_server)  # WordPress needs ~70 MB
    (site.docroot / "index.html").write_text("<h1>Owner's page</h1>")
    params = {"application": "wordpress", "url": f"{site.url}/blog", "login": "boss",
              "passwd": ADMIN_PASS, "email": "boss@example.com", "sitetitle": "Full"}
    plan = services.check_install(site.account, params)
    install, task = services.start_install(plan)
    _fill(site.root / "filler.bin", leave_mb=20)  # the disk fills up meanwhile
    before = listing(site.root)
    tasks.install_app(task.id)
    task = wait_task(task.id)

    assert task.status == "failed", task.message
    assert "space" in task.message.lower(), task.message
    assert listing(site.root) == before
    assert databases_of(mysql_query, owner) == []
    assert "Owner's page" in fetch(f"{site.url}/")[1]
    # Asked now, the same install is refused before anything starts, saying why.
    with pytest.raises(InstallError) as refused:
        services.check_install(site.account, params)
    assert refused.value.errcode == "invalid_argument_version_unmetrequirements"


def test_a_backup_onto_a_full_store_fails_and_leaves_no_trace(site, small_fs, settings,
                                                               monkeypatch, wordpress_package,
                                                               backup_dir):
    from apps.backups import services, tasks
    from apps.backups.models import Backup

    install = run_install(site, f"{site.url}/blog", title="Store Full")
    store = small_fs(4)  # a WordPress backup is ~20 MB
    settings.BACKUP_DIR = store
    monkeypatch.setenv("INSTALLATRON_BACKUPS", str(store))

    task = services.start_backup(install)
    tasks.create_backup(task.id, "")
    task = wait_task(task.id)

    assert task.status == "failed", task.message
    assert "space" in task.message.lower(), task.message
    assert not Backup.objects.exists()
    leftovers = [p for p in store.rglob("*") if p.is_file()]
    assert leftovers == []
    assert "Store Full" in fetch(f"{site.url}/blog/")[1]


def test_a_restore_onto_a_full_website_puts_nothing_half_back(
        owner, small_fs, php_server, mysql_query, wordpress_package, backup_dir):
    """Installed on a roomy disk, the website then fills up (another of the owner's files):
    the restore cannot stage its files and leaves the site exactly as it was."""
    from apps.backups import services, tasks
    from tests.backups.conftest import db_rows

    point = small_fs(200)
    site = make_site(owner, point / "site", php_server)
    install = run_install(site, f"{site.url}/blog", title="Before Full")
    backup = run_backup(install)
    db_rows(install, f"UPDATE `{install.db_prefix}options` SET option_value = 'Changed' "
                     "WHERE option_name = 'blogname'")
    (site.docroot / "blog" / "owner-note.txt").write_text("mine")
    _fill(site.root / "filler.bin", leave_mb=2)  # the rest of the disk: not enough
    before = listing(site.docroot)

    task = services.start_restore(backup)
    tasks.restore_backup(task.id, str(backup.id))
    task = wait_task(task.id)

    assert task.status == "failed", task.message
    assert listing(site.docroot) == before
    assert "Changed" in fetch(f"{site.url}/blog/")[1]  # the tables are the live ones too
