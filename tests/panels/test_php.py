"""The php panel backend: a hosting company's panel.php (001 section 4) used unchanged,
through PHP's CLI. tests/panels/fakes/panel.php is written the way 001's samples are and
makes real databases and users on the test MariaDB."""

from __future__ import annotations

import json
import re
import secrets
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import MySQLdb
import pytest

from apps.panels.base import DatabaseSpec, PanelError, get_panel
from apps.panels.php import PhpPanel
from tests.installs.conftest import (  # noqa: F401
    ADMIN_PASS,
    databases_of,
    drop_databases_of,
    fetch,
    listing,
    owner,
    site,
)

PANEL_PHP = Path(__file__).parent / "fakes" / "panel.php"


@pytest.fixture
def prefix(mysql_query):
    """A database name prefix of this test; whatever it leaves on the server is dropped."""
    name = "itrphp" + secrets.token_hex(3)
    yield name
    drop_databases_of(mysql_query, SimpleNamespace(username=name))


def _website(prefix: str, **custom) -> dict:
    return {"user": "bob", "id": "ws1", "path": "/srv/bob", "vhosts": {}, "db_mode": "auto",
            "_some_prefix": prefix, **custom}


def _panel_file(tmp_path: Path, body: str) -> str:
    path = tmp_path / "panel.php"
    path.write_text("<?php\nclass i_custom extends i_panel\n{\n" + body + "\n}\n")
    return str(path)


def test_it_is_registered_and_reads_its_options(settings):
    settings.PANEL = {"BACKEND": "php", "OPTIONS": {"path": str(PANEL_PHP), "php": "php",
                                                    "timeout": 5}}
    panel = get_panel()
    assert isinstance(panel, PhpPanel)
    assert (panel.path, panel.php, panel.timeout) == (str(PANEL_PHP), "php", 5.0)


def test_the_sample_panel_class_makes_and_removes_real_databases(prefix, mysql_query):
    panel = PhpPanel(path=str(PANEL_PHP))
    website = _website(prefix)
    spec = panel.generate_db("mysql", website)
    # generateDB's array, itron::$session's custom member as the prefix, and no password
    # from it (null): one was generated.
    assert re.fullmatch(rf"{prefix}_[0-9a-f]{{13}}", spec.name)
    assert (spec.user, spec.host, spec.prefix, spec.type) == (spec.name, "127.0.0.1", None,
                                                               "mysql")
    assert re.fullmatch(r"[A-Za-z0-9]{32}", spec.password)

    panel.create_db(spec, website)
    assert databases_of_prefix(mysql_query, prefix) == [spec.name]
    MySQLdb.connect(host="127.0.0.1", user=spec.user, passwd=spec.password,
                    db=spec.name).close()

    panel.remove_db(spec.name, "mysql", website)
    assert databases_of_prefix(mysql_query, prefix) == []
    assert not mysql_query("SELECT 1 FROM mysql.user WHERE User = %s", (spec.user,))


def databases_of_prefix(mysql_query, prefix: str) -> list[str]:
    return [r[0] for r in mysql_query("SHOW DATABASES LIKE %s", (prefix + r"\_%",))]


def test_false_from_createdb_or_removedb_fails_with_the_errcodes(prefix, mysql_query):
    panel = PhpPanel(path=str(PANEL_PHP))
    spec = panel.generate_db("mysql", _website(prefix))
    with pytest.raises(PanelError) as caught:
        panel.create_db(spec, _website(prefix, _fail="createDB"))
    assert caught.value.errcode == "failed_database_create"
    assert "create_db reported a failure" in caught.value.message
    assert spec.password not in caught.value.message

    with pytest.raises(PanelError) as caught:
        panel.remove_db(spec.name, "mysql", _website(prefix, _fail="removeDB"))
    assert caught.value.errcode == "failed_database_remove"
    assert databases_of_prefix(mysql_query, prefix) == [spec.name]
    panel.remove_db(spec.name, "mysql", _website(prefix))
    assert databases_of_prefix(mysql_query, prefix) == []

    # A type the class does not handle: its switch falls through to false.
    with pytest.raises(PanelError) as caught:
        panel.create_db(DatabaseSpec("x", "x", "p", "127.0.0.1", type="mssql"), _website(prefix))
    assert caught.value.errcode == "failed_database_create"


