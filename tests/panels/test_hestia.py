"""HestiaPanel against a protocol double of Hestia's API that really creates databases."""

from __future__ import annotations

import json
import logging
import socket

import MySQLdb
import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.panels.base import PanelError, get_panel
from apps.panels.hestia import HestiaError, HestiaPanel, api_url, build_websites
from apps.panels.http import post_form, tls_context

from .fakes.common import MariaDB, restore_after_the_panel_dropped_it
from .fakes.hestia import FakeHestia
from .fakes.tls import make_certificates

HUSER = "itronhst"
# Hestia access keys are 20 characters, their secrets 40 (v-add-access-key).
ACCESS_KEY = "ITRONAKEY00000000001"
SECRET = "Zq8-s3cret-never-shown-0123456789abcdefg"
USER_KEY, USER_SECRET = "ITRONUSERKEY00000001", "U" * 40
ADMIN_PASSWORD = "Adm-p4ss-never-shown"
WEB = {
    "shop.itron.test": {"ALIAS": "www.shop.itron.test", "SSL": "yes", "SSL_HOME": "same"},
    "blog.itron.test": {"ALIAS": "", "SSL": "no"},
    "old.itron.test": {"SUSPENDED": "yes"},
}


@pytest.fixture
def mariadb(mysql_admin):
    db = MariaDB(mysql_admin)
    yield db
    db.cleanup()


def _start(mariadb, **tls):
    server = FakeHestia(mariadb, access_keys={f"{ACCESS_KEY}:{SECRET}": "admin",
                                                 f"{USER_KEY}:{USER_SECRET}": HUSER},
                        admins={"admin": ADMIN_PASSWORD}, **tls)
    server.add_user(HUSER, web=WEB)
    server.add_user("itronhs2")
    return server.start()


@pytest.fixture
def hestia(mariadb):
    server = _start(mariadb)
    yield server
    server.stop()


@pytest.fixture
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("hestia-tls"))


@pytest.fixture
def hestia_tls(mariadb, certs):
    server = _start(mariadb, certfile=certs["cert"], keyfile=certs["key"])
    yield server
    server.stop()


@pytest.fixture
def configured(settings, hestia):
    """The backend chosen and configured through settings alone."""
    settings.PANEL = {"BACKEND": "hestia", "OPTIONS": {
        "url": hestia.base_url, "hash": f"{ACCESS_KEY}:{SECRET}", "timeout": 10}}
    return get_panel()


@pytest.fixture
def website(db):
    from apps.accounts.models import Account, Website

    account = Account.objects.create(username=HUSER)
    return Website.objects.create(account=account, ws_id="shop", label="shop.itron.test",
                                  path="/home/itronhst/web/shop.itron.test")


def _users(mysql_query, name):
    return {row[0] for row in mysql_query("SELECT host FROM mysql.user WHERE user=%s", (name,))}


def _schema_exists(mysql_query, name) -> bool:
    return bool(mysql_query(
        "SELECT 1 FROM information_schema.schemata WHERE schema_name=%s", (name,)))


def test_it_creates_and_removes_a_database_through_hestia(configured, hestia, website,
                                                           mysql_query, mysql_admin):
    assert isinstance(configured, HestiaPanel)
    session = website.as_session()
    spec = configured.generate_db("mysql", session)
    assert spec.name.startswith(f"{HUSER}_") and spec.user == spec.name
    assert len(spec.user) <= 32 and spec.password and spec.host == "localhost"

    configured.create_db(spec, session)

    call = hestia.calls[-1]
    assert call["cmd"] == "v-add-database" and call["returncode"] == "yes"
    assert call["hash"] == f"{ACCESS_KEY}:{SECRET}" and "password" not in call
    # Hestia adds "<user>_" itself: we send the short names.
    assert call["arg1"] == HUSER and f"{HUSER}_{call['arg2']}" == spec.name
    assert f"{HUSER}_{call['arg3']}" == spec.user and call["arg5"] == "mysql"
    assert _schema_exists(mysql_query, spec.name)
    assert _users(mysql_query, spec.user) == {"%", "localhost"}
    conn = MySQLdb.connect(host=mysql_admin["host"], port=mysql_admin["port"], user=spec.user,
                           passwd=spec.password, db=spec.name)
    conn.cursor().execute("CREATE TABLE wp_probe (id INT)")
    conn.close()

    configured.remove_db(spec.name, "mysql", session)

    assert hestia.calls[-1]["cmd"] == "v-delete-database"
    assert hestia.calls[-1]["arg2"] == spec.name
    assert not _schema_exists(mysql_query, spec.name)
    assert _users(mysql_query, spec.user) == set()


