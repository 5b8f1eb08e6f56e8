"""LocalTransport on the real file system. Tests run as root; where a website has an owner
(uid/gid), its file work runs in an agent as that owner (agent.py): those tests hand the
site to www-data first, as a panel's website folder belongs to its user."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from apps.transports.agent import OwnerTransport
from apps.transports.base import TransportError, open_transport
from apps.transports.local import LocalTransport, _rename_noreplace

WWW = 33  # www-data


def owned(site: Path) -> OwnerTransport:
    """The website ``site`` handed to www-data (links included), reached as its owner."""
    for path in [site, *site.rglob("*")]:
        os.lchown(path, WWW, WWW)
    return OwnerTransport(str(site), uid=WWW, gid=WWW)


def snapshot(root: Path) -> dict:
    """Every entry below ``root``: type, mode, owner and content (links not followed)."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            st = path.lstat()
            if path.is_symlink():
                body = "->" + os.readlink(path)
            elif stat.S_ISDIR(st.st_mode):
                body = "dir"
            else:
                body = path.read_bytes()
            state[str(path.relative_to(root))] = (stat.S_IMODE(st.st_mode), st.st_uid, body)
    return state


@pytest.fixture
def area(tmp_path):
    """site/ (the website root) next to outside/, with links from the site pointing out."""
    site, outside = tmp_path / "site", tmp_path / "outside"
    site.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"outside secret")
    (site / "public_html").mkdir()
    (site / "link_dir").symlink_to(outside)                 # intermediate folder
    (site / "link_file").symlink_to(outside / "secret.txt")  # final component
    return tmp_path


def make_archive(path: Path, members: list[tuple[str, bytes | None]], *,
                 tweak=None) -> Path:
    """A .tar.gz: (name, content) files and (name, None) folders; ``tweak(info)`` edits."""
    with tarfile.open(path, "w:gz") as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            if content is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
            else:
                info.size, info.mode = len(content), 0o644
            if tweak:
                tweak(info)
            tar.addfile(info, io.BytesIO(content) if content is not None else None)
    return path


SMALL = [("wordpress", None), ("wordpress/index.php", b"<?php // index"),
         ("wordpress/wp-admin", None), ("wordpress/wp-admin/about.php", b"<?php // about"),
         ("readme.html", b"<html>readme</html>")]


# -- path refusals
BAD_PATHS = ["../escape.txt", "public_html/../../escape.txt", "/etc/escape.txt",
             "public_html/a\x00b"]


@pytest.mark.parametrize("rel", BAD_PATHS)
def test_dotdot_absolute_and_nul_paths_are_refused_and_write_nothing(area, rel, tmp_path):
    t = LocalTransport(str(area / "site"))
    archive = make_archive(tmp_path / "a.tar.gz", SMALL)
    before = snapshot(area)

    for op in (lambda: t.write(rel, b"x"), lambda: t.mkdir(rel), lambda: t.read(rel),
               lambda: t.remove(rel), lambda: t.put_tree(archive, rel),
               lambda: t.rename("public_html", rel), lambda: t.exists(rel)):
        with pytest.raises(TransportError) as err:
            op()
        assert err.value.status == 400
    assert snapshot(area) == before
    assert not Path("/etc/escape.txt").exists()


def test_write_through_a_symlinked_folder_is_refused_and_writes_nothing(area):
    before = snapshot(area)
    t = LocalTransport(str(area / "site"))

    for op in (lambda: t.write("link_dir/new.php", b"x"), lambda: t.mkdir("link_dir/sub"),
               lambda: t.write("link_dir/secret.txt", b"overwritten"),
               lambda: t.remove("link_dir/secret.txt"),
               lambda: t.rename("public_html", "link_dir/moved")):
        with pytest.raises(TransportError):
            op()
    assert snapshot(area) == before


def test_streams_are_written_atomically_and_read_back(area):
    t = LocalTransport(str(area / "site"))
    data = os.urandom(3 * 1024 * 1024 + 5)
    t.write("public_html/big.bin", io.BytesIO(data), mode=0o600)
    path = area / "site/public_html/big.bin"
    assert path.read_bytes() == data and stat.S_IMODE(path.stat().st_mode) == 0o600
    out = io.BytesIO()
    assert t.read_to("public_html/big.bin", out) == len(data) and out.getvalue() == data
    assert [n for n in os.listdir(path.parent) if n.endswith(".tmp")] == []
    os.symlink("/etc/passwd", area / "site/public_html/link")
    with pytest.raises(TransportError):
        t.read_to("public_html/link", io.BytesIO())


