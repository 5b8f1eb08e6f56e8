"""Import of a WordPress that is already in a website folder, and migration of one from
another server (the sshd fixture's account) into a local website."""

from __future__ import annotations

import pytest

from .conftest import ADMIN_PASS, db_rows, fetch, listing, run_install, table_snapshot, title_of

pytestmark = pytest.mark.slow


def _forget(install) -> dict:
    """What an operator's ``edit delete=true`` leaves: the site, without our record."""
    from apps.installs.models import Install

    record = {"db_name": install.db_name, "db_user": install.db_user,
              "db_prefix": install.db_prefix, "version": install.version,
              "list_files": sorted(install.list_files), "list_tables": install.list_tables}
    Install.objects.filter(pk=install.pk).delete()
    return record


def test_it_imports_a_wordpress_found_in_the_website_folder(site, wordpress_package, api,
                                                           mysql_query):
    from apps.installs import imports
    from apps.installs.errors import InstallError
    from apps.installs.models import Install

    (site.docroot / "keep.txt").write_text("not WordPress's")
    before = run_install(site, f"{site.url}/blog", title="Imported Blog")
    files_before = listing(site.root)
    was = _forget(before)
    # A custom prefix in the config is what the import must read, not assume.
    assert was["db_prefix"] == "wp_"

    reply = api.v2("POST", "/api/v2/browser/wordpress/import",
                   {"user": site.account.username, "url": f"{site.url}/blog", "dryrun": "2"})
    assert reply.status_code == 200, reply.content
    assert not Install.objects.filter(url=f"{site.url}/blog").exists()

    reply = api.v1("import", user=site.account.username, application="wordpress",
                   url=f"{site.url}/blog")
    body = reply.json()
    assert body["result"] is True, body
    data = body["data"]
    assert data["version"] == was["version"]
    assert data["db-name"] == was["db_name"] and data["db-user"] == was["db_user"]
    assert data["db-prefix"] == "wp_" and data["db-pass"] == ""
    assert sorted(data["list-files"]) == was["list_files"]
    assert sorted(data["list-tables"]) == sorted(was["list_tables"])
    assert data["title"] == "Imported Blog"
    install = Install.objects.get(pk=data["id"])
    assert install.db_pass and install.status == Install.Status.INSTALLED
    assert listing(site.root) == files_before  # reading changed nothing

    with pytest.raises(InstallError) as exc:
        imports.import_install(site.account, {"application": "wordpress",
                                              "url": f"{site.url}/blog"})
    assert exc.value.errcode == "invalid_argument_url_alreadyexists"
    with pytest.raises(InstallError) as exc:
        imports.import_install(site.account, {"application": "wordpress", "url": site.url})
    assert exc.value.errcode == "invalid_argument_url"

    # Managed now: the usual uninstall removes exactly WordPress, keeps the owner's file.
    from apps.installs import services, tasks

    task = services.start_uninstall(install)
    tasks.uninstall_app(task.id, False)
    task.refresh_from_db()
    assert task.status == "completed", task.message
    assert (site.docroot / "keep.txt").exists()
    # The folder was there before the import: its WordPress is gone, the folder stays.
    assert list((site.docroot / "blog").iterdir()) == []


