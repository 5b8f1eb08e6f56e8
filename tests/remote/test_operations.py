"""The rest of the lifecycle on websites reached over sftp://, ssh:// and ftp://: update,
edit, sync and import there, and clones from one server to another (real OpenSSH and
pyftpdlib on loopback, WordPress served by php -S from the remote folder)."""

from __future__ import annotations

import pytest

from tests.manage.conftest import logs_in, run_edit
from tests.updates.conftest import option, run_update

from .conftest import (
    ADMIN_PASS, databases_of, db_rows, fetch, listing, run_install, run_task, title_of,
)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("scheme", ["sftp", "ssh", "ftp"])
def test_update_edit_sync_and_import_on_a_remote_website(scheme, make_remote_site,
                                                         wordpress_older_package, mysql_query):
    from apps.installs import imports
    from apps.installs.models import Install
    from apps.installs.sync import sync_install

    remote = make_remote_site(scheme)
    install = run_install(remote, remote.url, title="Remote Update", version="6.1.8")
    assert "6.1.8" in (remote.docroot / "wp-includes/version.php").read_text()
    old_db_version = int(option(install, "db_version"))
    upload = remote.docroot / "wp-content" / "uploads" / "kept.txt"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_text("mine")
    config = (remote.docroot / "wp-config.php").read_bytes()

    # Update: the new core's files arrive over the connection; content and config stay.
    task, install = run_update(install)
    assert task.status == "completed", task.message
    assert install.version == "6.1.9"
    assert "$wp_version = '6.1.9';" in (remote.docroot / "wp-includes/version.php").read_text()
    assert int(option(install, "db_version")) == old_db_version + 1
    assert upload.read_text() == "mine"
    assert (remote.docroot / "wp-config.php").read_bytes() == config
    assert not [p for p in remote.docroot.iterdir() if p.name.startswith(".itron-")]
    assert title_of(fetch(remote.url + "/")[1]).startswith("Remote Update")

    # Edit: a new title inside WordPress and a new admin password.
    edited, task = run_edit(install, {"sitetitle": "Edited Remotely", "passwd": "An0ther-pass!"})
    assert task.status == "completed", task.message
    assert title_of(fetch(remote.url + "/")[1]).startswith("Edited Remotely")
    assert logs_in(remote.url, "boss", "An0ther-pass!")
    assert not logs_in(remote.url, "boss", ADMIN_PASS)

    # Edit: a move to a sub folder of the website, over the connection.
    edited, task = run_edit(edited, {"url": f"{remote.url}/moved"})
    assert task.status == "completed", task.message
    site = remote.docroot / "moved"
    assert (site / "wp-config.php").is_file() and not (remote.docroot / "wp-config.php").exists()
    assert (site / "wp-content/uploads/kept.txt").read_text() == "mine"
    status, home = fetch(f"{remote.url}/moved/")
    assert status == 200 and title_of(home).startswith("Edited Remotely")
    assert f"{remote.url}/moved/" in home
    upload = site / "wp-content/uploads/kept.txt"

    # Sync reads what the owner changed on the site itself, files and tables.
    db_rows(edited, "UPDATE wp_options SET option_value = 'Renamed There' "
                    "WHERE option_name = 'blogname'")
    Install.objects.filter(pk=edited.pk).update(version="1.0", cache_files=0)
    data = sync_install(Install.objects.get(pk=edited.pk))
    synced = Install.objects.get(pk=edited.pk)
    assert synced.version == "6.1.9" and synced.title == "Renamed There", data
    on_disk = sum(p.lstat().st_size for p in site.rglob("*") if p.is_file())
    assert synced.cache_files == on_disk

    # Import: forget the record, then find the same WordPress again over the connection.
    record = (synced.db_name, synced.db_user, sorted(synced.list_files))
    Install.objects.filter(pk=synced.pk).delete()
    found = imports.import_install(remote.account, {"application": "wordpress",
                                                    "url": f"{remote.url}/moved"})
    found.refresh_from_db()
    assert (found.db_name, found.db_user, sorted(found.list_files)) == record
    assert found.version == "6.1.9" and found.status == Install.Status.INSTALLED

    from apps.installs import services, tasks

    task = run_task(services.start_uninstall(found), tasks.uninstall_app, False)
    assert task.status == "completed", task.message
    assert not upload.exists()  # uploads go with wp-content
    # The folder was there when the import found it: its WordPress goes, the folder stays.
    assert [p.name for p in remote.docroot.iterdir()] == ["moved"]
    assert list(site.iterdir()) == []
    # An imported install's database was not made by us: its tables go, it stays.
    assert databases_of(mysql_query, remote.account) == [found.db_name]
    assert mysql_query(f"SHOW TABLES FROM `{found.db_name}`") == ()


@pytest.mark.parametrize("source_kind,target_kind", [("local", "sftp"), ("sftp", "ftp"),
                                                     ("ftp", "ssh")])
def test_a_clone_goes_from_one_server_to_another(source_kind, target_kind, site,
                                                make_remote_site, wordpress_package,
                                                mysql_query):
    from apps.backups import services as backups
    from apps.backups import tasks as backup_tasks
    from apps.installs import services, tasks

    source_site = site if source_kind == "local" else make_remote_site(source_kind,
                                                                      ws_id="ws-source")
    target = make_remote_site(target_kind, ws_id="ws-target")
    source = run_install(source_site, f"{source_site.url}/blog", title="Travelling Blog")
    db_rows(source, "UPDATE wp_posts SET post_content = CONCAT(post_content, %s) WHERE ID = 1",
            (f' <a href="{source_site.url}/blog/about/">Travelled text</a>',))
    source_files = listing(source_site.docroot / "blog")

    plan = backups.check_clone(source, {"url": f"{target.url}/copy"})
    clone, task = backups.start_clone(source, plan)
    task = run_task(task, backup_tasks.clone_install, source.id)
    assert task.status == "completed", task.message
    clone.refresh_from_db()
    assert clone.website_id == target.website.id and clone.db_name != source.db_name
    assert (target.docroot / "copy" / "wp-config.php").is_file()
    status, home = fetch(f"{target.url}/copy/")
    assert status == 200 and title_of(home).startswith("Travelling Blog")
    assert f"{target.url}/copy/" in home and source_site.url not in home
    status, post = fetch(f"{target.url}/copy/?p=1")
    assert status == 200 and f"{target.url}/copy/about/" in post
    assert logs_in(f"{target.url}/copy", "boss", ADMIN_PASS)
    # The source was only read.
    assert listing(source_site.docroot / "blog") == source_files
    assert title_of(fetch(f"{source_site.url}/blog/")[1]).startswith("Travelling Blog")

    for each in (clone, source):
        each.refresh_from_db()
        task = run_task(services.start_uninstall(each), tasks.uninstall_app, False)
        assert task.status == "completed", task.message
    assert not (target.docroot / "copy").exists()
