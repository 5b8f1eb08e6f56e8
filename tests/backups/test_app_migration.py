"""Migration with the WordPress administrator's login (source_ftu=app://user:pass): a real
WordPress on this machine (PHP, MariaDB) is the source, copied through the one-time worker
plugin into another folder of the site."""

from __future__ import annotations

import time

import pytest

from tests.installs.conftest import databases_of, listing

from .conftest import ADMIN_PASS, db_rows, fetch, run_install

# What the worker's dump must carry unchanged: every byte value, quotes, backslashes, line
# breaks, NUL, and text outside the BMP.
BLOB = bytes(range(256)) * 3
TEXT = "it's a \\ \"quoted\" line\nand\r\n\x00 é 😀 `tick`; DROP TABLE x; -- "

pytestmark = pytest.mark.slow


def _params(site, ftu: str) -> dict:
    return {"application": "wordpress", "source_url": f"{site.url}/src", "source_ftu": ftu,
            "url": f"{site.url}/copy"}


def _worker_folders(site) -> list[str]:
    plugins = site.docroot / "src" / "wp-content" / "plugins"
    return [p.name for p in plugins.iterdir() if p.name.startswith("itron-")]


def _source_files(site) -> dict:
    # WordPress's own upload leaves its empty work folders (upgrade/, uploads/<y>/<m>/).
    return {k: v for k, v in listing(site.docroot / "src").items()
            if not (v[0] and k.startswith(("wp-content/upgrade", "wp-content/uploads")))}


def _sessions(install) -> list:
    """The WordPress administrator's stored login sessions (``session_tokens``)."""
    return db_rows(install, f"SELECT meta_value FROM `{install.db_prefix}usermeta` "
                            "WHERE meta_key = 'session_tokens'")


def _migrate_here(site, ftu: str):
    from apps.backups import migration
    from apps.installs.models import Install
    from apps.tasks.services import wait_for_task

    install, task = migration.start_migrate(migration.check_migrate(site.account,
                                                                    _params(site, ftu)))
    migration.migrate_app_task(task.id)
    return Install.objects.get(pk=install.pk), wait_for_task(task.id, timeout=300)


@pytest.fixture
def worker(transactional_db, wordpress_package, wordpress_archive, monkeypatch, request):
    monkeypatch.setenv("INSTALLATRON_PACKAGES", str(wordpress_archive.store))
    return request.getfixturevalue("celery_worker")


def test_api_import_migrates_wordpress_with_the_administrators_login(site, worker, api):
    from apps.installs.models import Install
    from apps.tasks.models import Task

    source = run_install(site, f"{site.url}/src", title="App Source Blog")
    db_rows(source, "CREATE TABLE wp_itron_odd (id INT PRIMARY KEY, b LONGBLOB, t LONGTEXT, "
                    "n INT NULL) DEFAULT CHARSET=utf8mb4")
    db_rows(source, "INSERT INTO wp_itron_odd VALUES (1, %s, %s, NULL), (2, '', '', 7)",
            (BLOB, TEXT))
    before = _source_files(site)
    sessions = _sessions(source)
    user = site.account.username
    for ftu, errcode in ((f"app://nobody:{ADMIN_PASS}", "cannot_find_uid"),
                         ("app://boss:wrong-pass", "invalid_password")):
        response = api.v1("import", user=user, **_params(site, ftu))
        body = response.json()
        assert (body["result"], body["errcode"]) == (False, errcode), body
        assert response.status_code == 400 and "pass" not in str(body).replace("password", "")
    assert not Install.objects.filter(url=f"{site.url}/copy").exists()  # refused up front

    dry = api.v1("import", user=user, dryrun="2", **_params(site, f"app://boss:{ADMIN_PASS}"))
    assert dry.json()["result"] is True, dry.json()
    assert dry.json()["data"]["source_ftu"] == "app://boss:***"
    body = api.v1("import", user=user, background="1",
                  **_params(site, f"app://boss:{ADMIN_PASS}")).json()
    assert body["result"] is True, body
    assert ADMIN_PASS not in str(body)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        task = Task.objects.order_by("-created").first()
        if task.status in ("completed", "failed"):
            break
        time.sleep(0.5)
    assert task.status == "completed", task.message
    assert ADMIN_PASS not in str(task.__dict__)

    status, home = fetch(f"{site.url}/copy/")
    assert status == 200 and "App Source Blog" in home and f"{site.url}/copy/" in home
    status, post = fetch(f"{site.url}/copy/?p=1")
    assert status == 200 and "Hello world!" in post and f"{site.url}/src" not in post
    config = (site.docroot / "copy" / "wp-config.php").read_text()
    assert source.db_name not in config
    copy = Install.objects.get(url=f"{site.url}/copy", status=Install.Status.INSTALLED)
    rows = db_rows(copy, f"SELECT id, b, t, n FROM `{copy.db_prefix}itron_odd` ORDER BY id")
    assert [(r[0], bytes(r[1]), r[2], r[3]) for r in rows] == [(1, BLOB, TEXT, None),
                                                              (2, b"", "", 7)]
    # The source was only read, its worker plugin is gone, and both sign-ins (the check
    # of the request and the copy) signed out again.
    assert _source_files(site) == before and not _worker_folders(site)
    assert _sessions(source) == sessions
    assert "App Source Blog" in fetch(f"{site.url}/src/")[1]
    assert not any(ADMIN_PASS in line for line in worker.output)


