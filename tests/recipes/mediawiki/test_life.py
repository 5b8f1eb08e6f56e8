"""MediaWiki through its whole life with the real worker behind the API, on a local
website served by PHP: install (in the background), the wiki's name on its Main Page,
the admin's sign-in, backup, an edit, restore, clone to another host and folder,
import, uninstall."""

from __future__ import annotations

import zlib

import pytest

from tests.backups.conftest import assert_nowhere_in_tables, db_rows
from tests.installs.conftest import databases_of
from tests.recipes.conftest import assert_import_database_left_empty, fetch, listing, ok

from .conftest import WikiSession

pytestmark = pytest.mark.slow

# Quotes, spaces, an ampersand and angle brackets: passed through a file, never argv.
WIKI_PASS = "Wiki pass 42 'q\" <&> $x"
WIKI_NAME = "Zebra Notes"


@pytest.fixture
def worker(transactional_db, mediawiki_store, request):
    return request.getfixturevalue("celery_worker")


def _wait(task_id: str):
    from apps.tasks.services import wait_for_task

    task = wait_for_task(task_id, timeout=600)
    assert task.status == "completed", task.message
    return task


def _inflated(value: bytes) -> bytes:
    """An objectcache value as MediaWiki wrote it: raw deflate when zlib was there."""
    try:
        return zlib.decompress(value, -zlib.MAX_WBITS)
    except zlib.error:
        return bytes(value)


def _raw(base: str, title: str) -> str:
    """A page's wikitext as the wiki serves it."""
    status, text = fetch(f"{base}/index.php?title={title}&action=raw")
    assert status == 200, (status, text[:300])
    return text


