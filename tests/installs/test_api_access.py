"""Who sees and touches which install; busy refusals. No worker: tasks stay queued."""

from __future__ import annotations

import pytest

from apps.api import shapes


@pytest.fixture
def queued(owner, tmp_path, wordpress_package):
    """An install accepted and waiting for a worker (its task holds it)."""
    from apps.accounts.models import Website
    from apps.installs import services

    root = tmp_path / "site"
    (root / "public_html").mkdir(parents=True)
    Website.objects.create(account=owner, ws_id="ws1", path=str(root),
                           vhosts={"http://shop.test": "public_html"}, email="o@example.com")
    plan = services.check_install(owner, {"application": "wordpress", "url": "http://shop.test",
                                          "sitetitle": "Queued"})
    return services.start_install(plan)


def test_a_second_operation_on_a_busy_install_is_refused_naming_the_task(api, owner, queued):
    install, task = queued
    response = api.v1("uninstall", user=owner.username, id=install.id)
    body = response.json()
    assert (response.status_code, body["errcode"]) == (409, "busy")
    assert task.id in body["message"]
    install.refresh_from_db()
    assert install.task_id == task.id and install.status == "installing"


def test_the_busy_fence_lets_exactly_one_uninstall_through(owner, queued):
    from apps.installs import services
    from apps.installs.errors import InstallError
    from apps.installs.models import Install

    install, task = queued
    Install.objects.filter(pk=install.pk).update(task=None, status="installed")
    install.refresh_from_db()
    first = services.start_uninstall(install)
    with pytest.raises(InstallError) as exc:
        services.start_uninstall(install)  # the same (stale) instance: the UPDATE decides
    assert exc.value.errcode == "busy" and first.id in exc.value.message


def test_the_same_url_cannot_be_installed_twice(api, owner, queued):
    response = api.v1("install", user=owner.username, application="wordpress",
                      url="http://shop.test/", dryrun="1")
    assert response.json()["errcode"] == "invalid_argument_url_alreadyexists"


def test_a_stranger_gets_404_for_someone_elses_install(api, stranger, owner, queued):
    install, _ = queued
    for response in (
        api.v1("uninstall", user=stranger.username, id=install.id),
        api.v2("DELETE", f"/installs/{install.id}", {"user": stranger.username}),
        api.v1("installs", user=stranger.username, id=install.id),
    ):
        body = response.json()
        assert (response.status_code, body["errcode"]) == (404, "invalid_argument_id"), body
        assert "shop.test" not in response.content.decode()


def test_installs_lists_by_user_and_owned_accounts(api, owner, reseller, stranger, queued):
    install, _ = queued
    own = api.v1("installs", user=owner.username).json()
    assert [i["id"] for i in own["data"]] == [install.id] and own["total_count"] == 1
    assert api.v1("installs", user=reseller.username).json()["data"] == []
    tree = api.v1("installs", user=reseller.username, **{"filter-ownedaccounts": ""}).json()
    assert [i["id"] for i in tree["data"]] == [install.id]
    assert api.v1("installs", user=stranger.username,
                  **{"filter-ownedaccounts": ""}).json()["data"] == []
    found = api.v2("GET", "/installs", {"user": owner.username, "q": "shop"}).json()
    assert found["data"][0]["application"] == "wordpress"
    assert api.v2("GET", "/installs", {"user": owner.username, "q": "nothing"}).json()[
        "total_count"] == 0


def test_tasks_lists_only_the_users_tasks(api, owner, stranger, queued):
    _, task = queued
    mine = api.v1("tasks", user=owner.username).json()
    assert [t["id"] for t in mine["data"]] == [task.id]
    assert mine["data"][0]["cmd"] == "install" and mine["data"][0]["status"] == "queued"
    assert api.v2("GET", "/tasks", {"user": stranger.username}).json()["data"] == []


def test_visible_to_follows_the_ownership_tree(admin, reseller, owner, stranger, queued):
    from apps.installs.models import Install

    install, _ = queued
    assert list(Install.objects.visible_to(admin)) == [install]
    assert list(Install.objects.visible_to(reseller)) == [install]
    assert list(Install.objects.visible_to(owner)) == [install]
    assert list(Install.objects.visible_to(stranger)) == []
    assert list(Install.objects.visible_to(stranger.owner)) == []


def test_as_api_uses_v1_names_and_v2_renames(queued):
    install, task = queued
    v1, v2 = shapes.install(install, False), shapes.install(install, True)
    for name in ("installer", "path-created", "url-domain", "db-host", "list-files",
                 "list-tables", "cf-login", "link-admin", "cache-files", "db-pass"):
        assert name in v1, name
    for name in ("application", "path_created", "url_domain", "db_host", "files", "tables",
                 "login", "link_admin", "cache_files", "time_created", "db_pass"):
        assert name in v2, name
    assert (v1["autoup"], v2["autoup"]) == ("0", "none")
    assert v1["db-pass"] == v2["db_pass"] == ""
    assert len(install.id) == 25 and install.id.isalnum() and install.id.islower()
