"""edit on a real WordPress: the admin account, title and tagline inside WordPress, a move
to another URL, new database credentials, forgetting the install, and rollback."""

from __future__ import annotations

import re

import pytest

from .conftest import (
    ADMIN_PASS, db_rows, fetch, logs_in, run_backup, run_edit, run_install, table_snapshot,
)

pytestmark = pytest.mark.slow


def test_a_new_admin_password_lets_wordpress_accept_it_and_refuse_the_old_one(
        site, wordpress_package):
    install = run_install(site, f"{site.url}/blog", title="Password Blog")
    blog = f"{site.url}/blog"
    assert logs_in(blog, "boss", ADMIN_PASS)
    new = "N3w pass 'with\" quotes & <more>"
    edited, task = run_edit(install, {"passwd": new, "login": "chief",
                                      "email": "chief@example.org"})
    assert task is not None and task.status == "completed", task.message
    assert logs_in(blog, "chief", new)
    assert not logs_in(blog, "chief", ADMIN_PASS)
    assert not logs_in(blog, "boss", new)
    stored = db_rows(install, "SELECT user_pass, user_email FROM wp_users WHERE user_login = %s",
                     ("chief",))[0]
    assert stored[0].startswith("$P$B") and stored[1] == "chief@example.org"
    # The password waited encrypted on the row only until the worker ran.
    assert edited.pending_secrets is None and not edited.busy
    assert (edited.admin_login, edited.admin_email) == ("chief", "chief@example.org")
    assert new not in task.message and new not in str(task.result)


def test_a_new_title_and_tagline_show_on_the_home_page(site, wordpress_package):
    install = run_install(site, f"{site.url}/blog", title="Old Title")
    edited, task = run_edit(install, {"sitetitle": "Brand New Title",
                                      "sitetagline": "Fresh tagline here"})
    assert task.status == "completed", task.message
    status, home = fetch(f"{site.url}/blog/")
    assert status == 200 and "<title>Brand New Title" in home and "Old Title" not in home
    assert "Fresh tagline here" in home
    assert edited.title == edited.fields["sitetitle"] == "Brand New Title"


def test_a_title_with_html_special_characters_can_be_edited_and_synced(
        site, wordpress_package):
    import html
    import re

    from apps.installs.sync import sync_install

    title = "Tom & Jerry's <Blog>"
    install = run_install(site, f"{site.url}/blog", title=title)
    # WordPress stores it escaped; what we read back is the title as the owner typed it.
    sync_install(install)
    install.refresh_from_db()
    assert install.title == install.fields["sitetitle"] == title

    edited, task = run_edit(install, {"sitetagline": "Cats & mice"})
    assert task.status == "completed", task.message
    edited, task = run_edit(edited, {"sitetitle": 'Fish & "Chips" <3'})
    assert task.status == "completed", task.message
    status, home = fetch(f"{site.url}/blog/")
    shown = html.unescape(re.search(r"<title>(.*?)</title>", home, re.S).group(1))
    assert status == 200 and "Fish & " in shown and "Chips" in shown and "Cats & mice" in shown
    sync_install(edited)
    edited.refresh_from_db()
    assert edited.title == 'Fish & "Chips" <3' and edited.fields["sitetagline"] == "Cats & mice"


def test_stored_settings_change_at_once_with_install_rules(site, wordpress_package):
    from apps.installs.editing import check_edit
    from apps.installs.errors import InstallError

    install = run_install(site, f"{site.url}/blog")
    edited, task = run_edit(install, {"autoup": "2", "autoup_backup": "0",
                                      "notification": "update,backup_error",
                                      "autobk": "custom", "autobk_weekly": "3"})
    assert task is None
    assert (edited.autoup, edited.autoup_backup, edited.notification) == (
        2, False, ["update", "backup_error"])
    assert (edited.autobk, edited.autobk_weekly, edited.autobk_daily) == ("custom", 3, 0)
    for params, errcode in (({"autoup": "7"}, "invalid_argument_autoup"),
                            ({"notification": "nope"}, "invalid_argument_notification"),
                            ({"bkloc": "gopher://x"}, "invalid_argument_bkloc"),
                            ({"login": "bad/name"}, "invalid_argument_login"),
                            ({"passwd": "short"}, "invalid_argument_passwd"),
                            ({"language": "xx"}, "invalid_argument_language"),
                            ({"url": "http://elsewhere.test/"}, "invalid_argument_url")):
        with pytest.raises(InstallError) as caught:
            check_edit(edited, params)
        assert caught.value.errcode == errcode, params


def test_moving_the_install_serves_it_at_the_new_url_and_removes_the_old_folder(
        site, wordpress_package):
    install = run_install(site, f"{site.url}/blog", title="Moving Blog")
    old_tables = set(install.list_tables)
    edited, task = run_edit(install, {"url": f"{site.url}/news"})
    assert task.status == "completed", task.message
    assert not (site.docroot / "blog").exists()
    assert (site.docroot / "news" / "wp-config.php").is_file()
    status, home = fetch(f"{site.url}/news/")
    assert status == 200 and "<title>Moving Blog" in home
    links = set(re.findall(r'href="(http[^"]+)"', home))
    assert any(link.startswith(f"{site.url}/news/") for link in links)
    assert not [link for link in links if link.startswith(f"{site.url}/blog")]
    assert db_rows(edited, "SELECT option_value FROM wp_options WHERE option_name = 'siteurl'"
                   )[0][0] == f"{site.url}/news"
    assert (edited.url, edited.path) == (f"{site.url}/news", "public_html/news")
    assert edited.path_created == ["public_html/news"] and set(edited.list_tables) == old_tables
    assert logs_in(f"{site.url}/news", "boss", ADMIN_PASS)


