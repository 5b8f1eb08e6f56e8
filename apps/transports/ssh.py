"""Websites reached over SSH with a shell (``ssh://user:pass@host[:port]/path``).

Everything SftpTransport does, plus ``run``. Bulk transfers use one tar stream through
an exec channel: the package .tar.gz goes to ``tar -xzf -`` on the host (3.6 s for
a 2,900-file application on loopback and about 2 s at 20 ms RTT, against 207-273 s file by file; see the
feasibility note, section 3), and backups come back from ``tar -czf -``.

Remote commands are always argv lists; ``command_line`` is the only place a command
string is built, and it quotes every element with shlex.quote.
"""

from __future__ import annotations

import fnmatch
import logging
import shlex
import socket
import tarfile
import time
import zlib
from pathlib import Path
from typing import BinaryIO

import paramiko

from .base import TransportError
from .local import split_rel
from .remote import HOST, PERMISSION, QUOTA, CheckedPackage, remote_error
from .sftp import SftpTransport

log = logging.getLogger(__name__)

BLOCK = 262144


def command_line(argv: list[str], *, cwd: str | None = None) -> str:
    """The string SSH exec needs, from an argv list: every element quoted, no exceptions.

    ``cwd`` becomes ``cd -- <quoted> && exec <quoted argv>`` (the only literal operators).
    """
    if not argv or not all(isinstance(a, str) for a in argv):
        raise TransportError("A remote command must be a non-empty list of strings.",
                             errcode="invalid_argument", status=400)
    if any("\x00" in a for a in argv) or (cwd and "\x00" in cwd):
        raise TransportError("A remote command must not contain NUL.",
                             errcode="invalid_argument", status=400)
    line = " ".join(shlex.quote(a) for a in argv)
    return f"cd -- {shlex.quote(cwd)} && exec {line}" if cwd else line


def _stderr_error(stderr: bytes, what: str, url) -> TransportError:
    text = stderr.decode(errors="replace").strip()
    low = text.lower()
    first = text.splitlines()[0][:300] if text else "no details"
    if "no space left" in low or "quota exceeded" in low:
        return remote_error(f"{what} failed: the disk is full or the account is over its "
                            "quota.", url, errcode=QUOTA)
    if "permission denied" in low:
        return remote_error(f"{what} failed: permission denied ({first}).", url,
                            errcode=PERMISSION)
    return remote_error(f"{what} failed: {first}", url, errcode=PERMISSION)


