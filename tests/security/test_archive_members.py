"""One rule decides whether a tar member may be unpacked (installatron_gui/lib/archives.py),
and every reader of archives asks it: the package store, put_tree's check, and backup
restore/import. Archives we write are published by rename, whole or not at all."""

from __future__ import annotations

import io
import json
import stat
import tarfile

import pytest

from installatron_gui.lib.archives import member_name, member_problem, written_atomically


def _member(name: str, kind: bytes = tarfile.REGTYPE, mode: int = 0o644,
            linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.linkname = kind, mode, linkname
    return info


# (member, why it is refused); None: it may be unpacked.
CASES = [
    (_member("index.php"), None),
    (_member("wp-admin/", tarfile.DIRTYPE, 0o755), None),
    (_member("./wp-admin/index.php"), None),
    (_member("/etc/cron.d/evil"), "has an unsafe name"),
    (_member("../escaped.php"), "has an unsafe name"),
    (_member("files/../../escaped.php"), "has an unsafe name"),
    (_member("a//b.php"), "has an unsafe name"),
    (_member("a/./b.php"), "has an unsafe name"),
    (_member("a\\b.php"), "has an unsafe name"),
    (_member("a\x00b.php"), "has an unsafe name"),
    (_member("link", tarfile.SYMTYPE, linkname="/etc/passwd"), "is a link or a special file"),
    (_member("link", tarfile.SYMTYPE, linkname="../../outside"), "is a link or a special file"),
    (_member("link", tarfile.SYMTYPE, linkname="index.php"), "is a link or a special file"),
    (_member("hard", tarfile.LNKTYPE, linkname="/etc/shadow"), "is a link or a special file"),
    (_member("null", tarfile.CHRTYPE), "is a link or a special file"),
    (_member("disk", tarfile.BLKTYPE), "is a link or a special file"),
    (_member("pipe", tarfile.FIFOTYPE), "is a link or a special file"),
    (_member("run.php", mode=0o4755), "has set-id bits"),
    (_member("run.php", mode=0o2755), "has set-id bits"),
    (_member("tmp/", tarfile.DIRTYPE, 0o1777), "has set-id bits"),
]


@pytest.mark.parametrize(("member", "problem"), CASES,
                         ids=[f"{m.name!r}-{m.type!r}-{m.mode:o}" for m, _ in CASES])
def test_the_one_rule(member, problem):
    assert member_problem(member) == (problem or "")


def test_names_are_made_plain_and_exact_refuses_a_leading_dot():
    assert member_name("./a/b/") == "a/b"
    assert member_name("./") == "" and member_name(".") == ""
    assert member_name("./a", exact=True) is None
    assert member_problem(_member("./a"), exact=True) == "has an unsafe name"


def _tar_gz(path, member: tarfile.TarInfo, extra: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, body in extra.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
        data = b"<?php" if member.isreg() else b""
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data) if data else None)


SETUID = _member("files/run.php", mode=0o4755)


@pytest.mark.django_db
def test_the_package_store_refuses_a_set_id_member(tmp_path):
    """The store's check had no set-id rule of its own; the shared one has."""
    from apps.catalog.errors import CatalogError
    from apps.catalog.services import check_archive

    path = tmp_path / "p.tar.gz"
    _tar_gz(path, _member("run.php", mode=0o4755), {"index.php": b"<?php"})
    with pytest.raises(CatalogError) as exc:
        check_archive(path, marker="index.php")
    assert "set-id" in exc.value.message
    path.unlink()
    _tar_gz(path, _member("run.php", mode=0o755), {"index.php": b"<?php"})
    assert check_archive(path, marker="index.php").files == 2


def test_put_trees_check_refuses_a_set_id_member_and_a_link(tmp_path):
    from apps.transports.base import TransportError
    from apps.transports.local import check_archive

    for bad in (_member("run.php", mode=0o4755),
                _member("l", tarfile.SYMTYPE, linkname="../../x")):
        path = tmp_path / "p.tar.gz"
        _tar_gz(path, bad, {"index.php": b"<?php"})
        with open(path, "rb") as fh, pytest.raises(TransportError):
            check_archive(fh)
        path.unlink()
    _tar_gz(path, _member("./sub/run.php", mode=0o755), {"index.php": b"<?php"})
    with open(path, "rb") as fh:
        assert check_archive(fh) == ["index.php", "sub"]


@pytest.mark.django_db
def test_a_backup_archive_with_a_set_id_member_is_refused(tmp_path):
    from apps.backups.archive import verify_archive
    from apps.backups.errors import BackupError

    meta = json.dumps({"format": 1, "install": {"installer": "wordpress"}}).encode()
    path = tmp_path / "b.tar.gz"
    _tar_gz(path, SETUID, {"installatron.json": meta, "files/index.php": b"<?php"})
    with pytest.raises(BackupError) as exc:
        verify_archive(path)
    assert exc.value.errcode == "failed_backup_invalid" and "set-id" in exc.value.message
    path.unlink()
    _tar_gz(path, _member("files/run.php", mode=0o755),
            {"installatron.json": meta, "files/index.php": b"<?php"})
    assert verify_archive(path).tops == ["index.php", "run.php"]


def test_an_archive_is_published_whole_or_not_at_all(tmp_path):
    final = tmp_path / "out.tar.gz"
    with pytest.raises(RuntimeError), written_atomically(final) as fh:
        fh.write(b"half of it")
        raise RuntimeError("cut short")
    assert list(tmp_path.iterdir()) == []  # no final name, no leftover part file

    with written_atomically(final) as fh:
        fh.write(b"all of it")
        assert not final.exists()  # nobody sees it before it is complete
    assert final.read_bytes() == b"all of it"
    assert stat.S_IMODE(final.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["out.tar.gz"]