def test_the_path_hooks_get_the_website_and_answer_as_documented():
    panel = PhpPanel(path=str(PANEL_PHP))
    website = _website("p", _path="sftp://bob@10.0.0.5/web")
    assert panel.enable_path(website) == "sftp://bob@10.0.0.5/web"
    assert panel.enable_path(_website("p")) is None
    panel.disable_path(website)
    with pytest.raises(PanelError) as caught:
        panel.disable_path(_website("p", _fail="disablePath"))
    assert caught.value.errcode == "invalid_argument_websites"
    assert panel.enable_secondary_path(website) == "ssh://ws1:s3cret+pass@127.0.0.1/domains"
    panel.disable_secondary_path(website)


def test_hooks_the_class_leaves_out_take_i_panels_defaults(tmp_path):
    panel = PhpPanel(path=_panel_file(tmp_path, "public function generateDB($type) "
                                                "{ return false; }"))
    assert panel.enable_path(_website("p")) is None
    assert panel.enable_secondary_path(_website("p")) is None
    panel.disable_path(_website("p"))
    with pytest.raises(PanelError) as caught:
        panel.generate_db("mysql", _website("p"))
    assert caught.value.errcode == "failed_database_create"
    assert "generate_db returned nothing usable" in caught.value.message
    with pytest.raises(PanelError) as caught:
        panel.remove_db("x", "mysql", _website("p"))
    assert caught.value.errcode == "failed_database_remove"
    assert "does not define removeDB" in caught.value.message


CREATE = "public function createDB($name, $user, $pass, $type, $host) {{ {} }}"


@pytest.mark.parametrize("body, expected", [
    ("undefined_function_here(); return true;",
     ("PHP fatal error: Error: Call to undefined function undefined_function_here() "
      "in panel.php line 4")),
    ('trigger_error("panel API down", E_USER_ERROR);',
     "PHP fatal error: panel API down in panel.php line 4"),
    ('throw new RuntimeException("API refused user $user with password $pass");',
     "uncaught exception: RuntimeException: API refused user u1 with password ***"),
    ("exit(0);", "exit() in the panel class"),
    ('fwrite(STDOUT, "ITRON-REPLY {\\"ok\\": tru"); fclose(STDOUT); return true;',
     "PHP gave no answer to createDB"),
])
def test_php_side_failures_give_clear_errors_without_the_password(tmp_path, body, expected):
    panel = PhpPanel(path=_panel_file(tmp_path, CREATE.format(body)))
    password = "Pw" + secrets.token_hex(8)
    with pytest.raises(PanelError) as caught:
        panel.create_db(DatabaseSpec("d1", "u1", password, "localhost"), _website("p"))
    assert caught.value.errcode == "failed_database_create"
    assert expected in caught.value.message
    assert password not in caught.value.message


def test_a_file_that_is_not_a_panel_class_is_refused(tmp_path):
    for text in ("<?php\nclass i_other {}\n", "<?php\nclass i_custom {}\n"):
        (tmp_path / "panel.php").write_text(text)
        with pytest.raises(PanelError, match="does not define class i_custom extends i_panel"):
            PhpPanel(path=str(tmp_path / "panel.php")).generate_db("mysql", _website("p"))
    (tmp_path / "panel.php").write_text("<?php\nclass i_custom extends i_panel {\n")
    with pytest.raises(PanelError, match=r"PHP fatal error: ParseError: Unclosed '\{' on line 2 in panel.php"):
        PhpPanel(path=str(tmp_path / "panel.php")).generate_db("mysql", _website("p"))
    with pytest.raises(PanelError, match="cannot be read"):
        PhpPanel(path=str(tmp_path / "missing.php")).generate_db("mysql", _website("p"))
    with pytest.raises(PanelError, match="could not be started"):
        PhpPanel(path=str(PANEL_PHP), php=str(tmp_path / "no-php")).generate_db(
            "mysql", _website("p"))


def test_a_panel_class_that_hangs_is_stopped_at_the_timeout(tmp_path):
    panel = PhpPanel(path=_panel_file(tmp_path, CREATE.format("sleep(60); return true;")),
                     timeout=1)
    started = time.monotonic()
    with pytest.raises(PanelError) as caught:
        panel.create_db(DatabaseSpec("d1", "u1", "pw-secret", "localhost"), _website("p"))
    assert time.monotonic() - started < 10
    assert caught.value.errcode == "failed_database_create"
    assert "did not answer createDB within 1 seconds" in caught.value.message