def test_it_signs_in_with_user_and_password(hestia, website, mysql_query):
    panel = HestiaPanel(url=hestia.base_url, user="admin", password=ADMIN_PASSWORD)
    spec = panel.generate_db("mysql", website.as_session())
    panel.create_db(spec, website.as_session())
    assert hestia.calls[-1]["user"] == "admin" and "hash" not in hestia.calls[-1]
    assert _schema_exists(mysql_query, spec.name)
    panel.remove_db(spec.name, "mysql", website.as_session())
    assert not _schema_exists(mysql_query, spec.name)


def test_a_custom_hestia_user_member_names_the_panel_account(configured, website, mysql_query):
    website.custom = {"_hestia_user": "itronhs2"}
    website.save()
    spec = configured.generate_db("mysql", website.as_session())
    assert spec.name.startswith("itronhs2_")
    configured.create_db(spec, website.as_session())
    assert _schema_exists(mysql_query, spec.name)
    configured.remove_db(spec.name, "mysql", website.as_session())
    assert not _schema_exists(mysql_query, spec.name)


@pytest.mark.parametrize("options", [
    {"hash": f"{ACCESS_KEY}:wrong-{SECRET}"},
    {"user": "admin", "password": f"wrong-{ADMIN_PASSWORD}"},
])
def test_a_refused_key_is_a_panel_error_that_names_no_secret(hestia, website, caplog, options):
    panel = HestiaPanel(url=hestia.base_url, **options)
    spec = panel.generate_db("mysql", website.as_session())
    caplog.set_level(logging.DEBUG)
    with pytest.raises(HestiaError) as caught:
        panel.create_db(spec, website.as_session())
    assert caught.value.code == 9 and caught.value.name == "E_PASSWORD"
    assert caught.value.errcode == "failed_database_create"
    text = caught.value.message + caplog.text
    secrets = [v for k, v in options.items() if k in ("hash", "password")]
    for secret in (SECRET, ADMIN_PASSWORD, spec.password, *secrets):
        assert secret not in text
    assert "credentials" in caught.value.message


def test_existing_database_limit_and_suspension_map_to_clear_errors(configured, hestia,
                                                                    website, mysql_query):
    session = website.as_session()
    spec = configured.generate_db("mysql", session)
    configured.create_db(spec, session)
    with pytest.raises(HestiaError) as caught:
        configured.create_db(spec, session)
    assert caught.value.name == "E_EXISTS" and "already exists" in caught.value.message

    hestia.users[HUSER]["limit"] = 1
    with pytest.raises(HestiaError) as caught:
        configured.create_db(configured.generate_db("mysql", session), session)
    assert caught.value.name == "E_LIMIT" and "package" in caught.value.message

    hestia.users[HUSER]["suspended"] = True
    with pytest.raises(HestiaError) as caught:
        configured.create_db(configured.generate_db("mysql", session), session)
    assert caught.value.name == "E_SUSPENDED" and "suspended" in caught.value.message
    configured.remove_db(spec.name, "mysql", session)
    assert not _schema_exists(mysql_query, spec.name)


def test_unknown_panel_user_and_missing_database(configured, website):
    website.custom = {"_hestia_user": "nosuchuser"}
    session = website.as_session()
    with pytest.raises(HestiaError) as caught:
        configured.create_db(configured.generate_db("mysql", session), session)
    assert caught.value.name == "E_NOTEXIST"
    # Removing what is already gone is not an error (rollbacks may run twice).
    configured.remove_db(f"{HUSER}_neverthere", "mysql", {"user": HUSER})


def test_a_name_without_the_hestia_prefix_is_refused_before_any_call(configured, hestia,
                                                                     website):
    from apps.panels.base import DatabaseSpec

    calls = len(hestia.calls)
    with pytest.raises(PanelError, match="must|start with"):
        configured.create_db(DatabaseSpec("other_db", "other_db", "Pw123456x", "localhost"),
                             website.as_session())
    assert len(hestia.calls) == calls


