"""Websites a request header leaves out are kept, and their installs stay reachable.

Panels send the websites of the current session, often one per call (001: "the list of
websites provided for the current session"). A call naming only website B must not cut
off an install on website A: view, backup and uninstall of it go on working, it follows
A when A comes back with a new path, and only deleteuser removes A and its records.
"""

from __future__ import annotations

import importlib
import shutil

import pytest

from tests.backups.conftest import backup_dir, run_install  # noqa: F401 - autouse fixture
from tests.installs.conftest import ADMIN_PASS, databases_of, owner, site  # noqa: F401

pytestmark = pytest.mark.slow


def _site_a(root, url) -> dict:
    return {"id": "ws1", "label": "wp.test", "path": str(root), "vhosts": {url: "public_html"}}


SITE_B = {"id": "ws2", "label": "b.test", "path": "/home/b", "vhosts": {"http://b.test": "www"}}


@pytest.fixture
def worker(transactional_db, wordpress_package, wordpress_archive, monkeypatch, request):
    monkeypatch.setenv("INSTALLATRON_PACKAGES", str(wordpress_archive.store))
    return request.getfixturevalue("celery_worker")


def test_an_install_survives_a_header_without_its_website_and_follows_its_new_path(
        site, worker, api, mysql_query, tmp_path):
    from apps.accounts.models import Website
    from apps.backups.models import Backup
    from apps.installs.models import Install

    user = site.account.username
    response = api.v1("install", user=user, application="wordpress", url=f"{site.url}/blog",
                      passwd=ADMIN_PASS, sitetitle="Kept", websites=[_site_a(site.root,
                                                                             site.url)])
    assert response.status_code == 200, response.json()
    install_id = response.json()["data"]["id"]

    # The panel's next session is about website B only.
    response = api.v1("guixfer", user=user, websites=[SITE_B])
    assert response.status_code == 200, response.json()
    assert sorted(Website.objects.filter(account=site.account)
                  .values_list("ws_id", flat=True)) == ["ws1", "ws2"]
    listed = api.v1("users", user=user).json()["data"][0]["websites"]
    assert [w["id"] for w in listed] == ["ws2", "ws1"]  # the current session's first

    response = api.v1("view", user=user, id=install_id, websites=[SITE_B])
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["url"] == f"{site.url}/blog"
    response = api.v1("backup", user=user, id=install_id, websites=[SITE_B])
    assert response.status_code == 200, response.json()
    backup = Backup.objects.get(install_ref=install_id)
    assert backup.website_id == site.website.pk

    # Website A comes back with another path (the files moved there); same id.
    new_root = tmp_path / "moved"
    shutil.copytree(site.root, new_root, symlinks=True)
    shutil.rmtree(site.root)
    response = api.v1("edituser", user=user, websites=[_site_a(new_root, site.url)])
    assert response.status_code == 200, response.json()
    install = Install.objects.select_related("website").get(pk=install_id)
    assert install.website_id == site.website.pk and install.website.path == str(new_root)
    assert install.full_path() == f"{new_root}/public_html/blog"
    response = api.v1("view", user=user, id=install_id)
    assert response.status_code == 200, response.json()

    response = api.v1("uninstall", user=user, id=install_id, websites=[SITE_B])
    assert response.status_code == 200, response.json()
    assert not (new_root / "public_html" / "blog").exists()
    assert databases_of(mysql_query, site.account) == []
    assert not Install.objects.filter(pk=install_id).exists()

    response = api.v1("deleteuser", user=user)
    assert response.status_code == 200, response.json()
    assert not Website.objects.filter(account_id=site.account.pk).exists()
    assert not Backup.objects.filter(account_id=site.account.pk).exists()


def test_installs_orphaned_by_earlier_versions_come_back_with_their_website(
        site, wordpress_package, api):
    """Earlier versions deleted a website a header left out (its installs kept no website):
    the website sent again, with the same id and a new path, takes them back."""
    from apps.accounts.models import Website
    from apps.backups.models import Backup
    from apps.installs.models import Install
    from tests.backups.conftest import run_backup

    install = run_install(site, f"{site.url}/shop")
    backup = run_backup(install)
    other = run_install(site, site.url)  # at the root: a different path, same vhost
    Website.objects.filter(pk=site.website.pk).delete()  # what the old header code did
    install.refresh_from_db()
    assert install.website_id is None
    user = site.account.username
    assert api.v1("view", user=user, id=install.id).status_code != 200

    # Another website of the account, saved first, serves none of them: nothing moves.
    api.v1("edituser", user=user, websites=[SITE_B])
    assert Install.objects.filter(account=site.account, website__isnull=True).count() == 2

    response = api.v1("guixfer", user=user, websites=[SITE_B, _site_a(site.root, site.url)])
    assert response.status_code == 200, response.json()
    website = Website.objects.get(account=site.account, ws_id="ws1")
    assert set(Install.objects.filter(website=website).values_list("pk", flat=True)) == {
        install.pk, other.pk}
    assert Backup.objects.get(pk=backup.pk).website_id == website.pk
    response = api.v1("view", user=user, id=install.id)
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["url"] == f"{site.url}/shop"

    response = api.v1("deleteuser", user=user)
    assert response.status_code == 200, response.json()
    assert not Install.objects.filter(pk__in=[install.pk, other.pk]).exists()
    assert not Website.objects.filter(pk=website.pk).exists()
    assert not Backup.objects.filter(pk=backup.pk).exists()


def test_the_migration_reattaches_installs_whose_website_was_sent_again(site, owner):
    """Rows the old code left: the website deleted, then sent again (a new row) before the
    upgrade. The data migration attaches the install to it; a URL no website serves at
    the install's path is left alone."""
    from django.apps import apps as django_apps

    from apps.accounts.models import Website
    from apps.installs.models import Install

    attached = Install.objects.create(account=owner, installer="wordpress", version="6.0",
                                      path="public_html/blog", url=f"{site.url}/blog",
                                      url_domain="127.0.0.1", status="installed")
    moved = Install.objects.create(account=owner, installer="wordpress", version="6.0",
                                   path="elsewhere", url=f"{site.url}/moved",
                                   url_domain="127.0.0.1", status="installed")
    Website.objects.filter(pk=site.website.pk).delete()
    # bulk_create sends no post_save: the state rows were in before this version.
    [again] = Website.objects.bulk_create([Website(
        account=owner, ws_id="ws1", path="/srv/new", vhosts={site.url: "public_html"})])
    assert Install.objects.filter(account=owner, website__isnull=True).count() == 2

    migration = importlib.import_module("apps.installs.migrations.0006_reattach_orphans")
    migration.reattach(django_apps, None)
    assert Install.objects.get(pk=attached.pk).website_id == again.pk
    assert Install.objects.get(pk=moved.pk).website_id is None
