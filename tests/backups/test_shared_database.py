"""Two installs in one database, prefixes ``wp_`` and ``wp_b_``: every operation on the
first (backup, restore, uninstall) touches only its own tables, never ``wp_b_*``, whether
the neighbour is an install we made or tables made by hand.

Real WordPress installs, real MariaDB, the tasks' bodies run in this process.
"""

from __future__ import annotations

import json

import pytest

from .conftest import (
    archive_members,
    db_rows,
    fetch,
    new_post,
    rewrite_archive,
    run_backup,
    run_install,
)

pytestmark = pytest.mark.slow

CORE = ["commentmeta", "comments", "links", "options", "postmeta", "posts",
        "term_relationships", "term_taxonomy", "termmeta", "terms", "usermeta", "users"]


def checksums(install, prefix: str) -> dict:
    """Every table of the database starting with ``prefix``, with its content checksum."""
    names = [r[0] for r in db_rows(install, "SHOW TABLES") if r[0].startswith(prefix)]
    return {t: db_rows(install, f"CHECKSUM TABLE `{t}`")[0][1] for t in sorted(names)}


def neighbour_state(install, prefix: str = "wp_b_") -> dict:
    """``checksums`` of the neighbour's tables, except that its options table is compared
    row by row without WordPress's own cron and transient rows: visiting the neighbour site
    (as the test does) lets WordPress write those itself, at any moment after the visit."""
    state = checksums(install, prefix)
    table = f"{prefix}options"
    state[table] = db_rows(
        install, f"SELECT option_name, option_value FROM `{table}` WHERE option_name <> 'cron' "
        "AND option_name NOT LIKE '\\_transient%' AND option_name NOT LIKE '\\_site\\_transient%' "
        "ORDER BY option_name")
    return state


def restore(backup):
    from apps.backups import services, tasks

    task = services.start_restore(backup)
    tasks.restore_backup(task.id, backup.id, "")
    task.refresh_from_db()
    return task


def test_restore_backup_and_uninstall_leave_a_neighbour_install_alone(
        site, wordpress_package, backup_dir, mysql_query):
    from apps.installs import services, tasks
    from apps.installs.models import Install

    first = run_install(site, f"{site.url}/blog", title="First Blog")
    second = run_install(site, f"{site.url}/other", title="Second Blog", db_host=first.db_host,
                         db_name=first.db_name, db_user=first.db_user, db_pass=first.db_pass,
                         db_prefix="wp_b_")
    assert first.db_created_by_panel and not second.db_created_by_panel
    assert not [t for t in first.list_tables if t.startswith("wp_b_")]
    new_post(second, "Neighbour post")
    neighbour = neighbour_state(second)
    assert len(neighbour) == 12

    backup = run_backup(first)
    assert "wp_options" in backup.list_tables
    assert not [t for t in backup.list_tables if t.startswith("wp_b_")]
    dump = archive_members(backup.archive_path)["database.sql"]
    assert b"`wp_b_" not in dump

    new_post(first, "Written after the backup")
    task = restore(backup)
    assert task.status == "completed", task.message
    assert not db_rows(first, "SELECT ID FROM wp_posts WHERE post_title = %s",
                       ("Written after the backup",))
    assert neighbour_state(second) == neighbour
    assert "<title>Second Blog" in fetch(f"{site.url}/other/")[1]

    # The panel made the database for the first install, but the second lives in it too:
    # uninstalling the first drops its tables only.
    first.refresh_from_db()
    uninstall = services.start_uninstall(first)
    tasks.uninstall_app(uninstall.id)
    uninstall.refresh_from_db()
    assert uninstall.status == "completed", uninstall.message
    assert not Install.objects.filter(pk=first.pk).exists()
    assert neighbour_state(second) == neighbour
    assert not [t for t in checksums(second, "wp_") if not t.startswith("wp_b_")]
    status, home = fetch(f"{site.url}/other/")
    assert status == 200 and "Neighbour post" in home


def test_a_neighbour_made_by_hand_survives_a_restore_and_stays_out_of_backups(
        site, wordpress_package, backup_dir):
    install = run_install(site, f"{site.url}/blog", title="Only Mine")
    # Another WordPress's tables, made without us, under the longer prefix.
    for table in CORE:
        db_rows(install, f"CREATE TABLE `wp_b_{table}` LIKE `wp_{table}`")
        db_rows(install, f"INSERT INTO `wp_b_{table}` SELECT * FROM `wp_{table}`")
    db_rows(install, "CREATE TABLE wp_b_plugin_data (id INT PRIMARY KEY)")
    db_rows(install, "INSERT INTO wp_b_plugin_data VALUES (7)")
    neighbour = checksums(install, "wp_b_")
    assert len(neighbour) == 13

    backup = run_backup(install)
    assert len(backup.list_tables) == 12
    assert not [t for t in backup.list_tables if t.startswith("wp_b_")]

    task = restore(backup)
    assert task.status == "completed", task.message
    assert checksums(install, "wp_b_") == neighbour


def test_an_archive_that_holds_a_neighbours_tables_is_refused_and_changes_nothing(
        site, wordpress_package, backup_dir):
    """A backup written before neighbours were told apart lists ``wp_b_*`` too: restoring
    it would overwrite them with old rows, so it is refused before anything changes."""
    from apps.backups.tables import dump_tables
    from apps.sites.database import Database

    first = run_install(site, f"{site.url}/blog", title="First Blog")
    second = run_install(site, f"{site.url}/other", title="Second Blog", db_host=first.db_host,
                         db_name=first.db_name, db_user=first.db_user, db_pass=first.db_pass,
                         db_prefix="wp_b_")
    backup = run_backup(first)
    # Rewrite it the way the old code wrote it: the neighbour's tables in dump and list.
    with open(backup_dir / "neighbour.sql", "w+b") as fh:
        dump_tables(Database.of(second), list(second.list_tables), fh, backup_dir)
        fh.seek(0)
        extra = fh.read()
    def old_style(name: str, data: bytes) -> bytes:
        if name == "database.sql":
            data += b"\n" + extra
        elif name == "installatron.json":
            meta = json.loads(data)
            meta["list-tables"] += list(second.list_tables)
            data = json.dumps(meta).encode()
        return data

    rewrite_archive(backup, old_style)

    new_post(second, "Newer than the backup")
    before = checksums(first, "wp_")
    task = restore(backup)
    assert task.status == "failed" and task.errcode == "failed_backup_invalid", task.message
    assert "wp_b_" in task.message
    assert checksums(first, "wp_") == before
    assert "Newer than the backup" in fetch(f"{site.url}/other/")[1]


def test_a_wordpress_networks_site_tables_are_its_own_but_another_install_is_not(db):
    from apps.installs.services import own_tables

    network = [f"wp_{t}" for t in CORE] + ["wp_blogs", "wp_site", "wp_sitemeta"] + \
        [f"wp_2_{t}" for t in CORE if t not in ("users", "usermeta")]
    assert own_tables(network, "wp_") == sorted(network)
    neighbour = [f"wp_b_{t}" for t in CORE] + ["wp_b_woocommerce_sessions"]
    assert own_tables(network + neighbour, "wp_") == sorted(network)
    assert own_tables(network + neighbour, "wp_b_") == sorted(neighbour)
    # "_" is no wildcard here: wpxb_ is not under wp_.
    assert own_tables(["wpxb_options", "wp_options"], "wp_") == ["wp_options"]
