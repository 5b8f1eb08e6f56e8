"""Compressed tar streams, written and read without ever holding an archive in memory.

Backups are written as zstd (``.tar.zst``, the default) or gzip (``.tar.gz``); whatever
is read back is recognised by its first bytes, not its name, so older ``.tar.gz``
backups, uploads of either kind and plain tars all read the same way.

Both directions go once from start to end over a compressing or decompressing file
object, so memory stays flat whatever the archive's size; nothing may need random
access (``getmember``): readers iterate.

zstd through the ``zstandard`` package (Python 3.11 has no zstd): level 3, every core
(``threads=-1``), one frame with its content checksum. Its decompressors accept a stream
cut short without a word, so a zstd archive's frames are walked first (block headers
only, seeking over their contents): a frame without its last block is refused.
"""

from __future__ import annotations

import gzip
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import zstandard

ZSTD, GZIP, PLAIN = "zstd", "gzip", "plain"
SUFFIXES = {ZSTD: ".tar.zst", GZIP: ".tar.gz", PLAIN: ".tar"}
CONTENT_TYPES = {ZSTD: "application/zstd", GZIP: "application/gzip", PLAIN: "application/x-tar"}
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"
# Measured on WordPress plus 100 MB of uploads (benchmarks/backup.py): level 3 (zstd's
# own default) is within 0.5 % of `tar --zstd`'s size, and compressing is a small part of
# a backup; on every core (threads=-1) it runs beside the Python that feeds it, which a
# single thread was not faster than. gzip's 6 is tar -z's own default.
ZSTD_LEVEL = 3
ZSTD_THREADS = -1
GZIP_LEVEL = 6
BUFSIZE = 1 << 20
SMALL_WRITE = 1 << 16
# Past the tar end-of-archive blocks a writer pads to its record size (10 KiB for GNU
# tar); more than this after the end is not an archive of ours.
MAX_TRAILING = 1 << 20


def kind_of(head: bytes) -> str:
    """The compression of a file starting with ``head`` (its first 4 bytes or more)."""
    if head.startswith(ZSTD_MAGIC):
        return ZSTD
    if head.startswith(GZIP_MAGIC):
        return GZIP
    return PLAIN


def kind_of_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return kind_of(fh.read(4))


class _ZstdWriter:
    """zstandard's stream writer; ``tell`` counts what went in (all tarfile's "w" mode
    asks of a file besides ``write``); ``close`` ends the frame and leaves ``out`` open."""

    def __init__(self, out: BinaryIO, level: int):
        cctx = zstandard.ZstdCompressor(level=level, threads=ZSTD_THREADS, write_checksum=True)
        self.z = cctx.stream_writer(out, closefd=False)
        self.written = 0
        # tarfile writes each 512-byte header and each file's last piece on its own: they
        # are gathered here, as each call into the compressor has a cost of its own.
        self.small = bytearray()

    def write(self, data) -> int:
        size = len(data)
        self.written += size
        if size < SMALL_WRITE:
            self.small += data
            if len(self.small) >= BUFSIZE:
                self._pass_small()
            return size
        self._pass_small()
        self.z.write(data)
        return size

    def _pass_small(self) -> None:
        if self.small:
            self.z.write(self.small)
            self.small.clear()

    def tell(self) -> int:
        return self.written

    def close(self) -> None:
        self._pass_small()
        self.z.close()


@contextmanager
def tar_writer(out: BinaryIO, kind: str, *, level: int | None = None) -> Iterator[tarfile.TarFile]:
    """A PAX tar written in one pass into the binary file ``out`` (which stays open),
    compressed as ``kind`` (ZSTD or GZIP). The archive is complete when the block ends."""
    if kind == ZSTD:
        comp = _ZstdWriter(out, ZSTD_LEVEL if level is None else level)
    elif kind == GZIP:
        # tarfile's own "w|gz" is level 9 in 3.11 (and 3 times slower than 6 here).
        comp = gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0,
                             compresslevel=GZIP_LEVEL if level is None else level)
    else:
        raise ValueError(f"unknown compression {kind!r}")
    try:
        # "w", not "w|": tarfile's stream buffer copies itself on every write (5 times
        # slower here); "w" only writes forward, and copies members in 1 MiB pieces.
        with tarfile.open(fileobj=comp, mode="w", format=tarfile.PAX_FORMAT) as tar:
            tar.copybufsize = BUFSIZE
            yield tar
    finally:
        comp.close()


