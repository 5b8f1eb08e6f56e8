"""My backups: list, download (owner only), delete with confirmation, restore page, and
strangers get 404. Backups here are real archives written by create_backup."""

from __future__ import annotations

import hashlib

import pytest

from .test_unsafe_archives import blog  # noqa: F401


@pytest.fixture
def backup(blog):  # noqa: F811
    from apps.backups import services

    return services.create_backup(blog, report=lambda *a: None)


def test_the_list_shows_the_backup_and_the_owner_downloads_it(client, user, backup):
    client.force_login(user)
    page = client.get("/gui/backups/").content.decode()
    assert backup.url in page and f"/gui/backups/{backup.pk}/download/" in page
    response = client.get(f"/gui/backups/{backup.pk}/download/")
    assert response.status_code == 200
    assert backup.backup_filename in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == backup.checksum
    assert "blog" in client.get("/gui/backups/", {"q": "alice"}).content.decode()
    assert "No backup matches" in client.get("/gui/backups/", {"q": "zzz"}).content.decode()


def test_a_stranger_gets_404_everywhere(client, stranger, backup, blog):  # noqa: F811
    client.force_login(stranger)
    for url in (f"/gui/backups/{backup.pk}/download/", f"/gui/backups/{backup.pk}/delete/",
                f"/gui/backups/{backup.pk}/restore/", f"/gui/backups/{backup.pk}/restore-to/",
                f"/gui/backups/install/{blog.pk}/clone/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/gui/backups/{backup.pk}/delete/").status_code == 404
    assert client.post(f"/gui/backups/install/{blog.pk}/backup/").status_code == 404
    assert backup.archive_path.exists()
    assert backup.url not in client.get("/gui/backups/").content.decode()


def test_delete_asks_first_then_removes_archive_and_row(client, user, backup):
    from apps.backups.models import Backup

    client.force_login(user)
    page = client.get(f"/gui/backups/{backup.pk}/delete/").content.decode()
    assert "deleted for good" in page and Backup.objects.filter(pk=backup.pk).exists()
    assert client.post(f"/gui/backups/{backup.pk}/delete/").status_code == 302
    assert not Backup.objects.filter(pk=backup.pk).exists()
    assert not backup.archive_path.exists()


def test_the_restore_page_says_what_gets_replaced_and_restores(client, user, backup, blog):  # noqa: F811
    from apps.backups import tasks
    from apps.tasks.models import Task

    client.force_login(user)
    page = client.get(f"/gui/backups/{backup.pk}/restore/").content.decode()
    assert "What gets replaced" in page and "index.php" in page
    response = client.post(f"/gui/backups/{backup.pk}/restore/")
    assert response.status_code == 302
    task = Task.objects.get(cmd="restore")
    running = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in running  # polls while queued
    tasks.restore_backup(task.id, backup.id, "")
    done = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and "Completed" in done
    # The whole page names the task as people read it, in the owner's language.
    whole = client.get(response["Location"]).content.decode()
    assert "<h1>Restore · " in whole and ">restore" not in whole
    client.post("/gui/language/", {"language": "de"})
    assert "<h1>Wiederherstellen · " in client.get(response["Location"]).content.decode()


def test_the_backup_button_refuses_a_busy_install(client, user, blog):  # noqa: F811
    from apps.tasks.models import Task

    client.force_login(user)
    assert client.post(f"/gui/backups/install/{blog.pk}/backup/").status_code == 302
    first = Task.objects.get(cmd="backup")
    page = client.post(f"/gui/backups/install/{blog.pk}/backup/", follow=True).content.decode()
    assert first.pk in page and Task.objects.filter(cmd="backup").count() == 1


def test_while_the_first_backup_runs_the_list_shows_it_not_an_empty_search(
        client, user, blog):  # noqa: F811
    client.force_login(user)
    page = client.post(f"/gui/backups/install/{blog.pk}/backup/", follow=True).content.decode()
    assert "No backup matches" not in page and "You have no backups yet" not in page
    assert "<strong>Backup</strong> · http://alice.test/blog" in page
    assert "A backup is being made; it appears here when it is done." in page
    assert 'hx-trigger="every 1s"' in page  # and it follows the task until it is done


def test_lists_name_the_application_as_its_recipe_does(client, user, backup):
    client.force_login(user)
    page = client.get("/gui/backups/").content.decode()
    assert '<div class="muted">WordPress 6.1' in page and ">wordpress" not in page