def test_tls_is_verified_by_default(hestia_tls, certs, website, mysql_query):
    session = website.as_session()
    strict = HestiaPanel(url=hestia_tls.base_url, hash=f"{ACCESS_KEY}:{SECRET}")
    with pytest.raises(PanelError, match="certificate") as caught:
        strict.create_db(strict.generate_db("mysql", session), session)
    assert SECRET not in caught.value.message
    assert hestia_tls.calls == []  # nothing was sent before the handshake failed

    trusted = HestiaPanel(url=hestia_tls.base_url, hash=f"{ACCESS_KEY}:{SECRET}",
                          ca_file=certs["ca"])
    spec = trusted.generate_db("mysql", session)
    trusted.create_db(spec, session)
    assert _schema_exists(mysql_query, spec.name)

    unverified = HestiaPanel(url=hestia_tls.base_url, hash=f"{ACCESS_KEY}:{SECRET}",
                             verify_tls=False)
    unverified.remove_db(spec.name, "mysql", session)
    assert not _schema_exists(mysql_query, spec.name)


def test_a_silent_panel_times_out(website):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the connection, never answers
        port = listener.getsockname()[1]
        panel = HestiaPanel(url=f"http://127.0.0.1:{port}", hash="a:b", timeout=0.5)
        with pytest.raises(PanelError, match="did not answer within 0.5 seconds"):
            panel.remove_db(f"{HUSER}_x", "mysql", website.as_session())


def test_the_url_gets_hestias_port_and_api_path():
    assert HestiaPanel(url="https://h.example", hash="k").url == "https://h.example:8083/api/"
    assert HestiaPanel(url="https://h.example:9000/api/", hash="k").url == \
        "https://h.example:9000/api/"


def test_websites_are_built_from_v_list_web_domains(configured, hestia):
    websites = configured.websites_for(HUSER)
    assert hestia.calls[-1]["cmd"] == "v-list-web-domains"
    assert (hestia.calls[-1]["arg2"], hestia.calls[-1]["returncode"]) == ("json", "no")
    assert websites == [
        {"id": "shop.itron.test", "label": "shop.itron.test",
         "path": "/home/itronhst/web/shop.itron.test",
         "vhosts": {"http://shop.itron.test": "public_html",
                    "http://www.shop.itron.test": "public_html",
                    "https://shop.itron.test": "public_html",
                    "https://www.shop.itron.test": "public_html"},
         "_hestia_user": HUSER},
        {"id": "blog.itron.test", "label": "blog.itron.test",
         "path": "/home/itronhst/web/blog.itron.test",
         "vhosts": {"http://blog.itron.test": "public_html"}, "_hestia_user": HUSER},
    ]
    assert build_websites("u", {"a.test": {"SSL": "yes", "SSL_HOME": "single"}},
                          path_template="sftp://{user}@10.0.0.1/web/{domain}")[0] == {
        "id": "a.test", "label": "a.test", "path": "sftp://u@10.0.0.1/web/a.test",
        "vhosts": {"http://a.test": "public_html", "https://a.test": "public_shtml"},
        "_hestia_user": "u"}


def test_an_unknown_hestia_user_has_no_websites_list(configured):
    with pytest.raises(PanelError, match="does not exist. \\(HestiaCP v-list-web-domains: E_NOTEXIST\\)"):
        configured.websites_for("nosuchuser")


def test_hestia_handoff_hands_a_user_over_in_one_call(configured, client, db):
    from django.core.management import call_command

    from apps.accounts.models import Account
    from apps.accounts.services import redeem_handoff
    from apps.panels.services import handoff_hestia_user

    raw = handoff_hestia_user(HUSER)
    account = Account.objects.get(username=HUSER)
    sites = {w.ws_id: w for w in account.websites.all()}
    assert set(sites) == {"shop.itron.test", "blog.itron.test"}
    assert sites["shop.itron.test"].as_session()["_hestia_user"] == HUSER
    assert sites["blog.itron.test"].vhosts == {"http://blog.itron.test": "public_html"}
    assert redeem_handoff(raw).account == account

    from io import StringIO

    out = StringIO()
    call_command("hestia_handoff", HUSER, "--base", "https://gui.example", stdout=out)
    link = out.getvalue().strip()
    assert link.startswith("https://gui.example/index.php?s=")
    response = client.get("/index.php", {"s": link.split("s=", 1)[1]})
    assert response.status_code in (200, 302)
    assert redeem_handoff(link.split("s=", 1)[1]) is None  # spent by the GUI


# -- a full WordPress install through the panel (the install engine, apps.installs) ----------
from tests.installs.conftest import owner, site  # noqa: E402,F401  (fixtures)


