"""Adminer through its whole life with the real worker behind the API, on a local
website: install, a real sign-in to MariaDB through its form, backup, a change, restore,
clone, import, uninstall; and what it does not do, said with the contract's errcodes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import adminer_login, database_links, fetch, listing, ok

pytestmark = pytest.mark.slow


@pytest.fixture
def worker(transactional_db, adminer_package, request):
    return request.getfixturevalue("celery_worker")


def refused(response) -> str:
    body = response.json()
    assert body["result"] is False, body
    return body["errcode"]


def test_adminer_whole_life_on_a_local_website(site, db_account, worker, api):
    user = site.account.username
    before = listing(site.root)
    data = ok(api.v1("install", user=user, application="adminer", url=f"{site.url}/adminer"))
    adminer_id, folder = data["id"], site.docroot / "adminer"
    assert data["version"] == "4.8.1" and data["db-name"] == ""
    assert sorted(p.name for p in folder.iterdir()) == ["index.php"]
    status, page = fetch(f"{site.url}/adminer/")
    assert status == 200 and 'name="auth[username]"' in page and "<title>Login - Adminer" in page

    # A real sign-in through the form (cookie session) lists the account's database.
    page = adminer_login(f"{site.url}/adminer", db_account)
    assert db_account.database in database_links(page) and "Logout" in page
    assert adminer_login(f"{site.url}/adminer", db_account, password="wrong") == ""

    ok(api.v1("sync", user=user, id=adminer_id))
    from apps.installs.models import Install

    assert Install.objects.get(pk=adminer_id).version == "4.8.1"

    # Backup, a change (the file is lost), restore brings it back.
    backup = ok(api.v1("backup", user=user, id=adminer_id))
    original = (folder / "index.php").read_bytes()
    (folder / "index.php").unlink()
    assert fetch(f"{site.url}/adminer/")[0] == 404
    ok(api.v1("restore", user=user, id=backup["id"]))
    assert (folder / "index.php").read_bytes() == original
    assert database_links(adminer_login(f"{site.url}/adminer", db_account)) >= {
        db_account.database}

    # Clone: the copy answers at its URL and signs in there.
    clone = ok(api.v1("clone", user=user, id=adminer_id, url=f"{site.url}/copy"))
    assert clone["url"] == f"{site.url}/copy"
    assert "<title>Login - Adminer" in fetch(f"{site.url}/copy/")[1]
    assert db_account.database in database_links(adminer_login(f"{site.url}/copy", db_account))

    # Import of a copy made by hand.
    shutil.copytree(folder, site.docroot / "byhand")
    imported = ok(api.v1("import", user=user, application="adminer",
                         url=f"{site.url}/byhand"))
    assert imported["version"] == "4.8.1" and imported["list-files"] == ["index.php"]

    # What Adminer does not do: the contract's errcodes.
    assert refused(api.v1("createadminsso", user=user, id=adminer_id)).startswith(
        "unsupported_")

    for pk in (adminer_id, clone["id"], imported["id"]):
        ok(api.v1("uninstall", user=user, id=pk))
    assert list((site.docroot / "byhand").iterdir()) == []
    (site.docroot / "byhand").rmdir()
    assert listing(site.root) == before
    assert not any(db_account.password in line for line in worker.output)


def test_adminer_says_what_it_does_not_support(db):
    from apps.recipes.base import UnsupportedError, get_recipe

    recipe = get_recipe("adminer")
    assert [c for c in ("install", "repoint", "read_version", "detect", "build_package")
            if not recipe.supports(c)] == []
    for capability, call in (("sso", lambda: recipe.sso_file("t", 0, "x")),
                             ("update", lambda: recipe.update_steps(None, None, {})),
                             ("apply_settings", lambda: recipe.apply_settings(None, "", "", {})),
                             ("addons", lambda: recipe.addons(None))):
        assert not recipe.supports(capability)
        with pytest.raises(UnsupportedError) as caught:
            call()
        assert caught.value.errcode == f"unsupported_{capability}"


def test_adminer_is_found_only_in_adminers_own_file(tmp_path):
    from apps.recipes.adminer.recipe import version_of

    source = Path("/usr/share/adminer/adminer.php").read_text("utf-8", errors="replace")
    assert version_of(source) == "4.8.1"
    assert version_of(Path("/usr/share/adminer/editor.php").read_text(
        "utf-8", errors="replace")) is None
    assert version_of("<?php echo 'Adminer - Compact database management @version 1';") is None
