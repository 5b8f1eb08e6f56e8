"""view/sync, createadminsso, templates and the edit command through the API, on a real
WordPress; v1 and v2 reach the same decisions; another owner's install is 404."""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from .conftest import ADMIN_PASS, db_rows, fetch, logs_in, run_install

pytestmark = pytest.mark.slow


def test_the_portable_hash_is_accepted_by_wordpress_own_phpass(tmp_path):
    from apps.recipes.wordpress.site import phpass_hash, wp_login_form_password

    check = tmp_path / "check.php"
    # The password on stdin, never on a command line.
    check.write_text("<?php require $argv[1]; $in = explode(\"\\n\", stream_get_contents("
                     "STDIN), 2); $h = new PasswordHash(8, true); "
                     "echo $h->CheckPassword($in[1], $in[0]) ? 'yes' : 'no';")
    phpass = "/usr/share/wordpress/wp-includes/class-phpass.php"
    for password in ("plain-password", "ünïcödé pass", "x" * 200):
        stored = phpass_hash(password)
        assert stored.startswith("$P$B") and len(stored) == 34
        for tried, expected in ((password, b"yes"), (password + "!", b"no")):
            out = subprocess.run(["php", str(check), phpass], input=f"{stored}\n{tried}".encode(),
                                 capture_output=True, check=True).stdout
            assert out == expected, (password, tried)
    assert wp_login_form_password("a'b\"c\\d ") == "a\\'b\\\"c\\\\d"


def test_view_and_sync_read_the_version_sizes_and_addons_from_the_site(
        site, wordpress_package, api):
    from apps.installs.models import Install

    install = run_install(site, f"{site.url}/blog", title="Synced")
    Install.objects.filter(pk=install.pk).update(version="1.0", cache_files=0, cache_tables=0)
    user = site.account.username
    body = api.v1("view", user=user, id=install.id, addons="1").json()
    assert body["result"] is True, body
    data = body["data"]
    assert data["version"] == wordpress_package.version
    blog = site.docroot / "blog"
    on_disk = sum(p.lstat().st_size for p in blog.rglob("*") if p.is_file())
    assert int(data["cache-files"]) == on_disk
    tables = db_rows(install, "SELECT SUM(data_length + index_length) FROM "
                     "information_schema.TABLES WHERE table_schema = DATABASE()")[0][0]
    assert int(data["cache-tables"]) == int(tables) > 0
    assert int(data["cache-time"]) >= int(time.time()) - 60
    assert "akismet/akismet.php" in data["list-plugins"]
    assert data["list-plugins"]["akismet/akismet.php"]["Name"].startswith("Akismet")
    assert "twentytwentythree" in data["list-themes"] and data["db-pass"] == ""
    # The owner renamed the site inside WordPress: sync sees it. v2 names, v2 types.
    db_rows(install, "UPDATE wp_options SET option_value = 'Renamed Inside' "
                     "WHERE option_name = 'blogname'")
    v2 = api.v2("POST", f"/installs/{install.id}/sync", {"user": user}).json()
    assert v2["result"] is True and v2["data"]["sitetitle"] == "Renamed Inside"
    assert v2["data"]["application"] == "wordpress" and isinstance(v2["data"]["cache_files"], int)
    assert api.v2("GET", f"/installs/{install.id}", {"user": user}).json()["data"][
        "version"] == wordpress_package.version


def _browser():
    jar = CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def _open(opener, url):
    try:
        with opener.open(url, timeout=60) as response:
            return response.status, response.geturl(), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, url, exc.read().decode("utf-8", "replace")


def test_an_admin_sign_in_link_works_once_and_expires(site, wordpress_package, api):
    from apps.installs import sso
    from apps.installs.models import AdminSso

    install = run_install(site, f"{site.url}/blog", title="Sign Me In")
    body = api.v2("POST", f"/installs/{install.id}/login", {"user": site.account.username}).json()
    assert body["result"] is True, body
    link = body["data"]["url"]
    token = link.split("?t=", 1)[1]
    placed = [p for p in (site.docroot / "blog").iterdir() if p.name.startswith("itron-sso-")]
    assert len(placed) == 1 and token not in placed[0].read_text()

    opener, jar = _browser()
    status, landed, page = _open(opener, link)
    assert status == 200 and landed.rstrip("/").endswith("/blog/wp-admin"), landed
    assert "Dashboard" in page and "boss" in page
    assert any(c.name.startswith("wordpress_logged_in_") for c in jar)
    assert not placed[0].exists()
    # A second use finds nothing, and signs nobody in.
    again, jar2 = _browser()
    status, _, _ = _open(again, link)
    assert status >= 400 and not any(c.name.startswith("wordpress_logged_in_") for c in jar2)
    # A wrong token does not remove a live link.
    live = sso.create_admin_sso(install)
    status, _, _ = _open(_browser()[0], live["url"].split("?t=")[0] + "?t=guess")
    assert status == 403 and AdminSso.objects.filter(install=install).exists()

    expired = sso.create_admin_sso(install, ttl=-5)
    path = Path(site.root) / AdminSso.objects.order_by("-pk").first().file
    assert path.is_file()
    status, _, _ = _open(_browser()[0], expired["url"])
    assert status == 410 and not path.exists()
    # One nobody opened: the periodic cleanup removes it once it expired.
    forgotten = sso.create_admin_sso(install, ttl=-5)
    path = Path(site.root) / AdminSso.objects.order_by("-pk").first().file
    assert path.is_file() and forgotten["expires"] < time.time()
    assert sso.cleanup_admin_sso() >= 2
    assert not path.exists()
    # The live link and the used one (its file gone already) wait for their expiry.
    from django.utils import timezone

    left = AdminSso.objects.filter(install=install)
    assert left.count() == 2 and all(row.expires > timezone.now() for row in left)
    live_file = Path(site.root) / left.order_by("pk").last().file
    assert live_file.is_file()
    assert sso.cleanup_admin_sso(now=timezone.now() + timedelta(hours=1)) == 2
    assert not live_file.exists() and not AdminSso.objects.filter(install=install).exists()


