"""A corrupted archive (cut short and with a checksum that matches it, as a backup copied
in half from elsewhere would be): the restore refuses it before touching anything."""

from __future__ import annotations

import hashlib

import pytest

from .conftest import db_rows, fetch, listing, run_backup, run_install, wait_task

pytestmark = pytest.mark.slow


def test_a_truncated_backup_is_refused_and_the_site_is_untouched(site, wordpress_package,
                                                                 backup_dir):
    from apps.backups import services, tasks

    install = run_install(site, f"{site.url}/blog", title="Intact")
    backup = run_backup(install)
    db_rows(install, f"UPDATE `{install.db_prefix}options` SET option_value = 'Live Title' "
                     "WHERE option_name = 'blogname'")
    data = backup.archive_path.read_bytes()
    backup.archive_path.write_bytes(data[: len(data) // 2])
    backup.checksum = hashlib.sha256(data[: len(data) // 2]).hexdigest()
    backup.save(update_fields=["checksum"])
    before = listing(site.docroot)

    task = services.start_restore(backup)
    tasks.restore_backup(task.id, str(backup.id))
    task = wait_task(task.id)

    assert task.status == "failed" and task.errcode == "failed_backup_invalid", task.message
    assert listing(site.docroot) == before
    assert "Live Title" in fetch(f"{site.url}/blog/")[1]
