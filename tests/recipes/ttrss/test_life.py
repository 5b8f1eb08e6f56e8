"""Tiny Tiny RSS through its whole life with the real worker on a local website: install
from the API, sign in with the chosen password, backup, a change, restore, clone to
another URL (served with open_basedir on the tree: nothing outside it is needed), import,
uninstall."""

from __future__ import annotations

import subprocess

import pytest

from tests.backups.conftest import assert_nowhere_in_tables, db_rows
from tests.fixtures.services import free_port, stop_group, wait_for_port
from tests.installs.conftest import drop_databases_of, fetch, listing, make_site
from tests.recipes.conftest import assert_import_database_left_empty

from .conftest import logged_in, ttrss_login

pytestmark = pytest.mark.slow

# Quotes, spaces and an ampersand; no "<", which ttrss strips from posted passwords.
ADMIN_PASS = "S3cret pass!42 'quoted\" &>"


@pytest.fixture
def site(owner, tmp_path, strict_php, mysql_query):  # noqa: F811
    """The website of tests/installs, served by the strict PHP server below."""
    yield make_site(owner, tmp_path / "site", strict_php)
    drop_databases_of(mysql_query, owner)


@pytest.fixture
def worker(transactional_db, ttrss_package, ttrss_archive, monkeypatch, request,
           settings, tmp_path):
    """The real worker, told where the session's package store and this test's backup
    folder are."""
    monkeypatch.setenv("INSTALLATRON_PACKAGES", str(ttrss_archive.store))
    settings.BACKUP_DIR = tmp_path / "backups"
    monkeypatch.setenv("INSTALLATRON_BACKUPS", str(settings.BACKUP_DIR))
    return request.getfixturevalue("celery_worker")


