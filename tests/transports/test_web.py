"""put_tree/get_tree through the website's own PHP (apps/transports/web.py) against a real
pyftpdlib server or the real OpenSSH server, with ``php -S`` serving the same folder."""

from __future__ import annotations

import io
import logging
import os
import secrets
import shutil
import tarfile
import threading
import time
from pathlib import Path

import pytest

from apps.transports.base import TransportError, open_transport
from apps.transports.web import NotServed, call_script, read_unpack, script_text
from tests.fixtures.processes import free_port, stop_group
from tests.fixtures.servers import start_php
from tests.transports.test_sftp import count_files, put_small_tree, snapshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def php():
    """``start(docroot, user=None)`` -> base URL of php -S serving that folder."""
    started = []

    def start(docroot: Path, user: str | None = None) -> str:
        proc, port = start_php(docroot, user=user)
        started.append(proc)
        start.procs = started
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in started:
        stop_group(proc)


@pytest.fixture
def site(ftpd):
    path = ftpd.root / "site"
    path.mkdir()
    return path


def commands(server, verb: str) -> int:
    """How many ``verb`` commands pyftpdlib logged so far."""
    return server.log.read_text(errors="replace").count(f" {verb} ")


def tree_of(buf: io.BytesIO) -> dict:
    buf.seek(0)
    found = {}
    with tarfile.open(fileobj=buf) as tar:
        for m in tar:
            found[m.name.rstrip("/")] = tar.extractfile(m).read() if m.isreg() else m.type
    return found


def local_tree(root: Path) -> dict:
    found = {}
    for path in root.rglob("*"):
        rel = str(path.relative_to(root))
        found[rel] = path.read_bytes() if path.is_file() else tarfile.DIRTYPE
    return found


@pytest.mark.parametrize("scheme", ["ftp", "ftps"])
def test_ftp_put_and_get_tree_go_through_php(ftpd, site, php, wordpress_archive, caplog,
                                             scheme, settings):
    settings.WEB_ARCHIVE_PLAIN_HTTP = True  # php -S has no TLS
    caplog.set_level(logging.INFO, logger="apps.transports.web")
    archive = wordpress_archive.store / wordpress_archive.archive
    base = php(site)
    (site / "keep.txt").write_text("mine")
    stors = commands(ftpd, "STOR")
    with open_transport(ftpd.url(scheme, "/site"), vhosts={base: ""}) as t:
        tops = t.put_tree(archive, "blog")
        assert tops == sorted(os.listdir(site / "blog"))
        assert commands(ftpd, "STOR") - stors == 3  # index.html, the archive, the script
        assert count_files(site / "blog") == wordpress_archive.files
        assert "unpacked by the website's PHP" in caplog.text
        assert sorted(os.listdir(site)) == ["blog", "keep.txt"]  # stage and script gone
        assert os.stat(site / "blog/index.php").st_mode & 0o777 == 0o644
        retrs = commands(ftpd, "RETR")
        buf = io.BytesIO()
        t.get_tree("blog", buf, exclude=["wp-content/themes"])
        assert commands(ftpd, "RETR") == retrs  # no file read over FTP
    expected = {k: v for k, v in local_tree(site / "blog").items()
                if not k.startswith("wp-content/themes")}
    assert tree_of(buf) == expected
    assert sorted(os.listdir(site)) == ["blog", "keep.txt"]
    assert (site / "keep.txt").read_text() == "mine"


