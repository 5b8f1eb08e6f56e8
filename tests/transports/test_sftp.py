"""SftpTransport against a real OpenSSH server on loopback (tests/fixtures/remote.py).

``check_every_method`` is the transport contract; test_ssh and test_ftp run it too.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import tarfile
import threading
import time
from pathlib import Path

import pytest

from apps.transports.base import TransportError, open_transport
from apps.transports.models import KnownHost

pytestmark = pytest.mark.django_db(transaction=True)


def count_files(root: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(root))


def snapshot(root: Path) -> dict:
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            state[str(path.relative_to(root))] = (
                "dir" if path.is_dir() and not path.is_symlink() else path.read_bytes()
                if path.is_file() else "link")
    return state


def errcode_of(call) -> TransportError:
    with pytest.raises(TransportError) as info:
        call()
    return info.value


def check_every_method(t, local: Path) -> None:
    """Every Transport method on a website whose folder is ``local`` on this machine."""
    assert t.listdir("") == []
    assert t.exists("") and t.is_dir("")
    t.write("a/b/c.txt", b"hello")
    assert (local / "a/b/c.txt").read_bytes() == b"hello"
    assert t.read("a/b/c.txt") == b"hello"
    assert t.exists("a/b/c.txt") and not t.is_dir("a/b/c.txt") and t.is_dir("a/b")
    assert not t.exists("a/nope") and not t.is_dir("a/nope")
    # atomic overwrite leaves no temporary file behind
    t.write("a/b/c.txt", b"world!", mode=0o600)
    assert t.read("a/b/c.txt") == b"world!"
    assert t.listdir("a/b") == ["c.txt"]
    assert t.mkdir("x/y") == ["x", "x/y"]
    assert t.mkdir("x/y") == []
    assert (local / "x/y").is_dir()
    t.write("x/y/z.bin", bytes(range(256)) * 300)
    assert t.size("x/y/z.bin") == 76800
    assert t.size("x") == 76800 and t.size("a") == 6
    assert sorted(t.walk("")) == ["a/b/c.txt", "x/y/z.bin"]
    assert sorted(t.walk("x")) == ["x/y/z.bin"]
    t.rename("a/b/c.txt", "d.txt")
    assert t.read("d.txt") == b"world!" and not t.exists("a/b/c.txt")
    assert errcode_of(lambda: t.rename("x", "d.txt")).errcode == "failed_filesystem_exists"
    buf = io.BytesIO()
    t.get_tree("", buf, exclude=["x/y"])
    buf.seek(0)
    with tarfile.open(fileobj=buf) as tar:
        names = {m.name.rstrip("/") for m in tar}
        assert {"d.txt", "a", "a/b", "x"} <= names and "x/y/z.bin" not in names
        assert tar.extractfile("d.txt").read() == b"world!"
    buf = io.BytesIO()
    t.get_tree("x", buf)
    buf.seek(0)
    with tarfile.open(fileobj=buf) as tar:
        assert tar.extractfile("y/z.bin").read() == bytes(range(256)) * 300
    # Streams: a file object written in chunks (atomic too), and read into a file object.
    big = os.urandom(3 * 1024 * 1024 + 17)
    t.write("x/stream.bin", io.BytesIO(big), mode=0o600)
    assert (local / "x/stream.bin").read_bytes() == big
    out = io.BytesIO()
    assert t.read_to("x/stream.bin", out) == len(big) and out.getvalue() == big
    assert [n for n in os.listdir(local / "x") if n.endswith(".tmp")] == []
    t.remove("x")
    t.remove("x")  # missing is fine
    assert not (local / "x").exists()
    assert errcode_of(lambda: t.read("x/y/z.bin")).errcode == "failed_filesystem_missing"
    for bad in ("../escape", "/etc/passwd", "a/../../b"):
        assert errcode_of(lambda bad=bad: t.read(bad)).errcode == "invalid_argument_path"
        assert errcode_of(lambda bad=bad: t.write(bad, b"x")).errcode == "invalid_argument_path"
    assert sorted(t.listdir("")) == ["a", "d.txt"]


def put_small_tree(tmp_path: Path) -> Path:
    archive = tmp_path / "pkg.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in (("app/index.php", b"<?php echo 1;"), ("app/sub/x.txt", b"x"),
                           ("top.txt", b"top")):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return archive


# --------------------------------------------------------------------------- basics


def test_every_method_over_sftp(known_sshd, remote_site):
    with open_transport(known_sshd.url("sftp", remote_site)) as t:
        check_every_method(t, remote_site)
    # files belong to the website's user, not to us
    assert (remote_site / "d.txt").stat().st_uid == known_sshd.uid


def test_credentials_are_url_decoded_exactly_once(known_sshd, remote_site):
    # '%41' in the password is literal: decoding twice would send 'A' and fail the login.
    assert "%2541" in known_sshd.url("sftp", remote_site)
    with open_transport(known_sshd.url("sftp", remote_site)) as t:
        assert t.listdir("") == []


def test_put_tree_of_wordpress_over_sftp_is_pipelined_and_complete(known_sshd, remote_site,
                                                                    wordpress_archive):
    archive = wordpress_archive.store / wordpress_archive.archive
    with open_transport(known_sshd.url("sftp", remote_site)) as t:
        t.write("keep.txt", b"mine")
        start = time.monotonic()
        tops = t.put_tree(archive, "")
        elapsed = time.monotonic() - start
        assert tops == sorted(n for n in t.listdir("") if n != "keep.txt")
        assert "wp-includes" in tops and "index.php" in tops
    assert count_files(remote_site) == wordpress_archive.files + 1
    assert not [n for n in os.listdir(remote_site) if n.startswith(".itron")]
    assert (remote_site / "wp-includes/version.php").stat().st_uid == known_sshd.uid
    # one blocking round trip per file measured 16-17 s here (note, section 3.1)
    assert elapsed < 60


def test_put_tree_refuses_existing_names_and_leaves_them(known_sshd, remote_site, tmp_path):
    archive = put_small_tree(tmp_path)
    (remote_site / "top.txt").write_bytes(b"theirs")
    with open_transport(known_sshd.url("sftp", remote_site)) as t:
        err = errcode_of(lambda: t.put_tree(archive, ""))
        assert err.errcode == "failed_filesystem_exists"
        assert t.put_tree(archive, "sub/dir") == ["app", "top.txt"]
        assert t.read("sub/dir/app/sub/x.txt") == b"x"
    assert (remote_site / "top.txt").read_bytes() == b"theirs"
    assert sorted(os.listdir(remote_site)) == ["sub", "top.txt"]


def test_remove_does_not_follow_symlinks(known_sshd, remote_site, tmp_path):
    outside = known_sshd.home / "outside-keep"
    outside.mkdir(exist_ok=True)
    (outside / "precious.txt").write_bytes(b"keep")
    (remote_site / "tree").mkdir()
    (remote_site / "tree/link").symlink_to(outside)
    (remote_site / "toplink").symlink_to(outside)
    for path in ("tree", "tree/link", "toplink"):
        os.lchown(remote_site / path, known_sshd.uid, known_sshd.gid)
    with open_transport(known_sshd.url("sftp", remote_site)) as t:
        t.remove("toplink")
        t.remove("tree")
    assert (outside / "precious.txt").read_bytes() == b"keep"
    assert os.listdir(remote_site) == []


# --------------------------------------------------------------------------- host keys


def test_unknown_host_key_is_refused_with_its_fingerprint(db, sshd, remote_site):
    err = errcode_of(lambda: open_transport(sshd.url("sftp", remote_site)).__enter__())
    assert err.errcode == "failed_filesystem_hostkey"
    assert "SHA256:" in err.message and sshd.password not in err.message
    assert not KnownHost.objects.exists()


def test_first_use_trust_records_the_key_when_allowed(db, sshd, remote_site, settings):
    settings.SSH_TRUST_FIRST_USE = True
    with open_transport(sshd.url("sftp", remote_site)) as t:
        t.listdir("")
    row = KnownHost.objects.get(port=sshd.port)
    assert row.key_type == "ssh-ed25519"
    assert row.key_base64 == sshd.host_key_pub.read_text().split()[1]


def test_a_website_may_allow_first_use_or_pin_the_fingerprint(db, sshd, remote_site):
    with open_transport(sshd.url("sftp", remote_site), trust_host_key="first-use") as t:
        t.listdir("")
    fp = KnownHost.objects.get(port=sshd.port).fingerprint
    KnownHost.objects.all().delete()
    wrong = "SHA256:" + "A" * 43
    err = errcode_of(lambda: open_transport(sshd.url("sftp", remote_site),
                                            trust_host_key=wrong).__enter__())
    assert err.errcode == "failed_filesystem_hostkey" and fp in err.message
    with open_transport(sshd.url("sftp", remote_site), trust_host_key=fp) as t:
        t.listdir("")
    assert KnownHost.objects.get(port=sshd.port).fingerprint == fp


def test_a_changed_host_key_fails_before_any_password_is_sent(db, sshd, remote_site, settings):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    other = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode().split()
    KnownHost.objects.create(host="127.0.0.1", port=sshd.port, key_type=other[0],
                             key_base64=other[1], fingerprint="SHA256:old")
    settings.SSH_TRUST_FIRST_USE = True  # even so: a changed key is never trusted
    before = len(sshd.log_text())
    for trust in (None, "first-use"):
        err = errcode_of(lambda trust=trust: open_transport(
            sshd.url("sftp", remote_site), trust_host_key=trust).__enter__())
        assert err.errcode == "failed_filesystem_hostkey"
        assert "CHANGED" in err.message and sshd.password not in err.message
    time.sleep(0.5)
    new_log = sshd.log_text()[before:]
    assert "Connection from 127.0.0.1" in new_log or "Connection closed" in new_log, new_log
    assert "password for" not in new_log and "Accepted" not in new_log, new_log
    assert KnownHost.objects.get(port=sshd.port).key_base64 == other[1]


# --------------------------------------------------------------------------- faults


def test_connection_refused_is_a_host_error(db, settings):
    from tests.fixtures.services import free_port

    port = free_port()
    # A website path the panel gave (trusted): the detail stays; owners' addresses get
    # one generic text (tests/security/test_outbound.py).
    err = errcode_of(lambda: open_transport(f"sftp://u:S3cr3t-pw@127.0.0.1:{port}/x",
                                            attempts=2, trusted=True).__enter__())
    assert err.errcode == "failed_filesystem_host" and "refused" in err.message
    assert "S3cr3t-pw" not in err.message


def test_a_stalled_server_times_out_as_a_host_error(db):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts at the TCP level, never says a word
    port = listener.getsockname()[1]
    try:
        start = time.monotonic()
        err = errcode_of(lambda: open_transport(f"sftp://u:S3cr3t-pw@127.0.0.1:{port}/x",
                                                timeout=1, attempts=2).__enter__())
        assert time.monotonic() - start < 15
    finally:
        listener.close()
    assert err.errcode == "failed_filesystem_host" and "S3cr3t-pw" not in err.message


def test_a_wrong_password_is_a_login_error_without_the_password(known_sshd, remote_site):
    bad = "Wr0ng-p@ss%41"
    err = errcode_of(lambda: open_transport(known_sshd.url("sftp", remote_site, password=bad))
                     .__enter__())
    assert err.errcode == "failed_filesystem_login"
    assert bad not in err.message and "Wr0ng" not in err.message


def test_permission_denied_is_reported(known_sshd, remote_site):
    locked = remote_site / "locked"
    locked.mkdir()
    os.chown(locked, 0, 0)
    locked.chmod(0o755)
    with open_transport(known_sshd.url("sftp", remote_site)) as t:
        err = errcode_of(lambda: t.write("locked/a.txt", b"x"))
        assert err.errcode == "failed_filesystem_permission"
        err = errcode_of(lambda: t.mkdir("locked/sub"))
        assert err.errcode == "failed_filesystem_permission"
    assert os.listdir(locked) == []


def test_a_full_disk_is_a_quota_error(known_sshd, remote_site, tmp_path):
    import subprocess

    full = remote_site / "small"
    full.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(full)],
                   check=True)
    try:
        os.chown(full, known_sshd.uid, known_sshd.gid)
        with open_transport(known_sshd.url("sftp", remote_site)) as t:
            err = errcode_of(lambda: t.write("small/big.bin", os.urandom(512 * 1024)))
            assert err.errcode == "failed_filesystem_quota"
            assert [n for n in os.listdir(full) if n.endswith(".tmp")] == []
            # Streamed with many WRITEs in flight: the error of one of them is not lost.
            err = errcode_of(lambda: t.write("small/big.bin",
                                             io.BytesIO(os.urandom(2 * 1024 * 1024))))
            assert err.errcode == "failed_filesystem_quota"
            assert os.listdir(full) == []
    finally:
        subprocess.run(["umount", "-l", str(full)], check=True)


def kill_sshd_sessions_when(sshd, condition, timeout=60.0) -> threading.Thread:
    """Cut every SSH connection (kill sshd's per-connection children) once
    ``condition()`` is true: a real connection dropped halfway."""

    def watch():
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                ready = condition()
            except OSError:  # a folder vanished while we looked
                ready = False
            if ready:
                for pid in sshd.children():
                    try:
                        os.kill(pid, 9)
                        thread.killed.append(pid)
                    except ProcessLookupError:
                        pass
                return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.killed = []
    thread.start()
    return thread


def staged_files(site: Path) -> int:
    return sum(count_files(site / n) for n in os.listdir(site) if n.startswith(".itron-unpack"))


def test_a_connection_cut_mid_put_tree_leaves_the_target_as_it_was(known_sshd, remote_site,
                                                                   wordpress_archive):
    archive = wordpress_archive.store / wordpress_archive.archive
    (remote_site / "index.php").write_bytes(b"")  # not a clash: we target a sub folder
    (remote_site / "blog").mkdir()
    (remote_site / "blog/keep.txt").write_bytes(b"keep")
    os.chown(remote_site / "blog", known_sshd.uid, known_sshd.gid)
    before = snapshot(remote_site)
    watcher = kill_sshd_sessions_when(known_sshd,
                                      lambda: staged_files(remote_site / "blog") > 500)
    with open_transport(known_sshd.url("sftp", remote_site)) as t:
        err = errcode_of(lambda: t.put_tree(archive, "blog"))
    watcher.join()
    assert watcher.killed, "the connection was never cut"
    assert err.errcode == "failed_filesystem_host", err.message
    assert known_sshd.password not in err.message
    assert snapshot(remote_site) == before


def test_the_hostkeys_command_confirms_a_key_by_its_fingerprint_and_forgets_it(db, sshd):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    shown = subprocess.run(["ssh-keygen", "-lf", str(sshd.host_key_pub)], capture_output=True,
                           text=True, check=True).stdout.split()[1]
    where = f"127.0.0.1:{sshd.port}"
    with pytest.raises(CommandError, match="nothing was recorded"):
        call_command("hostkeys", "trust", where, "SHA256:" + "A" * 43)
    assert not KnownHost.objects.exists()
    out = io.StringIO()
    call_command("hostkeys", "trust", where, shown, stdout=out)
    assert out.getvalue().strip() == f"{where} {shown} is trusted"
    with open_transport(sshd.url("sftp", sshd.home)) as t:  # now known: connects
        assert t.is_dir("")
    out = io.StringIO()
    call_command("hostkeys", stdout=out)
    assert out.getvalue() == f"{where}\tssh-ed25519\t{shown}\n"
    call_command("hostkeys", "forget", where, stdout=io.StringIO())
    assert not KnownHost.objects.exists()