@pytest.mark.parametrize("scheme", ["sftp", "ssh", "ftp"])
def test_it_migrates_wordpress_from_a_remote_server_into_a_local_website(
        scheme, site, make_remote_site, wordpress_package, mysql_query):
    from apps.backups import migration
    from apps.installs.errors import InstallError
    from apps.installs.models import Install

    source_site = make_remote_site(scheme)
    source = run_install(source_site, source_site.url, title="Source Blog")
    db_rows(source, f"UPDATE `{source.db_prefix}posts` SET post_content = CONCAT(post_content,"
                    " %s) WHERE ID = 1", (f' <a href="{source_site.url}/about/">Moved text</a>',))
    source_files = listing(source_site.root)
    source_tables = table_snapshot(source)
    # The FTP server's root is the folder of all its sites; sshd's paths are absolute.
    folder = (f"/{source_site.root.name}/public_html" if scheme == "ftp"
              else source_site.docroot)
    ftu = source_site.server.url(scheme, folder)

    # A rejected login says so, with the reference's errcode and no password.
    bad = source_site.server.url(scheme, folder, password="wrong-pass")
    with pytest.raises(InstallError) as exc:
        migration.check_migrate(site.account, {
            "application": "wordpress", "url": f"{site.url}/moved", "source_url": source.url,
            "source_ftu": bad}, dryrun=2)
    assert exc.value.errcode == "failed_filesystem_login", exc.value.message
    with pytest.raises(InstallError) as exc:
        migration.check_migrate(site.account, {
            "application": "wordpress", "url": f"{site.url}/moved", "source_url": source.url,
            "source_ftu": "app://admin"})  # app:// needs a password
    assert exc.value.errcode == "invalid_argument_source_ftu"

    plan = migration.check_migrate(site.account, {
        "application": "wordpress", "url": f"{site.url}/moved", "source_url": source.url,
        "source_ftu": ftu}, dryrun=0)
    install, task = migration.start_migrate(plan)
    migration.migrate_app_task(task.id)
    task.refresh_from_db()
    assert task.status == "completed", task.message
    assert task.rate > 0  # the source's files, measured as they came in (bytes/s)
    copy = Install.objects.get(pk=install.pk)
    assert copy.status == Install.Status.INSTALLED and copy.pending_secrets is None
    assert copy.db_name != source.db_name and copy.version == source.version
    assert "wp-config.php" in copy.list_files and "wp_posts" in copy.list_tables
    # The copy's settings are read from it (issue 13 item 6): createadminsso knows its admin.
    assert (copy.admin_login, copy.admin_email) == ("boss", "boss@example.com")
    assert copy.fields["sitetitle"] == copy.title == "Source Blog"

    status, home = fetch(f"{site.url}/moved/")
    assert status == 200 and title_of(home).startswith("Source Blog")
    assert source_site.url not in home
    status, post = fetch(f"{site.url}/moved/?p=1")
    assert status == 200 and "Moved text" in post
    assert f"{site.url}/moved/about/" in post and source_site.url not in post
    config = (site.docroot / "moved" / "wp-config.php").read_text()
    assert copy.db_name in config and source.db_name not in config

    # The source was only read.
    assert listing(source_site.root) == source_files
    assert table_snapshot(source) == source_tables
    assert title_of(fetch(source_site.url + "/")[1]).startswith("Source Blog")
    assert ADMIN_PASS  # the copy keeps the source's users: its admin can log in
    from tests.installs.conftest import wp_login

    status, location, cookies = wp_login(f"{site.url}/moved", "boss", ADMIN_PASS)
    assert any(name.startswith("wordpress_logged_in_") for name in cookies)


def test_an_existing_wordpress_is_imported_from_the_gui(client, site, wordpress_package):
    from apps.installs.models import Install

    before = run_install(site, f"{site.url}/blog", title="GUI Import")
    was = _forget(before)
    client.force_login(site.account)
    assert "/gui/installs/import/" in client.get("/gui/installs/").content.decode()
    form = client.get("/gui/installs/import/").content.decode()
    assert site.url in form and 'value="wordpress"' in form
    nothing = client.post("/gui/installs/import/", {"application": "wordpress",
                                                    "base": site.url, "folder": "nothing"})
    assert nothing.status_code == 200 and b'class="result bad' in nothing.content
    response = client.post("/gui/installs/import/", {"application": "wordpress",
                                                     "base": site.url, "folder": "blog"})
    assert response.status_code == 302
    install = Install.objects.get(url=f"{site.url}/blog")
    assert response["Location"] == f"/gui/installs/{install.pk}/"
    assert (install.version, install.db_name) == (was["version"], was["db_name"])
