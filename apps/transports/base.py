"""The one interface through which website files are read and written.

Every path given to a transport is relative to the website's root (its ``path``);
absolute paths, ``..`` and writes through symlinks are refused. Backends: local now;
ftp, ftps, sftp, ssh fit the same vocabulary. Methods raise only TransportError, with
credentials scrubbed from messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from installatron_gui.lib.errors import InstallatronError


class TransportError(InstallatronError):
    errcode = "failed_filesystem_permission"
    status = 500


class Transport:
    """A context manager: ``with open_transport(website) as t: t.write("a.php", b"...")``."""

    #: True where ``run`` is available (a shell on the website's host).
    has_shell = False
    #: True where put_tree reads its archive on this machine (a local website): nothing
    #: crosses a network, so callers may pack it without compressing (gzip level 0).
    same_machine = False
    #: Where the transport walks a folder on this machine itself (LocalTransport): a
    #: method ``tree_members(rel, *, exclude=None)`` yielding what get_tree would write,
    #: (TarInfo, open file or None) member by member; None elsewhere.
    tree_members = None

    def __init__(self, root: str, *, uid: int | None = None, gid: int | None = None, **options):
        self.root = root
        self.uid = uid
        self.gid = gid
        self.options = options

    def __enter__(self) -> Transport:
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def connect(self) -> None:
        pass

    def close(self) -> None:
        pass

    # -- queries
    def exists(self, rel: str) -> bool:
        raise NotImplementedError

    def is_dir(self, rel: str) -> bool:
        raise NotImplementedError

    def listdir(self, rel: str = "") -> list[str]:
        """Names in a folder (no . or ..); [] for an empty folder."""
        raise NotImplementedError

    def size(self, rel: str) -> int:
        """Bytes used by a file or a whole tree."""
        raise NotImplementedError

    # -- files
    def read(self, rel: str) -> bytes:
        raise NotImplementedError

    def read_to(self, rel: str, out: BinaryIO) -> int:
        """Stream a file into ``out`` (large files: backups); returns the bytes copied."""
        data = self.read(rel)
        out.write(data)
        return len(data)

    def write(self, rel: str, data: bytes | BinaryIO, *, mode: int = 0o644) -> None:
        """Write a whole file atomically (temporary name, then rename). ``data`` is the
        content, or a binary file read to its end in chunks (never whole into memory)."""
        raise NotImplementedError

    def mkdir(self, rel: str, *, mode: int = 0o755) -> list[str]:
        """Create a folder and missing parents; return the folders created, parents first."""
        raise NotImplementedError

    def remove(self, rel: str) -> None:
        """Remove a file, a symlink (not its target) or a whole tree. Missing is fine."""
        raise NotImplementedError

    def rename(self, src: str, dst: str) -> None:
        raise NotImplementedError

    # -- bulk
    def put_tree(self, archive: Path, rel: str) -> list[str]:
        """Unpack a verified package archive (.tar.gz) into folder ``rel``.

        Returns the top-level names it created there, which is what uninstall removes.
        """
        raise NotImplementedError

    def get_tree(self, rel: str, out: BinaryIO, *, exclude: list[str] | None = None) -> None:
        """Write a tar stream of folder ``rel`` to ``out`` (backups)."""
        raise NotImplementedError

    def walk(self, rel: str = "") -> Iterator[str]:
        """Relative paths of every file below ``rel``."""
        raise NotImplementedError

    def run(self, argv: list[str], *, cwd: str = "", stdin: bytes | None = None,
            timeout: float = 300) -> tuple[int, bytes, bytes]:
        """Run a command on the website's host (argv, never a shell string)."""
        raise TransportError("This website has no shell access.", errcode="failed_filesystem_shell")


def open_transport(path: str, *, uid: int | None = None, gid: int | None = None,
                   **options) -> Transport:
    """A transport for a website path: a local path or an ftp/ftps/sftp/ssh URI."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    scheme = path.split("://", 1)[0].lower() if "://" in path else "local"
    dotted = settings.TRANSPORT_BACKENDS.get(scheme)
    if dotted is None:
        raise TransportError(f"Unsupported website path scheme '{scheme}'.",
                             errcode="invalid_argument_websites", status=400)
    return import_string(dotted)(path, uid=uid, gid=gid, **options)
