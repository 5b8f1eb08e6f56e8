"""PostfixAdmin through its whole life with the real worker on a local website: install
from the API (its own setup.php makes the tables and the superadmin), the superadmin signs
in with the chosen password, backup, a change, restore, clone to another URL, import,
uninstall; and the fields PostfixAdmin itself would refuse are refused first."""

from __future__ import annotations

import shutil

import pytest

from tests.backups.conftest import db_rows
from tests.installs.conftest import fetch, listing

from .conftest import pfa_login

pytestmark = pytest.mark.slow

ADMIN = "chief@example.com"
ADMIN_PASS = "S3cret pass 42 'quoted\" &>"
NEW_PASS = "N3w pass 77 \\ 'q' ?>"


@pytest.fixture
def worker(transactional_db, postfixadmin_package, postfixadmin_archive, monkeypatch, request,
           settings, tmp_path):
    monkeypatch.setenv("INSTALLATRON_PACKAGES", str(postfixadmin_archive.store))
    settings.BACKUP_DIR = tmp_path / "backups"
    monkeypatch.setenv("INSTALLATRON_BACKUPS", str(settings.BACKUP_DIR))
    return request.getfixturevalue("celery_worker")


def ok(response) -> dict:
    body = response.json()
    assert response.status_code == 200 and body["result"] is True, body
    return body["data"]


def _domains(install) -> list[str]:
    return [r[0] for r in db_rows(install, f"SELECT domain FROM `{install.db_prefix}domain` "
                                           "WHERE domain <> 'ALL' ORDER BY domain")]


def test_postfixadmin_whole_life_on_a_local_website(site, worker, api):
    from apps.backups.models import Backup
    from apps.installs.models import Install

    user = site.account.username
    (site.docroot / "robots.txt").write_text("User-agent: *\n")
    before = listing(site.root)
    url = f"{site.url}/mail"
    for bad, errcode in (({"login": "chief"}, "invalid_argument_login"),
                         ({"passwd": "no digits here"}, "invalid_argument_passwd")):
        params = {"login": ADMIN, "passwd": ADMIN_PASS, **bad}
        refused = api.v1("install", user=user, application="postfixadmin", url=url, **params)
        assert refused.json()["errcode"] == errcode, refused.json()
    data = ok(api.v1("install", user=user, application="postfixadmin", url=url, login=ADMIN,
                     passwd=ADMIN_PASS))
    assert data["version"] == "3.3.13" and data["cf-login"] == ADMIN
    assert "app" in data["list-files"] and f"{data['db-prefix']}admin" in data["list-tables"]
    assert not any(ADMIN_PASS in line for line in worker.output)
    install = Install.objects.get(pk=data["id"])
    config = (site.docroot / "mail" / "app" / "config.local.php").read_text()
    assert "$CONF['setup_password'] = '$2" in config and ADMIN_PASS not in config

    status, page = fetch(f"{url}/login.php")
    assert status == 200 and 'name="fUsername"' in page
    assert pfa_login(url, ADMIN, ADMIN_PASS)
    assert not pfa_login(url, ADMIN, ADMIN_PASS + "x")

    # Edit of the password: PostfixAdmin's own hash (md5crypt) in its admin table; the
    # new one signs in, the old one no longer does. The admin's login is set once.
    ok(api.v1("edit", user=user, id=install.id, passwd=NEW_PASS))
    stored = db_rows(install, f"SELECT password FROM `{install.db_prefix}admin` "
                              "WHERE username = %s", (ADMIN,))[0][0]
    assert stored.startswith("$1$") and NEW_PASS not in stored
    assert pfa_login(url, ADMIN, NEW_PASS) and not pfa_login(url, ADMIN, ADMIN_PASS)
    refused = api.v1("edit", user=user, id=install.id, passwd="weak").json()
    assert refused["errcode"] == "invalid_argument_passwd", refused
    refused = api.v1("edit", user=user, id=install.id, login="other@example.com").json()
    assert refused["errcode"] == "invalid_argument_login", refused
    ok(api.v1("edit", user=user, id=install.id, login=ADMIN))  # its own value: no change
    ok(api.v1("edit", user=user, id=install.id, passwd=ADMIN_PASS))
    assert pfa_login(url, ADMIN, ADMIN_PASS) and not pfa_login(url, ADMIN, NEW_PASS)

    # Backup, a change, restore brings the old state back.
    db_rows(install, f"INSERT INTO `{install.db_prefix}domain` (domain, description, "
                     "transport) VALUES ('before.example', '', 'virtual')")
    backup = Backup.objects.get(pk=ok(api.v1("backup", user=user, id=install.id))["id"])
    db_rows(install, f"INSERT INTO `{install.db_prefix}domain` (domain, description, "
                     "transport) VALUES ('after.example', '', 'virtual')")
    assert _domains(install) == ["after.example", "before.example"]
    ok(api.v1("restore", user=user, id=backup.id))
    assert _domains(install) == ["before.example"]
    assert pfa_login(url, ADMIN, ADMIN_PASS)

    # Clone: the copy has its own database and setup password, and signs in there.
    clone = ok(api.v1("clone", user=user, id=install.id, url=f"{site.url}/copy"))
    copy = Install.objects.get(pk=clone["id"])
    assert copy.db_name != install.db_name or copy.db_prefix != install.db_prefix
    copied = (site.docroot / "copy" / "app" / "config.local.php").read_text()
    assert install.db_pass not in copied and config.split("setup_password")[1][:40] not in \
        copied.split("setup_password")[1][:40]
    assert pfa_login(f"{site.url}/copy", ADMIN, ADMIN_PASS)
    assert _domains(copy) == ["before.example"]

    # Import of a copy made by hand (its config names the first install's database).
    shutil.copytree(site.docroot / "mail", site.docroot / "byhand")
    imported = ok(api.v1("import", user=user, application="postfixadmin",
                         url=f"{site.url}/byhand"))
    assert imported["version"] == "3.3.13" and imported["db-name"] == install.db_name
    assert imported["cf-login"] == ADMIN  # its superadmin, detected (issue 13 item 6)

    # Uninstall all three: the website is as before (the hand-made folder stays, emptied).
    ok(api.v1("uninstall", user=user, id=imported["id"]))
    for pk in (clone["id"], install.id):
        ok(api.v1("uninstall", user=user, id=pk))
    assert list((site.docroot / "byhand").iterdir()) == []
    (site.docroot / "byhand").rmdir()
    assert listing(site.root) == before