class SshTransport(SftpTransport):
    """SFTP for single files plus a shell: ``run`` and tar-stream put_tree/get_tree."""

    has_shell = True

    def _session(self, argv: list[str], *, cwd: str | None = None) -> paramiko.Channel:
        if self._ssh is None:
            raise TransportError("The transport is not connected.", errcode=HOST)
        try:
            chan = self._ssh.open_session(timeout=self.timeout)
            chan.settimeout(self.timeout)
            chan.exec_command(command_line(argv, cwd=cwd))
        except TransportError:
            raise
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise remote_error(f"Cannot start a command on {self.url.host}:{self.url.port}: "
                               f"{exc or type(exc).__name__}.", self.url, errcode=HOST) from None
        return chan

    def _lost(self, exc: BaseException) -> TransportError:
        if isinstance(exc, socket.timeout | TimeoutError):
            return remote_error(f"{self.url.host}:{self.url.port} stopped answering (no reply "
                                f"within {self.timeout:g} seconds).", self.url, errcode=HOST)
        return remote_error(f"The connection to {self.url.host}:{self.url.port} was lost "
                            f"({exc or type(exc).__name__}).", self.url, errcode=HOST)

    @staticmethod
    def _drain(chan: paramiko.Channel, out, err: bytearray, deadline: float) -> int:
        """Read stdout (to ``out``) and stderr until the command exits; its exit status."""
        while True:
            got = False
            if chan.recv_stderr_ready():
                err += chan.recv_stderr(BLOCK)
                got = True
            if chan.recv_ready():
                data = chan.recv(BLOCK)
                if data:
                    out(data)
                    got = True
            if (chan.exit_status_ready() and not chan.recv_ready()
                    and not chan.recv_stderr_ready()):
                # recv returns b"" once the server closed stdout: everything was read.
                while data := chan.recv(BLOCK):
                    out(data)
                return chan.recv_exit_status()
            if chan.closed and not got:
                return chan.recv_exit_status()
            if not got:
                if time.monotonic() > deadline:
                    raise socket.timeout()
                time.sleep(0.002)

    def run(self, argv: list[str], *, cwd: str = "", stdin: bytes | None = None,
            timeout: float = 300) -> tuple[int, bytes, bytes]:
        """Run ``argv`` on the host, in website folder ``cwd``; (status, stdout, stderr)."""
        chan = self._session(argv, cwd=self.url.path(cwd) if cwd or self.url.root else None)
        out, err = bytearray(), bytearray()
        try:
            with chan:
                if stdin:
                    chan.sendall(stdin)
                chan.shutdown_write()
                status = self._drain(chan, out.extend, err, time.monotonic() + timeout)
        except (OSError, paramiko.SSHException, EOFError) as exc:
            raise self._lost(exc) from None
        return status, bytes(out), bytes(err)

    # -- bulk
    def put_tree(self, archive: Path, rel: str) -> list[str]:
        """The checked .tar.gz streamed to ``tar -xzf -`` into a stage folder next to the
        target, then renamed into place (see SftpTransport._staged_put)."""
        with CheckedPackage(archive, decompress=False) as package:
            return self._staged_put(package, rel, self._untar_stage)

    def _untar_stage(self, package: CheckedPackage, stage: str) -> None:
        argv = ["tar", "-x", "-z", "-f", "-", "-C", self.url.path(stage)]
        chan = self._session(argv)
        err = bytearray()
        try:
            with chan:
                package.gz.seek(0)
                while block := package.gz.read(BLOCK):
                    chan.sendall(block)
                    while chan.recv_stderr_ready():  # a full stderr pipe would stall tar
                        err += chan.recv_stderr(BLOCK)
                chan.shutdown_write()
                status = self._drain(chan, lambda _d: None, err,
                                     time.monotonic() + max(self.timeout, 600))
        except (OSError, paramiko.SSHException, EOFError) as exc:
            raise self._lost(exc) from None
        if status != 0:
            raise _stderr_error(bytes(err), "Unpacking the package on the server", self.url)

    def get_tree(self, rel: str, out: BinaryIO, *, exclude: list[str] | None = None) -> None:
        """``tar -czf - -C <folder> <entries>`` read from the channel, unzipped on the fly:
        ``out`` gets the same plain tar stream as from the other transports."""
        patterns = [p.strip("/") for p in exclude or []]
        names = [n for n in self.listdir(rel)
                 if not any(fnmatch.fnmatchcase(n, p) for p in patterns)]
        if not names:
            with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT):
                return
        split_rel(rel)
        argv = ["tar", "-c", "-z", "-f", "-", "--anchored", "--wildcards",
                *[f"--exclude={p}" for p in patterns], "-C", self.url.path(rel), "--", *names]
        chan = self._session(argv)
        unzip = zlib.decompressobj(wbits=31)
        err = bytearray()
        try:
            with chan:
                chan.shutdown_write()
                status = self._drain(chan, lambda d: out.write(unzip.decompress(d)), err,
                                     time.monotonic() + max(self.timeout, 3600))
            out.write(unzip.flush())
        except (OSError, paramiko.SSHException, EOFError) as exc:
            raise self._lost(exc) from None
        except zlib.error as exc:
            raise remote_error(f"The archive sent by the server is damaged: {exc}.", self.url,
                               errcode=HOST) from None
        # GNU tar exits 1 when a file changed while it was read (a live website): a warning.
        if status not in (0, 1):
            raise _stderr_error(bytes(err), "Packing the website folder on the server",
                                self.url)
        if status == 1:
            log.warning("tar on %s: %s", self.url.label,
                        err.decode(errors="replace").strip()[:300])
