"""A package made from an application's upstream release archive (``build_package APP
--from-archive FILE --sha256 HEX``), for hosts that download releases instead of building
from Debian's packages.

The archive's sha256 must be the one given (published beside the release); every member
must pass ``member_problem`` (plain files and folders with safe names: no links, no
``..``, no set-id bits) before anything is unpacked; the release's one top folder
(``roundcubemail-1.6.5/``) is dropped; the recipe's ``adapt_release`` hook turns the tree
into the package's layout (the same standalone layout as the Debian build's); the marker
file must then be at the root and the version the files say must be the one expected.
The package is written as every builder writes it (``write_archive``).
"""

from __future__ import annotations

import hmac
import re
import shutil
import tarfile
from pathlib import Path

from apps.recipes.base import BuiltPackage, Recipe
from apps.transports.local import LocalTransport
from installatron_gui.lib.archives import member_name, member_problem, sha256_of
from installatron_gui.lib.packing import write_archive

from .errors import CatalogError

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# An upstream release is a few thousand files; a bomb is refused before it is unpacked.
MAX_MEMBERS = 200_000
MAX_UNPACKED = 2 << 30


def _refuse(text: str) -> CatalogError:
    return CatalogError(text, errcode="invalid_argument_source")


def _members(tar: tarfile.TarFile) -> tuple[list[tuple[tarfile.TarInfo, str]], str]:
    """The checked members with their names, and the one top folder they share ('' if
    they do not share one)."""
    members, total = [], 0
    for count, member in enumerate(tar, start=1):
        if count > MAX_MEMBERS:
            raise _refuse("The release archive has too many members.")
        problem = member_problem(member)
        if problem:
            raise _refuse(f"The release archive member {member.name[:120]!r} {problem}.")
        total += member.size
        if total > MAX_UNPACKED:
            raise _refuse("The release archive unpacks to more than 2 GB.")
        name = member_name(member.name)
        if name:
            members.append((member, name))
    tops = {name.split("/", 1)[0] for _, name in members}
    top = tops.pop() if len(tops) == 1 else ""
    if top and not any(name.startswith(top + "/") for _, name in members):
        top = ""  # a release of one file is not wrapped
    return members, top


def unpack_release(archive: Path, sha256: str, tree: Path) -> None:
    """Check ``archive`` against ``sha256`` and its members, then unpack it into ``tree``
    (an empty folder) without its top folder."""
    sha256 = str(sha256 or "").strip().lower()
    if not SHA256_RE.match(sha256):
        raise CatalogError("--sha256 must be the 64 hex digits of the release's checksum.",
                           errcode="invalid_argument_sha256")
    if not hmac.compare_digest(sha256_of(archive), sha256):
        raise CatalogError(f"{archive.name} does not have the sha256 given; it is not the "
                           "published release (or it is damaged).",
                           errcode="invalid_argument_sha256")
    try:
        with tarfile.open(archive, "r:*") as tar:
            members, top = _members(tar)
            for member, name in members:
                rel = name[len(top) + 1:] if top else name
                if not rel:
                    continue
                dest = tree / rel
                if member.isdir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out)
                dest.chmod(0o755 if member.mode & 0o111 else 0o644)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise _refuse(f"{archive.name} cannot be read as a tar archive: "
                      f"{type(exc).__name__}.") from None


def package_from_release(recipe: Recipe, archive: Path, sha256: str, out_dir: Path, *,
                         version: str | None = None) -> BuiltPackage:
    """The package archive of ``recipe``'s upstream release ``archive`` in ``out_dir``."""
    tree = out_dir / "release"
    tree.mkdir()
    unpack_release(Path(archive), sha256, tree)
    recipe.adapt_release(tree)
    marker = recipe.archive_marker
    if marker and not (tree / marker).is_file():
        raise _refuse(f"This is not a {recipe.name} release: it has no {marker}.")
    found = None
    if recipe.supports("read_version"):
        transport = LocalTransport(str(tree))
        try:
            found = recipe.read_version(transport, lambda name: name)
        finally:
            transport.close()
    if version and found and found != version:
        raise _refuse(f"The release is {recipe.name} {found}, not {version}.")
    version = version or found
    if not version:
        raise _refuse(f"The version of this {recipe.name} release cannot be read; give "
                      "--release-version.")
    files, dirs = {}, set()
    for path in tree.rglob("*"):
        rel = path.relative_to(tree).as_posix()
        if path.is_symlink():
            raise _refuse(f"adapt_release left a link at {rel}.")
        if path.is_dir():
            dirs.add(rel)
        else:
            files[rel] = path
    dest = out_dir / f"{recipe.id}-{version}.tar.gz"
    write_archive(dest, files, dirs, {}, mtime=0)
    return BuiltPackage(path=dest, version=version,
                        summary=f"{len(files)} files from the upstream release")
