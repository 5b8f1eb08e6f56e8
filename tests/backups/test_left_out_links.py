"""A folder that is a symbolic link when the backup is taken: the archive cannot hold it
(links are refused in archives), so the backup says so, and a restore keeps whatever is
at that place then, a link or a real folder, instead of deleting it.

Real WordPress, real files, real MariaDB; the tasks' bodies run in this process.
"""

from __future__ import annotations

import os

import pytest

from .conftest import archive_members, fetch, new_post, run_install

pytestmark = pytest.mark.slow


def restore(backup):
    from apps.backups import services, tasks

    task = services.start_restore(backup)
    tasks.restore_backup(task.id, backup.id, "")
    task.refresh_from_db()
    assert task.status == "completed", task.message


def test_a_linked_uploads_folder_is_reported_and_survives_restores(
        site, wordpress_package, backup_dir):
    from apps.backups import services, tasks
    from apps.backups.models import Backup
    from apps.tasks.services import wait_for_task

    install = run_install(site, f"{site.url}/blog", title="Linked Uploads")
    uploads = site.docroot / "blog" / "wp-content" / "uploads"
    media = site.root / "media"
    uploads.rename(media)  # the owner keeps uploads outside the site, linked
    (media / "2024").mkdir(parents=True)
    (media / "2024" / "photo.jpg").write_bytes(b"\xff\xd8 a photo")
    os.symlink("../../../media", uploads)

    task = services.start_backup(install)
    tasks.create_backup(task.id, "")
    task = wait_for_task(task.id, timeout=300)
    assert task.status == "completed", task.message
    assert "wp-content/uploads" in task.message and "could not be included" in task.message
    backup = Backup.objects.select_related("account", "website").get(pk=task.result["backup"])
    assert not [n for n in archive_members(backup.archive_path)
                if n.startswith("files/wp-content/uploads")]

    # Restored while it is still a link: the link stays, and what it points to.
    new_post(install, "After the backup")
    restore(backup)
    assert os.readlink(uploads) == "../../../media"
    assert (media / "2024" / "photo.jpg").read_bytes() == b"\xff\xd8 a photo"
    assert "After the backup" not in fetch(f"{site.url}/blog/")[1]

    # The owner made it a real folder since: a restore keeps it and what it holds.
    uploads.unlink()
    (uploads / "2025").mkdir(parents=True)
    (uploads / "2025" / "new.jpg").write_bytes(b"\xff\xd8 new photo")
    (site.docroot / "blog" / "wp-content" / "added-later.txt").write_text("goes\n")
    new_post(install, "After the backup again")
    restore(backup)
    assert (uploads / "2025" / "new.jpg").read_bytes() == b"\xff\xd8 new photo"
    assert not (site.docroot / "blog" / "wp-content" / "added-later.txt").exists()
    status, home = fetch(f"{site.url}/blog/")
    assert status == 200 and "After the backup again" not in home
    assert not [p for p in (site.docroot / "blog").iterdir() if p.name.startswith(".itron-")]