def _zstd_frames_end(fh: BinaryIO) -> None:
    """Walk the zstd frames of ``fh`` from its start to its end (RFC 8878: frame header,
    block headers, checksum), seeking over block contents; raises tarfile.ReadError
    when the last frame is cut short or something that is no frame follows."""
    size = fh.seek(0, 2)
    pos = 0

    def read(n: int) -> bytes:
        nonlocal pos
        fh.seek(pos)
        data = fh.read(n)
        if len(data) != n:
            raise tarfile.ReadError("the zstd stream is cut short")
        pos += n
        return data

    while pos < size:
        magic = read(4)
        if 0x184D2A50 <= int.from_bytes(magic, "little") <= 0x184D2A5F:  # skippable frame
            pos += int.from_bytes(read(4), "little")
            continue
        if magic != ZSTD_MAGIC:
            raise tarfile.ReadError("data after the zstd stream")
        fhd = read(1)[0]
        single = (fhd >> 5) & 1
        header = (0 if single else 1) + (0, 1, 2, 4)[fhd & 3] \
            + ((1 if single else 0), 2, 4, 8)[fhd >> 6]
        pos += header
        while True:
            block = int.from_bytes(read(3), "little")
            kind, length = (block >> 1) & 3, block >> 3
            if kind == 3:
                raise tarfile.ReadError("the zstd stream is damaged")
            pos += 1 if kind == 1 else length  # an RLE block stores one byte
            if block & 1:
                break
        if (fhd >> 2) & 1:
            pos += 4
        if pos > size:
            raise tarfile.ReadError("the zstd stream is cut short")
    fh.seek(0)


class _ZstdReader:
    """zstandard's stream reader across frames, its errors told as tarfile.ReadError."""

    def __init__(self, fh: BinaryIO):
        _zstd_frames_end(fh)
        self.z = zstandard.ZstdDecompressor().stream_reader(fh, read_size=BUFSIZE,
                                                            read_across_frames=True,
                                                            closefd=False)

    def read(self, n: int = -1) -> bytes:
        try:
            return self.z.read(n)
        except zstandard.ZstdError as exc:
            raise tarfile.ReadError(f"the zstd stream is damaged ({exc})") from None

    def close(self) -> None:
        self.z.close()


@contextmanager
def tar_reader(path: Path, *, whole: bool = False) -> Iterator[tarfile.TarFile]:
    """The tar at ``path`` (zstd, gzip or plain, told by its first bytes) opened as a
    stream: iterate over it, reading each member's ``extractfile`` before the next.

    ``whole``: when the block ends, read what follows the tar's end too, so a damaged
    or cut compressed stream is noticed (a gzip stream says so only at its end).
    Damage raises tarfile.TarError, EOFError or OSError."""
    with open(path, "rb") as fh:
        kind = kind_of(fh.read(4))
        fh.seek(0)
        if kind == ZSTD:
            src = _ZstdReader(fh)
        elif kind == GZIP:
            src = gzip.GzipFile(fileobj=fh, mode="rb")
        else:
            src = fh
        try:
            # tarfile's default buffer: a larger one is copied on every read (slower).
            with tarfile.open(fileobj=src, mode="r|") as tar:
                yield tar
                if whole:
                    trailing = 0
                    while chunk := src.read(1 << 16):
                        trailing += len(chunk)
                        if trailing > MAX_TRAILING:
                            raise tarfile.ReadError("too much data after the end of the "
                                                    "archive")
        finally:
            if src is not fh:
                src.close()
