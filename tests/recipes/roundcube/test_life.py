"""Roundcube through its whole life with the real worker on a local website whose PHP
is fenced into the site (open_basedir, no include_path): install from the API, its login
page, backup, a change, restore, clone to another URL, import, uninstall."""

from __future__ import annotations

import tarfile

import pytest

from tests.backups.conftest import db_rows, table_snapshot
from tests.installs.conftest import databases_of, fetch, listing

pytestmark = pytest.mark.slow

CONFIG = "config/config.inc.php"


def _settings(path) -> dict:
    from apps.recipes.roundcube import config

    return config.read(path.read_text())


def _install(pk):
    from apps.installs.models import Install

    return Install.objects.select_related("account", "website").get(pk=pk)


def test_the_package_is_a_standalone_tree(roundcube_archive):
    with tarfile.open(roundcube_archive.store / roundcube_archive.archive) as tar:
        members = {m.name.removeprefix("./"): m for m in tar.getmembers()}
        assert all(m.isfile() or m.isdir() for m in members.values())
        iniset = tar.extractfile(members["program/include/iniset.php"]).read().decode()
    assert "/var/lib/roundcube" not in iniset and "realpath(__DIR__" in iniset
    assert "index.php" in members and "SQL/mysql.initial.sql" in members
    assert "config/defaults.inc.php" in members and CONFIG not in members
    assert "vendor-debian/Net/SMTP.php" in members and "vendor/autoload.php" in members
    assert not any(n.startswith(("public_html", "logs/", "temp/")) and not n.endswith(
        ".htaccess") and members[n].isfile() for n in members)


def test_roundcube_whole_life(site, worker, api, mysql_query):
    user = site.account.username
    (site.docroot / "keep.txt").write_text("the owner's")
    before = listing(site.root)

    # Install from the API.
    body = api.v1("install", user=user, application="roundcube", url=f"{site.url}/mail",
                  imap_host="imap.example.org:993", smtp_host="tls://smtp.example.org:587"
                  ).json()
    assert body["result"] is True, body
    install = _install(body["data"]["id"])
    assert "config" in body["data"]["list-files"] and "users" in body["data"]["list-tables"]
    assert all("/" not in name for name in body["data"]["list-files"])
    assert body["data"]["db-pass"] == "" and install.version == "1.6.5"
    folder = site.docroot / "mail"
    settings = _settings(folder / CONFIG)
    assert settings["imap_host"] == "imap.example.org:993"
    assert settings["smtp_host"] == "tls://smtp.example.org:587"
    assert len(settings["des_key"]) == 24
    assert install.db_pass in settings["db_dsnw"] and install.db_name in settings["db_dsnw"]
    status, page = fetch(f"{site.url}/mail/")
    assert status == 200 and "<title>Roundcube Webmail" in page and "rcmloginuser" in page
    assert db_rows(install, "SELECT value FROM `system` WHERE name = 'roundcube-version'")
    assert not any(install.db_pass in line for line in worker.output)

    # Backup, a change, restore.
    backup = api.v1("backup", user=user, id=install.id).json()
    assert backup["result"] is True, backup
    snapshot = table_snapshot(install)
    db_rows(install, "INSERT INTO users (username, mail_host, created, language) "
                     "VALUES ('changed@example.org', 'imap.example.org', NOW(), 'en_US')")
    (folder / "config" / "changed.txt").write_text("a change")
    assert table_snapshot(install) != snapshot
    restored = api.v2("POST", f"/backups/{backup['data']['id']}/restore", {"user": user})
    assert restored.status_code == 200, restored.json()
    assert table_snapshot(install) == snapshot
    assert not (folder / "config" / "changed.txt").exists()
    assert fetch(f"{site.url}/mail/")[0] == 200

    # Clone to another URL: its own database and des_key, no trace of the old URL.
    cloned = api.v1("clone", user=user, id=install.id, url=f"{site.url}/copy").json()
    assert cloned["result"] is True, cloned
    clone = _install(cloned["data"]["id"])
    assert clone.db_name != install.db_name
    copy = _settings(site.docroot / "copy" / CONFIG)
    assert copy["des_key"] != settings["des_key"] and len(copy["des_key"]) == 24
    assert clone.db_name in copy["db_dsnw"] and install.db_name not in copy["db_dsnw"]
    assert copy["imap_host"] == settings["imap_host"]
    for path in (site.docroot / "copy").rglob("*"):
        if path.is_file() and path.suffix in {".php", ".txt", ".log", ".htaccess"}:
            text = path.read_text(errors="replace")
            assert f"{site.url}/mail" not in text and install.db_pass not in text, path
    status, page = fetch(f"{site.url}/copy/")
    assert status == 200 and "rcmloginuser" in page
    # Page views add sessions; everything else is the source's.
    assert {t: c for t, c in table_snapshot(clone).items() if t != "session"} == \
        {t: c for t, c in snapshot.items() if t != "session"}

    # Import: forget the clone's record, then adopt the copy from its files.
    from apps.installs.models import Install

    record = {"db_name": clone.db_name, "files": sorted(clone.list_files),
              "tables": sorted(clone.list_tables)}
    Install.objects.filter(pk=clone.pk).delete()
    imported = api.v1("import", user=user, application="roundcube",
                      url=f"{site.url}/copy").json()
    assert imported["result"] is True, imported
    data = imported["data"]
    assert data["version"] == "1.6.5" and data["db-name"] == record["db_name"]
    assert sorted(data["list-files"]) == record["files"]
    assert sorted(data["list-tables"]) == record["tables"]

    # Uninstall both: the website and its databases are as they were.
    for pk in (install.id, data["id"]):
        reply = api.v1("uninstall", user=user, id=pk)
        assert reply.status_code == 200 and reply.json()["result"] is True, reply.json()
    # The imported copy's folder was there before its import: it stays, empty.
    assert list((site.docroot / "copy").iterdir()) == []
    (site.docroot / "copy").rmdir()
    after = listing(site.root)
    assert after == before, set(after) ^ set(before)
    # Likewise the imported copy's database: kept, without Roundcube's tables.
    assert databases_of(mysql_query, site.account) == [record["db_name"]]
    assert mysql_query(f"SHOW TABLES FROM `{record['db_name']}`") == ()