def test_a_worker_answering_without_the_proof_is_refused(site, wordpress_package,
                                                          monkeypatch):
    from apps.transports import web

    run_install(site, f"{site.url}/src", title="App Source Blog")
    # Our side expects another proof than the one the worker gives.
    real = web.proof
    monkeypatch.setattr(web, "proof", lambda token, what: real(token + "x", what))
    install, task = _migrate_here(site, f"app://boss:{ADMIN_PASS}")
    assert (task.status, task.errcode) == ("failed", "invalid_signature"), task.message
    assert install.status == install.Status.FAILED
    assert not _worker_folders(site)  # it ran, so it removed itself


def test_a_worker_that_does_not_run_is_removed_through_wordpress(site, wordpress_package,
                                                                  monkeypatch):
    from apps.backups import appworker
    from apps.transports.web import NotServed

    run_install(site, f"{site.url}/src", title="App Source Blog")
    seen = []

    def not_served(url, *args, **kwargs):
        seen.append(url)
        raise NotServed("the URL answered HTTP 404")

    monkeypatch.setattr(appworker, "call_script", not_served)
    _install, task = _migrate_here(site, f"app://boss:{ADMIN_PASS}")
    assert (task.status, task.errcode) == ("failed", "invalid_worker_plugin"), task.message
    assert "/wp-content/plugins/itron-" in seen[0]
    assert not _worker_folders(site)


def test_a_wordpress_that_cannot_write_its_plugins_leaves_nothing_behind(
        site, wordpress_package, mysql_query):
    run_install(site, f"{site.url}/src", title="App Source Blog")
    config = site.docroot / "src" / "wp-config.php"
    # What WordPress does when it cannot write its plugins folder: it asks for FTP access.
    config.write_text(config.read_text().replace(
        "<?php", "<?php define('FS_METHOD', 'ftpext');", 1))
    databases = databases_of(mysql_query, site.account)
    install, task = _migrate_here(site, f"app://boss:{ADMIN_PASS}")
    assert (task.status, task.errcode) == ("failed", "invalid_worker_plugin_upload"), \
        task.message
    assert install.status == install.Status.FAILED
    assert databases_of(mysql_query, site.account) == databases
    assert not (site.docroot / "copy").exists() and not _worker_folders(site)


def test_the_password_of_an_app_address_is_masked():
    from apps.accounts.validation import mask_path

    assert mask_path("app://boss:p@ss:w/rd") == "app://boss:***"
    assert mask_path("APP://boss:x") == "APP://boss:***"


def test_a_source_that_is_not_a_wordpress_login_is_refused(site, wordpress_package):
    from apps.backups import migration
    from apps.installs.errors import InstallError

    (site.docroot / "plain").mkdir()
    (site.docroot / "plain" / "wp-login.php").write_text("<?php echo 'Hello';")
    for path in ("plain", "missing"):
        with pytest.raises(InstallError) as exc:
            migration.check_migrate(site.account, {
                **_params(site, f"app://boss:{ADMIN_PASS}"), "source_url": f"{site.url}/{path}"})
        assert exc.value.errcode == "invalid_argument_source_url", exc.value.message
        assert "not a WordPress login page" in exc.value.message
