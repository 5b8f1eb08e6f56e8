"""Each catalog application's whole life on a website reached over sftp:// (real OpenSSH on
loopback, the application served by ``php -S`` as the sshd user from the folder sshd
writes into), with the real worker behind the API: install, its page answers, the admin
signs in, an edit reaches it, backup, a change, restore, clone to another URL of the same
website with no old URL left, import of an existing copy, uninstall leaving the website
and its databases as they were. Each application's own sign-in checks are reused from
tests/recipes/<id>/; packages are built once per session (tests/recipes/conftest.py).

MediaWiki's CLI installer needs a shell: on sftp:// it is refused and leaves nothing,
and its life is run on an ssh:// website of the same server instead."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from tests.backups.conftest import assert_nowhere_in_tables, db_rows, table_snapshot
from tests.recipes.adminer.conftest import adminer_login, database_links, db_account  # noqa: F401
from tests.recipes.conftest import build_app, ok, register_package
from tests.recipes.dokuwiki.conftest import dokuwiki_login
from tests.recipes.mediawiki.conftest import WikiSession
from tests.recipes.phpmyadmin.conftest import phpmyadmin_login
from tests.recipes.postfixadmin.conftest import pfa_login
from tests.recipes.ttrss.conftest import logged_in, ttrss_login

from .conftest import ADMIN_PASS, databases_of, fetch, listing

pytestmark = pytest.mark.slow

NEW_PASS = "N3w pass 'q\" <&>"
TTRSS_PASS = "S3cret pass!42 'quoted\" &>"


@dataclass(frozen=True)
class Life:
    """What one application's life on a remote website needs."""

    params: Callable  # (db_account | None) -> the install's fields
    page: str  # the path below the install's URL that shows ``answers``
    answers: str  # text its page shows once installed
    signs_in: Callable | None = None  # (url, password, db_account) -> bool
    edit: dict = field(default_factory=dict)  # fields an edit sends
    edited: str = ""  # text the page shows after the edit
    db_account: bool = False  # needs a MariaDB account to sign in with
    password: str = ADMIN_PASS  # the admin's (Tiny Tiny RSS refuses "<" in one)


LIVES = {
    "adminer": Life(params=lambda acc: {}, page="/", answers="<title>Login - Adminer",
                    signs_in=lambda url, pw, acc: acc.database in database_links(
                        adminer_login(url, acc)), db_account=True),
    "phpmyadmin": Life(
        params=lambda acc: {"server_host": acc.host, "server_port": str(acc.port)},
        page="/", answers='name="pma_username"',
        signs_in=lambda url, pw, acc: acc.database in phpmyadmin_login(url, acc),
        db_account=True),
    "dokuwiki": Life(
        params=lambda acc: {"title": "Remote & Wiki", "login": "boss", "passwd": ADMIN_PASS,
                            "email": "boss@example.com"},
        page="/doku.php", answers="[Remote & Wiki]</title>",
        signs_in=lambda url, pw, acc: dokuwiki_login(url, "boss", pw),
        edit={"title": "Renamed Wiki", "passwd": NEW_PASS}, edited="[Renamed Wiki]</title>"),
    "postfixadmin": Life(
        params=lambda acc: {"login": "chief@example.com", "passwd": ADMIN_PASS},
        page="/login.php", answers="<title>Postfix Admin - ",
        signs_in=lambda url, pw, acc: pfa_login(url, "chief@example.com", pw)),
    "roundcube": Life(
        params=lambda acc: {"imap_host": "imap.example.org:993",
                            "smtp_host": "tls://smtp.example.org:587"},
        page="/", answers="<title>Roundcube Webmail"),
    "ttrss": Life(
        params=lambda acc: {"login": "chief", "passwd": TTRSS_PASS},
        page="/", answers="Tiny Tiny RSS", password=TTRSS_PASS,
        signs_in=lambda url, pw, acc: logged_in(ttrss_login(url, "chief", pw))),
    "mediawiki": Life(
        params=lambda acc: {"login": "Chief", "passwd": ADMIN_PASS,
                            "email": "chief@example.com", "sitetitle": "Zebra Remote"},
        page="/index.php?title=Main_Page", answers="Zebra Remote",
        signs_in=lambda url, pw, acc: WikiSession(url).login("Chief", pw)["status"] == "PASS"),
}


@pytest.fixture
def app_worker(request, transactional_db, settings, monkeypatch, tmp_path_factory):
    """The application's session-built package in the store, then a real worker."""
    app_id = request.param
    register_package(settings, monkeypatch, app_id, build_app(tmp_path_factory, app_id))
    return app_id, request.getfixturevalue("celery_worker")


def _files_without(folder, text: str) -> None:
    for path in folder.rglob("*"):
        if path.is_file() and path.stat().st_size < 5_000_000:
            assert text not in path.read_text(errors="replace"), path


