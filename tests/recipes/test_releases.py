"""``build_package APP --from-archive FILE --sha256 HEX``: a package from the upstream
release archive of the same version. There is no internet here, so the release is made
by the test from the Debian-built tree, wrapped in a top folder as upstream's are; the
package the command stores has the same files and contents as the built one. A wrong
checksum, a member that is a link or climbs out, and an archive of another application
are refused before anything is stored."""

from __future__ import annotations

import hashlib
import io
import tarfile

import pytest
from django.core.management import CommandError, call_command

from .conftest import build_app

TOP = "dokuwiki-2022-07-31b"


@pytest.fixture(scope="module")
def dokuwiki_built(tmp_path_factory):
    return build_app(tmp_path_factory, "dokuwiki")


def _contents(path) -> dict[str, bytes | None]:
    with tarfile.open(path) as tar:
        return {m.name.removeprefix("./").rstrip("/"): (tar.extractfile(m).read()
                                                         if m.isfile() else None)
                for m in tar.getmembers() if m.name.strip("./")}


def _release(tmp_path, built, extra=()) -> tuple:
    """An upstream-style .tgz of the built tree under TOP/, and its sha256."""
    path = tmp_path / f"{TOP}.tgz"
    with tarfile.open(built.store / built.archive) as src, tarfile.open(path, "w:gz") as out:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            member.name = f"{TOP}/{member.name.removeprefix('./')}".rstrip("/")
            out.addfile(member, io.BytesIO(data) if data is not None else None)
        for member in extra:
            out.addfile(member)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_release_archive_becomes_the_same_package(db, settings, tmp_path, dokuwiki_built):
    from apps.catalog.models import Package

    settings.PACKAGE_STORE = tmp_path / "store"
    release, digest = _release(tmp_path, dokuwiki_built)
    out = io.StringIO()
    call_command("build_package", "dokuwiki", "--from-archive", str(release), "--sha256",
                 digest, stdout=out)
    package = Package.objects.get(application="dokuwiki")
    assert package.version == dokuwiki_built.version and "upstream release" in out.getvalue()
    assert _contents(package.path) == _contents(dokuwiki_built.store / dokuwiki_built.archive)


@pytest.mark.parametrize("problem", ["checksum", "link", "climb", "other app", "version"])
def test_a_bad_release_is_refused_and_nothing_is_stored(db, settings, tmp_path, dokuwiki_built,
                                                         problem):
    from apps.catalog.models import Package

    settings.PACKAGE_STORE = tmp_path / "store"
    extra, app, args = [], "dokuwiki", []
    if problem == "link":
        link = tarfile.TarInfo(f"{TOP}/conf/evil")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        extra.append(link)
    if problem == "climb":
        extra.append(tarfile.TarInfo(f"{TOP}/../../outside.php"))
    release, digest = _release(tmp_path, dokuwiki_built, extra)
    if problem == "checksum":
        digest = digest[::-1]
    if problem == "other app":
        app = "roundcube"
    if problem == "version":
        args = ["--release-version", "2020-07-29"]
    words = {"checksum": "does not have the sha256", "link": "is a link",
             "climb": "unsafe name", "other app": "no program/include/iniset.php",
             "version": "not 2020-07-29"}[problem]
    with pytest.raises(CommandError, match=words):
        call_command("build_package", app, "--from-archive", str(release), "--sha256", digest,
                     *args, stdout=io.StringIO())
    assert not Package.objects.exists()
    assert not (tmp_path / "outside.php").exists()
    assert not any((tmp_path / "store").glob("*")) if (tmp_path / "store").exists() else True
