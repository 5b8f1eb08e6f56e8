"""WordPress installed, backed up, restored, cloned and uninstalled on websites reached
over sftp://, ssh:// and ftp:// (real OpenSSH and pyftpdlib on loopback, real MariaDB,
WordPress served by php -S from the remote user's folder)."""

from __future__ import annotations

import subprocess

import pytest

from .conftest import (
    databases_of,
    db_rows,
    fetch,
    listing,
    run_backup,
    run_install,
    run_task,
    table_snapshot,
    title_of,
)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("scheme", ["sftp", "ssh", "ftp", "ftp-files", "sftp-php"])
def test_wordpress_lifecycle_on_a_remote_website(scheme, make_remote_site, wordpress_package,
                                                 mysql_query, settings, caplog):
    """``ftp`` and ``sftp-php``: the website's PHP unpacks and packs the trees (one
    archive, transports/web.py); ``ftp-files`` and ``sftp``: file by file."""
    import logging

    from apps.backups import services as backups
    from apps.backups import tasks as backup_tasks
    from apps.installs import services, tasks
    from apps.installs.models import Install

    caplog.set_level(logging.INFO, logger="apps.transports.web")
    settings.WEB_ARCHIVE = scheme != "ftp-files"
    settings.WEB_ARCHIVE_PLAIN_HTTP = scheme == "sftp-php"  # php -S has no TLS
    by_php = scheme in ("ftp", "sftp-php")
    scheme = scheme.split("-")[0]
    remote = make_remote_site(scheme)
    (remote.docroot / "owner.txt").write_text("the owner's own file\n")
    empty = listing(remote.root)
    title = f"Remote {scheme} Blog"

    install = run_install(remote, remote.url, title=title)
    assert install.status == Install.Status.INSTALLED
    assert {"wp-config.php", "wp-admin", "wp-includes"} <= set(install.list_files)
    assert "owner.txt" not in install.list_files
    status, home = fetch(remote.url + "/")
    assert status == 200 and title_of(home).startswith(title)
    if scheme != "ftp":  # written by the remote user, not by us
        assert (remote.docroot / "wp-config.php").stat().st_uid == remote.server.uid
    assert ("unpacked by the website's PHP" in caplog.text) == by_php

    if scheme == "ssh":
        # The database is reachable from here too; force the other route so dumps and
        # imports really run on the website's host through SSH.
        settings.DB_ACCESS = "ssh"
    installed_files = listing(remote.docroot)
    installed_tables = table_snapshot(install)
    caplog.clear()
    backup = run_backup(install)
    assert not [p for p in remote.root.iterdir() if p.name.startswith(".itron-db-")]
    assert ("packed by the website's PHP" in caplog.text) == by_php
    assert ("reading file by file" in caplog.text) == (scheme == "sftp" and not by_php)

    # Change the site, then restore: files and tables come back exactly.
    db_rows(install, f"UPDATE `{install.db_prefix}options` SET option_value = 'Changed' "
                     "WHERE option_name = 'blogname'")
    (remote.docroot / "wp-content" / "index.php").unlink()
    (remote.docroot / "added-later.php").write_text("<?php echo 'later';")
    assert title_of(fetch(remote.url + "/")[1]).startswith("Changed")
    task = backups.start_restore(backup)
    run_task(task, backup_tasks.restore_backup, backup.id, "")
    assert task.status == "completed", task.message
    assert table_snapshot(install) == installed_tables
    after = listing(remote.docroot)
    after.pop("added-later.php")  # not the install's: restore leaves it alone
    assert after == installed_files
    assert title_of(fetch(remote.url + "/")[1]).startswith(title)

    # Clone into a sub folder of the same website: a new database, the URL rewritten.
    install.refresh_from_db()
    plan = backups.check_clone(install, {"url": f"{remote.url}/copy"})
    clone, task = backups.start_clone(install, plan)
    run_task(task, backup_tasks.clone_install, install.id)
    assert task.status == "completed", task.message
    clone.refresh_from_db()
    assert clone.db_name != install.db_name
    status, copy_home = fetch(f"{remote.url}/copy/")
    assert status == 200 and title_of(copy_home).startswith(title)
    assert f"{remote.url}/copy/" in copy_home

    settings.DB_ACCESS = "auto"
    for target in (clone, install):
        task = services.start_uninstall(Install.objects.get(pk=target.pk))
        run_task(task, tasks.uninstall_app, False)
        assert task.status == "completed", task.message
    (remote.docroot / "added-later.php").unlink()
    assert listing(remote.root) == empty
    assert databases_of(mysql_query, remote.account) == []


def _other_host_key(tmp_path) -> tuple[str, str]:
    key = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    key_type, key_b64 = (tmp_path / "other_key.pub").read_text().split()[:2]
    return key_type, key_b64


