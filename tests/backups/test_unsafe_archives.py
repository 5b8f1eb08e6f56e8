"""Archives are untrusted input: ``..`` names, links and device files are refused by
restore and importbackup before anything is written."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

import pytest

from .conftest import listing

META = {"format": 1, "install": {"id": "x", "installer": "wordpress", "db-prefix": "wp_",
                                 "url": "http://alice.test/blog"},
        "list-files": ["index.php"], "list-tables": []}


def _archive(path, evil: tarfile.TarInfo, data: bytes = b"") -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, body in (("installatron.json", json.dumps(META).encode()),
                           ("files/index.php", b"<?php echo 'restored';")):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
        tar.addfile(evil, io.BytesIO(data) if data else None)


def _evil(kind: str) -> tuple[tarfile.TarInfo, bytes]:
    if kind == "dotdot":
        info = tarfile.TarInfo("files/../../../escaped.php")
        info.size = 4
        return info, b"evil"
    if kind == "absolute":
        info = tarfile.TarInfo("/tmp/itron-absolute-escape.php")
        info.size = 4
        return info, b"evil"
    if kind == "symlink":
        info = tarfile.TarInfo("files/link")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        return info, b""
    if kind == "hardlink":
        info = tarfile.TarInfo("files/hard")
        info.type, info.linkname = tarfile.LNKTYPE, "files/index.php"
        return info, b""
    info = tarfile.TarInfo("files/null")
    info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
    return info, b""


KINDS = ["dotdot", "absolute", "symlink", "hardlink", "device"]


@pytest.fixture
def blog(user):
    """A (small) installed application of ``user`` with real files in its folder."""
    from apps.installs.models import Install

    website = user.websites.get()
    folder = __import__("pathlib").Path(website.path) / "public_html" / "blog"
    folder.mkdir()
    (folder / "index.php").write_text("<?php echo 'live';")
    return Install.objects.create(account=user, website=website, installer="wordpress",
                                  version="6.1", path="public_html/blog",
                                  url="http://alice.test/blog", url_domain="alice.test",
                                  list_files=["index.php"], status=Install.Status.INSTALLED)


@pytest.mark.parametrize("kind", KINDS)
def test_importbackup_refuses_an_unsafe_archive_and_keeps_nothing(user, backup_dir, kind,
                                                                  api):
    from apps.backups.errors import BackupError
    from apps.backups.models import Backup
    from apps.backups.services import import_backup

    root = __import__("pathlib").Path(user.websites.get().path)
    _archive(root / "upload.tar.gz", *_evil(kind))
    before = listing(root)
    with pytest.raises(BackupError) as caught:
        import_backup(user, "upload.tar.gz")
    assert caught.value.errcode == "failed_backup_invalid"
    assert not Backup.objects.exists()
    assert not [p for p in backup_dir.rglob("*") if p.is_file()]
    assert listing(root) == before
    assert not (root.parent / "escaped.php").exists()


@pytest.mark.parametrize("kind", KINDS)
def test_restore_refuses_an_unsafe_archive_before_touching_the_site(blog, backup_dir, kind):
    from apps.backups import services, tasks
    from apps.backups.models import Backup

    folder = backup_dir / blog.account.username
    folder.mkdir(parents=True)
    path = folder / "evil.tar.gz"
    _archive(path, *_evil(kind))
    backup = Backup.objects.create(
        account=blog.account, install=blog, install_ref=blog.id, website=blog.website,
        file=f"{blog.account.username}/evil.tar.gz", installer="wordpress",
        path=blog.path, url=blog.url, list_files=["index.php"],
        checksum=hashlib.sha256(path.read_bytes()).hexdigest())
    root = __import__("pathlib").Path(blog.website.path)
    before = listing(root)
    task = services.start_restore(backup)
    tasks.restore_backup(task.id, backup.id, "")
    task.refresh_from_db()
    assert task.status == "failed" and task.errcode == "failed_backup_invalid", task.message
    assert "Nothing was changed" in task.message
    assert listing(root) == before
    assert (root / "public_html" / "blog" / "index.php").read_text() == "<?php echo 'live';"
    blog.refresh_from_db()
    assert not blog.busy


def test_restore_refuses_an_archive_whose_checksum_changed(blog, backup_dir):
    from apps.backups import services, tasks
    from apps.backups.models import Backup

    folder = backup_dir / blog.account.username
    folder.mkdir(parents=True)
    path = folder / "ok.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, body in (("installatron.json", json.dumps(META).encode()),
                           ("files/index.php", b"<?php echo 'restored';")):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    backup = Backup.objects.create(
        account=blog.account, install=blog, install_ref=blog.id, website=blog.website,
        file=f"{blog.account.username}/ok.tar.gz", installer="wordpress", path=blog.path,
        url=blog.url, checksum="0" * 64)
    task = services.start_restore(backup)
    tasks.restore_backup(task.id, backup.id, "")
    task.refresh_from_db()
    assert task.status == "failed" and "checksum" in task.message
    # The same archive with its true checksum restores (the refusals above are not blanket).
    backup.checksum = hashlib.sha256(path.read_bytes()).hexdigest()
    backup.save()
    task = services.start_restore(backup)
    tasks.restore_backup(task.id, backup.id, "")
    task.refresh_from_db()
    assert task.status == "completed", task.message
    root = __import__("pathlib").Path(blog.website.path)
    assert (root / "public_html" / "blog" / "index.php").read_text() == \
        "<?php echo 'restored';"


def test_a_second_operation_on_a_busy_install_is_refused_naming_the_task(blog):
    from apps.backups import services
    from apps.backups.errors import BackupError

    first = services.start_backup(blog)  # queued: no worker in this test
    with pytest.raises(BackupError) as caught:
        services.start_backup(blog)
    assert caught.value.errcode == "busy" and first.id in caught.value.message
