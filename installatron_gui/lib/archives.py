"""Archives as untrusted input, and archives written so nobody sees half of one.

* ``member_problem`` is the one rule deciding whether a tar member may be unpacked:
  every reader (package store, ``put_tree`` on every transport, backup restore and
  import) asks it and words the refusal its own way.
* ``sha256_of`` / ``HashingWriter``: checksums of archives on disk and being written.
* ``private_part`` and ``publish``: an archive is written under a temporary name in its
  final folder (0600, never following a link), fsynced, and renamed into place; the
  folder is fsynced too, so after a crash the name holds a whole archive or nothing.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHUNK = 1 << 20


def member_name(raw: str, *, exact: bool = False) -> str | None:
    """``raw`` as a plain relative name ('' for the archive's root folder), or None when
    it is unsafe: absolute, ``..`` anywhere, a NUL or a backslash, or an empty or ``.``
    part inside it. A trailing ``/`` is allowed, and a leading ``./`` (``tar -C dir .``)
    unless ``exact`` (an archive we wrote ourselves never has one)."""
    if exact and raw.startswith("./"):
        return None
    name = raw
    while name.startswith("./"):
        name = name[2:]
    name = name.rstrip("/") if name not in ("", ".") else ""
    if raw.startswith("/") or "\x00" in raw or "\\" in raw:
        return None
    parts = name.split("/") if name else []
    if any(p in ("", ".", "..") for p in parts):
        return None
    return name


def member_problem(member: tarfile.TarInfo, *, exact: bool = False) -> str:
    """Why ``member`` must not be unpacked, as words that follow its name ('' when it
    may be): an unsafe name (see ``member_name``), anything but a regular file or a
    folder (symlinks and hard links, wherever they point, devices, fifos), or set-id and
    sticky bits."""
    if member_name(member.name, exact=exact) is None:
        return "has an unsafe name"
    if not (member.isreg() or member.isdir()):
        return "is a link or a special file"
    if member.mode & 0o7000:
        return "has set-id bits"
    return ""


def sha256_of(path: Path) -> str:
    """The sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class HashingWriter:
    """A write-only file object that hashes and counts what passes through."""

    def __init__(self, fh):
        self.fh = fh
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.fh.write(data)

    def flush(self) -> None:
        self.fh.flush()


@contextmanager
def workdir(folder: Path) -> Iterator[Path]:
    """A private scratch folder in ``folder`` (same file system), removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=".work-", dir=folder))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def part_name(final: Path) -> Path:
    """A fresh temporary name beside ``final`` (``.<name>.<random>.part``)."""
    return final.with_name(f".{final.name}.{secrets.token_hex(4)}.part")


@contextmanager
def private_part(tmp: Path) -> Iterator:
    """``tmp`` created new (0600, never through a link) and opened for writing; flushed
    and fsynced when the block ends. The caller renames it with ``publish`` or removes it."""
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                 0o600)
    with os.fdopen(fd, "wb") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


def publish(tmp: Path, final: Path) -> None:
    """Rename the written ``tmp`` to ``final`` (same folder) and fsync the folder."""
    os.replace(tmp, final)
    dfd = os.open(final.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


@contextmanager
def written_atomically(final: Path) -> Iterator:
    """Write ``final`` in one block: a private temporary file beside it, published only
    when the block ends without an exception (and removed otherwise)."""
    tmp = part_name(final)
    try:
        with private_part(tmp) as fh:
            yield fh
        publish(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
