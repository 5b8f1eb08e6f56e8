"""A rewritten broker message: the task row was written by an authenticated request for
one owner, the message the real worker receives names another owner's backup or install.
The worker refuses it and touches nothing of either.

Real WordPress installs of two owners, real MariaDB, a real Celery worker process and
the real broker.
"""

from __future__ import annotations

import secrets

import pytest

from tests.installs.conftest import drop_databases_of, make_site

from .conftest import listing, run_backup, run_install, table_snapshot

pytestmark = pytest.mark.slow


@pytest.fixture
def worker(transactional_db, wordpress_package, wordpress_archive, monkeypatch, request):
    monkeypatch.setenv("INSTALLATRON_PACKAGES", str(wordpress_archive.store))
    return request.getfixturevalue("celery_worker")


@pytest.fixture
def mallory_site(reseller, tmp_path, php_server, mysql_query):
    from apps.accounts.models import Account

    name = "itrwp" + secrets.token_hex(3)
    account = Account.objects.create(username=name, kind="user", owner=reseller)
    yield make_site(account, tmp_path / "mallory", php_server)
    drop_databases_of(mysql_query, account)


def intercepted(monkeypatch, task_fn) -> list:
    """The message the request queues never reaches the broker (the attacker replaces it)."""
    kept: list = []
    monkeypatch.setattr(task_fn, "delay", lambda *args: kept.append(args))
    return kept


def assert_refused(task_id: str) -> None:
    from apps.tasks.services import wait_for_task

    task = wait_for_task(task_id, timeout=120)
    assert task.status == "failed", task.message
    assert task.errcode == "invalid_argument_id" and "nothing was done" in task.message


def test_the_worker_refuses_messages_naming_another_owners_backup_or_install(
        site, mallory_site, worker, backup_dir, monkeypatch):
    from apps.backups import services, tasks
    from apps.installs.models import Install

    mine = run_install(site, f"{site.url}/blog", title="Mine")
    my_backup = run_backup(mine)
    theirs = run_install(mallory_site, f"{mallory_site.url}/blog", title="Theirs")
    their_backup = run_backup(theirs)
    their_config = (mallory_site.docroot / "blog" / "wp-config.php").read_text()
    files, tables = listing(site.root), table_snapshot(mine)
    their_files, their_tables = listing(mallory_site.root), table_snapshot(theirs)

    # Restore: my request, their backup in the message.
    kept = intercepted(monkeypatch, tasks.restore_backup)
    task = services.start_restore(my_backup)
    assert kept == [(task.id, my_backup.id, "")]
    tasks.restore_backup.apply_async(args=[task.id, their_backup.id, ""])
    assert_refused(task.id)
    assert listing(site.root) == files and table_snapshot(mine) == tables
    assert (site.docroot / "blog" / "wp-config.php").read_text() != their_config
    assert not Install.objects.get(pk=mine.pk).busy

    # Restore to a new location: my request (my backup), theirs in the message.
    intercepted(monkeypatch, tasks.restore_to)
    plan = services.check_restore_to(my_backup, {"url": f"{site.url}/copy"})
    new, task = services.start_restore_to(my_backup, plan)
    tasks.restore_to.apply_async(args=[task.id, their_backup.id])
    assert_refused(task.id)
    assert not (site.docroot / "copy").exists()
    assert Install.objects.get(pk=new.pk).status == Install.Status.FAILED

    # Clone: my install is the source I asked for, theirs in the message.
    intercepted(monkeypatch, tasks.clone_install)
    mine.refresh_from_db()
    plan = services.check_clone(mine, {"url": f"{site.url}/clone", "db_prefix": "cl_"})
    clone, task = services.start_clone(mine, plan)
    tasks.clone_install.apply_async(args=[task.id, theirs.id])
    assert_refused(task.id)
    assert not (site.docroot / "clone").exists()
    assert Install.objects.get(pk=clone.pk).status == Install.Status.FAILED
    assert not Install.objects.get(pk=mine.pk).busy

    # Theirs is as it was, and nobody holds it.
    assert listing(mallory_site.root) == their_files
    assert table_snapshot(theirs) == their_tables
    assert not Install.objects.get(pk=theirs.pk).busy


def test_a_restore_message_with_a_backup_of_another_install_of_the_same_owner_is_refused(
        site, worker, backup_dir, monkeypatch):
    from apps.backups import services, tasks

    blog = run_install(site, f"{site.url}/blog", title="Blog")
    shop = run_install(site, f"{site.url}/shop", title="Shop")
    blog_backup, shop_backup = run_backup(blog), run_backup(shop)
    files, tables = listing(site.root), table_snapshot(blog)

    intercepted(monkeypatch, tasks.restore_backup)
    task = services.start_restore(blog_backup)
    tasks.restore_backup.apply_async(args=[task.id, shop_backup.id, ""])
    assert_refused(task.id)
    assert listing(site.root) == files and table_snapshot(blog) == tables
