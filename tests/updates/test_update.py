"""Updating a real WordPress: 6.1.8 (derived) -> 6.1.9 (Debian's), content and config kept;
a broken release rolled back from the backup so files and tables are exactly as before."""

from __future__ import annotations

import re

from .conftest import ADMIN_PASS, db_rows, fetch, listing, option, run_update, table_snapshot


def _add_post(install, title: str) -> None:
    db_rows(install, f"INSERT INTO `{install.db_prefix}posts` (post_author, post_date, "
                     "post_date_gmt, post_content, post_title, post_excerpt, post_status, "
                     "post_name, to_ping, pinged, post_modified, post_modified_gmt, "
                     "post_content_filtered, post_type) VALUES (1, NOW(), UTC_TIMESTAMP(), "
                     "'Kept across updates', %s, '', 'publish', 'kept-post', '', '', NOW(), "
                     "UTC_TIMESTAMP(), '', 'post')", (title,))


def test_it_updates_the_core_and_keeps_content_and_config(site, old_install, mailoutbox,
                                                          backup_dir):
    from apps.backups.models import Backup
    from apps.catalog.services import versions_available_from

    blog = site.docroot / "blog"
    assert "6.1.8" in (blog / "wp-includes/version.php").read_text()
    old_db_version = int(option(old_install, "db_version"))
    assert versions_available_from("wordpress", "6.1.8")["versions-available-minor"] == ["6.1.9"]
    _add_post(old_install, "Written before the update")
    upload = blog / "wp-content" / "uploads" / "kept.txt"
    upload.write_text("mine")
    config = (blog / "wp-config.php").read_bytes()

    task, install = run_update(old_install)

    assert task.status == "completed", task.message
    assert install.version == "6.1.9" and install.time_updated is not None
    assert "$wp_version = '6.1.9';" in (blog / "wp-includes/version.php").read_text()
    # WordPress's own database upgrade really ran: db_version moved to 6.1.9's.
    assert int(option(install, "db_version")) == old_db_version + 1
    assert db_rows(install, f"SELECT post_title FROM `{install.db_prefix}posts` WHERE "
                            "post_name = 'kept-post'") == (("Written before the update",),)
    assert upload.read_text() == "mine"
    assert (blog / "wp-config.php").read_bytes() == config
    status, page = fetch(f"{site.url}/blog/")
    assert status == 200 and "Update Test Blog" in page
    assert not [p for p in blog.iterdir() if p.name.startswith(".itron-")]
    # autoup_backup is on by default: a backup from before the update is kept.
    backup = Backup.objects.get(pk=task.result["backup"])
    assert backup.version == "6.1.8" and backup.install_id == install.id
    subjects = [m.subject for m in mailoutbox]
    assert "Update Test Blog was updated" in subjects
    mail = next(m for m in mailoutbox if m.subject == "Update Test Blog was updated")
    assert "6.1.8 -> 6.1.9" in mail.body and mail.to == ["owner@example.com"]
    assert install.db_pass not in mail.body and ADMIN_PASS not in mail.body


def test_a_broken_release_is_rolled_back_to_exactly_what_was_there(
        site, old_install, wordpress_broken_package, mailoutbox):
    from apps.updates import services as updates
    from apps.installs.errors import InstallError

    blog = site.docroot / "blog"
    task, install = run_update(old_install, version="6.1.9")
    assert task.status == "completed", task.message
    # The broken 6.1.10 is what "latest" means now.
    assert updates.latest_for(install) == "6.1.10"
    files_before = listing(blog)
    contents_before = {p: (blog / p).read_bytes() for p, (is_dir, *_rest) in
                       files_before.items() if not is_dir and p.endswith(".php")}
    tables_before = table_snapshot(install)
    mailoutbox.clear()

    task, install = run_update(install)

    assert task.status == "failed"
    assert "HTTP 500" in task.message and "restored from the backup" in task.message
    assert install.version == "6.1.9"
    assert listing(blog) == files_before
    assert {p: (blog / p).read_bytes() for p in contents_before} == contents_before
    assert table_snapshot(install) == tables_before
    status, _ = fetch(f"{site.url}/blog/")
    assert status == 200
    assert [m.subject for m in mailoutbox if "failed" in m.subject] == [
        "The update of Update Test Blog failed"]
    # Not newer, not stored, or "current" without add-ons: refused before anything runs.
    for version in ("6.1.8", "6.1.9", "9.9"):
        try:
            updates.check_update(install, {"version": version})
        except InstallError as exc:
            assert exc.errcode == "invalid_argument_version", exc.errcode
        else:
            raise AssertionError(f"{version} was accepted")


def test_without_a_backup_a_failed_update_is_undone_step_by_step(
        site, wordpress_broken_package, mailoutbox):
    from apps.backups.models import Backup

    from .conftest import run_install

    install = run_install(site, f"{site.url}/blog", title="No Backup", version="6.1.9",
                          autoup_backup="0")
    blog = site.docroot / "blog"
    files_before = listing(blog)
    tables_before = table_snapshot(install)

    task, install = run_update(install)

    assert task.status == "failed" and "changes were undone" in task.message, task.message
    assert not Backup.objects.exists()
    assert listing(blog) == files_before
    assert table_snapshot(install) == tables_before
    assert re.search(r"\$wp_version = '6\.1\.9';", (blog / "wp-includes/version.php").read_text())
