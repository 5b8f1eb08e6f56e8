"""Privilege separation end to end (issue 15): a website that belongs to its own user
(uid/gid in the panel's header, as HestiaCP and ISPmanager send them) goes through install,
backup, restore, clone and uninstall with the real worker; every file we make is its
owner's, made by the owner's process, and nothing is left that root owns."""

from __future__ import annotations

import os

import pytest

from .conftest import ADMIN_PASS, fetch, listing

pytestmark = pytest.mark.slow

WWW = 33  # www-data


@pytest.fixture
def worker(transactional_db, notebook_package, request):
    return request.getfixturevalue("celery_worker")


def ok(response) -> dict:
    body = response.json()
    assert response.status_code == 200 and body["result"] is True, body
    return body["data"]


def owners(root) -> set[tuple[int, int]]:
    return {(p.lstat().st_uid, p.lstat().st_gid) for p in [root, *root.rglob("*")]}


def test_a_website_with_an_owner_is_worked_on_as_that_owner(site, worker, api, backup_dir):
    site.website.uid = site.website.gid = WWW
    site.website.save()
    for path in [site.root, *site.root.rglob("*")]:
        os.lchown(path, WWW, WWW)
    user = site.account.username
    before = listing(site.root)

    data = ok(api.v1("install", user=user, application="notebook", url=f"{site.url}/nb",
                     title="Owned", login="keeper", passwd=ADMIN_PASS))
    folder = site.docroot / "nb"
    assert "<title>Owned</title>" in fetch(f"{site.url}/nb/")[1]
    assert owners(folder) == {(WWW, WWW)}

    backup = ok(api.v1("backup", user=user, id=data["id"]))
    (folder / "data" / "notes.txt").write_text("Vandalised.\n")
    ok(api.v1("restore", user=user, id=backup["id"]))
    assert "Vandalised." not in fetch(f"{site.url}/nb/")[1]
    clone = ok(api.v1("clone", user=user, id=data["id"], url=f"{site.url}/copy"))
    assert "<title>Owned</title>" in fetch(f"{site.url}/copy/")[1]
    assert owners(site.root) == {(WWW, WWW)}

    # A folder of root's inside the website: the owner's process cannot write there, so
    # an install into it fails cleanly (as the owner would) instead of writing as root.
    (site.docroot / "rootonly").mkdir(mode=0o755)
    refused = api.v1("install", user=user, application="notebook",
                     url=f"{site.url}/rootonly/nb", title="No", login="keeper",
                     passwd=ADMIN_PASS).json()
    assert refused["result"] is False, refused
    assert os.listdir(site.docroot / "rootonly") == []
    (site.docroot / "rootonly").rmdir()

    for pk in (data["id"], clone["id"]):
        ok(api.v1("uninstall", user=user, id=pk))
    assert listing(site.root) == before
