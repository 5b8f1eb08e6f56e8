"""The recipe contract proven on an application that is not WordPress: the tests' own
notebook (``apps/notebook``: no database, fields of its own, an admin account in a
file) through install, edit, backup, restore, clone, import and uninstall, with the real
worker behind the API."""

from __future__ import annotations

import shutil
import urllib.parse
import urllib.request

import pytest

from .conftest import ADMIN_PASS, fetch, listing

pytestmark = pytest.mark.slow


@pytest.fixture
def worker(transactional_db, notebook_package, request):
    return request.getfixturevalue("celery_worker")


def login(url: str, name: str, password: str) -> tuple[int, str]:
    body = urllib.parse.urlencode({"login": name, "password": password}).encode()
    try:
        with urllib.request.urlopen(f"{url}/login.php", data=body, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def ok(response) -> dict:
    body = response.json()
    assert response.status_code == 200 and body["result"] is True, body
    return body["data"]


def test_the_notebook_goes_through_its_whole_life(site, worker, api, backup_dir):
    user = site.account.username
    (site.docroot / "robots.txt").write_text("User-agent: *\n")
    before = listing(site.root)

    # Install: every field reaches the installer; no email, database or "My blog".
    data = ok(api.v1("install", user=user, application="notebook", url=f"{site.url}/nb",
                     title="Lab <Notes> & Co", theme="dark", show_notes="0", login="keeper",
                     passwd=ADMIN_PASS))
    install_id = data["id"]
    assert data["cf-title"] == "Lab <Notes> & Co" and data["cf-theme"] == "dark"
    assert data["cf-show_notes"] == "0" and data["cf-login"] == "keeper"
    assert data["db-name"] == "" and data["list-tables"] in ([], "")
    assert "config.php" in data["list-files"] and "admin.php" in data["list-files"]
    assert ADMIN_PASS not in str(data)
    folder = site.docroot / "nb"
    status, page = fetch(f"{site.url}/nb/")
    assert status == 200, page
    assert "<title>Lab &lt;Notes&gt; &amp; Co</title>" in page
    assert 'class="theme-dark"' in page and "Notes are hidden." in page
    assert f"Home: {site.url}/nb" in page
    assert login(f"{site.url}/nb", "keeper", ADMIN_PASS) == (200, "Welcome, keeper")
    assert login(f"{site.url}/nb", "keeper", "wrong password")[0] == 403
    assert ADMIN_PASS not in (folder / "admin.php").read_text()
    from apps.installs.models import Install

    install = Install.objects.get(pk=install_id)
    assert install.title == "Lab <Notes> & Co" and install.db_name == ""
    assert install.fields == {"title": "Lab <Notes> & Co", "theme": "dark",
                              "show_notes": False, "login": "keeper"}

    # Edit: fields of its own reach the files; the new password works, the old does not.
    ok(api.v1("edit", user=user, id=install_id, title="Edited Notes", theme="paper",
              show_notes="1", passwd="N3w-pass-word"))
    status, page = fetch(f"{site.url}/nb/")
    assert "<title>Edited Notes</title>" in page and 'class="theme-paper"' in page
    assert "The first note." in page
    assert login(f"{site.url}/nb", "keeper", "N3w-pass-word")[0] == 200
    assert login(f"{site.url}/nb", "keeper", ADMIN_PASS)[0] == 403
    install.refresh_from_db()
    assert install.title == "Edited Notes" and install.fields["theme"] == "paper"
    assert install.fields["show_notes"] is True

    # Sync reads the settings back from the files.
    ok(api.v1("sync", user=user, id=install_id))
    install.refresh_from_db()
    assert install.version == "1.2.0" and install.fields["theme"] == "paper"

    # Backup, a change, restore brings the notes back.
    backup = ok(api.v1("backup", user=user, id=install_id))
    (folder / "data" / "notes.txt").write_text("Vandalised.\n")
    (folder / "data" / "extra.txt").write_text("new file\n")
    assert "Vandalised." in fetch(f"{site.url}/nb/")[1]
    ok(api.v1("restore", user=user, id=backup["id"]))
    page = fetch(f"{site.url}/nb/")[1]
    assert "The first note." in page and "Vandalised." not in page
    assert "<title>Edited Notes</title>" in page

    # Clone to another URL: the copy answers there, the admin account is the source's.
    admin_before = (folder / "admin.php").read_bytes()
    clone = ok(api.v1("clone", user=user, id=install_id, url=f"{site.url}/copy"))
    copy = site.docroot / "copy"
    status, page = fetch(f"{site.url}/copy/")
    assert status == 200 and "<title>Edited Notes</title>" in page
    assert f"Home: {site.url}/copy" in page
    for path in copy.rglob("*"):
        if path.is_file():
            assert f"{site.url}/nb" not in path.read_text(errors="replace"), path
    assert (copy / "admin.php").read_bytes() == admin_before
    assert login(f"{site.url}/copy", "keeper", "N3w-pass-word")[0] == 200
    assert clone["cf-title"] == "Edited Notes" and clone["db-name"] == ""

    # Import of a copy made by hand elsewhere.
    shutil.copytree(folder, site.docroot / "byhand")
    imported = ok(api.v1("import", user=user, application="notebook",
                         url=f"{site.url}/byhand"))
    assert imported["installer"] == "notebook" and imported["version"] == "1.2.0"
    assert "config.php" in imported["list-files"] and imported["db-name"] == ""
    hand = Install.objects.get(pk=imported["id"])
    assert hand.title == "Edited Notes"

    # Uninstall each: the website is as it was before the first install.
    for pk in (install_id, clone["id"]):
        ok(api.v1("uninstall", user=user, id=pk))
    ok(api.v1("uninstall", user=user, id=imported["id"]))
    # The imported copy's folder was made by hand, not by us: it stays, emptied.
    assert list((site.docroot / "byhand").iterdir()) == []
    (site.docroot / "byhand").rmdir()
    assert listing(site.root) == before
    assert not any(ADMIN_PASS in line or "N3w-pass-word" in line for line in worker.output)


def test_the_notebook_is_not_in_the_product_catalog(db, settings):
    from apps.recipes.base import all_recipes, get_recipe

    get_recipe.cache_clear()
    assert "notebook" not in [r.id for r in all_recipes()]


def test_its_fields_are_checked_by_their_types(site, notebook_package):
    from apps.installs import services
    from installatron_gui.lib.errors import InstallError

    plan = services.check_install(site.account, {
        "application": "notebook", "url": f"{site.url}/nb", "passwd": ADMIN_PASS})
    assert plan.db.mode == "none" and plan.title == "My notebook"
    assert plan.fields["theme"] == "light" and plan.fields["show_notes"] is True
    assert plan.fields["login"].startswith("admin_") and "email" not in plan.fields
    with pytest.raises(InstallError) as exc:
        services.check_install(site.account, {"application": "notebook",
                                              "url": f"{site.url}/nb", "theme": "neon"})
    assert exc.value.errcode == "invalid_argument_theme"