def test_a_vhost_whose_name_does_not_resolve_is_reached_at_vhost_ip(ftpd, site, php,
                                                                   caplog):
    """The website's vhost_ip is dialled (Host header and URL keep the name)."""
    caplog.set_level(logging.INFO, logger="apps.transports.web")
    port = php(site).rsplit(":", 1)[1]
    vhosts = {f"http://blog.example.invalid:{port}": "", "ftp://x.invalid": ""}
    with open_transport(ftpd.url("ftp", "/site"), vhosts=vhosts, vhost_ip="127.0.0.1") as t:
        assert t.put_tree(put_small_tree(site.parent), "app") == ["app", "top.txt"]
    assert (site / "app/app/sub/x.txt").read_bytes() == b"x"
    assert "unpacked by the website's PHP" in caplog.text
    caplog.clear()
    with open_transport(ftpd.url("ftp", "/site"), vhosts=vhosts) as t:  # no pinning: DNS
        t.put_tree(put_small_tree(site.parent), "other")
    assert "cannot be reached" in caplog.text and (site / "other/top.txt").exists()


def test_falls_back_when_php_does_not_serve_this_folder(ftpd, site, php, wordpress_archive,
                                                       caplog, tmp_path):
    caplog.set_level(logging.INFO, logger="apps.transports.web")
    archive = wordpress_archive.store / wordpress_archive.archive
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    nobody = f"http://127.0.0.1:{free_port()}"
    for n, vhosts in enumerate([{php(elsewhere): ""}, {nobody: ""},
                                {"https://example.invalid": "public_html"}]):
        stors = commands(ftpd, "STOR")
        with open_transport(ftpd.url("ftp", "/site"), vhosts=vhosts) as t:
            t.put_tree(archive, f"blog{n}")
            assert commands(ftpd, "STOR") - stors >= wordpress_archive.files
            buf = io.BytesIO()
            t.get_tree(f"blog{n}", buf)
        assert tree_of(buf) == local_tree(site / f"blog{n}")
        assert "copying file by file" in caplog.text and "reading file by file" in caplog.text
        assert not [p for p in os.listdir(site) if "itron" in p]
        assert not [p for p in site.rglob("*") if "itron-web" in str(p)]
        caplog.clear()
    assert os.listdir(elsewhere) == []


def test_a_cut_mid_unpack_leaves_the_site_as_it_was(ftpd, site, php, wordpress_archive):
    archive = wordpress_archive.store / wordpress_archive.archive
    base = php(site)
    (site / "keep.txt").write_text("mine")
    before = snapshot(site)
    errors: list[BaseException] = []
    cut = threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            outs = list(site.glob("blog/itron-web-*/out/*"))
            if outs:  # the unpacker is writing: kill the web server under it
                stop_group(php.procs[0])
                cut.set()
                return
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    with open_transport(ftpd.url("ftp", "/site"), vhosts={base: ""}) as t:
        try:
            t.put_tree(archive, "blog")
        except TransportError as exc:
            errors.append(exc)
    watcher.join()
    assert cut.is_set() and errors, "the unpacker was not cut"
    assert errors[0].errcode == "failed_filesystem_host"
    assert snapshot(site) == before


def make_archive(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> None:
    with tarfile.open(path, "w:gz", format=tarfile.GNU_FORMAT) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)


def member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, 0o644
    return info


