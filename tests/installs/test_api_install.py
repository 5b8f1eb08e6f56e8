"""Install and uninstall through the API (v1 and v2), run by a real Celery worker."""

from __future__ import annotations

import time

import pytest

from .conftest import ADMIN_PASS, databases_of, fetch, listing, wp_login

pytestmark = pytest.mark.slow


@pytest.fixture
def worker(transactional_db, wordpress_package, wordpress_archive, monkeypatch, request):
    """The real worker, told where the session's package store is."""
    monkeypatch.setenv("INSTALLATRON_PACKAGES", str(wordpress_archive.store))
    return request.getfixturevalue("celery_worker")


def test_v1_install_waits_for_the_worker_and_replies_with_the_install(
        site, worker, api, mysql_query):
    (site.docroot / "robots.txt").write_text("User-agent: *\n")
    before = listing(site.root)
    response = api.v1(
        "install", user=site.account.username, application="wordpress", url=site.url,
        login="chief", passwd=ADMIN_PASS, email="chief@example.com", sitetitle="API One",
        websites=[{"id": "ws1", "path": str(site.root), "vhosts": {site.url: "public_html"},
                   "email": "owner@example.com"}])
    body = response.json()
    assert response.status_code == 200, body
    assert body["result"] is True
    data = body["data"]
    assert data["installer"] == "wordpress" and data["url"] == site.url
    assert "wp-config.php" in data["list-files"] and "wp_users" in data["list-tables"]
    assert data["db-pass"] == "" and ADMIN_PASS not in response.content.decode()
    assert data["cf-login"] == "chief" and data["path-created"] == "0"
    assert data["autoup"] == "0" and data["link-admin"] == "wp-admin"
    status, home = fetch(site.url + "/")
    assert status == 200 and "<title>API One" in home
    status, location, cookies = wp_login(site.url, "chief", ADMIN_PASS)
    assert status == 302 and "/wp-admin/" in location
    assert any(c.startswith("wordpress_logged_in_") for c in cookies)
    assert "robots.txt" not in data["list-files"]

    # the worker's log never carries the password
    assert not any(ADMIN_PASS in line for line in worker.output)

    response = api.v1("uninstall", user=site.account.username, id=data["id"])
    assert response.status_code == 200, response.json()
    assert listing(site.root) == before
    assert databases_of(mysql_query, site.account) == []


def test_v2_background_install_is_followed_through_the_tasks_api(site, worker, api, mysql_query):
    before = listing(site.root)
    response = api.v2("POST", "/browser/wordpress/install", {
        "user": site.account.username, "url": f"{site.url}/news", "passwd": ADMIN_PASS,
        "sitetitle": "API Two", "autoup": "2", "background": "1"})
    body = response.json()
    assert response.status_code == 200, body
    task_id = body["task"]["id"]
    assert body["task"]["status"] in {"queued", "processing", "completed"}
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        tasks = api.v2("GET", "/tasks", {"user": site.account.username}).json()["data"]
        task = next(t for t in tasks if t["id"] == task_id)
        if task["status"] in {"completed", "failed"}:
            break
        time.sleep(0.5)
    assert task["status"] == "completed", task["text"]
    installs = api.v2("GET", "/installs", {"user": site.account.username}).json()
    assert installs["total_count"] == 1 and installs["has_more"] is False
    data = installs["data"][0]
    assert data["application"] == "wordpress" and data["autoup"] == "all"
    assert "files" in data and "tables" in data and data["db_pass"] == ""
    assert data["path_created"] is True
    assert fetch(f"{site.url}/news/")[0] == 200
    assert wp_login(f"{site.url}/news", data["login"], ADMIN_PASS)[0] == 302

    response = api.v2("DELETE", f"/installs/{data['id']}", {"user": site.account.username})
    assert response.status_code == 200, response.json()
    assert listing(site.root) == before
    assert databases_of(mysql_query, site.account) == []
