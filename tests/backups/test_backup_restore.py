"""Back up a real WordPress, change it, restore it; restore to another URL; clone it.

Everything is real: MariaDB (databases made by the mysql panel), the files on disk,
WordPress served by php -S. The Celery tasks' bodies run in this process.
"""

from __future__ import annotations

import hashlib
import stat
import subprocess

import pytest

from .conftest import (
    archive_members,
    assert_nowhere_in_tables,
    db_rows,
    fetch,
    listing,
    new_post,
    rewrite_archive,
    run_backup,
    run_install,
    table_snapshot,
)

pytestmark = pytest.mark.slow


def test_a_backup_holds_only_the_install_and_a_restore_undoes_later_changes(
        site, wordpress_package, backup_dir):
    from apps.api import shapes
    from apps.backups import services, tasks
    from apps.installs.models import Install

    install = run_install(site, f"{site.url}/blog", title="Restore Me")
    blog = site.docroot / "blog"
    (blog / "owner-notes.txt").write_text("not the application's\n")
    backup = run_backup(install)

    # One 0600 archive, outside the web root, with the recorded checksum and size.
    path = backup.archive_path
    assert path.parent == backup_dir / site.account.username
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert hashlib.sha256(path.read_bytes()).hexdigest() == backup.checksum
    assert backup.size == path.stat().st_size
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".part")]
    # zstd by default, whatever the name says: its magic bytes.
    assert path.name == f"{backup.id}.tar.zst" and path.read_bytes()[:4] == b"\x28\xb5\x2f\xfd"
    assert backup.backup_filename.endswith(".tar.zst")
    names = archive_members(path)
    assert "database.sql" in names and "installatron.json" in names
    assert "files/wp-config.php" in names and "files/wp-includes/version.php" in names
    assert "files/owner-notes.txt" not in names  # not in list-files
    assert set(backup.list_files) == set(install.list_files)
    assert "wp_options" in backup.list_tables
    assert shapes.backup(backup, False)["db-pass"] == "" and \
        shapes.backup(backup, True)["db_pass"] == ""

    # Change the site: a new post, an edited file, a new file inside wp-content.
    new_post(install, "Written after the backup")
    header = blog / "wp-blog-header.php"
    original = header.read_text()
    header.write_text(original + "\n// edited after the backup\n")
    (blog / "wp-content" / "added-later.txt").write_text("new\n")
    assert "Written after the backup" in fetch(f"{site.url}/blog/")[1]

    task = services.start_restore(backup)
    assert Install.objects.get(pk=install.pk).busy
    tasks.restore_backup(task.id, backup.id, "")
    task.refresh_from_db()
    assert task.status == "completed", task.message

    status, home = fetch(f"{site.url}/blog/")
    assert status == 200 and "<title>Restore Me" in home
    assert "Written after the backup" not in home
    assert not db_rows(install, "SELECT ID FROM wp_posts WHERE post_title = %s",
                       ("Written after the backup",))
    assert header.read_text() == original
    assert not (blog / "wp-content" / "added-later.txt").exists()
    assert (blog / "owner-notes.txt").read_text() == "not the application's\n"
    assert not [p for p in blog.iterdir() if p.name.startswith(".itron-")]
    assert not Install.objects.get(pk=install.pk).busy


def test_a_failed_restore_leaves_the_files_and_tables_as_they_were(
        site, wordpress_package, backup_dir):
    from apps.backups import services, tasks

    install = run_install(site, f"{site.url}/blog", title="Stay As You Are")
    backup = run_backup(install)
    # The backup's dump breaks at its very end, after every table was already replaced.
    def break_dump(name: str, data: bytes) -> bytes:
        if name == "database.sql":
            data += b"\nINSERT INTO `no_such_table` VALUES (1);\n"
        return data

    rewrite_archive(backup, break_dump)

    new_post(install, "Must survive the failed restore")
    header = site.docroot / "blog" / "wp-blog-header.php"
    header.write_text(header.read_text() + "\n// edited, must survive\n")
    files_before = listing(site.root)
    tables_before = table_snapshot(install)

    task = services.start_restore(backup)
    tasks.restore_backup(task.id, backup.id, "")
    task.refresh_from_db()
    assert task.status == "failed"
    assert task.errcode == "failed_backup_invalid"  # the dump names a table it does not list
    assert "no_such_table" in task.message

    # Nothing changed, and the install is free again.
    assert listing(site.root) == files_before
    assert table_snapshot(install) == tables_before
    install.refresh_from_db()
    assert not install.busy


