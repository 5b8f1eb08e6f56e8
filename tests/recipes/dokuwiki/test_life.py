"""DokuWiki through its whole life with the real worker behind the API, on a local
website: install, sign-in, edit, sync, backup, a change, restore, clone, import,
uninstall."""

from __future__ import annotations

import shutil

import pytest

from tests.recipes.conftest import ADMIN_PASS, fetch, listing

from .conftest import dokuwiki_login

pytestmark = pytest.mark.slow

WIKI_PASS = "Wiki pass 42 'q\" <&>"


@pytest.fixture
def worker(transactional_db, dokuwiki_package, request):
    return request.getfixturevalue("celery_worker")


def ok(response) -> dict:
    body = response.json()
    assert response.status_code == 200 and body["result"] is True, body
    return body["data"]


def test_dokuwiki_whole_life_on_a_local_website(site, worker, api):
    user = site.account.username
    before = listing(site.root)
    data = ok(api.v1("install", user=user, application="dokuwiki", url=f"{site.url}/wiki",
                     title="Team & Wiki", login="boss", passwd=WIKI_PASS,
                     email="boss@example.com", acl_policy="1", license="cc-by"))
    wiki_id, wiki = data["id"], site.docroot / "wiki"
    assert data["cf-acl_policy"] == "1" and data["cf-license"] == "cc-by"
    assert data["db-name"] == "" and WIKI_PASS not in str(data)
    status, page = fetch(f"{site.url}/wiki/doku.php")
    assert status == 200 and "<title>start [Team & Wiki]</title>" in page
    local = (wiki / "conf" / "local.php").read_text()
    assert "$conf['license'] = 'cc-by';" in local
    assert "@ALL          1" in (wiki / "conf" / "acl.auth.php").read_text()
    assert "boss@example.com" in (wiki / "conf" / "users.auth.php").read_text()
    assert WIKI_PASS not in (wiki / "conf" / "users.auth.php").read_text()
    assert dokuwiki_login(f"{site.url}/wiki", "boss", WIKI_PASS)
    assert not dokuwiki_login(f"{site.url}/wiki", "boss", "not the password")

    # Edit: the fields reach DokuWiki's files; the new password signs in.
    ok(api.v1("edit", user=user, id=wiki_id, title="Renamed Wiki", passwd=ADMIN_PASS,
              acl_policy="2", license="cc-zero", email="chief@example.com"))
    status, page = fetch(f"{site.url}/wiki/doku.php")
    assert "[Renamed Wiki]</title>" in page
    assert "@ALL          0" in (wiki / "conf" / "acl.auth.php").read_text()
    assert "'cc-zero'" in (wiki / "conf" / "local.php").read_text()
    assert dokuwiki_login(f"{site.url}/wiki", "boss", ADMIN_PASS)
    assert not dokuwiki_login(f"{site.url}/wiki", "boss", WIKI_PASS)
    ok(api.v1("sync", user=user, id=wiki_id))
    from apps.installs.models import Install

    install = Install.objects.get(pk=wiki_id)
    assert install.version == "2022-07-31b" and install.title == "Renamed Wiki"
    assert install.fields["acl_policy"] == "2" and install.fields["email"] == "chief@example.com"

    # Backup, a change to a page, restore brings it back.
    ok(api.v1("edit", user=user, id=wiki_id, acl_policy="0"))  # anyone may read pages
    (wiki / "data" / "pages" / "start.txt").write_text("====== Start ======\nOriginal text\n")
    assert "Original text" in fetch(f"{site.url}/wiki/doku.php?id=start")[1]
    backup = ok(api.v1("backup", user=user, id=wiki_id))
    (wiki / "data" / "pages" / "start.txt").write_text("====== Start ======\nVandalised\n")
    assert "Vandalised" in fetch(f"{site.url}/wiki/doku.php?id=start")[1]
    ok(api.v1("restore", user=user, id=backup["id"]))
    page = fetch(f"{site.url}/wiki/doku.php?id=start")[1]
    assert "Original text" in page and "Vandalised" not in page

    # Clone: answers at the new URL, nothing of the old one in its files, same admin.
    clone = ok(api.v1("clone", user=user, id=wiki_id, url=f"{site.url}/copy"))
    copy = site.docroot / "copy"
    page = fetch(f"{site.url}/copy/doku.php?id=start")[1]
    assert "[Renamed Wiki]</title>" in page and "Original text" in page
    assert "/wiki/" not in page
    for path in copy.rglob("*"):
        if path.is_file():
            assert f"{site.url}/wiki".encode() not in path.read_bytes(), path
    assert not (copy / "data" / "meta" / "_htcookiesalt2").exists()
    assert dokuwiki_login(f"{site.url}/copy", "boss", ADMIN_PASS)

    # Import of a copy made by hand.
    shutil.copytree(wiki, site.docroot / "byhand")
    imported = ok(api.v1("import", user=user, application="dokuwiki",
                         url=f"{site.url}/byhand"))
    assert imported["version"] == "2022-07-31b" and "conf" in imported["list-files"]
    # Its settings are the site's (issue 13 item 6): superuser, email, title.
    assert (imported["cf-login"], imported["cf-email"]) == ("boss", "chief@example.com")
    assert imported["cf-title"] == imported["title"] and imported["title"]

    for pk in (wiki_id, clone["id"], imported["id"]):
        ok(api.v1("uninstall", user=user, id=pk))
    assert list((site.docroot / "byhand").iterdir()) == []
    (site.docroot / "byhand").rmdir()
    assert listing(site.root) == before
    assert not any(WIKI_PASS in line or ADMIN_PASS in line for line in worker.output)
