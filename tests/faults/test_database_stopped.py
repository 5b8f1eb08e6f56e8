"""The database server stops (a MariaDB of the test's own, never the shared one): before a
backup or restore, and in the middle of a restore's import. Tasks end failed with the
database's errcode, files stay as they were, and a restore cut by a server restart puts the
tables back as they were once the server answers again."""

from __future__ import annotations

import threading
import time

import pytest

from .conftest import db_rows, fetch, listing, run_backup, run_install, wait_task

pytestmark = pytest.mark.slow


@pytest.fixture
def server(settings, private_mariadb, site):
    """Installs of this test get their database on the private server."""
    settings.MYSQL_ADMIN = {**settings.MYSQL_ADMIN, **private_mariadb.admin}
    if not private_mariadb.answers():
        private_mariadb.start()
    yield private_mariadb
    if not private_mariadb.answers():
        private_mariadb.start()
    for (name,) in private_mariadb.query("SHOW DATABASES LIKE %s",
                                         (site.account.username + r"\_%",)):
        private_mariadb.query(f"DROP DATABASE `{name}`")


def _marker(install) -> list:
    return db_rows(install, f"SELECT option_value FROM `{install.db_prefix}options` "
                            "WHERE option_name = 'itron_marker'")


def test_backup_and_restore_refuse_while_the_server_is_stopped(site, server, wordpress_package,
                                                               backup_dir):
    from apps.backups import services, tasks
    from apps.backups.models import Backup

    install = run_install(site, f"{site.url}/blog", title="Private Server")
    assert install.db_host == f"127.0.0.1:{server.port}"  # the app is told the port
    backup = run_backup(install)
    files = listing(site.docroot / "blog")
    server.stop()

    task = services.start_backup(install)
    tasks.create_backup(task.id, "")
    task = wait_task(task.id)
    assert task.status == "failed" and task.errcode.startswith("failed_database"), task.message
    assert list(Backup.objects.filter(install=install)) == [backup]
    assert not list(backup_dir.rglob(".*.part"))

    task = services.start_restore(backup)
    tasks.restore_backup(task.id, str(backup.id))
    task = wait_task(task.id)
    assert task.status == "failed" and task.errcode.startswith("failed_database"), task.message
    assert listing(site.docroot / "blog") == files

    server.start()  # and once it is back, all is well
    assert "Private Server" in fetch(f"{site.url}/blog/")[1]
    assert run_backup(install).id != backup.id


def _bulky(install) -> None:
    """A table large enough for an import to take a while (about 40 MB of SQL)."""
    db_rows(install, f"CREATE TABLE `{install.db_prefix}bulk` (id INT PRIMARY KEY, "
                     "body VARCHAR(255))")
    for start in range(0, 200_000, 20_000):
        db_rows(install, f"INSERT INTO `{install.db_prefix}bulk` SELECT seq, REPEAT('x', 200) "
                         f"FROM seq_{start + 1}_to_{start + 20_000}")
    install.list_tables = [*install.list_tables, f"{install.db_prefix}bulk"]
    install.save(update_fields=["list_tables"])


def _restore_stopping_the_server_mid_import(server, install, backup) -> threading.Thread:
    """Start the restore in a thread; return once the server was stopped inside the import
    of the backup's dump (not the safety dump of the live tables taken before it)."""
    from apps.backups import services, tasks
    from apps.tasks.models import Task

    task = services.start_restore(backup)
    worker = threading.Thread(target=tasks.restore_backup, args=(task.id, str(backup.id)))
    worker.task_id = task.id
    worker.start()
    deadline = time.monotonic() + 120
    while Task.objects.get(pk=task.pk).message != "Restoring the database":
        assert time.monotonic() < deadline and worker.is_alive(), "no database step"
        time.sleep(0.05)
    while not any(str(info or "").startswith(f"INSERT INTO `{install.db_prefix}bulk`")
                  for (info,) in server.query("SELECT INFO FROM information_schema.PROCESSLIST")):
        assert time.monotonic() < deadline and worker.is_alive(), "no import seen"
        time.sleep(0.02)
    server.stop()
    return worker


def _live_marker(install) -> None:
    db_rows(install, f"INSERT INTO `{install.db_prefix}options` (option_name, option_value, "
                     "autoload) VALUES ('itron_marker', 'live', 'no')")


def test_a_server_restarted_during_the_import_leaves_the_tables_as_they_were(
        site, server, wordpress_package, backup_dir, transactional_db):
    from apps.tasks.models import Task

    install = run_install(site, f"{site.url}/blog", title="Restart Me")
    _bulky(install)
    backup = run_backup(install)
    _live_marker(install)
    files = listing(site.docroot / "blog")

    worker = _restore_stopping_the_server_mid_import(server, install, backup)
    time.sleep(1)
    server.start()
    worker.join(timeout=300)

    task = Task.objects.get(pk=worker.task_id)
    assert task.status == "failed" and task.errcode.startswith("failed_database"), task.message
    assert list(_marker(install)) == [("live",)]  # the live tables, as before the restore
    count = db_rows(install, f"SELECT COUNT(*) FROM `{install.db_prefix}bulk`")
    assert list(count) == [(200_000,)]
    assert listing(site.docroot / "blog") == files
    assert "Restart Me" in fetch(f"{site.url}/blog/")[1]


def test_a_server_that_stays_down_keeps_the_tables_in_a_file_the_message_names(
        site, server, wordpress_package, backup_dir, transactional_db, settings):
    from apps.backups.tables import import_dump
    from apps.sites.database import Database
    from apps.tasks.models import Task

    settings.DB_RECOVERY_WAIT = 2
    install = run_install(site, f"{site.url}/blog", title="Stays Down")
    _bulky(install)
    backup = run_backup(install)
    _live_marker(install)
    files = listing(site.docroot / "blog")

    worker = _restore_stopping_the_server_mid_import(server, install, backup)
    worker.join(timeout=300)

    task = Task.objects.get(pk=worker.task_id)
    assert task.status == "failed" and task.errcode == "failed_database", task.message
    kept = next(backup_dir.rglob("tables-before-restore-*.sql"))
    assert str(kept) in task.message and oct(kept.stat().st_mode)[-3:] == "600"
    assert listing(site.docroot / "blog") == files  # the files never changed

    server.start()  # what the message says to do brings the live tables back
    import_dump(Database.of(install), kept)
    assert list(_marker(install)) == [("live",)]
    count = db_rows(install, f"SELECT COUNT(*) FROM `{install.db_prefix}bulk`")
    assert list(count) == [(200_000,)]