def test_reading_through_symlinks_is_refused(area):
    t = LocalTransport(str(area / "site"))

    for rel in ("link_file", "link_dir/secret.txt"):
        with pytest.raises(TransportError):
            t.read(rel)
    for rel in ("link_dir", "link_dir/"):
        with pytest.raises(TransportError):
            t.listdir(rel)
    with pytest.raises(TransportError):
        list(t.walk("link_dir"))


def test_writing_onto_a_symlink_replaces_the_link_not_its_target(area):
    LocalTransport(str(area / "site")).write("link_file", b"mine now")

    assert (area / "outside" / "secret.txt").read_bytes() == b"outside secret"
    assert not (area / "site" / "link_file").is_symlink()
    assert (area / "site" / "link_file").read_bytes() == b"mine now"


def test_put_tree_into_a_symlinked_folder_is_refused_and_writes_nothing(area, tmp_path):
    archive = make_archive(tmp_path / "a.tar.gz", SMALL)
    before = snapshot(area)

    with pytest.raises(TransportError):
        LocalTransport(str(area / "site")).put_tree(archive, "link_dir")
    with pytest.raises(TransportError):
        LocalTransport(str(area / "site")).put_tree(archive, "link_dir/new")
    assert snapshot(area) == before


def test_remove_deletes_a_symlink_and_never_its_target(area):
    site = area / "site"
    (site / "public_html" / "inner_link").symlink_to(area / "outside")
    t = LocalTransport(str(site))

    t.remove("link_file")
    t.remove("link_dir")
    t.remove("public_html")  # a tree holding a link to outside/
    t.remove("public_html/missing")  # missing is fine

    assert sorted(os.listdir(site)) == []
    assert (area / "outside" / "secret.txt").read_bytes() == b"outside secret"


def test_removing_the_website_root_itself_is_refused(area):
    with pytest.raises(TransportError):
        LocalTransport(str(area / "site")).remove("")
    assert (area / "site" / "public_html").is_dir()


# -- files
def test_write_is_atomic_replacing_the_inode_and_leaving_no_temporary_file(area):
    site = area / "site"
    t = LocalTransport(str(site))
    t.write("public_html/wp-config.php", b"old config")
    old_inode = (site / "public_html" / "wp-config.php").stat().st_ino
    reader = open(site / "public_html" / "wp-config.php", "rb")

    t.write("public_html/wp-config.php", b"new config", mode=0o600)

    # A reader that opened the old file still sees it whole: the new one was renamed in.
    assert reader.read() == b"old config"
    reader.close()
    path = site / "public_html" / "wp-config.php"
    assert path.read_bytes() == b"new config"
    assert path.stat().st_ino != old_inode
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(site / "public_html") == ["wp-config.php"]


def test_failed_write_leaves_the_target_and_no_temporary_file(area):
    site = area / "site"
    (site / "public_html" / "taken").mkdir()
    (site / "public_html" / "taken" / "keep.txt").write_bytes(b"keep")

    with pytest.raises(TransportError):
        LocalTransport(str(site)).write("public_html/taken", b"x")

    assert sorted(os.listdir(site / "public_html")) == ["taken"]
    assert (site / "public_html" / "taken" / "keep.txt").read_bytes() == b"keep"


def test_files_and_folders_created_get_the_website_uid_and_gid(area):
    site = area / "site"
    (site / "public_html" / "old").mkdir()
    t = owned(site)
    os.chown(site / "public_html" / "old", 0, 0)

    with t:
        assert t.mkdir("public_html/blog/wp-content") == ["public_html/blog",
                                                           "public_html/blog/wp-content"]
        t.write("public_html/blog/wp-content/index.php", b"<?php")
        t.write("public_html/new/deep/file.txt", b"x")

    for rel in ("public_html/blog", "public_html/blog/wp-content",
                "public_html/blog/wp-content/index.php", "public_html/new",
                "public_html/new/deep", "public_html/new/deep/file.txt"):
        st = (site / rel).lstat()
        assert (st.st_uid, st.st_gid) == (WWW, WWW), rel
    assert stat.S_IMODE((site / "public_html/blog").stat().st_mode) == 0o755
    assert (site / "public_html" / "old").stat().st_uid == 0  # existing ones are left alone


