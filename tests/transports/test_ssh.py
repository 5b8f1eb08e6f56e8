"""SshTransport (SFTP for files, a shell for run and tar streams) against real OpenSSH."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile

import pytest

from apps.transports.base import open_transport
from apps.transports.ssh import command_line
from tests.transports.test_sftp import (
    check_every_method,
    count_files,
    errcode_of,
    kill_sshd_sessions_when,
    put_small_tree,
    snapshot,
    staged_files,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_method_over_ssh(known_sshd, remote_site):
    with open_transport(known_sshd.url("ssh", remote_site)) as t:
        assert t.has_shell
        check_every_method(t, remote_site)


def test_run_quotes_every_argument(known_sshd, remote_site):
    hostile = ["a b", "$(touch pwned)", "`id`", "x;touch pwned2", "'q\"", "*", ""]
    with open_transport(known_sshd.url("ssh", remote_site)) as t:
        status, out, err = t.run(["printf", "%s|", *hostile])
        assert (status, out) == (0, ("|".join(hostile) + "|").encode()), err
        assert t.run(["pwd"])[1].strip() == str(remote_site).encode()
        t.mkdir("sub dir")
        assert t.run(["pwd"], cwd="sub dir")[1].strip() == f"{remote_site}/sub dir".encode()
        assert t.run(["cat"], stdin=b"piped \x00 bytes" * 1000)[1] == b"piped \x00 bytes" * 1000
        assert t.run(["sh", "-c", "echo oops >&2; exit 3"])[0::2] == (3, b"oops\n")
        assert t.run(["id", "-un"])[1].strip() == known_sshd.user.encode()
    assert not [n for n in os.listdir(remote_site) if n.startswith("pwned")]
    assert command_line(["a b"], cwd="/x y") == "cd -- '/x y' && exec 'a b'"


def test_put_tree_of_wordpress_as_one_tar_stream(known_sshd, remote_site, wordpress_archive):
    archive = wordpress_archive.store / wordpress_archive.archive
    with open_transport(known_sshd.url("ssh", remote_site)) as t:
        tops = t.put_tree(archive, "blog")
        assert tops == t.listdir("blog")
        buf = io.BytesIO()
        t.get_tree("blog", buf, exclude=["wp-content/themes"])
    assert count_files(remote_site / "blog") == wordpress_archive.files
    assert (remote_site / "blog/wp-login.php").stat().st_uid == known_sshd.uid
    buf.seek(0)
    with tarfile.open(fileobj=buf) as tar:
        files = [m.name for m in tar if m.isfile()]
    themes = count_files(remote_site / "blog/wp-content/themes")
    assert themes > 0 and len(files) == wordpress_archive.files - themes
    assert not any(n.startswith("wp-content/themes") for n in files)


def test_put_tree_refuses_clashes_and_permission(known_sshd, remote_site, tmp_path):
    archive = put_small_tree(tmp_path)
    locked = remote_site / "locked"
    locked.mkdir()
    with open_transport(known_sshd.url("ssh", remote_site)) as t:
        assert errcode_of(lambda: t.put_tree(archive, "locked")).errcode \
            == "failed_filesystem_permission"
        assert t.put_tree(archive, "") == ["app", "top.txt"]
        assert errcode_of(lambda: t.put_tree(archive, "")).errcode == "failed_filesystem_exists"
    assert os.listdir(locked) == []


def test_a_full_disk_during_the_tar_stream_is_a_quota_error(known_sshd, remote_site,
                                                            wordpress_archive):
    full = remote_site / "small"
    full.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(full)],
                   check=True)
    try:
        os.chown(full, known_sshd.uid, known_sshd.gid)
        with open_transport(known_sshd.url("ssh", remote_site)) as t:
            err = errcode_of(lambda: t.put_tree(
                wordpress_archive.store / wordpress_archive.archive, "small"))
        assert err.errcode == "failed_filesystem_quota", err.message
        assert os.listdir(full) == []
    finally:
        subprocess.run(["umount", "-l", str(full)], check=True)


def test_a_connection_cut_mid_tar_stream_leaves_the_target_as_it_was(known_sshd, remote_site,
                                                                     wordpress_archive):
    (remote_site / "keep.txt").write_bytes(b"keep")
    before = snapshot(remote_site)
    watcher = kill_sshd_sessions_when(known_sshd, lambda: staged_files(remote_site) > 300)
    with open_transport(known_sshd.url("ssh", remote_site)) as t:
        err = errcode_of(lambda: t.put_tree(
            wordpress_archive.store / wordpress_archive.archive, ""))
    watcher.join()
    assert watcher.killed, "the connection was never cut"
    assert err.errcode == "failed_filesystem_host", err.message
    assert known_sshd.password not in err.message
    assert snapshot(remote_site) == before