@pytest.mark.parametrize("app_worker,scheme", [
    ("adminer", "sftp"), ("phpmyadmin", "sftp"), ("dokuwiki", "sftp"),
    ("postfixadmin", "sftp"), ("roundcube", "sftp"), ("ttrss", "sftp"),
    ("mediawiki", "ssh"),
], indirect=["app_worker"])
def test_a_catalog_application_lives_on_a_remote_website(app_worker, scheme, make_remote_site,
                                                         api, mysql_query, request):
    from apps.installs.models import Install

    app_id, worker = app_worker
    life = LIVES[app_id]
    account = request.getfixturevalue("db_account") if life.db_account else None
    remote = make_remote_site(scheme)
    user = remote.account.username
    files_before = listing(remote.root)
    databases_before = databases_of(mysql_query, remote.account)
    url = f"{remote.url}/app"

    # Install onto the remote website: the page answers from the folder sshd wrote into.
    data = ok(api.v1("install", user=user, application=app_id, url=url,
                     **life.params(account)))
    install = Install.objects.get(pk=data["id"])
    folder = remote.docroot / "app"
    assert install.website_id == remote.website.id and (folder / install.list_files[0]).exists()
    assert all(p.stat().st_uid == remote.server.uid for p in folder.rglob("*")), \
        "files over sftp belong to the website's user"
    status, page = fetch(url + life.page)
    assert status == 200 and life.answers in page, page[:2000]
    password = life.password
    if life.signs_in:
        assert life.signs_in(url, password, account)
        if not life.db_account:  # the admin's own password, and only it
            assert not life.signs_in(url, password + "x", account)
    assert password not in str(data)

    # Edit: a field reaches the application.
    if life.edit:
        ok(api.v1("edit", user=user, id=install.id, **life.edit))
        assert life.edited in fetch(url + life.page)[1]
        password = life.edit.get("passwd", password)
        if life.signs_in:
            assert life.signs_in(url, password, account)

    # Backup, a change (files and tables), restore brings them back.
    backup = ok(api.v1("backup", user=user, id=install.id))
    install.refresh_from_db()
    files = listing(folder)
    tables = table_snapshot(install) if install.db_name else {}
    # (A stray file at the top is not the install's: the restore leaves those alone.)
    changed = next(folder / n for n in sorted(install.list_files) if (folder / n).is_file())
    original = changed.read_bytes()
    changed.write_text("a change")
    if tables:
        first = min(tables)
        db_rows(install, f"DROP TABLE `{first}`")
    ok(api.v1("restore", user=user, id=backup["id"]))
    assert listing(folder) == files and changed.read_bytes() == original
    if tables:
        assert table_snapshot(install) == tables
    assert life.answers in fetch(url + life.page)[1] or life.edited in fetch(url + life.page)[1]

    # Clone to another URL of the same website: it answers there, no old URL left.
    clone_data = ok(api.v1("clone", user=user, id=install.id, url=f"{remote.url}/copy"))
    clone = Install.objects.get(pk=clone_data["id"])
    status, page = fetch(f"{remote.url}/copy{life.page}")
    assert status == 200, page[:2000]
    assert url not in page
    _files_without(remote.docroot / "copy", url)
    if clone.db_name:
        assert clone.db_name != install.db_name
        assert_nowhere_in_tables(clone, url)
    if life.signs_in:
        assert life.signs_in(f"{remote.url}/copy", password, account)

    # Import: the clone's record forgotten, import adopts it again from its files.
    record = (clone.db_name, sorted(clone.list_files), sorted(clone.list_tables))
    Install.objects.filter(pk=clone.pk).delete()
    imported = ok(api.v1("import", user=user, application=app_id, url=f"{remote.url}/copy"))
    assert (imported["db-name"], sorted(imported["list-files"]),
            sorted(imported["list-tables"] or [])) == record

    # Uninstall both: the website and its databases are as they were.
    for pk in (install.id, imported["id"]):
        ok(api.v1("uninstall", user=user, id=pk))
    # The imported copy's folder and database were there before its import: kept, empty.
    assert list((remote.docroot / "copy").iterdir()) == []
    (remote.docroot / "copy").rmdir()
    assert listing(remote.root) == files_before
    left = databases_of(mysql_query, remote.account)
    assert sorted(set(left) - set(databases_before)) == ([record[0]] if record[0] else [])
    if record[0]:
        assert mysql_query(f"SHOW TABLES FROM `{record[0]}`") == ()
    assert not any(life.password in line or NEW_PASS in line for line in worker.output)


@pytest.mark.parametrize("app_worker", ["mediawiki"], indirect=True)
def test_mediawiki_is_refused_on_an_sftp_only_website_and_leaves_nothing(
        app_worker, make_remote_site, api, mysql_query):
    from apps.installs.models import Install

    remote = make_remote_site("sftp")
    before = listing(remote.root)
    databases = databases_of(mysql_query, remote.account)
    body = api.v1("install", user=remote.account.username, application="mediawiki",
                  url=f"{remote.url}/wiki", **LIVES["mediawiki"].params(None)).json()
    assert body["result"] is False and body["errcode"] == "unsupported_install_shell", body
    assert listing(remote.root) == before
    assert databases_of(mysql_query, remote.account) == databases
    assert not Install.objects.filter(account=remote.account,
                                      status=Install.Status.INSTALLED).exists()