def test_v1_and_v2_reach_the_same_decisions_and_strangers_get_404(
        site, wordpress_package, api, stranger):
    install = run_install(site, f"{site.url}/blog", title="Parity")
    user = site.account.username
    for bad, errcode in (({"autoup": "9"}, "invalid_argument_autoup"),
                         ({"login": "no/slash"}, "invalid_argument_login"),
                         ({"db_pass": "wrong-password"}, "invalid_argument_db_user")):
        one = api.v1("edit", user=user, id=install.id, **bad)
        two = api.v2("POST", f"/installs/{install.id}", {"user": user, **bad})
        assert one.json()["errcode"] == two.json()["errcode"] == errcode, bad
        assert one.status_code == two.status_code == 400
        assert "wrong-password" not in one.content.decode()
    one = api.v1("edit", user=user, id=install.id, autoup="2").json()
    two = api.v2("POST", f"/installs/{install.id}", {"user": user, "autoup": "1"}).json()
    assert one["data"]["autoup"] == "2" and two["data"]["autoup"] == "custom"
    for method, path in (("GET", f"/installs/{install.id}"), ("POST", f"/installs/{install.id}"),
                         ("POST", f"/installs/{install.id}/sync"),
                         ("POST", f"/installs/{install.id}/login"),
                         ("POST", f"/installs/{install.id}/template")):
        response = api.v2(method, path, {"user": stranger.username, "sitetitle": "Hacked"})
        assert response.status_code == 404, (path, response.json())
    assert api.v1("view", user=stranger.username, id=install.id).status_code == 404
    assert "<title>Parity" in fetch(f"{site.url}/blog/")[1]


def test_the_edit_command_changes_the_password_through_a_worker(
        transactional_db, site, wordpress_package, api, request):
    install = run_install(site, f"{site.url}/blog", title="Worker Edit")
    # Started after the install ran here, so it cannot race us for the install's task.
    request.getfixturevalue("worker")
    new = "Through the worker 123"
    body = api.v2("POST", f"/installs/{install.id}",
                  {"user": site.account.username, "passwd": new, "sitetitle": "Worked"}).json()
    assert body["result"] is True, body
    # a waiting call's task is the task id (the task table comes with background only)
    from apps.tasks.models import Task

    assert Task.objects.get(pk=body["task"]).cmd == "edit"
    assert body["data"]["sitetitle"] == "Worked"
    assert new not in str(body)
    assert logs_in(f"{site.url}/blog", "boss", new)
    assert not logs_in(f"{site.url}/blog", "boss", ADMIN_PASS)


def test_a_template_round_trip(site, wordpress_package, api):
    from apps.backups import tasks, templates_service
    from apps.installs.models import Template

    source = run_install(site, f"{site.url}/blog", title="Template Source")
    db_rows(source, "UPDATE wp_posts SET post_title = 'Kept In The Template' WHERE ID = 1")
    task = templates_service.start_template(source, title="My starter")
    tasks.create_template(task.id, "My starter")
    task.refresh_from_db()
    assert task.status == "completed", task.message
    template = Template.objects.get(pk=task.result["template"])
    assert template.archive_path.is_file() and template.title == "My starter"
    user = site.account.username
    listed = api.v2("GET", "/templates", {"user": user}).json()
    assert [t["id"] for t in listed["data"]] == [template.id]
    edited = api.v1("edittemplate", user=user, id=template.id, title="Renamed starter").json()
    assert edited["data"]["title"] == "Renamed starter"

    copy = run_install(site, f"{site.url}/copy", title="From Template", content=template.id)
    status, home = fetch(f"{site.url}/copy/")
    assert status == 200 and "<title>From Template" in home and "Kept In The Template" in home
    assert f"{site.url}/copy/" in home and f"{site.url}/blog" not in home
    assert copy.db_name != source.db_name and copy.content == template.id
    assert logs_in(f"{site.url}/copy", "boss", ADMIN_PASS)
    assert "<title>Template Source" in fetch(f"{site.url}/blog/")[1]

    bad = api.v1("install", user=user, application="wordpress", url=f"{site.url}/x",
                 content="notatemplate").json()
    assert bad["errcode"] == "invalid_argument_content"
    gone = api.v2("DELETE", f"/templates/{template.id}", {"user": user}).json()
    assert gone["result"] is True and not template.archive_path.exists()
    assert not Template.objects.filter(pk=template.pk).exists()