def test_the_unpacker_refuses_unsafe_members_and_links(tmp_path, php):
    """webtar.php itself, called directly with crafted archives (the transports check
    every member before uploading, so only a direct call reaches these)."""
    root = tmp_path / "docroot"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    base = php(root)
    bad = {
        "parent": [(member("../evil.php"), b"<?php")],
        "deep parent": [(member("ok/../../evil.php"), b"<?php")],
        "absolute": [(member(str(outside / "abs.txt")), b"x")],
        "symlink": [(member("app", tarfile.SYMTYPE, str(outside)), None),
                    (member("app/evil.txt"), b"x")],
        "hard link": [(member("app/h", tarfile.LNKTYPE, "/etc/passwd"), None)],
        "device": [(member("app/dev", tarfile.CHRTYPE), None)],
        "fifo": [(member("app/fifo", tarfile.FIFOTYPE), None)],
        "setuid": [(member("app/x"), b"x")],
        "twice": [(member("app/x"), b"1"), (member("app/x"), b"2")],
    }
    bad["setuid"][0][0].mode = 0o4755
    for label, members in bad.items():
        stage = root / f"itron-web-{secrets.token_hex(4)}"
        stage.mkdir()
        token = secrets.token_urlsafe(16)
        make_archive(stage / "a.tar.gz", members)
        (stage / "s.php").write_bytes(script_text(token, "a.tar.gz"))
        conn, response = call_script(f"{base}/{stage.name}/s.php", token, "unpack")
        with pytest.raises(TransportError) as info:
            read_unpack(response)
        conn.close()
        assert "unsafe" in info.value.message or "twice" in info.value.message, label
        assert not (stage / "s.php").exists(), label  # deleted before doing anything
        assert sorted(os.listdir(stage)) == ["a.tar.gz"], label  # its work removed
        assert os.listdir(root) == [stage.name], label
        assert os.listdir(outside) == [], label
        assert not (tmp_path / "evil.php").exists(), label
        shutil.rmtree(stage)

    # A link planted where a top-level name goes is never written through.
    (root / "app").symlink_to(outside)
    stage = root / "itron-web-link"
    stage.mkdir()
    token = secrets.token_urlsafe(16)
    make_archive(stage / "a.tar.gz", [(member("app/x.txt"), b"x")])
    (stage / "s.php").write_bytes(script_text(token, "a.tar.gz"))
    conn, response = call_script(f"{base}/{stage.name}/s.php", token, "unpack")
    with pytest.raises(TransportError, match="already holds app"):
        read_unpack(response)
    conn.close()
    assert os.listdir(outside) == []

    # One time, and only with the token.
    with pytest.raises(NotServed, match="404"):
        call_script(f"{base}/{stage.name}/s.php", token, "unpack")
    (stage / "t.php").write_bytes(script_text(token, "a.tar.gz"))
    with pytest.raises(NotServed, match="404"):
        call_script(f"{base}/{stage.name}/t.php", token + "x", "unpack")
    assert (stage / "t.php").exists()


def test_sftp_uses_php_only_over_https_unless_allowed(known_sshd, remote_site, php,
                                                      wordpress_archive, caplog, settings):
    caplog.set_level(logging.INFO, logger="apps.transports.web")
    archive = wordpress_archive.store / wordpress_archive.archive
    base = php(remote_site, user=known_sshd.user)  # PHP runs as the website's user
    url = known_sshd.url("sftp", remote_site)
    with open_transport(url, vhosts={base: ""}) as t:
        t.put_tree(archive, "plain")  # an http:// vhost over sftp: not used
    assert "no vhost reaches 'plain'" in caplog.text
    caplog.clear()
    settings.WEB_ARCHIVE_PLAIN_HTTP = True
    with open_transport(url, vhosts={base: ""}) as t:
        t.put_tree(archive, "blog")
        assert "unpacked by the website's PHP" in caplog.text
        buf = io.BytesIO()
        t.get_tree("blog", buf)
    assert count_files(remote_site / "blog") == wordpress_archive.files
    assert tree_of(buf) == local_tree(remote_site / "blog")
    assert (remote_site / "blog/index.php").stat().st_uid == known_sshd.uid
    assert sorted(os.listdir(remote_site)) == ["blog", "plain"]


def test_php_as_another_user_falls_back(known_sshd, remote_site, php, wordpress_archive,
                                        caplog, settings):
    settings.WEB_ARCHIVE_PLAIN_HTTP = True
    caplog.set_level(logging.INFO, logger="apps.transports.web")
    archive = wordpress_archive.store / wordpress_archive.archive
    base = php(remote_site)  # as root: files it made would not be the user's
    with open_transport(known_sshd.url("sftp", remote_site), vhosts={base: ""}) as t:
        t.put_tree(archive, "blog")
    assert "runs as another user" in caplog.text
    assert count_files(remote_site / "blog") == wordpress_archive.files
    assert {p.stat().st_uid for p in (remote_site / "blog").rglob("*")} == {known_sshd.uid}
    assert os.listdir(remote_site) == ["blog"]