def test_a_failed_edit_leaves_files_and_tables_as_they_were(site, wordpress_package):
    install = run_install(site, f"{site.url}/blog", title="Stay Put")
    # Someone renamed the admin inside WordPress: the settings step fails after the files
    # moved and the URLs were rewritten, so both must be undone.
    db_rows(install, "UPDATE wp_users SET user_login = 'renamed' WHERE user_login = 'boss'")
    before = table_snapshot(install)
    files = sorted(p.name for p in (site.docroot / "blog").iterdir())
    edited, task = run_edit(install, {"url": f"{site.url}/moved", "sitetitle": "Never"})
    assert task.status == "failed" and "boss" in task.message
    assert table_snapshot(install) == before
    assert sorted(p.name for p in (site.docroot / "blog").iterdir()) == files
    assert not (site.docroot / "moved").exists()
    assert (edited.url, edited.title, edited.busy) == (f"{site.url}/blog", "Stay Put", False)
    assert edited.pending_secrets is None
    status, home = fetch(f"{site.url}/blog/")
    assert status == 200 and "<title>Stay Put" in home


def test_new_database_credentials_rewrite_wp_config_and_the_site_keeps_working(
        site, wordpress_package, mysql_query):
    from apps.installs import services, tasks
    from apps.installs.editing import check_edit
    from apps.installs.errors import InstallError

    install = run_install(site, f"{site.url}/blog", title="Moved Database")
    config = site.docroot / "blog" / "wp-config.php"
    # A copy of the database under another name and account (named after the owner, so
    # the site fixture drops them).
    new_db, new_user, new_pass = (f"{site.account.username}_copy",
                                  f"{site.account.username}_cu", "Cop'y pass\\ 9")
    mysql_query(f"CREATE DATABASE `{new_db}`")
    for table in install.list_tables:
        mysql_query(f"CREATE TABLE `{new_db}`.`{table}` LIKE `{install.db_name}`.`{table}`")
        mysql_query(f"INSERT INTO `{new_db}`.`{table}` SELECT * FROM "
                    f"`{install.db_name}`.`{table}`")
    mysql_query("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (new_user, new_pass))
    mysql_query(f"GRANT ALL ON `{new_db}`.* TO %s@'127.0.0.1'", (new_user,))
    mysql_query(f"UPDATE `{new_db}`.wp_options SET option_value = 'From The Copy' "
                "WHERE option_name = 'blogname'")

    original = config.read_text()
    with pytest.raises(InstallError) as caught:
        check_edit(install, {"db_name": new_db, "db_user": new_user, "db_pass": "wrong"})
    assert caught.value.errcode == "invalid_argument_db_user" and "wrong" not in str(caught.value)
    assert config.read_text() == original

    edited, task = run_edit(install, {"db_name": new_db, "db_user": new_user,
                                      "db_pass": new_pass, "db_host": "127.0.0.1"})
    assert task.status == "completed", task.message
    text = config.read_text()
    assert f"define( 'DB_NAME', '{new_db}' );" in text
    assert f"define( 'DB_USER', '{new_user}' );" in text
    assert "define( 'DB_PASSWORD', 'Cop\\'y pass\\\\ 9' );" in text
    assert (edited.db_name, edited.db_user, edited.db_pass) == (new_db, new_user, new_pass)
    status, home = fetch(f"{site.url}/blog/")
    assert status == 200 and "<title>From The Copy" in home

    # The panel made the first database, not this one: uninstall drops the install's
    # tables in it and leaves the database, and what else it holds, alone.
    assert not edited.db_created_by_panel
    mysql_query(f"CREATE TABLE `{new_db}`.`owner_notes` (id INT)")
    uninstall = services.start_uninstall(edited)
    tasks.uninstall_app(uninstall.id)
    uninstall.refresh_from_db()
    assert uninstall.status == "completed", uninstall.message
    assert [r[0] for r in mysql_query(f"SHOW TABLES FROM `{new_db}`")] == ["owner_notes"]


def test_delete_forgets_the_install_and_keeps_its_files_and_tables(site, wordpress_package):
    from apps.backups.models import Backup
    from apps.installs.models import Install

    install = run_install(site, f"{site.url}/blog", title="Forget Me")
    backup = run_backup(install)
    install.refresh_from_db()
    edited, task = run_edit(install, {"delete-backups": "true"})
    assert task is None and edited is not None
    assert not Backup.objects.filter(pk=backup.pk).exists()
    assert backup.archive_path.is_file()  # the archive stays
    tables = table_snapshot(install)
    gone, task = run_edit(edited, {"delete": "true"})
    assert gone is None and not Install.objects.filter(pk=install.pk).exists()
    assert (site.docroot / "blog" / "wp-config.php").is_file()
    assert table_snapshot(install) == tables
    assert fetch(f"{site.url}/blog/")[0] == 200