def test_a_dump_that_fails_halfway_through_the_import_is_rolled_back(
        site, wordpress_package, backup_dir):
    """The import itself fails (MariaDB refuses a statement) after tables were replaced."""
    from apps.backups import services, tasks

    install = run_install(site, f"{site.url}/blog", title="Rolled Back")
    backup = run_backup(install)

    def break_syntax(name: str, data: bytes) -> bytes:
        if name == "database.sql":
            data += b"\nINSERT INTO `wp_options` VALUES (broken syntax here;\n"
        return data

    rewrite_archive(backup, break_syntax)

    new_post(install, "Must survive the failed import")
    files_before = listing(site.root)
    tables_before = table_snapshot(install)
    task = services.start_restore(backup)
    tasks.restore_backup(task.id, backup.id, "")
    task.refresh_from_db()
    assert task.status == "failed" and task.errcode == "failed_database", task.message
    assert "Importing" in task.message and install.db_pass not in task.message
    assert listing(site.root) == files_before
    assert table_snapshot(install) == tables_before
    status, home = fetch(f"{site.url}/blog/")
    assert status == 200 and "Must survive the failed import" in home


def test_restore_to_another_url_makes_a_working_site_that_links_to_itself(
        site, wordpress_package, backup_dir, mysql_query):
    from apps.backups import services, tasks
    from apps.installs.models import Install

    install = run_install(site, f"{site.url}/blog", title="Moved Blog")
    backup = run_backup(install)
    plan = services.check_restore_to(backup, {"url": f"{site.url}/moved"})
    new, task = services.start_restore_to(backup, plan)
    tasks.restore_to(task.id, backup.id)
    task.refresh_from_db()
    assert task.status == "completed", task.message
    new = Install.objects.get(pk=new.pk)
    assert new.status == "installed" and new.url == f"{site.url}/moved"
    assert new.db_name != install.db_name and new.db_created_by_panel
    status, home = fetch(f"{site.url}/moved/")
    assert status == 200 and "<title>Moved Blog" in home
    assert f"{site.url}/moved/" in home and f"{site.url}/blog" not in home
    # The original is untouched.
    assert "<title>Moved Blog" in fetch(f"{site.url}/blog/")[1]
    config = (site.docroot / "moved" / "wp-config.php").read_text()
    assert new.db_name in config and install.db_name not in config


def test_clone_to_another_host_rewrites_every_url_and_keeps_serialized_options_valid(
        site, wordpress_package, backup_dir, php_server, tmp_path):
    from apps.backups import services, tasks
    from apps.installs.models import Install

    install = run_install(site, f"{site.url}/blog", title="Clone Source")
    old = install.url
    # A second host on the same website, served from its own folder.
    other_root = site.root / "other_html"
    other_root.mkdir()
    other = php_server(other_root)
    site.website.vhosts = {**site.website.vhosts, other: "other_html"}
    site.website.save()
    serialized = subprocess.run(
        ["php", "-r", 'echo serialize(["home" => $argv[1] . "/ünï", "nested" => '
         '(object)["deep" => [$argv[1], serialize($argv[1] . "/x")]], "evil" => '
         '"http://127.0.0.1.evil/"]);', "--", old], capture_output=True, check=True,
    ).stdout.decode()
    db_rows(install, "INSERT INTO wp_options (option_name, option_value, autoload) "
                     "VALUES ('itron_test', %s, 'no')", (serialized,))

    plan = services.check_clone(install, {"url": other, "db_prefix": "cl_"})
    clone, task = services.start_clone(install, plan)
    assert Install.objects.get(pk=install.pk).busy  # the source is held too
    tasks.clone_install(task.id, install.id)
    task.refresh_from_db()
    assert task.status == "completed", task.message
    clone = Install.objects.get(pk=clone.pk)
    assert clone.status == "installed" and clone.db_prefix == "cl_"
    assert all(t.startswith("cl_") for t in clone.list_tables) and clone.list_tables
    assert not Install.objects.get(pk=install.pk).busy

    status, home = fetch(other + "/")
    assert status == 200 and "<title>Clone Source" in home
    assert other + "/" in home and old not in home

    # No old URL anywhere in the clone's tables.
    assert_nowhere_in_tables(clone, old)
    # Serialized values still unserialize, with the new URL inside.
    value = db_rows(clone, "SELECT option_value FROM cl_options WHERE option_name = "
                           "'itron_test'")[0][0]
    out = subprocess.run(["php", "-r", '$v = unserialize($argv[1]); echo $v === false ? '
                          '"FALSE" : $v["home"] . "|" . $v["nested"]->deep[0] . "|" . '
                          'unserialize($v["nested"]->deep[1]) . "|" . $v["evil"];', "--", value],
                         capture_output=True, check=True).stdout.decode()
    assert out == f"{other}/ünï|{other}|{other}/x|http://127.0.0.1.evil/"
    roles = db_rows(clone, "SELECT option_value FROM cl_options WHERE option_name = "
                           "'cl_user_roles'")
    assert roles and subprocess.run(["php", "-r", 'exit(unserialize($argv[1]) === false ? 1 '
                                     ': 0);', "--", roles[0][0]]).returncode == 0
    # The source still has its own URL.
    assert db_rows(install, "SELECT option_value FROM wp_options WHERE option_name = "
                            "'siteurl'")[0][0] == old


