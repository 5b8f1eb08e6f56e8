"""Import detects the site's own settings (issue 13 item 6): a WordPress adopted with 001
3.4's request has its administrator, email, title and tagline as ``cf-*`` members, so
``createadminsso`` then signs that administrator in."""

from __future__ import annotations

import urllib.error
import urllib.request
from http.cookiejar import CookieJar

import pytest

from .conftest import db_rows, run_backup, run_install

pytestmark = pytest.mark.slow

# 001 3.4's example reply: every member it shows but the application's own
# cf-limitloginattempts (a field of Installatron's WordPress package, not of ours).
IMPORT_MEMBERS = {
    "id", "installer", "version", "language", "time", "agent", "owner", "path",
    "path-created", "url", "url-domain", "db-host", "db-type", "db-name", "db-user", "db-pass",
    "db-prefix", "title", "list-files", "list-tables", "autoup", "bkloc", "autobk", "cf-login",
    "cf-email", "cf-sitetitle", "cf-sitetagline", "cache-tables", "link-admin", "cache-files",
    "cache-time", "cache-numbackups",
}  # fmt: skip
# 001 3.7's view example (the same exception), and 3.6's backup example.
VIEW_MEMBERS = IMPORT_MEMBERS | {
    "file", "cf-passwd", "version-autouped", "version-notified", "time-updated",
    "plugin-updates-available", "plugin-updates-notified", "theme-updates-notified",
    "autoup-plugins", "autoup-themes", "backup-time", "version-available", "list-notification",
    "cache-preview", "theme-updates-available", "list-plugins", "list-themes",
}  # fmt: skip
BACKUP_MEMBERS = {
    "id", "file", "installer", "version", "language", "time", "agent", "owner", "path",
    "path-created", "url", "url-domain", "db-host", "db-type", "db-name", "db-user", "db-pass",
    "list-files", "list-tables", "autoup", "bkloc", "autobk", "title", "cf-email",
    "version-available", "version-available-minor", "version-autouped", "version-notified",
    "cf-login", "cf-passwd", "backup-schedule", "backup-install", "backup-location",
    "backup-time", "backup-filename", "cache-time", "cache-archive",
}  # fmt: skip
ADMIN_CAPS = 'a:1:{s:13:"administrator";b:1;}'


def _make_chief_the_first_administrator(install) -> None:
    """The installer's admin (ID 1) becomes a subscriber; a later user "chief" is the
    site's administrator: detection must look at roles, not at the first user."""
    p = install.db_prefix
    db_rows(install, f"UPDATE `{p}usermeta` SET meta_value = %s WHERE user_id = 1 "
                     f"AND meta_key = '{p}capabilities'", ('a:1:{s:10:"subscriber";b:1;}',))
    db_rows(install, f"INSERT INTO `{p}users` (user_login, user_pass, user_nicename, "
                     "user_email, user_registered, display_name) VALUES ('chief', '', 'chief', "
                     "'chief@example.org', NOW(), 'chief')")
    chief = db_rows(install, f"SELECT ID FROM `{p}users` WHERE user_login = 'chief'")[0][0]
    db_rows(install, f"INSERT INTO `{p}usermeta` (user_id, meta_key, meta_value) VALUES "
                     f"(%s, '{p}capabilities', %s), (%s, '{p}user_level', '10')",
            (chief, ADMIN_CAPS, chief))
    db_rows(install, f"UPDATE `{p}options` SET option_value = 'Made &amp; kept by hand' "
                     "WHERE option_name = 'blogdescription'")


def _sign_in(link: str) -> tuple[int, str, str, list[str]]:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    try:
        with opener.open(link, timeout=60) as response:
            page = response.read().decode("utf-8", "replace")
            return response.status, response.geturl(), page, [c.name for c in jar]
    except urllib.error.HTTPError as exc:
        return exc.code, link, "", [c.name for c in jar]