def test_queries_report_what_is_there(area):
    site = area / "site"
    t = LocalTransport(str(site))
    t.write("public_html/a.txt", b"12345")
    t.write("public_html/sub/b.txt", b"123")

    assert t.exists("public_html/a.txt") and not t.exists("public_html/nope")
    assert not t.exists("public_html/nope/deeper")
    assert t.is_dir("public_html/sub") and not t.is_dir("public_html/a.txt")
    assert not t.is_dir("link_dir")  # a link to a folder is not a folder of the website
    assert t.exists("link_dir")
    assert t.listdir("public_html") == ["a.txt", "sub"]
    assert t.listdir("public_html/sub") == ["b.txt"]
    assert t.size("public_html") == 8
    assert t.size("public_html/a.txt") == 5
    assert list(t.walk("public_html")) == ["public_html/a.txt", "public_html/sub/b.txt"]
    assert t.read("public_html/sub/b.txt") == b"123"


def test_rename_moves_within_the_website_and_refuses_to_replace(area):
    t = LocalTransport(str(area / "site"))
    t.write("public_html/a.txt", b"a")
    t.write("public_html/b.txt", b"b")

    with pytest.raises(TransportError) as err:
        t.rename("public_html/a.txt", "public_html/b.txt")
    assert err.value.errcode == "failed_filesystem_exists"
    t.rename("public_html/a.txt", "public_html/c.txt")

    assert t.listdir("public_html") == ["b.txt", "c.txt"]
    assert t.read("public_html/b.txt") == b"b"


def test_open_transport_gives_a_local_transport_without_a_shell(area):
    with open_transport(str(area / "site")) as t:
        assert isinstance(t, LocalTransport) and not t.has_shell
        with pytest.raises(TransportError) as err:
            t.run(["id"])
    assert err.value.errcode == "failed_filesystem_shell"


def test_a_missing_website_root_is_reported(tmp_path):
    with pytest.raises(TransportError):
        with open_transport(str(tmp_path / "gone")):
            pass


# -- put_tree
def test_put_tree_unpacks_and_returns_the_top_level_names_owned_by_the_website(area, tmp_path):
    site = area / "site"
    archive = make_archive(tmp_path / "app.tar.gz", SMALL)

    with owned(site) as t:
        tops = t.put_tree(archive, "public_html/blog")

    assert tops == ["readme.html", "wordpress"]
    root = site / "public_html" / "blog"
    assert sorted(os.listdir(root)) == tops  # no staging folder left behind
    assert (root / "wordpress" / "wp-admin" / "about.php").read_bytes() == b"<?php // about"
    assert (root / "readme.html").read_bytes() == b"<html>readme</html>"
    for path in [root, *root.rglob("*")]:
        st = path.lstat()
        assert (st.st_uid, st.st_gid) == (WWW, WWW), path
    assert stat.S_IMODE((root / "wordpress" / "index.php").stat().st_mode) == 0o644


def test_put_tree_onto_existing_names_refuses_and_changes_nothing(area, tmp_path):
    site = area / "site"
    (site / "public_html" / "wordpress").mkdir()
    (site / "public_html" / "wordpress" / "keep.php").write_bytes(b"customer's file")
    archive = make_archive(tmp_path / "app.tar.gz", SMALL)
    t = owned(site)
    before = snapshot(area)

    with pytest.raises(TransportError) as err, t:
        t.put_tree(archive, "public_html")

    assert (err.value.errcode, err.value.status) == ("failed_filesystem_exists", 400)
    assert "wordpress" in err.value.message
    assert snapshot(area) == before


def test_put_tree_refuses_existing_names_even_as_dangling_symlinks(area, tmp_path):
    site = area / "site"
    (site / "public_html" / "readme.html").symlink_to(area / "outside" / "nothing")
    archive = make_archive(tmp_path / "a.tar.gz", SMALL)
    before = snapshot(area)

    with pytest.raises(TransportError):
        LocalTransport(str(site)).put_tree(archive, "public_html")
    assert snapshot(area) == before
    assert not (area / "outside" / "nothing").exists()


