"""A WordPress site to back up: installed for real (MariaDB through the mysql panel, files
on disk, WordPress's installer over HTTP), with backups kept in a per-test folder."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from tests.installs.conftest import ADMIN_PASS, Site, fetch, listing, owner, site  # noqa: F401


@pytest.fixture(autouse=True)
def backup_dir(settings, tmp_path, monkeypatch):
    """BACKUP_DIR for this test only; a worker started later inherits it."""
    path = tmp_path / "backups"
    settings.BACKUP_DIR = path
    monkeypatch.setenv("INSTALLATRON_BACKUPS", str(path))
    return path


def run_install(site, url: str, title: str = "Backup Test Blog", **extra):
    """Install WordPress at ``url`` in this process (the Celery task's body, run here)."""
    from apps.installs import services, tasks
    from apps.installs.models import Install

    plan = services.check_install(site.account, {
        "application": "wordpress", "url": url, "login": "boss", "passwd": ADMIN_PASS,
        "email": "boss@example.com", "sitetitle": title, **extra})
    install, task = services.start_install(plan)
    tasks.install_app(task.id)
    # With a real worker running (transactional tests) it may have claimed the task first.
    from apps.tasks.services import wait_for_task

    task = wait_for_task(task.id, timeout=300)
    assert task.status == "completed", task.message
    return Install.objects.select_related("account", "website").get(pk=install.pk)


def run_backup(install):
    from apps.backups import services, tasks
    from apps.backups.models import Backup

    from apps.tasks.services import wait_for_task

    task = services.start_backup(install)
    tasks.create_backup(task.id, "")
    task = wait_for_task(task.id, timeout=300)  # or the real worker, if it was first
    assert task.status == "completed", task.message
    return Backup.objects.select_related("account", "website").get(pk=task.result["backup"])


def db_rows(install, sql: str, args=None):
    from apps.installs.services import connect_db

    conn = connect_db(install.db_host, install.db_user, install.db_pass, install.db_name)
    try:
        cur = conn.cursor()
        cur.execute(sql, args)
        rows = cur.fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()


def table_snapshot(install) -> dict:
    """Every table of the install with a checksum of its content."""
    tables = [r[0] for r in db_rows(install, "SHOW TABLES")]
    return {t: db_rows(install, f"CHECKSUM TABLE `{t}`")[0][1] for t in sorted(tables)}


def assert_nowhere_in_tables(install, text: str) -> None:
    """No text column of the install's tables holds ``text`` (an old URL, say)."""
    for table in install.list_tables:
        columns = [r[0] for r in db_rows(install, "SELECT COLUMN_NAME FROM information_schema."
                                                  "COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND "
                                                  "TABLE_NAME = %s", (table,))]
        for column in columns:
            hits = db_rows(install, f"SELECT COUNT(*) FROM `{table}` WHERE "
                                    f"CAST(`{column}` AS CHAR) LIKE %s", (f"%{text}%",))
            assert hits[0][0] == 0, (table, column)


def new_post(install, title: str, content: str = "Changed content", guid: str = "") -> None:
    """A published post written straight into the install's tables."""
    p = install.db_prefix
    db_rows(install, f"INSERT INTO `{p}posts` (post_author, post_date, post_date_gmt, "
                     "post_content, post_title, post_excerpt, post_status, post_name, to_ping, "
                     "pinged, post_modified, post_modified_gmt, post_content_filtered, guid, "
                     "post_type) VALUES (1, NOW(), UTC_TIMESTAMP(), %s, %s, '', 'publish', "
                     "'changed-post', '', '', NOW(), UTC_TIMESTAMP(), '', %s, 'post')",
            (content, title, guid))


def archive_members(path) -> dict[str, bytes | None]:
    """Every member of the archive at ``path`` (zstd, gzip or plain): name -> bytes
    (None for a folder)."""
    from installatron_gui.lib.compression import tar_reader

    with tar_reader(path, whole=True) as tar:
        return {m.name: tar.extractfile(m).read() if m.isreg() else None for m in tar}


def rewrite_archive(backup, change, kind: str | None = None) -> None:
    """Rewrite ``backup``'s archive member by member (``change(name, data)`` returns a
    regular member's new bytes), compressed as it was or as ``kind``, and record the new
    checksum, as a tampered or old-format archive would be."""
    from installatron_gui.lib.compression import kind_of_file, tar_reader, tar_writer

    path = backup.archive_path
    rewritten = path.with_name("rewritten.part")
    with tar_reader(path) as src, open(rewritten, "wb") as out, \
            tar_writer(out, kind or kind_of_file(path)) as dst:
        for member in src:
            data = None
            if member.isreg():
                data = change(member.name, src.extractfile(member).read())
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    os.replace(rewritten, path)
    backup.checksum = hashlib.sha256(path.read_bytes()).hexdigest()
    backup.save()
