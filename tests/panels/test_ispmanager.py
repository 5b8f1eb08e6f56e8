"""IspmanagerPanel against a protocol double of the ISPmanager API on real MariaDB."""

from __future__ import annotations

import logging

import MySQLdb
import pytest

from apps.panels.base import PanelError, get_panel
from apps.panels.ispmanager import IspmanagerError, IspmanagerPanel

from .fakes.common import MariaDB, restore_after_the_panel_dropped_it
from .fakes.ispmanager import FakeIspmanager
from .fakes.tls import make_certificates

OWNER = "itronisp"
ROOT_PASSWORD = "R00t-isp-never-shown"
WEB = [
    {"name": "shop.isp.test", "docroot": "/var/www/itronisp/data/www/shop.isp.test",
     "aliases": "www.shop.isp.test", "secure": "on", "active": "on"},
    {"name": "off.isp.test", "docroot": "/var/www/itronisp/data/www/off.isp.test",
     "aliases": "", "secure": "off", "active": "off"},
]


@pytest.fixture
def mariadb(mysql_admin):
    db = MariaDB(mysql_admin)
    yield db
    db.cleanup()


def _start(mariadb, **tls):
    server = FakeIspmanager(mariadb, accounts={
        "root": {"password": ROOT_PASSWORD, "level": "admin"},
        OWNER: {"password": "own3r-pass", "web": WEB},
        "itronis2": {"password": "other-pass",
                     "web": [{"name": "x.isp.test", "docroot": "/x", "active": "on"}]},
    }, **tls)
    return server.start()


@pytest.fixture
def isp(mariadb):
    server = _start(mariadb)
    yield server
    server.stop()


@pytest.fixture
def configured(settings, isp):
    settings.PANEL = {"BACKEND": "ispmanager", "OPTIONS": {
        "url": isp.base_url, "user": "root", "password": ROOT_PASSWORD, "timeout": 10}}
    return get_panel()


@pytest.fixture
def website(db):
    from apps.accounts.models import Account, Website

    account = Account.objects.create(username=OWNER)
    return Website.objects.create(account=account, ws_id="shop", label="shop.isp.test",
                                  path="/var/www/itronisp/data/www/shop.isp.test")


def _schema_exists(mysql_query, name) -> bool:
    return bool(mysql_query(
        "SELECT 1 FROM information_schema.schemata WHERE schema_name=%s", (name,)))


def _users(mysql_query, name):
    return {row[0] for row in mysql_query("SELECT host FROM mysql.user WHERE user=%s", (name,))}


def test_it_creates_and_removes_a_database_through_ispmanager(configured, isp, website,
                                                              mysql_query, mysql_admin):
    assert isinstance(configured, IspmanagerPanel)
    session = website.as_session()
    spec = configured.generate_db("mysql", session)
    assert spec.name.startswith(f"{OWNER}_") and len(spec.name) <= 32

    configured.create_db(spec, session)

    call = isp.calls[-1]
    assert (call["func"], call["sok"], call["out"], call["su"]) == ("db.edit", "ok", "json", OWNER)
    assert call["authinfo"] == f"root:{ROOT_PASSWORD}"
    assert (call["name"], call["owner"], call["username"]) == (spec.name, OWNER, spec.user)
    assert call["user"] == "*" and call["password"] == call["confirm"] == spec.password
    assert _schema_exists(mysql_query, spec.name)
    assert _users(mysql_query, spec.user)
    conn = MySQLdb.connect(host=mysql_admin["host"], port=mysql_admin["port"], user=spec.user,
                           passwd=spec.password, db=spec.name)
    conn.cursor().execute("CREATE TABLE wp_probe (id INT)")
    conn.close()

    configured.remove_db(spec.name, "mysql", session)

    assert [c["func"] for c in isp.calls[-2:]] == ["db", "db.delete"]
    assert isp.calls[-1]["elid"] == f"{spec.name}->MySQL"  # the key the list gave
    assert not _schema_exists(mysql_query, spec.name)
    assert _users(mysql_query, spec.user) == set()
    # Gone already: removing again is not an error.
    configured.remove_db(spec.name, "mysql", session)


def test_a_session_from_func_auth_is_used_and_renewed(isp, website, mysql_query):
    panel = IspmanagerPanel(url=isp.base_url, user="root", password=ROOT_PASSWORD,
                            auth="session")
    session = website.as_session()
    spec = panel.generate_db("mysql", session)
    panel.create_db(spec, session)
    assert isp.calls[0]["func"] == "auth" and "authinfo" not in isp.calls[1]
    assert isp.calls[1]["auth"] in isp.sessions
    assert _schema_exists(mysql_query, spec.name)

    isp.expire_sessions()  # an hour without requests
    panel.remove_db(spec.name, "mysql", session)
    assert [c["func"] for c in isp.calls[2:]] == ["db", "auth", "db", "db.delete"]
    assert not _schema_exists(mysql_query, spec.name)


@pytest.mark.parametrize("auth", ["authinfo", "session"])
def test_wrong_credentials_are_a_panel_error_that_names_no_secret(isp, website, caplog, auth):
    panel = IspmanagerPanel(url=isp.base_url, user="root", password="wrong-" + ROOT_PASSWORD,
                            auth=auth)
    spec = panel.generate_db("mysql", website.as_session())
    caplog.set_level(logging.DEBUG)
    with pytest.raises(IspmanagerError) as caught:
        panel.create_db(spec, website.as_session())
    assert caught.value.type == "auth" and "credentials" in caught.value.message
    assert caught.value.errcode == "failed_database_create"
    for secret in ("wrong-" + ROOT_PASSWORD, spec.password):
        assert secret not in caught.value.message + caplog.text