def test_an_imported_wordpress_has_its_admin_and_createadminsso_signs_it_in(
        site, wordpress_package, api):
    from apps.installs.models import Install

    made = run_install(site, f"{site.url}/blog", title="Kept Title")
    _make_chief_the_first_administrator(made)
    Install.objects.filter(pk=made.pk).delete()  # a site installed elsewhere
    user = site.account.username

    # 001 3.4: cmd=import with user, application and url (dryrun=2 first: nothing kept).
    dry = api.v1("import", user=user, application="wordpress", url=f"{site.url}/blog",
                 dryrun="2").json()
    assert dry["result"] is True and not Install.objects.exists(), dry
    body = api.v1("import", user=user, application="wordpress", url=f"{site.url}/blog").json()
    assert body["result"] is True, body
    data = body["data"]
    assert IMPORT_MEMBERS <= set(data), IMPORT_MEMBERS - set(data)
    assert (data["cf-login"], data["cf-email"]) == ("chief", "chief@example.org")
    assert data["cf-sitetitle"] == data["title"] == "Kept Title"
    assert data["cf-sitetagline"] == "Made & kept by hand"
    assert data["language"] == "en" and data["db-pass"] == ""
    # v2 shows the same record with 002's names.
    v2 = api.v2("GET", f"/installs/{data['id']}").json()["data"]
    assert (v2["login"], v2["email"], v2["sitetitle"]) == ("chief", "chief@example.org",
                                                           "Kept Title")

    # createadminsso (002: POST /installs/{id}/login) signs the detected admin in.
    sso = api.v1("createadminsso", user=user, id=data["id"]).json()
    assert sso["result"] is True, sso
    status, landed, page, cookies = _sign_in(sso["data"]["url"])
    assert status == 200 and landed.rstrip("/").endswith("/blog/wp-admin"), landed
    assert "Dashboard" in page and "chief" in page
    assert any(name.startswith("wordpress_logged_in_") for name in cookies)

    # A backup keeps the detected members; view (3.7) and backups (3.6) show every
    # member of the documents' examples; the backup task measured its rate.
    install = Install.objects.select_related("account", "website").get(pk=data["id"])
    backup = run_backup(install)
    view = api.v1("view", user=user, id=install.id, addons="1").json()["data"]
    assert VIEW_MEMBERS <= set(view), VIEW_MEMBERS - set(view)
    assert view["backup-time"] == str(int(backup.backup_time.timestamp()))
    assert view["cf-passwd"] == "" and view["plugin-updates-available"] == 0
    listed = api.v1("backups", user=user).json()["data"][0]
    assert BACKUP_MEMBERS <= set(listed), BACKUP_MEMBERS - set(listed)
    assert (listed["cf-login"], listed["backup-schedule"]) == ("chief", "")
    task = next(t for t in api.v1("tasks", user=user).json()["data"] if t["cmd"] == "backup")
    assert task["rate"] > 0 and task["message"] == "_tasks_shared_complete"

    # Uninstall leaves no sign-in file (issue 13 item 7): neither a link nobody opened
    # nor one of ours whose record is gone; the folder was there before, and is empty.
    from apps.installs import services, tasks

    assert api.v1("createadminsso", user=user, id=install.id).json()["result"] is True
    blog = site.docroot / "blog"
    (blog / f"itron-sso-{'ab' * 16}.php").write_text("<?php exit;")
    assert len([p for p in blog.iterdir() if p.name.startswith("itron-sso-")]) == 2
    task = services.start_uninstall(install)
    tasks.uninstall_app(task.id, False)
    task.refresh_from_db()
    assert task.status == "completed", task.message
    assert list(blog.iterdir()) == []


def test_an_import_whose_database_cannot_be_read_keeps_empty_fields(site, wordpress_package,
                                                                   api):
    """Detection is best effort: an unreadable options table leaves the cf-* members
    empty (the record still made, titled from the page), and createadminsso says why."""
    from apps.installs.models import Install

    made = run_install(site, f"{site.url}/blog", title="Hidden Admin")
    db_rows(made, f"RENAME TABLE `{made.db_prefix}usermeta` TO `moved_usermeta`")
    try:
        Install.objects.filter(pk=made.pk).delete()
        user = site.account.username
        body = api.v1("import", user=user, application="wordpress",
                      url=f"{site.url}/blog").json()
        assert body["result"] is True, body
        assert body["data"]["cf-login"] == "" and body["data"]["title"]
        refused = api.v1("createadminsso", user=user, id=body["data"]["id"]).json()
        assert refused["errcode"] == "unsupported_createadminsso"
    finally:
        db_rows(made, f"RENAME TABLE `moved_usermeta` TO `{made.db_prefix}usermeta`")