def test_secrets_travel_on_stdin_only(tmp_path):
    """The PHP binary is replaced by a recorder: argv has no password, stdin has it."""
    record = tmp_path / "record.json"
    fake = tmp_path / "php"
    fake.write_text(f"#!{sys.executable}\nimport json, sys\n"
                    f"json.dump({{'argv': sys.argv, 'stdin': sys.stdin.read()}}, "
                    f"open({str(record)!r}, 'w'))\nprint('not a reply')\n")
    fake.chmod(0o755)
    panel = PhpPanel(path=str(PANEL_PHP), php=str(fake))
    website = _website("p", path="sftp://bob:path-secret@10.0.0.5/web")
    with pytest.raises(PanelError) as caught:
        panel.create_db(DatabaseSpec("d1", "u1", "db-secret", "localhost"), website)
    assert "PHP gave no answer to createDB (exit status 0)" in caught.value.message
    seen = json.loads(record.read_text())
    assert "db-secret" not in " ".join(seen["argv"]) and "path-secret" not in " ".join(seen["argv"])
    assert seen["argv"][-1] == str(PANEL_PHP)
    request = json.loads(seen["stdin"])
    assert request["method"] == "createDB"
    assert request["args"] == ["d1", "u1", "db-secret", "mysql", "localhost"]
    assert request["session"]["path"] == "sftp://bob:path-secret@10.0.0.5/web"


# -- end to end: a WordPress install and uninstall through the API and a real worker

@pytest.fixture
def php_worker(transactional_db, wordpress_package, wordpress_archive, monkeypatch,
               settings, request):
    """The real worker with the php panel on tests/panels/fakes/panel.php."""
    options = {"path": str(PANEL_PHP), "timeout": 60}
    monkeypatch.setenv("INSTALLATRON_PACKAGES", str(wordpress_archive.store))
    monkeypatch.setenv("INSTALLATRON_PANEL", "php")
    monkeypatch.setenv("INSTALLATRON_PANEL_OPTIONS", json.dumps(options))
    settings.PANEL = {"BACKEND": "php", "OPTIONS": options}
    return request.getfixturevalue("celery_worker")


def _websites(site, **custom) -> list[dict]:
    return [{"id": "ws1", "path": str(site.root), "vhosts": {site.url: "public_html"},
             "_some_prefix": site.account.username, **custom}]


@pytest.mark.slow
def test_wordpress_installs_and_uninstalls_through_a_panel_php(site, php_worker, api,
                                                              mysql_query):
    from apps.installs.models import Install
    from apps.installs.services import connect_db

    user = site.account.username
    before = listing(site.root)

    # createDB made the database, then answered false: the install fails, nothing stays.
    response = api.v1("install", user=user, application="wordpress", url=f"{site.url}/blog",
                      passwd=ADMIN_PASS, websites=_websites(site, _fail="createDB"))
    body = response.json()
    assert response.status_code == 500, body
    assert body["errcode"] == "failed_database_create"
    assert databases_of(mysql_query, site.account) == []
    assert listing(site.root) == before
    Install.objects.filter(account=site.account).delete()

    response = api.v1("install", user=user, application="wordpress", url=site.url,
                      passwd=ADMIN_PASS, sitetitle="From panel.php", websites=_websites(site))
    assert response.status_code == 200, response.json()
    install = Install.objects.get(pk=response.json()["data"]["id"])
    assert install.db_created_by_panel
    assert install.db_name.startswith(user + "_") and install.db_host == "127.0.0.1"
    assert re.fullmatch(r"[A-Za-z0-9]{32}", install.db_pass)
    assert databases_of(mysql_query, site.account) == [install.db_name]
    connect_db(install.db_host, install.db_user, install.db_pass, install.db_name).close()
    status, home = fetch(site.url + "/")
    assert status == 200 and "<title>From panel.php" in home

    # removeDB answered false: the uninstall fails, the install and its database stay.
    response = api.v1("uninstall", user=user, id=install.id,
                      websites=_websites(site, _fail="removeDB"))
    assert response.status_code == 500, response.json()
    assert response.json()["errcode"] == "failed_database_remove"
    assert databases_of(mysql_query, site.account) == [install.db_name]

    response = api.v1("uninstall", user=user, id=install.id, websites=_websites(site))
    assert response.status_code == 200, response.json()
    assert databases_of(mysql_query, site.account) == []
    assert not mysql_query("SELECT 1 FROM mysql.user WHERE User = %s", (install.db_user,))
    assert not Install.objects.filter(pk=install.id).exists()
