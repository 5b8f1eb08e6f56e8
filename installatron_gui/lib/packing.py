"""Package archives written reproducibly: the same tree gives the same bytes, whichever
recipe builds it (``build_package``)."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

from .archives import written_atomically


def write_archive(dest: Path, files: dict[str, Path], dirs: set[str],
                  contents: dict[str, bytes], *, mtime: int) -> None:
    """A reproducible ``.tar.gz``: sorted members, owner 0, fixed modes and mtimes, gzip
    without a name or time. ``files`` are read through symlinks (the content, not the link).
    Written under a temporary name and renamed: ``dest`` is a whole archive or absent."""

    def info(name: str, *, is_dir: bool = False, size: int = 0, mode: int = 0o644):
        member = tarfile.TarInfo(name)
        member.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
        member.mode = 0o755 if is_dir else mode
        member.size = size
        member.mtime = mtime
        member.uid = member.gid = 0
        member.uname = member.gname = ""
        return member

    entries = sorted([(d, None) for d in dirs] + [(f, "file") for f in files]
                     + [(c, "content") for c in contents])
    with written_atomically(Path(dest)) as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, kind in entries:
            if kind is None:
                tar.addfile(info(name, is_dir=True))
            elif kind == "content":
                data = contents[name]
                tar.addfile(info(name, size=len(data)), io.BytesIO(data))
            else:
                path = files[name]
                stat = path.stat()  # follows the symlink: the content, not the link
                mode = 0o755 if stat.st_mode & 0o111 else 0o644
                with open(path, "rb") as fh:
                    tar.addfile(info(name, size=stat.st_size, mode=mode), fh)
