"""A backup dumps the database beside the file walk (mysqldump in a thread) and adds the
dump to the archive once it is complete; either one failing fails the backup and leaves
no archive, no Backup row and no thread behind.

Real WordPress, real MariaDB and mysqldump; only the order of events is watched, by
wrapping the archive module's own steps.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest

from .conftest import archive_members, run_backup, run_install

pytestmark = pytest.mark.slow


def dump_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "dump"]


def watch_walk(monkeypatch, archive, each) -> None:
    """The backup's file walk goes through the generator ``each(members)``."""
    real = archive.tree_members

    @contextmanager
    def tree_members(*args):
        with real(*args) as members:
            yield each(members)
    monkeypatch.setattr(archive, "tree_members", tree_members)


def test_the_dump_runs_while_the_files_are_walked_and_the_backup_restores(
        site, wordpress_package, backup_dir, monkeypatch):
    from apps.backups import archive
    from apps.backups.restore import restore_backup

    install = run_install(site, f"{site.url}/blog", title="Side By Side")
    walking = threading.Event()
    seen: dict = {}
    real_dump = archive.dump_tables

    def dump_tables(db, tables, out, folder=None):
        # Written before the files only if the walk has begun meanwhile: a dump run
        # before the walk waits here in vain.
        seen["walk began first"] = walking.wait(timeout=30)
        seen["thread"] = threading.current_thread().name
        real_dump(db, tables, out, folder)

    def watched(members):
        for pair in members:
            walking.set()
            yield pair

    monkeypatch.setattr(archive, "dump_tables", dump_tables)
    watch_walk(monkeypatch, archive, watched)
    backup = run_backup(install)
    assert seen == {"walk began first": True, "thread": "dump"}
    assert not dump_threads()

    names = list(archive_members(backup.archive_path))
    assert names.count("database.sql") == 1 and names[-1] == "installatron.json"
    assert "files/wp-config.php" in names
    assert set(backup.list_tables) == set(install.list_tables)

    # The dump taken beside the files brings the tables back.
    from .conftest import db_rows

    db_rows(install, f"UPDATE `{install.db_prefix}options` SET option_value = 'Changed' "
                     "WHERE option_name = 'blogname'")
    restore_backup(backup, install, report=lambda *a: None)
    assert db_rows(install, f"SELECT option_value FROM `{install.db_prefix}options` "
                            "WHERE option_name = 'blogname'") == (("Side By Side",),)


def test_a_dump_that_fails_beside_the_files_fails_the_backup_and_leaves_nothing(
        site, wordpress_package, backup_dir, monkeypatch):
    from apps.backups import archive, services, tasks
    from apps.backups.models import Backup

    install = run_install(site, f"{site.url}/blog", title="Broken Dump")
    real_own = archive.own_tables
    # A table listed that is gone by the time mysqldump runs: the real client fails.
    monkeypatch.setattr(archive, "own_tables",
                        lambda db: [*real_own(db), f"{install.db_prefix}gone"])

    task = services.start_backup(install)
    tasks.create_backup(task.id, "")
    task.refresh_from_db()
    assert task.status == "failed" and task.errcode == "failed_database", task.message
    assert "gone" in task.message and install.db_pass not in task.message
    assert not Backup.objects.filter(install=install).exists()
    folder = backup_dir / site.account.username
    assert not folder.exists() or not list(folder.iterdir())
    assert not dump_threads()


def test_a_file_walk_that_fails_waits_for_the_dump_and_leaves_nothing(
        site, wordpress_package, backup_dir, monkeypatch):
    from apps.backups import archive, services, tasks
    from apps.backups.models import Backup

    install = run_install(site, f"{site.url}/blog", title="Broken Walk")
    dumped = threading.Event()
    real_dump = archive.dump_tables

    def dump_tables(*args):
        real_dump(*args)
        dumped.set()

    def failing(members):
        for n, pair in enumerate(members):
            if n == 20:
                raise OSError(5, "Input/output error")
            yield pair

    monkeypatch.setattr(archive, "dump_tables", dump_tables)
    watch_walk(monkeypatch, archive, failing)
    task = services.start_backup(install)
    tasks.create_backup(task.id, "")
    task.refresh_from_db()
    assert task.status == "failed" and task.errcode == "failed_backup", task.message
    assert "Input/output error" in task.message
    # The client was not left running: the backup waited for it before it failed.
    assert dumped.is_set() and not dump_threads()
    assert not Backup.objects.filter(install=install).exists()
    folder = backup_dir / site.account.username
    assert not folder.exists() or not list(folder.iterdir())