@pytest.mark.parametrize("drop_user", [False, True], ids=["database-dropped",
                                                          "database-and-user-dropped"])
def test_a_restore_recreates_a_database_that_was_deleted(site, wordpress_package, backup_dir,
                                                          mysql_query, drop_user):
    """The panel user deleted the database (and with most panels its user too): the
    restore creates both again through the panel class and the site comes back."""
    from apps.backups import services, tasks

    install = run_install(site, f"{site.url}/blog", title="Bring Me Back")
    backup = run_backup(install)
    mysql_query(f"DROP DATABASE `{install.db_name}`")
    if drop_user:
        for (host,) in mysql_query("SELECT Host FROM mysql.user WHERE User = %s",
                                   (install.db_user,)):
            mysql_query("DROP USER %s@%s", (install.db_user, host))
    assert fetch(f"{site.url}/blog/")[0] != 200  # WordPress cannot reach its database

    task = services.start_restore(backup)
    tasks.restore_backup(task.id, backup.id, "")
    task.refresh_from_db()
    assert task.status == "completed", task.message
    status, home = fetch(f"{site.url}/blog/")
    assert status == 200 and "<title>Bring Me Back" in home
    assert "wp_options" in [r[0] for r in db_rows(install, "SHOW TABLES")]


def test_a_restore_with_db_manual_does_not_create_a_deleted_database(
        site, wordpress_package, backup_dir, mysql_query):
    from apps.backups import services, tasks

    install = run_install(site, f"{site.url}/blog", title="Manual")
    backup = run_backup(install)
    mysql_query(f"DROP DATABASE `{install.db_name}`")
    task = services.start_restore(backup, db_mode="manual")
    tasks.restore_backup(task.id, backup.id, "manual")
    task.refresh_from_db()
    assert task.status == "failed" and task.errcode == "failed_database_missing"
    assert not mysql_query("SHOW DATABASES LIKE %s", (install.db_name,))


def test_a_failed_backup_and_restore_send_their_error_notifications(
        site, wordpress_package, backup_dir, mysql_query, mailoutbox):
    from apps.backups import services, tasks

    install = run_install(site, f"{site.url}/blog", title="Tell Me",
                          notification="install,backup_error,restore_error")
    assert [m.subject for m in mailoutbox] == ["Tell Me was installed"]
    backup = run_backup(install)  # "backup" itself was not asked for: no email
    assert len(mailoutbox) == 1
    mysql_query(f"DROP DATABASE `{install.db_name}`")

    task = services.start_backup(install)
    tasks.create_backup(task.id, "")
    task.refresh_from_db()
    assert task.status == "failed"
    assert mailoutbox[-1].subject == "The backup of Tell Me failed"
    assert task.message in mailoutbox[-1].body and install.db_pass not in mailoutbox[-1].body

    task = services.start_restore(backup, db_mode="manual")
    tasks.restore_backup(task.id, backup.id, "manual")
    task.refresh_from_db()
    assert task.status == "failed"
    assert mailoutbox[-1].subject == "Restoring Tell Me from a backup failed"
    assert mailoutbox[-1].to == ["owner@example.com"]
