"""Installs that fail halfway leave the website and the database server as they were,
and the task ends failed with a message the user can act on."""

from __future__ import annotations

import pytest

from tests.fixtures.services import free_port

from .conftest import ADMIN_PASS, databases_of, listing

pytestmark = pytest.mark.slow


def _start(site, url: str, **extra):
    from apps.installs import services

    params = {"application": "wordpress", "url": url, "passwd": ADMIN_PASS, **extra}
    return services.start_install(services.check_install(site.account, params))


def _run(task):
    from apps.installs import tasks

    tasks.install_app(task.id)
    task.refresh_from_db()
    return task


def test_a_refusing_database_server_fails_the_task_and_leaves_nothing(
        site, wordpress_package, settings, mysql_query):
    from apps.installs.models import Install

    before = listing(site.root)
    install, task = _start(site, f"{site.url}/blog")
    settings.MYSQL_ADMIN = {**settings.MYSQL_ADMIN, "port": free_port()}  # nothing listens
    task = _run(task)
    assert task.status == "failed"
    assert task.errcode == "failed_database_create"
    assert "database" in task.message.lower()
    install.refresh_from_db()
    assert install.status == Install.Status.FAILED and not install.busy
    assert install.pending_secrets is None
    assert listing(site.root) == before


def test_a_file_where_the_folder_should_be_rolls_back_the_new_database(
        site, wordpress_package, mysql_query):
    before_dbs = databases_of(mysql_query, site.account)
    install, task = _start(site, f"{site.url}/blog")
    # Appears after the checks, before the worker runs: deploying the files must fail.
    (site.docroot / "blog").write_text("not a folder")
    before = listing(site.root)
    task = _run(task)
    assert task.status == "failed", task.message
    assert task.errcode not in ("", "failed")  # the transport's specific errcode
    assert "blog" in task.message, task.message
    assert listing(site.root) == before
    # The panel had created a database in the step before; the rollback removed it.
    assert databases_of(mysql_query, site.account) == before_dbs


def test_an_unreachable_site_fails_after_the_files_and_removes_them_again(
        site, wordpress_package, mysql_query):
    from apps.accounts.models import Website

    closed = f"http://127.0.0.1:{free_port()}"
    Website.objects.filter(pk=site.website.pk).update(vhosts={closed: "public_html"})
    (site.docroot / "index.php").write_text("<?php echo 'owner';")
    before = listing(site.root)
    install, task = _start(site, f"{closed}/shop")
    task = _run(task)
    assert task.status == "failed"
    assert task.errcode == "failed_http"
    assert "url_ip" in task.message  # says what to check
    assert listing(site.root) == before
    assert databases_of(mysql_query, site.account) == []


def test_a_manual_database_keeps_its_other_tables_when_the_install_fails(
        site, wordpress_package, mysql_query):
    """Tables created by the installer are dropped; the user's own tables stay."""
    name = f"{site.account.username}_man"
    mysql_query(f"CREATE DATABASE `{name}`")
    mysql_query("CREATE USER %s@'127.0.0.1' IDENTIFIED BY 'Manual-pass-1'", (name,))
    # Everything but UPDATE: WordPress creates its tables, then setting the tagline fails.
    mysql_query(f"GRANT SELECT, INSERT, DELETE, CREATE, DROP, ALTER, INDEX ON `{name}`.* "
                "TO %s@'127.0.0.1'", (name,))
    mysql_query(f"CREATE TABLE `{name}`.`mine` (id INT)")
    install, task = _start(site, f"{site.url}/m", db_host="127.0.0.1", db_name=name,
                           db_user=name, db_pass="Manual-pass-1", sitetitle="Manual")
    task = _run(task)
    assert task.status == "failed" and task.errcode == "failed_install", task.message
    assert "tagline" in task.message
    tables = [r[0] for r in mysql_query(f"SHOW TABLES FROM `{name}`")]
    assert tables == ["mine"]
    assert not (site.docroot / "m").exists()


def test_a_folder_that_cannot_be_written_fails_the_install_and_leaves_nothing(
        site, wordpress_package, mysql_query):
    """chattr +i: not writable even for root, which this test command runs as."""
    import subprocess

    blog = site.docroot / "blog"
    blog.mkdir()
    (blog / "keep.txt").write_text("the owner's\n")
    before_dbs = databases_of(mysql_query, site.account)
    install, task = _start(site, f"{site.url}/blog")
    subprocess.run(["chattr", "+i", str(blog)], check=True)
    try:
        before = listing(site.root)
        task = _run(task)
        assert task.status == "failed", task.message
        assert task.errcode.startswith("failed_filesystem"), (task.errcode, task.message)
        assert listing(site.root) == before
        assert databases_of(mysql_query, site.account) == before_dbs
    finally:
        subprocess.run(["chattr", "-i", str(blog)], check=True)


def test_a_database_account_with_rights_on_every_database_is_refused(
        site, wordpress_package, mysql_query):
    """An owner who gives an admin account (here: ALL ON *.*) for a pre-created database
    gets a clear refusal before anything is written; nothing runs with that account."""
    name = f"{site.account.username}_wide"
    mysql_query(f"CREATE DATABASE `{name}`")
    mysql_query("CREATE USER %s@'127.0.0.1' IDENTIFIED BY 'Wide-pass-1'", (name,))
    mysql_query("GRANT ALL PRIVILEGES ON *.* TO %s@'127.0.0.1'", (name,))
    try:
        before = listing(site.root)
        install, task = _start(site, f"{site.url}/w", db_host="127.0.0.1", db_name=name,
                               db_user=name, db_pass="Wide-pass-1", sitetitle="Wide")
        task = _run(task)
        assert task.status == "failed" and task.errcode == "invalid_argument_db_user", \
            task.message
        assert "every database" in task.message and "Wide-pass-1" not in task.message
        assert listing(site.root) == before
        assert [r[0] for r in mysql_query(f"SHOW TABLES FROM `{name}`")] == []
    finally:
        mysql_query("DROP USER IF EXISTS %s@'127.0.0.1'", (name,))
