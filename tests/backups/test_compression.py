"""Backups are zstd by default and gzip when the setting says so; whatever is read back
(restore, importbackup) is told by its first bytes, so old .tar.gz backups, uploads of
either kind and plain tars keep working; a zstd archive cut anywhere and a zstd or gzip
bomb are refused before anything changes. Real archives, written by create_backup or by
the compression module the product writes with."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from .conftest import listing
from .test_unsafe_archives import blog  # noqa: F401

ZSTD_MAGIC, GZIP_MAGIC = b"\x28\xb5\x2f\xfd", b"\x1f\x8b"


def _index(blog) -> Path:  # noqa: F811
    return Path(blog.website.path) / blog.path / "index.php"


def _restore(backup):
    from apps.backups import services, tasks

    task = services.start_restore(backup)
    tasks.restore_backup(task.id, backup.id, "")
    task.refresh_from_db()
    return task


class _Zeros(io.RawIOBase):
    """``size`` zero bytes, read in pieces (a bomb's content, never whole in memory)."""

    def __init__(self, size: int):
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        n = min(len(buf), self.left)
        buf[:n] = bytes(n)
        self.left -= n
        return n


def _upload(path: Path, kind: str, install_id: str, members: dict[str, bytes | int]) -> None:
    """A backup-format archive at ``path``, written as ``kind`` (or a plain tar); an int
    member is that many zero bytes."""
    from installatron_gui.lib.compression import PLAIN, tar_writer

    meta = {"format": 1, "install": {"id": install_id, "installer": "wordpress",
                                     "db-prefix": "wp_", "url": "http://alice.test/blog"},
            "list-files": ["index.php"], "list-tables": []}
    members = {"installatron.json": json.dumps(meta).encode(), **members}

    def add(tar):
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = body if isinstance(body, int) else len(body)
            tar.addfile(info, _Zeros(body) if isinstance(body, int) else io.BytesIO(body))

    with open(path, "wb") as out:
        if kind == PLAIN:
            with tarfile.open(fileobj=out, mode="w|") as tar:
                add(tar)
        else:
            with tar_writer(out, kind) as tar:
                add(tar)


@pytest.mark.parametrize(("kind", "magic", "suffix", "content_type"), [
    ("zstd", ZSTD_MAGIC, ".tar.zst", "application/zstd"),
    ("gzip", GZIP_MAGIC, ".tar.gz", "application/gzip"),
])
def test_a_backup_is_written_as_the_setting_says_and_restores(
        settings, client, user, blog, kind, magic, suffix, content_type):  # noqa: F811
    settings.BACKUP_COMPRESSION = kind
    from apps.backups import services

    backup = services.create_backup(blog, report=lambda *a: None)
    path = backup.archive_path
    assert path.name == f"{backup.id}{suffix}" and path.read_bytes()[:len(magic)] == magic
    assert backup.backup_filename.endswith(suffix)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == backup.checksum

    client.force_login(user)
    response = client.get(f"/gui/backups/{backup.pk}/download/")
    assert response["Content-Type"] == content_type
    assert backup.backup_filename in response["Content-Disposition"]

    _index(blog).write_text("<?php echo 'changed';")
    task = _restore(backup)
    assert task.status == "completed", task.message
    assert _index(blog).read_text() == "<?php echo 'live';"


def test_an_old_targz_backup_still_restores_and_deletes_after_the_switch_to_zstd(
        settings, blog):  # noqa: F811
    from apps.backups import services

    settings.BACKUP_COMPRESSION = "gzip"
    old = services.create_backup(blog, report=lambda *a: None)
    settings.BACKUP_COMPRESSION = "zstd"
    _index(blog).write_text("<?php echo 'second';")
    new = services.create_backup(blog, report=lambda *a: None)
    assert old.archive_path.suffix == ".gz" and new.archive_path.suffix == ".zst"

    task = _restore(old)
    assert task.status == "completed", task.message
    assert _index(blog).read_text() == "<?php echo 'live';"
    task = _restore(new)
    assert task.status == "completed", task.message
    assert _index(blog).read_text() == "<?php echo 'second';"
    services.delete_backup(old)
    assert not old.archive_path.exists() and new.archive_path.exists()


@pytest.mark.parametrize(("kind", "suffix"), [("zstd", ".tar.zst"), ("gzip", ".tar.gz"),
                                              ("plain", ".tar")])
def test_importbackup_reads_every_format_whatever_its_name(
        blog, backup_dir, kind, suffix):  # noqa: F811
    from apps.backups.services import import_backup

    root = Path(blog.website.path)
    _upload(root / "upload.bin", kind, blog.id,
            {"files/index.php": b"<?php echo 'imported';"})
    backup = import_backup(blog.account, "upload.bin")
    assert backup.archive_path.name == f"{backup.id}{suffix}"
    assert backup.archive_path.read_bytes() == (root / "upload.bin").read_bytes()
    assert backup.checksum == hashlib.sha256(backup.archive_path.read_bytes()).hexdigest()
    assert backup.list_files == ["index.php"] and backup.backup_filename.endswith(suffix)
    task = _restore(backup)
    assert task.status == "completed", task.message
    assert _index(blog).read_text() == "<?php echo 'imported';"


def test_a_zstd_backup_cut_anywhere_is_refused_before_anything_changes(
        settings, blog, backup_dir):  # noqa: F811
    from apps.backups import services
    from apps.backups.archive import verify_archive
    from apps.backups.errors import BackupError
    from apps.backups.models import Backup

    settings.BACKUP_COMPRESSION = "zstd"
    (Path(blog.website.path) / blog.path / "data.bin").write_bytes(
        bytes(range(256)) * 4096 + b"text " * 100_000)
    blog.list_files = ["data.bin", "index.php"]
    blog.save()
    backup = services.create_backup(blog, report=lambda *a: None)
    data = backup.archive_path.read_bytes()
    cut = backup.archive_path.with_name("cut.tar.zst")
    # Inside a block, at the frame's end (its checksum, its last block) and right after
    # the frame header: zstandard's own readers accept every one of these silently.
    for size in [len(data) // 2, 20, *range(len(data) - 40, len(data))]:
        cut.write_bytes(data[:size])
        with pytest.raises(BackupError) as caught:
            verify_archive(cut)
        assert caught.value.errcode == "failed_backup_invalid", size
    cut.unlink()
    verify_archive(backup.archive_path, backup.checksum)  # the whole one is fine

    # Through a restore: the task fails and the site stays as it is.
    backup.archive_path.write_bytes(data[:-4])
    backup.checksum = hashlib.sha256(data[:-4]).hexdigest()
    backup.save(update_fields=["checksum"])
    _index(blog).write_text("<?php echo 'live now';")
    root = Path(blog.website.path)
    before = listing(root)
    task = _restore(backup)
    assert task.status == "failed" and task.errcode == "failed_backup_invalid", task.message
    assert listing(root) == before
    assert _index(blog).read_text() == "<?php echo 'live now';"

    # Through importbackup: refused, and nothing is kept.
    (root / "cut.tar.zst").write_bytes(data[:-4])
    with pytest.raises(BackupError) as caught:
        services.import_backup(blog.account, "cut.tar.zst")
    assert caught.value.errcode == "failed_backup_invalid"
    assert Backup.objects.count() == 1
    assert sorted(p.name for p in (backup_dir / blog.account.username).iterdir()) == \
        [backup.archive_path.name]


@pytest.mark.parametrize("kind", ["zstd", "gzip"])
def test_a_bomb_is_refused_by_the_unpacked_limit_and_nothing_is_kept(settings, user,
                                                                    backup_dir, kind):
    from apps.backups.errors import BackupError
    from apps.backups.models import Backup
    from apps.backups.services import import_backup

    settings.BACKUP_MAX_UNPACKED = 64 * 1024 * 1024
    root = Path(user.websites.get().path)
    _upload(root / "bomb.tar", kind, "x", {"files/index.php": b"<?php echo 1;",
                                           "files/zeros.bin": 256 * 1024 * 1024})
    assert (root / "bomb.tar").stat().st_size < 1024 * 1024  # 256 MB of zeros, squeezed
    with pytest.raises(BackupError) as caught:
        import_backup(user, "bomb.tar")
    assert caught.value.errcode == "failed_backup_invalid"
    assert "too large once unpacked" in caught.value.message
    assert not Backup.objects.exists()
    assert not [p for p in backup_dir.rglob("*") if p.is_file()]


class _Dropping:
    """A transport whose get_tree sends whole members, then its connection drops (before
    the tar's end, so what arrived reads as a complete shorter tar)."""

    def __init__(self, members: int, size: int = 1024, *, same_machine: bool = True):
        self.members, self.size = members, size
        self.same_machine = same_machine

    def get_tree(self, rel, out, *, exclude=None):
        from apps.transports.base import TransportError

        for n in range(self.members):
            info = tarfile.TarInfo(f"f{n}")
            info.size = self.size
            out.write(info.tobuf(format=tarfile.PAX_FORMAT) + bytes(self.size)
                      + bytes(-self.size % tarfile.BLOCKSIZE))
        raise TransportError("The connection dropped.")


@pytest.mark.parametrize("same_machine", [True, False], ids=["piped", "stored"])
def test_a_get_tree_cut_between_members_fails_the_backup_with_its_own_error(same_machine,
                                                                           tmp_path):
    from apps.backups.archive import add_files, tree_stream
    from apps.transports.base import TransportError
    from installatron_gui.lib.compression import tar_writer

    with pytest.raises(TransportError, match="dropped"), \
            tree_stream(_Dropping(3, same_machine=same_machine), "", [], tmp_path) as raw, io.BytesIO() as out, \
            tar_writer(out, "zstd") as tar:
        add_files(tar, raw)


def test_a_reader_that_fails_stops_get_tree_instead_of_hanging(tmp_path):
    from apps.backups.archive import tree_stream

    with pytest.raises(ValueError, match="reader"), \
            tree_stream(_Dropping(64, 1 << 20), "", [], tmp_path) as raw:
        raw.read(1000)
        raise ValueError("the reader gave up")


def test_a_website_on_this_machine_gives_the_same_files_walked_directly_as_through_its_tar(
        tmp_path):
    """The backup takes a local website's files straight from the folder walk
    (tree_members); it must hold exactly what the get_tree stream would have given."""
    import os

    from apps.backups.archive import add_files, add_members, tree_members
    from apps.transports.local import LocalTransport
    from installatron_gui.lib.compression import tar_writer

    site = tmp_path / "site" / "blog"
    (site / "wp-content" / "uploads").mkdir(parents=True)
    (site / "index.php").write_text("<?php echo 1;")
    (site / "wp-content" / "uploads" / "a.jpg").write_bytes(os.urandom(5000))
    (site / "secret.php").write_text("<?php")
    os.chmod(site / "secret.php", 0o4755)
    (site / "link").symlink_to("/etc/passwd")
    (site / "other").mkdir()
    transport = LocalTransport(str(tmp_path / "site"))

    def contents(data: bytes) -> list:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            return [(m.name, m.type, m.mode, m.uid, m.size,
                     tar.extractfile(m).read() if m.isreg() else None) for m in tar]

    direct, streamed = io.BytesIO(), io.BytesIO()
    with tar_writer(direct, "zstd") as tar, \
            tree_members(transport, "blog", ["other"], tmp_path) as members:
        assert not isinstance(members, tarfile.TarFile)
        first = add_members(tar, members)
    with tar_writer(streamed, "zstd") as tar:
        raw = io.BytesIO()
        transport.get_tree("blog", raw, exclude=["other"])
        raw.seek(0)
        second = add_files(tar, raw)
    assert first == second == (["index.php", "link", "secret.php", "wp-content"], ["link"])
    import zstandard

    unpack = zstandard.ZstdDecompressor().decompressobj
    listed = contents(unpack().decompress(direct.getvalue()))
    assert listed == contents(unpack().decompress(streamed.getvalue()))
    assert ("files/secret.php", tarfile.REGTYPE, 0o755, 0, 5, b"<?php") in listed
