"""An application whose requirements this host does not meet (a PHP extension it lacks)
is shown with the reason by the browser API (v1 and v2), the GUI's Applications page, the
application's page and its install form; an install is refused with
``invalid_argument_version_unmetrequirements`` before anything is made."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.installs.conftest import listing

from .conftest import TEST_RECIPES, register_package

MISSING = "itron_no_such_ext"


@pytest.fixture
def needy(tmp_path, settings, monkeypatch, test_recipes, notebook_archive, db):
    """The notebook as another application that needs a PHP extension nobody has."""
    from apps.recipes.base import get_recipe

    folder = tmp_path / "recipes" / "needy"
    shutil.copytree(TEST_RECIPES / "notebook", folder, ignore=shutil.ignore_patterns("app"))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(id="needy", name="Needy Notebook")
    manifest["requirements"]["php_extensions"] = f"json, {MISSING} or other_missing_ext"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    settings.RECIPE_DIRS = [TEST_RECIPES, folder.parent]
    get_recipe.cache_clear()
    register_package(settings, monkeypatch, "notebook", notebook_archive)
    register_package(settings, monkeypatch, "needy", notebook_archive)
    yield get_recipe("needy")
    get_recipe.cache_clear()


def test_extension_choices_read_as_manifests_write_them():
    from apps.catalog.requirements import extension_choices

    assert extension_choices("session, mysqli or pdo_mysql") == [["session"],
                                                                 ["mysqli", "pdo_mysql"]]
    assert extension_choices("") == []


def test_every_catalog_application_runs_on_this_host():
    from apps.catalog.requirements import local_php_extensions, unmet
    from apps.recipes.base import all_recipes

    assert "mysqli" in local_php_extensions() and MISSING not in local_php_extensions()
    assert {r.id: unmet(r) for r in all_recipes()} == {r.id: [] for r in all_recipes()}


def test_the_browser_says_why_and_the_install_is_refused(needy, site, api, client):
    user = site.account.username
    body = api.v1("browser", user=user, application="needy").json()
    [release] = body["data"]
    assert any(MISSING in reason for reason in release["requirements_unmet"]), release
    [other] = api.v1("browser", user=user, application="notebook").json()["data"]
    assert other["requirements_unmet"] == []
    [v2] = api.v2("GET", "/browser/needy", {"user": user}).json()["data"]
    assert f"{MISSING} or other_missing_ext" in " ".join(v2["requirements_unmet"])

    client.force_login(site.account)
    page = client.get("/gui/apps/").content.decode()
    needy_card = page.split("Needy Notebook", 1)[1].split("</a>", 1)[0]
    assert "Requirements not met" in needy_card and MISSING in needy_card
    notebook_card = page.split("Test Notebook", 1)[1].split("</a>", 1)[0]
    assert "Requirements not met" not in notebook_card
    assert MISSING in client.get("/gui/apps/needy/").content.decode()
    form = client.get("/gui/installs/new/needy/").content.decode()
    assert 'id="unmet"' in form and MISSING in form
    assert 'id="unmet"' not in client.get("/gui/installs/new/notebook/").content.decode()

    before = listing(site.root)
    refused = api.v1("install", user=user, application="needy", url=f"{site.url}/notes",
                     passwd="Secret-pass-42").json()
    assert refused["result"] is False, refused
    assert refused["errcode"] == "invalid_argument_version_unmetrequirements"
    assert MISSING in refused["message"]
    assert listing(site.root) == before
    from apps.installs.models import Install

    assert not Install.objects.filter(installer="needy").exists()


def test_a_database_app_says_when_no_database_can_be_had(db, owner, tmp_path, api, client):
    """Every website of the account takes only listed databases and lists none: a database
    application says so in the browser, and its install is refused before anything."""
    from apps.accounts.models import Website
    from apps.catalog.models import Package

    (tmp_path / "public_html").mkdir()
    Website.objects.create(account=owner, ws_id="ws1", path=str(tmp_path),
                           vhosts={"http://manual.test": "public_html"}, db_mode="manual")
    for app_id, version in (("roundcube", "1.6.5"), ("adminer", "4.8.1")):
        Package.objects.create(application=app_id, version=version, branch="current",
                               archive=f"{app_id}.tar.gz", sha256="0" * 64, size=1)
    user = owner.username
    [mail] = api.v1("browser", user=user, application="roundcube").json()["data"]
    assert any("needs a MySQL database" in r for r in mail["requirements_unmet"]), mail
    [tool] = api.v1("browser", user=user, application="adminer").json()["data"]
    assert tool["requirements_unmet"] == []
    client.force_login(owner)
    assert "needs a MySQL database" in client.get("/gui/apps/roundcube/").content.decode()
    refused = api.v1("install", user=user, application="roundcube",
                     url="http://manual.test/mail").json()
    assert refused["result"] is False and refused["errcode"] in (
        "invalid_argument_application", "failed_database_create"), refused
    assert list((tmp_path / "public_html").iterdir()) == []

    # A database listed for the website: one can be had (Roundcube still cannot share
    # one, having no table prefix; a prefixed app could).
    from apps.recipes.base import get_recipe
    from apps.catalog.requirements import database_unmet

    from apps.accounts.models import Account

    website = owner.websites.get()
    website.databases = [{"name": "shared_db", "user": "u", "pass": "p"}]
    website.save()
    fresh = Account.objects.get(pk=owner.pk)  # the websites are read once per object
    assert database_unmet(get_recipe("roundcube"), fresh)
    assert database_unmet(get_recipe("wordpress"), fresh) == []