def test_exists_limit_and_access_errors_are_mapped(configured, isp, website, mysql_query):
    session = website.as_session()
    spec = configured.generate_db("mysql", session)
    configured.create_db(spec, session)
    with pytest.raises(IspmanagerError) as caught:
        configured.create_db(spec, session)
    assert caught.value.type == "exists" and "already exists" in caught.value.message

    isp.accounts[OWNER]["limit"] = 1
    with pytest.raises(IspmanagerError) as caught:
        configured.create_db(configured.generate_db("mysql", session), session)
    assert caught.value.type == "limit" and "package" in caught.value.message

    # A plain user may not act for others with su=.
    plain = IspmanagerPanel(url=isp.base_url, user="itronis2", password="other-pass")
    with pytest.raises(IspmanagerError) as caught:
        plain.create_db(plain.generate_db("mysql", session), session)
    assert caught.value.type == "access"
    configured.remove_db(spec.name, "mysql", session)
    assert not _schema_exists(mysql_query, spec.name)


def test_tls_is_verified_by_default(mariadb, tmp_path, website, mysql_query):
    certs = make_certificates(tmp_path / "tls")
    server = _start(mariadb, certfile=certs["cert"], keyfile=certs["key"])
    try:
        session = website.as_session()
        strict = IspmanagerPanel(url=server.base_url, user="root", password=ROOT_PASSWORD)
        with pytest.raises(PanelError, match="certificate") as caught:
            strict.create_db(strict.generate_db("mysql", session), session)
        assert ROOT_PASSWORD not in caught.value.message and server.calls == []

        trusted = IspmanagerPanel(url=server.base_url, user="root", password=ROOT_PASSWORD,
                                  ca_file=certs["ca"])
        spec = trusted.generate_db("mysql", session)
        trusted.create_db(spec, session)
        assert _schema_exists(mysql_query, spec.name)
        IspmanagerPanel(url=server.base_url, user="root", password=ROOT_PASSWORD,
                        verify_tls=False).remove_db(spec.name, "mysql", session)
        assert not _schema_exists(mysql_query, spec.name)
    finally:
        server.stop()


def test_websites_are_built_from_webdomain(configured, isp):
    from apps.accounts.validation import check_websites

    websites = configured.websites_for(OWNER)
    assert (isp.calls[-1]["func"], isp.calls[-1]["su"]) == ("webdomain", OWNER)
    assert websites == [{
        "id": "shop.isp.test", "label": "shop.isp.test",
        "path": "/var/www/itronisp/data/www/shop.isp.test",
        "vhosts": {"http://shop.isp.test": "", "http://www.shop.isp.test": "",
                   "https://shop.isp.test": "", "https://www.shop.isp.test": ""},
        "_ispmanager_user": OWNER,
    }]
    # They pass the request header's own validation unchanged.
    assert check_websites(websites)[0].custom == {"_ispmanager_user": OWNER}


def test_the_url_gets_the_ispmgr_path():
    panel = IspmanagerPanel(url="https://isp.example:1500", user="u", password="p")
    assert panel.url == "https://isp.example:1500/ispmgr"


# -- a full WordPress install through the panel (the install engine, apps.installs) ----------
from tests.installs.conftest import owner, site  # noqa: E402,F401  (fixtures)


@pytest.mark.slow
def test_wordpress_installs_and_uninstalls_through_ispmanager(settings, mariadb, site,
                                                       wordpress_package, mysql_query, tmp_path):
    from apps.installs import services, tasks
    from apps.installs.models import Install
    from apps.tasks.models import Task

    server = _start(mariadb)
    server.add_account(site.account.username, password="x-pass")
    try:
        settings.PANEL = {"BACKEND": "ispmanager", "OPTIONS": {
            "user": "root", "password": ROOT_PASSWORD, "url": server.base_url,
            "db_host": "127.0.0.1"}}
        plan = services.check_install(site.account, {
            "application": "wordpress", "url": f"{site.url}/blog", "login": "boss",
            "passwd": "Boss-pass-123!", "email": "boss@example.com", "sitetitle": "Panel"})
        install, task = services.start_install(plan)
        tasks.install_app(task.id)
        task.refresh_from_db()
        install.refresh_from_db()
        assert task.status == Task.Status.COMPLETED, task.message
        assert install.db_created_by_panel and install.db_name.startswith(site.account.username)
        assert "db.edit" in [c.get("func") for c in server.calls]
        assert _schema_exists(mysql_query, install.db_name)
        assert "wp_options" in install.list_tables
        restore_after_the_panel_dropped_it(install, tmp_path, settings, mysql_query)

        uninstall = services.start_uninstall(install)
        tasks.uninstall_app(uninstall.id, False)
        uninstall.refresh_from_db()
        assert uninstall.status == Task.Status.COMPLETED, uninstall.message
        assert not Install.objects.filter(pk=install.pk).exists()
        assert not _schema_exists(mysql_query, install.db_name)
        assert _users(mysql_query, install.db_user) == set()
    finally:
        server.stop()


def test_a_reply_without_ok_is_not_taken_for_a_created_database(configured, isp, website,
                                                                 mysql_query):
    isp.form_again = True
    session = website.as_session()
    spec = configured.generate_db("mysql", session)
    with pytest.raises(PanelError, match="without ok") as caught:
        configured.create_db(spec, session)
    assert caught.value.errcode == "failed_database_create"
    assert spec.password not in caught.value.message
    assert not _schema_exists(mysql_query, spec.name)
