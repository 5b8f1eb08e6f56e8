"""Privilege separation (issue 15): as root, a local website's file work runs in an agent
with the website's uid/gid, so nothing its owner plants makes us read or write as root.
Each test performs what an owner could try and checks the kernel said no."""

from __future__ import annotations

import io
import os
import signal
import stat
import tarfile
from pathlib import Path

import pytest

from apps.transports.agent import OwnerTransport, _agent_home, local_transport
from apps.transports.base import TransportError, open_transport
from apps.transports.local import LocalTransport

WWW = 33  # www-data


@pytest.fixture
def site(tmp_path):
    """A website folder owned by www-data below root-only folders (pytest's tmp_path is
    0700: the owner could not reach it by path; the agent gets a descriptor)."""
    root = tmp_path / "home" / "site"
    (root / "public_html").mkdir(parents=True)
    for path in (root, root / "public_html"):
        os.chown(path, WWW, WWW)
    os.chmod(tmp_path / "home", 0o700)
    return root


def _status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def test_the_agent_runs_as_the_owner_with_no_groups_and_no_secrets(site, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "do-not-pass-me")
    with open_transport(str(site), uid=WWW, gid=WWW) as t:
        assert isinstance(t, OwnerTransport)
        t.write("public_html/index.php", b"<?php echo 1;")
        status = _status(t._proc.pid)
        environ = Path(f"/proc/{t._proc.pid}/environ").read_bytes()

    assert status["Uid"].split() == [str(WWW)] * 4
    assert status["Gid"].split() == [str(WWW)] * 4
    assert status["Groups"].strip() == ""
    assert b"do-not-pass-me" not in environ
    st = (site / "public_html" / "index.php").stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (WWW, WWW, 0o644)


def test_a_root_only_file_in_the_website_is_neither_read_nor_replaced(site):
    """What root would read (a file the owner hard-linked or was given but may not read):
    the agent reads as the owner and is refused."""
    secret = site / "public_html" / "wp-config.php"
    secret.write_bytes(b"root's secret")
    os.chmod(secret, 0o600)  # root-owned, 0600
    locked = site / "public_html" / "locked"
    locked.mkdir(mode=0o755)  # a root-owned folder inside the website, not empty
    (locked / "keep").write_bytes(b"root's")

    with local_transport(str(site), uid=WWW, gid=WWW) as t:
        with pytest.raises(TransportError) as err:
            t.read("public_html/wp-config.php")
        assert err.value.errcode == "failed_filesystem_permission"
        with pytest.raises(TransportError):
            t.write("public_html/locked/evil.php", b"<?php")
        with pytest.raises(TransportError):
            t.remove("public_html/locked")
        buf = io.BytesIO()
        with pytest.raises(TransportError):
            t.get_tree("public_html", buf)

    assert secret.read_bytes() == b"root's secret"
    assert os.listdir(locked) == ["keep"]
    # the same calls as root (no owner): what the agent stands between
    assert LocalTransport(str(site)).read("public_html/wp-config.php") == b"root's secret"


def test_an_archive_unpacks_as_the_owner_even_where_a_link_was_planted(site, tmp_path):
    """tar runs as the owner: a link to /etc planted in the target writes nothing there."""
    archive = tmp_path / "pkg.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, body in (("app/index.php", b"<?php echo 'hi';"), ("app/etc/x", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    os.chmod(tmp_path, 0o700)  # our package store: root only
    (site / "public_html" / "link").symlink_to("/etc")
    os.lchown(site / "public_html" / "link", WWW, WWW)

    with local_transport(str(site), uid=WWW, gid=WWW) as t:
        assert t.put_tree(archive, "public_html/blog") == ["app"]
        with pytest.raises(TransportError):
            t.put_tree(archive, "public_html/link")

    made = site / "public_html" / "blog"
    assert all(p.lstat().st_uid == WWW for p in [made, *made.rglob("*")])
    assert not Path("/etc/app").exists()


def test_a_killed_agent_is_a_clear_error_not_a_hang(site):
    with local_transport(str(site), uid=WWW, gid=WWW) as t:
        assert t.listdir("public_html") == []
        os.kill(t._proc.pid, signal.SIGKILL)
        t._proc.wait()
        with pytest.raises(TransportError) as err:
            t.listdir("public_html")
        assert "agent stopped" in err.value.message
        assert t.exists("public_html")  # the next call starts a new agent


def test_root_websites_and_ownerless_ones_stay_in_process(site):
    assert type(local_transport(str(site))) is LocalTransport
    assert type(local_transport(str(site), uid=0, gid=0)) is LocalTransport
    assert type(local_transport(str(site), uid=WWW, gid=WWW)) is OwnerTransport


def test_owners_cannot_change_the_code_the_agent_runs():
    home = _agent_home()
    for path in [home, *home.rglob("*")]:
        st = path.lstat()
        assert st.st_uid == 0 and not st.st_mode & 0o022, path
    assert not list(home.rglob("*.pyc"))


def test_the_agents_copy_holds_every_module_its_code_imports():
    """The agent runs a copy of a few modules (AGENT_MODULES): one of ours that they import
    and the copy lacks would make every agent die at its start."""
    import ast

    from apps.transports.agent import AGENT_MODULES, PROJECT

    listed = set(AGENT_MODULES)
    for rel in AGENT_MODULES:
        tree = ast.parse((PROJECT / rel).read_text())
        package = rel.rpartition("/")[0].replace("/", ".")
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                name = ("." * node.level and package + ".") + (node.module or "") \
                    if node.level else node.module or ""
            elif isinstance(node, ast.Import):
                name = node.names[0].name
            else:
                continue
            if name.startswith(("apps.", "installatron_gui.")):
                assert name.replace(".", "/") + ".py" in listed, (rel, name)