@pytest.fixture
def strict_php():
    """``php -S`` with include_path=. and open_basedir on the served folder (and /tmp): a
    file the application reads from outside its own folder fails.

    ttrss refuses to run as root ("Please don't run this script as root", its sanity
    check calls posix_getuid()); the suite runs as root where no web host would, so the
    server hides posix_getuid from it."""
    started = []

    def start(docroot) -> str:
        port = free_port()
        proc = subprocess.Popen(
            ["php", "-d", "include_path=.", "-d", f"open_basedir={docroot}:/tmp",
             "-d", "disable_functions=posix_getuid",
             "-S", f"127.0.0.1:{port}", "-t", str(docroot)],
            cwd=str(docroot), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        started.append(proc)
        wait_for_port(port)
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in started:
        stop_group(proc)


def _wait(task_id):
    from apps.tasks.services import wait_for_task

    task = wait_for_task(task_id, timeout=300)
    assert task.status == "completed", task.message
    return task


def _categories(install) -> list[str]:
    return [r[0] for r in db_rows(install, "SELECT title FROM ttrss_feed_categories "
                                           "ORDER BY title")]


def test_ttrss_installs_signs_in_backs_up_restores_clones_imports_and_uninstalls(
        site, worker, api, mysql_query, strict_php):
    from apps.backups import services as backups
    from apps.installs import imports
    from apps.installs.models import Install

    (site.docroot / "robots.txt").write_text("User-agent: *\n")
    before = listing(site.root)
    url = f"{site.url}/rss"
    refused = api.v1("install", user=site.account.username, application="ttrss", url=url,
                     login="chief", passwd="with <b>tag</b>")
    assert refused.json()["errcode"] == "invalid_argument_passwd"
    response = api.v1("install", user=site.account.username, application="ttrss", url=url,
                      login="chief", passwd=ADMIN_PASS)
    body = response.json()
    assert response.status_code == 200 and body["result"] is True, body
    data = body["data"]
    assert data["installer"] == "ttrss" and data["cf-login"] == "chief"
    assert "config.php" in data["list-files"] and "ttrss_users" in data["list-tables"]
    assert data["version"] == "21~git20210204.b4cbc79"
    assert ADMIN_PASS not in response.content.decode()
    assert not any(ADMIN_PASS in line for line in worker.output)
    install = Install.objects.get(pk=data["id"])
    config = (site.docroot / "rss" / "config.php").read_text()
    assert f"define('SELF_URL_PATH', '{url}/');" in config

    # The login page, then the admin signs in with the chosen password (and only with it).
    status, page = fetch(url + "/")
    assert status == 200 and 'name="login"' in page and "Tiny Tiny RSS" in page
    assert not logged_in(ttrss_login(url, "chief", ADMIN_PASS + "x"))
    assert not logged_in(ttrss_login(url, "admin", ADMIN_PASS))
    assert logged_in(ttrss_login(url, "chief", ADMIN_PASS))

    # Edit of the password (a new salt and MODE2 hash); the login is set once.
    user = site.account.username
    new_pass = "N3w pass \\ 'q' ?> 77"
    ok = (lambda r: r.status_code == 200 and r.json()["result"] is True)
    assert ok(api.v1("edit", user=user, id=install.id, passwd=new_pass))
    assert logged_in(ttrss_login(url, "chief", new_pass))
    assert not logged_in(ttrss_login(url, "chief", ADMIN_PASS))
    refused = api.v1("edit", user=user, id=install.id, login="boss").json()
    assert refused["errcode"] == "invalid_argument_login", refused
    assert ok(api.v1("edit", user=user, id=install.id, passwd=ADMIN_PASS))
    assert logged_in(ttrss_login(url, "chief", ADMIN_PASS))

    # Backup, a change, restore brings the old state back.
    db_rows(install, "INSERT INTO ttrss_feed_categories (owner_uid, title) "
                     "SELECT id, 'Before backup' FROM ttrss_users WHERE login = 'chief'")
    task = backups.start_backup(install)
    backup_id = _wait(task.id).result["backup"]
    from apps.backups.models import Backup

    backup = Backup.objects.get(pk=backup_id)
    db_rows(install, "INSERT INTO ttrss_feed_categories (owner_uid, title) "
                     "SELECT id, 'After backup' FROM ttrss_users WHERE login = 'chief'")
    assert _categories(install) == ["After backup", "Before backup"]
    _wait(backups.start_restore(backup).id)
    assert _categories(install) == ["Before backup"]
    assert logged_in(ttrss_login(url, "chief", ADMIN_PASS))

    # Clone to another URL, served with open_basedir on its own folder.
    other_root = site.root / "other_html"
    other_root.mkdir()
    other = strict_php(other_root)
    site.website.vhosts = {**site.website.vhosts, other: "other_html"}
    site.website.save()
    install = Install.objects.get(pk=install.pk)  # no longer held by the restore
    plan = backups.check_clone(install, {"url": other})
    clone, task = backups.start_clone(install, plan)
    _wait(task.id)
    clone = Install.objects.get(pk=clone.pk)
    assert clone.status == "installed" and clone.db_name != install.db_name
    cloned_config = (other_root / "config.php").read_text()
    assert f"define('SELF_URL_PATH', '{other}/');" in cloned_config
    assert url not in cloned_config and install.db_name not in cloned_config
    assert site.url not in "".join(p.read_text("utf-8", "replace")
                                   for p in other_root.rglob("*.php"))
    status, page = fetch(other + "/")
    assert status == 200 and 'name="login"' in page and url not in page
    assert logged_in(ttrss_login(other, "chief", ADMIN_PASS))
    assert _categories(clone) == ["Before backup"]
    assert_nowhere_in_tables(clone, url)

    # Import: the clone's record forgotten, import finds it from its files.
    record = {"db_name": clone.db_name, "db_user": clone.db_user,
              "list_files": sorted(clone.list_files), "list_tables": sorted(clone.list_tables)}
    Install.objects.filter(pk=clone.pk).delete()
    imported = imports.import_install(site.account, {"application": "ttrss", "url": other})
    imported = Install.objects.get(pk=imported.pk)
    assert imported.version == "21~git20210204.b4cbc79"
    assert (imported.db_name, imported.db_user) == (record["db_name"], record["db_user"])
    assert sorted(imported.list_tables) == record["list_tables"]
    assert sorted(imported.list_files) == record["list_files"]
    assert imported.admin_login == "chief"  # detected (issue 13 item 6)

    # Uninstall both: folder and databases as before.
    for each in (install, imported):
        response = api.v1("uninstall", user=site.account.username, id=each.id)
        assert response.status_code == 200, (response.json(), worker.output[-40:])
    assert list(other_root.iterdir()) == []
    other_root.rmdir()
    assert listing(site.root) == before
    assert_import_database_left_empty(mysql_query, site.account, record["db_name"])
