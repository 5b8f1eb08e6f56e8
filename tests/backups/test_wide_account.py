"""Issue 15: an imported backup's SQL runs with the install's database account, so a
restore refuses an account with rights on every database of the server (an imported site
configured with an admin account); nothing is changed."""

from __future__ import annotations

import pytest

from .conftest import db_rows, fetch, listing, run_backup, run_install

pytestmark = pytest.mark.slow


def test_a_restore_with_a_server_wide_account_is_refused(site, wordpress_package, backup_dir,
                                                        mysql_query):
    from apps.backups import services, tasks

    install = run_install(site, f"{site.url}/blog", title="Wide Account")
    backup = run_backup(install)
    db_rows(install, f"UPDATE `{install.db_prefix}options` SET option_value = 'Live' "
                     "WHERE option_name = 'blogname'")
    host = mysql_query("SELECT Host FROM mysql.user WHERE User = %s", (install.db_user,))[0][0]
    mysql_query("GRANT ALL PRIVILEGES ON *.* TO %s@%s", (install.db_user, host))
    before = listing(site.docroot)

    task = services.start_restore(backup)
    tasks.restore_backup(task.id, str(backup.id))
    task.refresh_from_db()

    assert task.status == "failed" and task.errcode == "invalid_argument_db_user", task.message
    assert listing(site.docroot) == before
    assert "Live" in fetch(f"{site.url}/blog/")[1]