@pytest.mark.parametrize("members,tweak", [
    ([("../evil.php", b"x")], None),
    ([("wordpress/../../evil.php", b"x")], None),
    ([("/tmp/evil.php", b"x")], None),
    ([("wordpress", None), ("wordpress/link", b"")],
     lambda i: (setattr(i, "type", tarfile.SYMTYPE), setattr(i, "linkname", "/etc"))
     if i.name.endswith("link") else None),
    ([("wordpress", None), ("wordpress/hard", b"")],
     lambda i: (setattr(i, "type", tarfile.LNKTYPE), setattr(i, "linkname", "/etc/passwd"))
     if i.name.endswith("hard") else None),
    ([("wordpress", None), ("wordpress/fifo", b"")],
     lambda i: setattr(i, "type", tarfile.FIFOTYPE) if i.name.endswith("fifo") else None),
    ([("wordpress", None), ("wordpress/suid", b"#!/bin/sh")],
     lambda i: setattr(i, "mode", 0o4755) if i.name.endswith("suid") else None),
], ids=["dotdot", "nested-dotdot", "absolute", "symlink", "hardlink", "fifo", "setuid"])
def test_put_tree_refuses_unsafe_archives_and_writes_nothing(area, tmp_path, members, tweak):
    archive = make_archive(tmp_path / "bad.tar.gz", [("index.php", b"ok"), *members],
                           tweak=tweak)
    before = snapshot(area)

    with pytest.raises(TransportError) as err:
        LocalTransport(str(area / "site")).put_tree(archive, "public_html/new")

    assert err.value.errcode == "failed_package_invalid"
    assert snapshot(area) == before
    assert not (tmp_path / "evil.php").exists() and not Path("/tmp/evil.php").exists()


def test_put_tree_of_a_damaged_archive_is_refused(area, tmp_path):
    good = make_archive(tmp_path / "a.tar.gz", SMALL).read_bytes()
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(good[: len(good) // 2])
    before = snapshot(area)

    with pytest.raises(TransportError) as err:
        LocalTransport(str(area / "site")).put_tree(bad, "public_html")

    assert err.value.errcode == "failed_package_invalid"
    assert snapshot(area) == before


def test_put_tree_that_fails_midway_removes_what_it_created(area, tmp_path):
    # Passes the member check, but tar cannot put a file under another file.
    archive = make_archive(tmp_path / "a.tar.gz", [
        ("app", None), ("app/index.php", b"<?php"), ("app/x", b"file"), ("app/x/y", b"oops"),
        ("z.txt", b"z")])
    t = owned(area / "site")
    before = snapshot(area)

    with pytest.raises(TransportError) as err, t:
        t.put_tree(archive, "public_html/new/deep")

    assert "Unpacking the package failed" in err.value.message
    assert snapshot(area) == before


# -- get_tree
def test_get_tree_round_trips_the_folder_keeping_links_as_links(area, tmp_path):
    site = area / "site"
    t = LocalTransport(str(site))
    t.put_tree(make_archive(tmp_path / "a.tar.gz", SMALL), "public_html")
    t.write("public_html/wordpress/wp-content/cache/big.bin", b"c" * 1000)
    t.write("public_html/wordpress/wp-config.php", b"<?php define('DB', 1);", mode=0o600)
    (site / "public_html" / "wordpress" / "out").symlink_to(area / "outside")

    buf = io.BytesIO()
    t.get_tree("public_html", buf, exclude=["wordpress/wp-content/cache"])
    buf.seek(0)
    restored = tmp_path / "restored"
    with tarfile.open(fileobj=buf, mode="r:") as tar:
        names = tar.getnames()
        tar.extractall(restored, filter="tar")

    assert "wordpress/wp-content/cache/big.bin" not in names
    assert "wordpress/wp-content/cache" not in names
    assert "wordpress/out/secret.txt" not in names  # the link was not followed
    assert os.readlink(restored / "wordpress" / "out") == str(area / "outside")
    original = {k: (mode, body) for k, (mode, _, body) in snapshot(site / "public_html").items()
                if not k.startswith("wordpress/wp-content/cache")}
    copy = {k: (mode, body) for k, (mode, _, body) in snapshot(restored).items()}
    assert copy == original
    assert copy["wordpress/wp-config.php"] == (0o600, b"<?php define('DB', 1);")


def test_moving_into_place_never_replaces_an_entry_that_appeared_meanwhile(tmp_path):
    (tmp_path / "stage").mkdir()
    (tmp_path / "stage" / "wordpress").mkdir()
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "wordpress").symlink_to(tmp_path / "elsewhere")
    src = os.open(tmp_path / "stage", os.O_RDONLY | os.O_DIRECTORY)
    dst = os.open(tmp_path / "site", os.O_RDONLY | os.O_DIRECTORY)
    try:
        with pytest.raises(FileExistsError):
            _rename_noreplace(src, "wordpress", dst)
    finally:
        os.close(src)
        os.close(dst)
    assert (tmp_path / "site" / "wordpress").is_symlink()
    assert (tmp_path / "stage" / "wordpress").is_dir()
