"""FtpTransport and FtpsTransport against a real pyftpdlib server on loopback.

The server's PASV replies advertise 203.0.113.9 (nothing there): every transfer in these
tests proves the client connects to the control connection's peer instead.
"""

from __future__ import annotations

import ftplib
import os
import ssl
import threading
import time

import pytest

from apps.transports.base import open_transport
from tests.fixtures.remote import BOGUS_PASV_ADDRESS, FTP_READER
from tests.transports.test_sftp import (
    check_every_method,
    count_files,
    errcode_of,
    put_small_tree,
    snapshot,
    staged_files,
)


@pytest.fixture
def site(ftpd):
    path = ftpd.root / "site"
    path.mkdir()
    return path


@pytest.mark.parametrize("scheme", ["ftp", "ftps"])
def test_every_method(ftpd, site, scheme):
    with open_transport(ftpd.url(scheme, "/site")) as t:
        check_every_method(t, site)


def test_every_method_on_a_server_without_mlsd(ftpd_factory, settings):
    server = ftpd_factory(mlsd=False)
    (server.root / "site").mkdir()
    with open_transport(server.url("ftp", "/site")) as t:
        check_every_method(t, server.root / "site")
        assert t._mlsd is False  # it really went through LIST


def test_get_tree_reads_ahead_in_parallel_and_copes_with_a_connection_limit(ftpd_factory,
                                                                            caplog):
    import io
    import logging
    import tarfile

    caplog.set_level(logging.INFO, logger="apps.transports.ftp")

    for per_ip in (0, 2):  # 2: the main connection and one more, then "421 too many"
        server = ftpd_factory(per_ip=per_ip)
        site = server.root / "site"
        for i in range(120):
            (site / f"d{i % 7}").mkdir(parents=True, exist_ok=True)
            (site / f"d{i % 7}" / f"f{i}.txt").write_bytes(f"file {i}\n".encode() * (i + 1))
        (site / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))
        out = io.BytesIO()
        with open_transport(server.url("ftp", "/site")) as t:
            t.get_tree("", out)
        out.seek(0)
        with tarfile.open(fileobj=out) as tar:
            files = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}
        expected = {str(p.relative_to(site)): p.read_bytes() for p in site.rglob("*")
                    if p.is_file()}
        assert files == expected, per_ip
        refused = "no extra FTP connection" in caplog.text
        assert refused == (per_ip == 2), caplog.text


def test_the_server_advertises_a_bogus_pasv_address(ftpd):
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", ftpd.port, timeout=10)
    ftp.login("webftp", ftpd.password)
    assert BOGUS_PASV_ADDRESS.replace(".", ",") in ftp.sendcmd("PASV")
    ftp.close()


def test_ftps_protects_the_data_connection_and_verifies_the_certificate(ftpd, site, settings):
    with open_transport(ftpd.url("ftps", "/site")) as t:
        assert isinstance(t.ftp.sock, ssl.SSLSocket) and t.ftp._prot_p
        t.write("a.txt", b"secret data")
    settings.FTPS_CA_FILE = ""  # the system CAs do not know our test certificate
    err = errcode_of(lambda: open_transport(ftpd.url("ftps", "/site"), attempts=1).__enter__())
    assert err.errcode == "failed_filesystem_host" and "certificate" in err.message
    assert ftpd.password not in err.message
    settings.FTPS_VERIFY_CERTIFICATE = False  # the administrator's explicit choice
    with open_transport(ftpd.url("ftps", "/site")) as t:
        assert t.read("a.txt") == b"secret data"


def test_put_tree_of_wordpress_over_parallel_connections(ftpd, site, wordpress_archive):
    archive = wordpress_archive.store / wordpress_archive.archive
    with open_transport(ftpd.url("ftp", "/site")) as t:
        tops = t.put_tree(archive, "blog")
        assert tops == t.listdir("blog")
    assert count_files(site / "blog") == wordpress_archive.files
    assert not [n for n in os.listdir(site / "blog") if n.startswith(".itron")]
    assert os.access(site / "blog/wp-login.php", os.R_OK)


def test_put_tree_refuses_existing_names(ftpd, site, tmp_path):
    archive = put_small_tree(tmp_path)
    (site / "app").mkdir()
    with open_transport(ftpd.url("ftps", "/site")) as t:
        assert errcode_of(lambda: t.put_tree(archive, "")).errcode == "failed_filesystem_exists"
    assert os.listdir(site) == ["app"] and os.listdir(site / "app") == []


def test_remove_does_not_follow_symlinks(ftpd, site):
    (site / "real").mkdir()
    (site / "real/keep.txt").write_bytes(b"keep")
    (site / "tree").mkdir()
    (site / "tree/link").symlink_to(site / "real")
    (site / "toplink").symlink_to(site / "real")
    with open_transport(ftpd.url("ftp", "/site")) as t:
        t.remove("toplink")
        t.remove("tree")
    assert sorted(os.listdir(site)) == ["real"]
    assert (site / "real/keep.txt").read_bytes() == b"keep"


def test_faults_are_clear_errors_without_passwords(ftpd, site):
    from tests.fixtures.services import free_port

    bad = "Wr0ng-p@ss%41"
    err = errcode_of(lambda: open_transport(ftpd.url("ftp", "/site", password=bad)).__enter__())
    assert err.errcode == "failed_filesystem_login" and "Wr0ng" not in err.message
    with open_transport(ftpd.url("ftp", "/site", user=FTP_READER,
                                 password=ftpd.reader_password)) as t:
        err = errcode_of(lambda: t.write("a.txt", b"x"))
        assert err.errcode == "failed_filesystem_permission"
        assert ftpd.reader_password not in err.message
    port = free_port()
    err = errcode_of(lambda: open_transport(f"ftp://u:S3cr3t@127.0.0.1:{port}/",
                                            attempts=2).__enter__())
    assert err.errcode == "failed_filesystem_host" and "S3cr3t" not in err.message
    assert os.listdir(site) == []


def test_a_server_closed_mid_put_tree_leaves_the_target_as_it_was(ftpd_factory, ftpd, site,
                                                                  wordpress_archive):
    (site / "keep.txt").write_bytes(b"keep")
    before = snapshot(site)
    restarted = []

    def cut():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if staged_files(site) > 300:
                    break
            except OSError:
                pass
            time.sleep(0.005)
        ftpd.stop()  # every connection drops mid-transfer
        restarted.append(ftpd_factory(like=ftpd))  # back up, so the cleanup can reconnect

    watcher = threading.Thread(target=cut, daemon=True)
    watcher.start()
    with open_transport(ftpd.url("ftp", "/site"), attempts=5) as t:
        err = errcode_of(lambda: t.put_tree(
            wordpress_archive.store / wordpress_archive.archive, ""))
    watcher.join()
    assert restarted, "the server was never closed"
    assert err.errcode == "failed_filesystem_host", err.message
    assert ftpd.password not in err.message
    assert snapshot(site) == before