def test_a_changed_host_key_refuses_the_install_before_anything_is_written(
        make_remote_site, wordpress_package, mysql_query, tmp_path):
    from apps.installs import services, tasks
    from apps.installs.errors import InstallError
    from apps.installs.models import Install
    from apps.transports.models import KnownHost

    remote = make_remote_site("sftp")
    before = listing(remote.root)
    params = {"application": "wordpress", "url": remote.url, "login": "boss",
              "passwd": "S3cret-pass!", "email": "boss@example.com", "sitetitle": "Keyed"}
    plan = services.check_install(remote.account, params)  # the real key: accepted
    install, task = services.start_install(plan)

    # The server now shows another key (as after a man-in-the-middle): same host and type.
    key_type, key_b64 = _other_host_key(tmp_path)
    row = KnownHost.objects.get(host="127.0.0.1", port=remote.server.port)
    real = row.key_base64
    row.key_base64 = key_b64
    row.save()
    log_before = remote.server.log_text()

    tasks.install_app(task.id)
    task.refresh_from_db()
    assert task.status == "failed"
    assert task.errcode == "failed_filesystem_hostkey", task.message
    assert "CHANGED" in task.message and remote.server.password not in task.message
    assert Install.objects.get(pk=install.pk).status == Install.Status.FAILED
    assert listing(remote.root) == before
    assert databases_of(mysql_query, remote.account) == []
    # The password never reached the server: no login was even attempted.
    new_log = remote.server.log_text()[len(log_before):]
    assert "Accepted password" not in new_log and "Failed password" not in new_log

    with pytest.raises(InstallError) as exc:
        services.check_install(remote.account, {**params, "url": remote.url + "/again"})
    assert "CHANGED" in exc.value.message
    assert KnownHost.objects.get(pk=row.pk).key_base64 == key_b64 != real  # not replaced


def test_a_transfer_cut_halfway_leaves_the_site_as_it_was(make_remote_site, wordpress_package,
                                                          mysql_query):
    from apps.installs import services, tasks
    from tests.transports.test_sftp import kill_sshd_sessions_when, staged_files

    remote = make_remote_site("sftp")
    (remote.docroot / "index.php").write_text("<?php echo 'the old site';")
    (remote.docroot / "blog").mkdir()
    remote_uid = remote.server.uid
    import os

    os.chown(remote.docroot / "blog", remote_uid, remote.server.gid)
    before = listing(remote.root)
    plan = services.check_install(remote.account, {
        "application": "wordpress", "url": remote.url + "/blog", "login": "boss",
        "passwd": "S3cret-pass!", "email": "boss@example.com", "sitetitle": "Cut"})
    install, task = services.start_install(plan)
    watcher = kill_sshd_sessions_when(remote.server,
                                      lambda: staged_files(remote.docroot / "blog") > 300)
    tasks.install_app(task.id)
    watcher.join()
    task.refresh_from_db()
    assert watcher.killed, "the connection was never cut"
    assert task.status == "failed" and task.errcode == "failed_filesystem_host", task.message
    assert remote.server.password not in task.message
    assert listing(remote.root) == before
    assert databases_of(mysql_query, remote.account) == []
    assert fetch(remote.url + "/")[1] == "the old site"


def test_a_website_path_without_a_password_logs_in_with_this_servers_key(
        make_remote_site, wordpress_package, mysql_query, settings, tmp_path):
    """INSTALLATRON_SSH_KEY_FILE: the website's host has our public key authorized."""
    import os
    import re
    import shutil
    from urllib.parse import quote

    from apps.installs import services, tasks

    remote = make_remote_site("sftp")
    key = tmp_path / "installer_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "key-pass", "-f", str(key)],
                   check=True)
    authorized = remote.server.authorized_keys
    shutil.copy(f"{key}.pub", authorized)
    os.chmod(authorized, 0o644)
    try:
        website = remote.website
        website.path = re.sub(r"//[^@]+@", f"//{quote(remote.server.user)}@", website.path)
        website.save()
        params = {"application": "wordpress", "url": remote.url, "login": "boss",
                  "passwd": "S3cret-pass!", "email": "boss@example.com", "sitetitle": "Keyed In"}
        from apps.installs.errors import InstallError

        with pytest.raises(InstallError) as refused:  # no password and no key: refused
            services.check_install(remote.account, params)
        assert "rejected the login" in refused.value.message

        settings.SSH_KEY_FILE, settings.SSH_KEY_PASSPHRASE = str(key), "key-pass"
        install, task = services.start_install(services.check_install(remote.account, params))
        tasks.install_app(task.id)
        task.refresh_from_db()
        assert task.status == "completed", task.message
        status, html = fetch(remote.url + "/")
        assert status == 200 and title_of(html).startswith("Keyed In")
        assert "Accepted publickey" in remote.server.log_text()
    finally:
        authorized.unlink(missing_ok=True)