@pytest.mark.slow
def test_wordpress_installs_and_uninstalls_through_hestia(settings, mariadb, site,
                                                       wordpress_package, mysql_query, tmp_path):
    from apps.installs import services, tasks
    from apps.installs.models import Install
    from apps.tasks.models import Task

    server = _start(mariadb)
    server.add_user(site.account.username)
    try:
        settings.PANEL = {"BACKEND": "hestia", "OPTIONS": {
            "hash": f"{ACCESS_KEY}:{SECRET}", "url": server.base_url, "db_host": "127.0.0.1"}}
        plan = services.check_install(site.account, {
            "application": "wordpress", "url": f"{site.url}/blog", "login": "boss",
            "passwd": "Boss-pass-123!", "email": "boss@example.com", "sitetitle": "Panel"})
        install, task = services.start_install(plan)
        tasks.install_app(task.id)
        task.refresh_from_db()
        install.refresh_from_db()
        assert task.status == Task.Status.COMPLETED, task.message
        assert install.db_created_by_panel and install.db_name.startswith(site.account.username)
        assert "v-add-database" in [c.get("cmd") for c in server.calls]
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


def _raw(hestia, **fields):
    return post_form(api_url(hestia.base_url), fields, context=tls_context(), timeout=10, secrets=[],
                     what=fields.get("cmd", ""))


def test_the_test_server_answers_as_hestias_api_does(hestia):
    key = {"hash": f"{ACCESS_KEY}:{SECRET}"}
    # An access key: the exit code in a header, 204 and no body for an empty success.
    reply = _raw(hestia, **key, cmd="v-delete-database", arg1=HUSER, arg2=f"{HUSER}_none")
    assert (reply.status, reply.headers["hestia-exit-code"]) == (400, "3")
    reply = _raw(hestia, **key, cmd="v-add-database", arg1=HUSER, arg2="rawdb", arg3="rawdb",
                 arg4="Raw-pass-123")
    assert (reply.status, reply.headers["hestia-exit-code"], reply.body) == (204, "0", "")
    reply = _raw(hestia, **key, cmd="v-add-database", arg1=HUSER, arg2="x", arg3="x",
                 arg4="short", returncode="yes")
    assert (reply.status, reply.headers["hestia-exit-code"], reply.body) == (200, "2", "2")
    reply = _raw(hestia, **key, cmd="v-list-web-domains", arg1=HUSER, arg2="json")
    assert reply.status == 200 and "shop.itron.test" in json.loads(reply.body)
    # The same key as access_key + secret_key.
    reply = _raw(hestia, access_key=ACCESS_KEY, secret_key=SECRET, cmd="v-delete-database",
                 arg1=HUSER, arg2=f"{HUSER}_rawdb")
    assert (reply.status, reply.headers["hestia-exit-code"]) == (204, "0")
    # User/password: admin only, and the legacy API sends no header with the result.
    reply = _raw(hestia, user=HUSER, password=ADMIN_PASSWORD, cmd="v-list-web-domains",
                 arg1=HUSER)
    assert (reply.status, reply.headers["hestia-exit-code"]) == (401, "10")
    assert reply.body == "Error: authentication failed"
    reply = _raw(hestia, user="admin", password=ADMIN_PASSWORD, cmd="v-delete-database",
                 arg1=HUSER, arg2="gone", returncode="yes")
    assert (reply.status, reply.body) == (200, "3") and "hestia-exit-code" not in reply.headers
    # A user's key acts only for that user.
    user_key = {"hash": f"{USER_KEY}:{USER_SECRET}"}
    reply = _raw(hestia, **user_key, cmd="v-list-web-domains", arg1="itronhs2", arg2="json")
    assert (reply.status, reply.headers["hestia-exit-code"]) == (401, "10")
    assert "doesn't match the key's user" in reply.body
    assert _raw(hestia, **user_key, cmd="v-list-web-domains", arg1=HUSER).status == 200


def test_a_users_own_access_key_makes_that_users_databases_only(hestia, website, mysql_query):
    panel = HestiaPanel(url=hestia.base_url, hash=f"{USER_KEY}:{USER_SECRET}")
    session = website.as_session()
    spec = panel.generate_db("mysql", session)
    panel.create_db(spec, session)
    assert _schema_exists(mysql_query, spec.name)
    panel.remove_db(spec.name, "mysql", session)
    assert not _schema_exists(mysql_query, spec.name)
    other = {**session, "_hestia_user": "itronhs2"}
    with pytest.raises(HestiaError) as caught:
        panel.create_db(panel.generate_db("mysql", other), other)
    assert caught.value.code == 10 and "permissions" in caught.value.message


def test_user_and_password_sign_in_is_for_admin_only():
    with pytest.raises(ImproperlyConfigured, match="only for admin"):
        HestiaPanel(url="https://h.example", user="demo", password="pw")
