"""The database of a remote website that answers only on that website's host.

On one machine "only on that host" is made real with MariaDB's unix_socket
authentication: the install's database user is the SSH account's own Unix user
(``itronrt``), identified by the socket peer's uid. Only a client run by that account
on the database's host gets in; this test process (root, the engine's side) is refused,
whatever password it sends. A backup and a restore then work only if every table
listing, dump, drop and load runs through the website's SSH shell.
"""

from __future__ import annotations

import pytest

from tests.fixtures.remote import SSH_USER

from .conftest import db_rows, run_backup, run_install, run_task, table_snapshot

pytestmark = pytest.mark.slow


@pytest.fixture
def socket_only_user(mysql_query):
    """A MariaDB user only the SSH account can be, on this host's socket."""
    made = []

    def make(db_name: str) -> str:
        mysql_query(f"CREATE USER IF NOT EXISTS '{SSH_USER}'@'localhost' "
                    "IDENTIFIED VIA unix_socket")
        mysql_query(f"GRANT ALL PRIVILEGES ON `{db_name}`.* TO '{SSH_USER}'@'localhost'")
        made.append(SSH_USER)
        return SSH_USER

    yield make
    for user in made:
        mysql_query(f"DROP USER IF EXISTS '{user}'@'localhost'")


def test_backup_and_restore_reach_a_database_only_through_the_websites_shell(
        make_remote_site, wordpress_package, socket_only_user, settings):
    from apps.backups import services as backups
    from apps.backups import tasks as backup_tasks
    from apps.installs.models import Install
    from apps.sites.database import Database, connect_db
    from installatron_gui.lib.errors import InstallError

    remote = make_remote_site("ssh")
    install = run_install(remote, remote.url, title="Socket Only")
    assert install.status == Install.Status.INSTALLED
    as_installed = Install.objects.get(pk=install.pk)  # its own account, for checking
    installed_tables = table_snapshot(as_installed)

    install.db_user = socket_only_user(install.db_name)
    install.db_host = "localhost"
    install.db_pass = "not-used-by-unix-socket"
    install.save(update_fields=["db_user", "db_host", "db_pass"])
    # From here (the engine's side) this account cannot get in at all...
    with pytest.raises(InstallError, match="Access denied"):
        connect_db(install.db_host, install.db_user, install.db_pass, install.db_name)
    # ...and on the website's host, through its shell, it can.
    settings.DB_ACCESS = "ssh"  # loopback stands in for the remote host: name the route
    db = Database.of(install)
    assert db.route == "ssh"
    assert sorted(db.tables()) == sorted(installed_tables)

    backup = run_backup(install)
    assert sorted(backup.list_tables) == sorted(installed_tables)
    assert not [p for p in remote.root.iterdir() if p.name.startswith(".itron-db-")]

    # Break the tables (one changed, one added since the backup), then restore.
    db_rows(as_installed, f"UPDATE `{install.db_prefix}options` SET option_value = 'Changed' "
                          "WHERE option_name = 'blogname'")
    db_rows(as_installed, f"CREATE TABLE `{install.db_prefix}added_later` (id INT)")
    task = backups.start_restore(backup)
    run_task(task, backup_tasks.restore_backup, backup.id, "")
    assert task.status == "completed", task.message
    assert table_snapshot(as_installed) == installed_tables
    assert not [p for p in remote.root.iterdir() if p.name.startswith(".itron-db-")]