def test_an_archive_in_the_webspace_is_imported_from_the_gui(client, user, backup):
    import shutil
    from pathlib import Path

    from apps.backups.models import Backup

    root = Path(user.websites.get().path)
    shutil.copy(backup.archive_path, root / "upload.tar.gz")
    client.force_login(user)
    page = client.get("/gui/backups/").content.decode()
    assert "/gui/backups/import/" in page
    refused = client.post("/gui/backups/import/", {"path": "../../etc/passwd"})
    assert refused.status_code == 200 and b'class="result bad' in refused.content
    response = client.post("/gui/backups/import/", {"path": "upload.tar.gz"})
    assert response.status_code == 302
    imported = Backup.objects.exclude(pk=backup.pk).get()
    assert imported.imported and imported.checksum == backup.checksum
    assert imported.pk in response["Location"]

    # With a second website the form asks which one the path is in.
    from apps.accounts.models import Website

    other_root = root.parent / "other-site"
    other_root.mkdir()
    other = Website.objects.create(account=user, ws_id="ws-other", label="other.test",
                                   path=str(other_root), vhosts={"http://other.test": ""})
    shutil.move(root / "upload.tar.gz", other_root / "moved.tar.gz")
    form = client.get("/gui/backups/import/").content.decode()
    assert f'<option value="{other.pk}"' in form and "other.test" in form
    first = user.websites.exclude(pk=other.pk).get()
    wrong = client.post("/gui/backups/import/", {"path": "moved.tar.gz",
                                                 "website": str(first.pk)})
    assert b'class="result bad' in wrong.content  # not in that website
    response = client.post("/gui/backups/import/", {"path": "moved.tar.gz",
                                                    "website": str(other.pk)})
    assert response.status_code == 302
    assert Backup.objects.filter(imported=True).count() == 2


def test_a_backup_download_is_never_cached(client, user, backup):
    """Issue 15: a browser or proxy must not keep a copy of someone's site and database."""
    client.force_login(user)
    response = client.get(f"/gui/backups/{backup.pk}/download/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    b"".join(response.streaming_content)


def _field_errors(html: str, name: str) -> str:
    import re

    found = re.search(rf'id="field-{name}">(.*?)</div>', html, re.S)
    assert found, f"no field {name}"
    return found.group(1) if 'class="errorlist' in found.group(1) else ""


def test_clone_and_restore_to_mark_every_problem_beside_its_field_and_keep_the_input(
        client, user, backup, blog):  # noqa: F811
    from apps.installs.models import Install
    from apps.tasks.models import Task

    client.force_login(user)
    for url in (f"/gui/backups/install/{blog.pk}/clone/", f"/gui/backups/{backup.pk}/restore-to/"):
        response = client.post(url, {"base": "http://alice.test", "folder": "http://x.test/b",
                                     "db_prefix": "wp-"})
        html = response.content.decode()
        assert response.status_code == 200
        assert "not a web address" in _field_errors(html, "folder")
        assert "letters, digits and _" in _field_errors(html, "db_prefix")
        assert 'value="http://x.test/b"' in html and 'value="wp-"' in html
        # The address already taken: said at the folder, nothing started.
        response = client.post(url, {"base": "http://alice.test", "folder": "blog"})
        assert "already installed" in _field_errors(response.content.decode(), "folder")
        response = client.post(url, {"base": "http://elsewhere.test", "folder": "b"})
        assert _field_errors(response.content.decode(), "base")
    assert Install.objects.count() == 1 and not Task.objects.filter(cmd="clone").exists()

    # A clone that starts goes to its progress page, named as people read it, under
    # My installs (where a clone comes from and arrives).
    response = client.post(f"/gui/backups/install/{blog.pk}/clone/",
                           {"base": "http://alice.test", "folder": "copy"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "<h1>Clone · " in page and 'href="/gui/installs/">My installs</a>' in page


def test_the_location_form_marks_every_wrong_field_at_once_and_keeps_the_input(client, user):
    from apps.backups.models import BackupLocation

    client.force_login(user)
    response = client.post("/gui/backups/locations/", {
        "name": "Off site", "scheme": "gopher", "host": "a b.example", "port": "70000",
        "username": "", "password": "secret-kept-out", "folder": "/x/../etc"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"scheme", "host", "port", "username", "folder"}, errors
    html = response.content.decode()
    assert 'value="a b.example"' in html and 'value="/x/../etc"' in html
    assert "secret-kept-out" not in html  # a password is never sent back
    assert not BackupLocation.objects.exists()