def test_mediawiki_whole_life_on_a_local_website(site, worker, api, php_server, mysql_query):
    from apps.installs.models import Install

    user = site.account.username
    before = listing(site.root)
    assert databases_of(mysql_query, site.account) == []
    url = f"{site.url}/wiki"
    body = api.v1("install", user=user, application="mediawiki", url=url, login="Chief",
                  passwd=WIKI_PASS, email="chief@example.com", sitetitle=WIKI_NAME,
                  background="1").json()
    assert body["result"] is True and body["task"]["id"], body
    _wait(body["task"]["id"])
    data = ok(api.v1("view", user=user, id=Install.objects.get(installer="mediawiki").id))
    wiki_id, wiki = data["id"], site.docroot / "wiki"
    assert data["version"].startswith("1.39.") and data["cf-login"] == "Chief"
    assert "LocalSettings.php" in data["list-files"]
    assert f"{site.account.username}_" in data["db-name"]
    assert any(t.endswith("page") for t in data["list-tables"])
    install = Install.objects.get(pk=wiki_id)
    assert not [p for p in wiki.iterdir() if p.name.startswith(".mw-install-")]
    assert WIKI_PASS not in (wiki / "LocalSettings.php").read_text()

    # The Main Page carries the chosen name; the admin signs in with the chosen password.
    status, page = fetch(f"{url}/")
    assert status == 200 and f"<title>{WIKI_NAME}</title>" in page, page[:500]
    assert '"wgPageName":"Main_Page"' in page
    assert WikiSession(url).login("Chief", WIKI_PASS + "x")["status"] == "FAIL"
    admin = WikiSession(url)
    assert admin.login("Chief", WIKI_PASS)["status"] == "PASS"
    assert admin.whoami() == "Chief"

    # Backup, an edit through the wiki's API, restore brings the page back.
    assert admin.edit("Sandbox", "Original text of the sandbox")["result"] == "Success"
    backup = ok(api.v1("backup", user=user, id=wiki_id))
    assert admin.edit("Sandbox", "Vandalised")["result"] == "Success"
    assert _raw(url, "Sandbox") == "Vandalised"
    ok(api.v1("restore", user=user, id=backup["id"]))
    assert _raw(url, "Sandbox") == "Original text of the sandbox"
    revisions = db_rows(install, f"SELECT COUNT(*) FROM `{install.db_prefix}revision` r JOIN "
                                 f"`{install.db_prefix}page` p ON r.rev_page = p.page_id "
                                 "WHERE p.page_title = 'Sandbox'")
    assert revisions[0][0] == 1
    assert WikiSession(url).login("Chief", WIKI_PASS)["status"] == "PASS"

    # Clone to another host, in a folder: it answers there, nothing of the old URL left.
    other_root = site.root / "other_html"
    other_root.mkdir()
    other = php_server(other_root)
    site.website.vhosts = {**site.website.vhosts, other: "other_html"}
    site.website.save()
    clone_url = f"{other}/notes"
    clone = Install.objects.get(pk=ok(api.v1("clone", user=user, id=wiki_id,
                                             url=clone_url))["id"])
    assert clone.status == "installed" and clone.db_name != install.db_name
    settings = (other_root / "notes" / "LocalSettings.php").read_text()
    assert site.url not in settings and install.db_name not in settings
    assert "/wiki" not in settings.replace("/wiki/", "")  # no old $wgScriptPath
    assert f'$wgServer = "{other}";' in settings.replace("'", '"')
    assert '$wgScriptPath = "/notes";' in settings.replace("'", '"')
    status, page = fetch(f"{clone_url}/")
    assert status == 200 and f"<title>{WIKI_NAME}</title>" in page
    assert '"wgPageName":"Main_Page"' in page
    assert site.url not in page and f"{other}/notes/" in page
    assert _raw(clone_url, "Sandbox") == "Original text of the sandbox"
    assert WikiSession(clone_url).login("Chief", WIKI_PASS)["status"] == "PASS"
    assert_nowhere_in_tables(clone, site.url)
    # MediaWiki's object cache (parsed pages, sessions, messages) is kept deflated, out
    # of reach of a text search, under keys naming the database: nothing of the source's.
    cached = db_rows(clone, f"SELECT keyname, value FROM `{clone.db_prefix}objectcache`")
    assert cached  # the clone's own, from the pages fetched above
    for key, value in cached:
        assert install.db_name.encode() not in key and b"public_html/wiki" not in key, key
        assert site.url.encode() not in _inflated(value)
        assert b"/wiki/index.php" not in _inflated(value)
    assert 'href="/wiki/' not in page
    assert_nowhere_in_tables(clone, f"{site.url.split('://')[1]}/wiki")
    for key in ("wgSecretKey", "wgUpgradeKey"):
        old = [ln for ln in (wiki / "LocalSettings.php").read_text().splitlines()
               if ln.startswith(f"${key}")]
        assert old and old[0] not in settings

    # Import: the clone's record forgotten, import finds it again from its files.
    record = {"db_name": clone.db_name, "db_user": clone.db_user,
              "list_tables": sorted(clone.list_tables)}
    Install.objects.filter(pk=clone.pk).delete()
    imported = ok(api.v1("import", user=user, application="mediawiki", url=clone_url))
    assert imported["version"] == data["version"]
    assert (imported["db-name"], imported["db-user"]) == (record["db_name"],
                                                          record["db_user"])
    assert sorted(imported["list-tables"]) == record["list_tables"]
    assert "LocalSettings.php" in imported["list-files"]
    # The site's own settings (issue 13 item 6): its sysop, its name.
    assert (imported["cf-login"], imported["cf-sitetitle"]) == ("Chief", WIKI_NAME)
    assert imported["title"] == WIKI_NAME

    # Uninstall both: the folders and the databases as they were.
    for pk in (wiki_id, imported["id"]):
        ok(api.v1("uninstall", user=user, id=pk))
    # The import did not make the clone's folder, so it leaves it, empty.
    assert list((other_root / "notes").iterdir()) == []
    (other_root / "notes").rmdir()
    assert list(other_root.iterdir()) == []
    other_root.rmdir()
    assert listing(site.root) == before
    assert_import_database_left_empty(mysql_query, site.account, record["db_name"])
    assert not any(WIKI_PASS in line for line in worker.output)
