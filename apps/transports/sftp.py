"""Websites reached over SFTP (``sftp://user:pass@host[:port]/path``), with paramiko.

Connecting: TCP, key exchange, then the host key is checked (hostkeys.check_host_key)
and only then is the password or key offered. Files move through one SFTP channel;
``put_tree`` pipelines its requests (many OPEN/WRITE/CLOSE in flight, in order) because
one blocking round trip per file costs minutes on a distant server (feasibility note,
section 3.3: 207-273 s against about 5 s at 20 ms RTT).
"""

from __future__ import annotations

import errno
import io
import logging
import posixpath
import secrets
import socket
import stat
import tarfile
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import paramiko
from paramiko.sftp import (
    CMD_CLOSE,
    CMD_HANDLE,
    CMD_MKDIR,
    CMD_NAME,
    CMD_OPEN,
    CMD_OPENDIR,
    CMD_READ,
    CMD_READDIR,
    CMD_WRITE,
    SFTP_FLAG_CREATE,
    SFTP_FLAG_EXCL,
    SFTP_FLAG_READ,
    SFTP_FLAG_TRUNC,
    SFTP_FLAG_WRITE,
    int64,
)
from paramiko.sftp_attr import SFTPAttributes

from . import hostkeys
from .base import Transport, TransportError
from .local import split_rel
from .remote import (
    EXISTS,
    HOST,
    LOGIN,
    MISSING,
    PERMISSION,
    QUOTA,
    STAGE_PREFIX,
    CheckedPackage,
    RemoteUrl,
    connect_attempts,
    generic_error,
    open_socket,
    parse_remote,
    refuse_existing,
    remote_error,
    setting,
    trusted,
    with_retries,
)
from .web import WebArchive

log = logging.getLogger(__name__)

CHUNK = 32768  # per WRITE: OpenSSH's sftp-server accepts up to 256 KiB
WINDOW = 64  # requests in flight (note, section 3: W=64 A=16 reached the disk floor)
AHEAD = 16  # files opened ahead of the one being written
SMALL_FILE = 1 << 20  # get_tree reads files up to this size pipelined, in one batch


def connect_error(exc: BaseException, url: RemoteUrl, timeout: float, *,
                  generic: bool = False) -> TransportError:
    """A connect/authenticate failure as a customer-readable error (no secrets).
    ``generic``: an owner's address, whose errors before the login all read the same."""
    if isinstance(exc, TransportError):
        return exc
    where = f"{url.host}:{url.port}"
    if isinstance(exc, paramiko.BadAuthenticationType):
        return remote_error(f"{where} does not accept this kind of login "
                            f"(it allows: {', '.join(exc.allowed_types)}).", url, errcode=LOGIN)
    if isinstance(exc, paramiko.AuthenticationException):
        return remote_error(f"{where} rejected the login for user '{url.user}'.", url,
                            errcode=LOGIN)
    if generic:
        return generic_error(url)
    if isinstance(exc, ConnectionRefusedError):
        return remote_error(f"{where} refused the connection.", url, errcode=HOST)
    if isinstance(exc, socket.timeout | TimeoutError):
        return remote_error(f"{where} did not answer within {timeout:g} seconds.", url,
                            errcode=HOST)
    if isinstance(exc, socket.gaierror):
        return remote_error(f"The host name '{url.host}' cannot be resolved.", url,
                            errcode=HOST)
    if isinstance(exc, paramiko.SSHException) and "banner" in str(exc).lower():
        return remote_error(f"{where} did not answer as an SSH server within "
                            f"{timeout:g} seconds.", url, errcode=HOST)
    return remote_error(f"Cannot connect to {where}: {exc or type(exc).__name__}.", url,
                        errcode=HOST)


def open_ssh(url: RemoteUrl, *, timeout: float, key_file: str | None = None,
             key_passphrase: str | None = None, trust: str | None = None,
             website_id: int | None = None, pkey: paramiko.PKey | None = None,
             options: dict | None = None) -> paramiko.Transport:
    """An authenticated SSH connection. The host key is checked after the key exchange
    and before any credential leaves this machine. ``pkey``: a key given in memory (an
    owner's own key pair); ``options``: the transport's (outbound policy)."""
    sock = None
    transport = None
    options = options or {}
    try:
        sock = open_socket(url, timeout=timeout, options=options)
        transport = paramiko.Transport(sock)
        transport.banner_timeout = timeout
        transport.handshake_timeout = timeout
        transport.auth_timeout = timeout
        hostkeys.prefer_known_types(transport, url.host, url.port)
        transport.start_client(timeout=timeout)
        hostkeys.check_host_key(url.host, url.port, transport.get_remote_server_key(),
                                trust=trust, website_id=website_id)
        if pkey is not None:
            transport.auth_publickey(url.user, pkey)
        elif key_file:
            try:
                # Positional: paramiko 3 names it passphrase, paramiko 5 password.
                secret = key_passphrase.encode() if key_passphrase else None
                pkey = paramiko.PKey.from_path(key_file, secret)
            except (OSError, paramiko.SSHException, ValueError) as exc:
                detail = "it needs a passphrase" if isinstance(
                    exc, paramiko.PasswordRequiredException) else "it cannot be read"
                raise remote_error(f"The SSH key file cannot be used: {detail}.", url,
                                   errcode=LOGIN, extra=[key_passphrase or ""]) from None
            transport.auth_publickey(url.user, pkey)
        else:
            transport.auth_password(url.user, url.password)
        if not transport.is_authenticated():
            raise paramiko.AuthenticationException()
        transport.set_keepalive(30)
        return transport
    except BaseException as exc:
        if transport is not None:
            transport.close()
        elif sock is not None:
            sock.close()
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        raise connect_error(exc, url, timeout, generic=not trusted(options)) from None


class SftpTransport(Transport):
    """A website on a host with SFTP (no shell needed).

    Options: ``key_file`` / ``key_passphrase`` (instead of the password; the reference's
    source_ftu_key), ``pkey`` (a key in memory: an owner's own pair), ``trust_host_key``
    ("first-use" or "SHA256:..."), ``website_id`` (recorded with a newly trusted key),
    ``timeout`` (seconds per network wait), ``trusted`` (the panel's own website path:
    exempt from the owners' outbound policy, transports.remote.open_socket).
    """

    default_port = 22

    def __init__(self, root: str, *, uid: int | None = None, gid: int | None = None,
                 **options):
        super().__init__(root, uid=uid, gid=gid, **options)
        self.url = parse_remote(root, self.default_port)
        self.timeout = float(options.get("timeout") or setting("REMOTE_TIMEOUT", 30))
        self.attempts = connect_attempts(options)
        self._ssh: paramiko.Transport | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self.web = WebArchive.for_transport(self, options)

    # -- connection
    def _open_ssh(self) -> paramiko.Transport:
        return open_ssh(self.url, timeout=self.timeout, key_file=self.options.get("key_file"),
                        key_passphrase=self.options.get("key_passphrase"),
                        trust=self.options.get("trust_host_key"),
                        website_id=self.options.get("website_id"),
                        pkey=self.options.get("pkey"), options=self.options)

    def connect(self) -> None:
        self._ssh, self._sftp = with_retries(self._reconnect, self.url, attempts=self.attempts)
        if self.url.root:
            with self._io(""):
                if not stat.S_ISDIR(self._sftp.stat(self.url.root).st_mode):
                    raise TransportError("The website folder is not a folder.",
                                         errcode=MISSING)

    def close(self) -> None:
        for thing in (self._sftp, self._ssh):
            if thing is not None:
                try:
                    thing.close()
                except Exception:  # noqa: BLE001 - closing a dead connection
                    log.debug("closing %s failed", self.url.label, exc_info=True)
        self._sftp = self._ssh = None

    def _alive(self) -> bool:
        return self._ssh is not None and self._ssh.is_active()

    def _connection_gone(self) -> bool:
        """Whether the connection under the SFTP session is gone (or going)."""
        channel = self._sftp.get_channel() if self._sftp is not None else None
        return not self._alive() or channel is None or channel.closed

    @property
    def sftp(self) -> paramiko.SFTPClient:
        if self._sftp is None:
            raise TransportError("The transport is not connected.", errcode=HOST)
        return self._sftp

    @contextmanager
    def _io(self, rel: str, *, writing: bool = False) -> Iterator[None]:
        """SFTP and connection errors as TransportErrors about ``rel``."""
        try:
            yield
        except TransportError:
            raise
        except OSError as exc:
            raise self._file_error(exc, rel, writing=writing) from None
        except (paramiko.SSHException, EOFError) as exc:
            raise remote_error(f"The connection to {self.url.host}:{self.url.port} was lost "
                               f"({exc or type(exc).__name__}).", self.url, errcode=HOST) from None

    def _file_error(self, exc: OSError, rel: str, *, writing: bool) -> TransportError:
        if isinstance(exc, socket.timeout | TimeoutError):
            return remote_error(f"{self.url.host}:{self.url.port} stopped answering "
                                f"(no reply within {self.timeout:g} seconds).", self.url,
                                errcode=HOST)
        if exc.errno == errno.ENOENT:
            return TransportError(f"'{rel}' does not exist.", errcode=MISSING, status=400)
        if exc.errno == errno.EACCES:
            return TransportError(f"Permission denied on '{rel or '/'}'.", errcode=PERMISSION)
        if exc.errno is None and self._connection_gone():
            # paramiko raises a bare OSError("Socket is closed") on a dropped channel.
            return remote_error(f"The connection to {self.url.host}:{self.url.port} was lost "
                                f"while working on '{rel or '/'}'.", self.url, errcode=HOST)
        if exc.errno is None and writing:
            # sftp-server reports ENOSPC/EDQUOT as a bare SSH_FX_FAILURE ("Failure").
            return TransportError(f"The server could not write '{rel or '/'}': the disk is "
                                  "full or the account is over its quota.", errcode=QUOTA)
        return remote_error(f"Could not access '{rel or '/'}': {exc.strerror or exc}.",
                            self.url, errcode=PERMISSION)

    def _lstat(self, rel: str) -> SFTPAttributes | None:
        path = self.url.path(rel)
        with self._io(rel):
            try:
                return self.sftp.lstat(path)
            except FileNotFoundError:
                return None

    # -- queries
    def exists(self, rel: str) -> bool:
        return self._lstat(rel) is not None

    def is_dir(self, rel: str) -> bool:
        st = self._lstat(rel)
        return st is not None and stat.S_ISDIR(st.st_mode)

    def listdir(self, rel: str = "") -> list[str]:
        with self._io(rel):
            return sorted(self.sftp.listdir(self.url.path(rel)))

    def _walk(self, rel: str) -> Iterator[tuple[str, SFTPAttributes]]:
        """(relative path, lstat) of everything below folder ``rel``, depth first and
        sorted by name; links not followed. The folders are listed pipelined."""
        base = "/".join(split_rel(rel))
        with self._io(rel):
            listing = pipelined_listing(self.sftp, self.url.path(rel))

        def below(sub: str) -> Iterator[tuple[str, SFTPAttributes]]:
            for attr in sorted(listing.get(sub, []), key=lambda a: a.filename):
                path = f"{sub}/{attr.filename}" if sub else attr.filename
                yield (f"{base}/{path}" if base else path), attr
                if stat.S_ISDIR(attr.st_mode or 0):
                    yield from below(path)

        yield from below("")

    def size(self, rel: str) -> int:
        st = self._lstat(rel)
        if st is None:
            raise TransportError(f"'{rel}' does not exist.", errcode=MISSING, status=400)
        if not stat.S_ISDIR(st.st_mode):
            return st.st_size or 0
        return sum(a.st_size or 0 for _, a in self._walk(rel) if not stat.S_ISDIR(a.st_mode))

    def walk(self, rel: str = "") -> Iterator[str]:
        yield from [p for p, a in self._walk(rel) if not stat.S_ISDIR(a.st_mode)]

    # -- files
    def _file_stat(self, rel: str) -> SFTPAttributes:
        st = self._lstat(rel)
        if st is None:
            raise TransportError(f"'{rel}' does not exist.", errcode=MISSING, status=400)
        if not stat.S_ISREG(st.st_mode):
            raise TransportError(f"'{rel}' is not a file.", errcode="invalid_argument_path",
                                 status=400)
        return st

    def read(self, rel: str) -> bytes:
        st = self._file_stat(rel)
        with self._io(rel), self.sftp.open(self.url.path(rel), "rb") as fh:
            fh.prefetch(st.st_size)
            return fh.read()

    def read_to(self, rel: str, out: BinaryIO) -> int:
        st = self._file_stat(rel)
        copied = 0
        with self._io(rel), self.sftp.open(self.url.path(rel), "rb") as fh:
            fh.prefetch(st.st_size)  # pipelined READs ahead of what is copied
            while copied < (st.st_size or 0) and (block := fh.read(1 << 20)):
                out.write(block)
                copied += len(block)
        if copied != st.st_size:
            raise TransportError(f"'{rel}' changed while it was read.")
        return copied

    def write(self, rel: str, data: bytes | BinaryIO, *, mode: int = 0o644) -> None:
        """Atomic: a temporary name in the same folder, then posix-rename over ``rel``."""
        parts = split_rel(rel)
        if not parts:
            raise TransportError("This operation needs a path inside the website.",
                                 errcode="invalid_argument_path", status=400)
        parent = "/".join(parts[:-1])
        self.mkdir(parent) if parent else None
        tmp = "/".join([*parts[:-1], f".{parts[-1][:64]}.itron-{secrets.token_hex(6)}.tmp"])
        tmp_path, path = self.url.path(tmp), self.url.path(rel)
        try:
            with self._io(rel, writing=True):
                src = io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) \
                    else data
                written = pipelined_write(self.sftp, tmp_path, src)
                self.sftp.chmod(tmp_path, mode)
                if self.sftp.lstat(tmp_path).st_size != written:
                    raise OSError(None, "short write")
                try:
                    self.sftp.posix_rename(tmp_path, path)
                except OSError as exc:
                    if exc.errno is not None:
                        raise
                    # no posix-rename@openssh.com: plain RENAME refuses to replace a file
                    self._remove_path(path, rel)
                    self.sftp.rename(tmp_path, path)
        except BaseException:
            self._quiet_remove(tmp)
            raise

    def mkdir(self, rel: str, *, mode: int = 0o755) -> list[str]:
        created: list[str] = []
        parts = split_rel(rel)
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            st = self._lstat(sub)
            if st is not None:
                if not stat.S_ISDIR(st.st_mode):
                    raise TransportError(f"A part of '{rel}' is not a folder (or is a "
                                         "symbolic link).", errcode="invalid_argument_path",
                                         status=400)
                continue
            with self._io(sub, writing=True):
                try:
                    self.sftp.mkdir(self.url.path(sub), mode)
                except OSError:
                    if not self.is_dir(sub):  # made meanwhile by someone else is fine
                        raise
                    continue
            created.append(sub)
        return created

    def remove(self, rel: str) -> None:
        """A file, a symlink (never its target) or a whole tree; missing is fine."""
        if not split_rel(rel):
            raise TransportError("This operation needs a path inside the website.",
                                 errcode="invalid_argument_path", status=400)
        self._remove_path(self.url.path(rel), rel)

    def _remove_path(self, path: str, rel: str) -> None:
        with self._io(rel):
            try:
                st = self.sftp.lstat(path)
            except FileNotFoundError:
                return
            if not stat.S_ISDIR(st.st_mode):
                self.sftp.remove(path)
                return
            # READDIR attributes are lstat's: a link inside is removed, never entered.
            for attr in self.sftp.listdir_attr(path):
                child = posixpath.join(path, attr.filename)
                if stat.S_ISDIR(attr.st_mode or 0):
                    self._remove_path(child, f"{rel}/{attr.filename}")
                else:
                    self.sftp.remove(child)
            self.sftp.rmdir(path)

    def rename(self, src: str, dst: str) -> None:
        if self.exists(dst):
            raise TransportError(f"'{dst}' already exists.", errcode=EXISTS, status=400)
        with self._io(src):
            self.sftp.rename(self.url.path(src), self.url.path(dst))

    # -- bulk
    def put_tree(self, archive: Path, rel: str) -> list[str]:
        """Unpack a checked package into ``rel`` through a pipelined SFTP writer.

        Everything lands in a private stage folder next to the target first and is then
        renamed into place; on any failure (a cut connection too) what was created is
        removed, over a fresh connection if need be. Where the website's PHP can unpack
        one archive instead, it does (web.py).
        """
        if self.web is not None and (tops := self.web.put_tree(archive, rel)) is not None:
            return tops
        with CheckedPackage(archive) as package:
            return self._staged_put(package, rel, self._upload_stage)

    def _staged_put(self, package: CheckedPackage, rel: str, upload) -> list[str]:
        parts = split_rel(rel)
        tops = package.tops
        created = self.mkdir(rel) if parts else []
        undo: list[str] = list(reversed(created))
        try:
            refuse_existing([n for n in tops if self.exists("/".join([*parts, n]))], rel)
            stage = "/".join([*parts, STAGE_PREFIX + secrets.token_hex(6)])
            with self._io(stage, writing=True):
                self.sftp.mkdir(self.url.path(stage), 0o700)
            undo.insert(0, stage)
            upload(package, stage)
            refuse_existing([n for n in tops if self.exists("/".join([*parts, n]))], rel)
            for name in tops:
                target = "/".join([*parts, name])
                with self._io(target, writing=True):
                    self.sftp.rename(self.url.path(f"{stage}/{name}"), self.url.path(target))
                undo.insert(0, target)
            with self._io(stage):
                self.sftp.rmdir(self.url.path(stage))
        except BaseException:
            self._undo(undo)
            raise
        return tops

    def _undo(self, rels: list[str]) -> None:
        """Best effort removal after a failed put_tree; reconnects once if the connection
        was cut, so a half-written stage folder does not stay behind."""
        if not rels or (self._connection_gone() and not self._reopen()):
            return
        for rel in rels:
            try:
                self.remove(rel)
            except TransportError as exc:
                # The cut may only now be noticed: one new connection, then give up.
                if exc.errcode == HOST and self._reopen():
                    self._quiet_remove(rel)
                else:
                    log.warning("cleanup of '%s' on %s failed: %s", rel, self.url.label,
                                exc.message)

    def _reopen(self) -> bool:
        """A new connection in place of a dropped one; False (logged) if there is none."""
        self.close()
        try:
            self._ssh, self._sftp = with_retries(self._reconnect, self.url,
                                                 attempts=self.attempts)
        except TransportError as exc:
            log.warning("cannot clean up %s after a failure: %s", self.url.label, exc.message)
            return False
        return True

    def _reconnect(self):
        ssh = self._open_ssh()
        try:
            sftp = paramiko.SFTPClient.from_transport(ssh)
            sftp.get_channel().settimeout(self.timeout)
        except BaseException as exc:
            ssh.close()
            raise connect_error(exc, self.url, self.timeout,
                                generic=not trusted(self.options)) from None
        return ssh, sftp

    def _quiet_remove(self, rel: str) -> None:
        try:
            self.remove(rel)
        except TransportError as exc:
            log.warning("cleanup of '%s' on %s failed: %s", rel, self.url.label, exc.message)

    def _upload_stage(self, package: CheckedPackage, stage: str) -> None:
        with self._io(stage, writing=True):
            pipelined_upload(self.sftp, self.url.path(stage), package.tar)

    def _read_many(self, entries: list[tuple[tarfile.TarInfo, str | None]]
                   ) -> Iterator[tuple[tarfile.TarInfo, bytes | None]]:
        """``entries`` in order, each with its file's contents (None for an entry with a
        path of None: a folder or a link), read pipelined over the one channel: one
        blocking round trip per file is what makes a plain download of an application's 2,900
        files slow over a real network (the note, 3.3)."""
        wanted = [(self.url.path(path), info.size) for info, path in entries if path]
        contents = pipelined_reads(self.sftp, wanted)
        for info, path in entries:
            if path is None:
                yield info, None
                continue
            with self._io(path):
                yield info, next(contents)

    def get_tree(self, rel: str, out: BinaryIO, *, exclude: list[str] | None = None) -> None:
        """A tar stream of folder ``rel`` built from SFTP reads (no shell on the host), or
        packed by the website's PHP where it can (web.py)."""
        import fnmatch

        if self.web is not None and self.web.get_tree(rel, out, exclude=exclude):
            return

        patterns = [p.strip("/") for p in exclude or []]
        base = "/".join(split_rel(rel))
        skipped_dirs: list[str] = []
        files: list[tuple[tarfile.TarInfo, str | None]] = []

        def flush() -> None:
            """Add the entries queued so far, in the walk's order; small files' contents
            are read ahead in parallel."""
            for info, data in self._read_many(files):
                tar.addfile(info, io.BytesIO(data) if data is not None else None)
            files.clear()

        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for path, attr in self._walk(rel):
                name = path[len(base) + 1:] if base else path
                if any(name == d or name.startswith(d + "/") for d in skipped_dirs):
                    continue
                if any(fnmatch.fnmatchcase(name, p) for p in patterns):
                    if stat.S_ISDIR(attr.st_mode):
                        skipped_dirs.append(name)
                    continue
                info = tarfile.TarInfo(name)
                info.mode = stat.S_IMODE(attr.st_mode)
                info.mtime = int(attr.st_mtime or 0)
                info.uid, info.gid = attr.st_uid or 0, attr.st_gid or 0
                if stat.S_ISDIR(attr.st_mode):
                    info.type = tarfile.DIRTYPE
                    files.append((info, None))
                elif stat.S_ISLNK(attr.st_mode):
                    info.type = tarfile.SYMTYPE
                    with self._io(path):
                        info.linkname = self.sftp.readlink(self.url.path(path)) or ""
                    files.append((info, None))
                elif stat.S_ISREG(attr.st_mode):
                    info.size = attr.st_size or 0
                    if info.size <= SMALL_FILE:
                        files.append((info, path))
                        continue
                    flush()  # a large file streams on its own, after what came before it
                    with self._io(path), self.sftp.open(self.url.path(path), "rb") as fh:
                        fh.prefetch(info.size)
                        tar.addfile(info, fh)
            flush()


def _status(sftp: paramiko.SFTPClient, num: int, path: str) -> tuple[int, paramiko.Message]:
    """Wait for reply ``num``; an error status raises OSError naming the remote ``path``."""
    try:
        return sftp._read_response(num)
    except OSError as exc:
        exc.filename = path
        raise


def pipelined_listing(sftp: paramiko.SFTPClient, top: str, *,
                      window: int = WINDOW) -> dict[str, list[SFTPAttributes]]:
    """Every folder below remote ``top`` ("" for itself) -> its entries (no . and ..),
    links not followed, with up to ``window`` OPENDIR/READDIR/CLOSE requests in flight
    across folders: a plain walk costs about four round trips per folder, one after the
    other (a large application has hundreds of them). Replies come in order (see pipelined_upload)."""
    listing: dict[str, list[SFTPAttributes]] = {}
    todo: deque = deque([""])
    queue: deque = deque()  # (num, kind, rel, handle)

    def remote(rel: str) -> str:
        return f"{top}/{rel}" if rel else top

    while todo or queue:
        while todo and len(queue) < window:
            rel = todo.popleft()
            listing[rel] = []
            queue.append((sftp._async_request(type(None), CMD_OPENDIR, remote(rel)),
                          "opendir", rel, None))
        num, kind, rel, handle = queue.popleft()
        try:
            t, msg = _status(sftp, num, remote(rel))
        except EOFError:  # READDIR: the folder is complete
            queue.append((sftp._async_request(type(None), CMD_CLOSE, handle), "close", rel,
                          None))
            continue
        if kind == "close":
            continue
        if kind == "opendir":
            if t != CMD_HANDLE:
                raise OSError(errno.EIO, f"unexpected reply {t} to OPENDIR", remote(rel))
            handle = msg.get_binary()
        elif t == CMD_NAME:
            for _ in range(msg.get_int()):
                name, longname = msg.get_text(), msg.get_text()
                attr = SFTPAttributes._from_msg(msg, name, longname)
                if name in (".", ".."):
                    continue
                listing[rel].append(attr)
                if stat.S_ISDIR(attr.st_mode or 0):
                    todo.append(f"{rel}/{name}" if rel else name)
        else:
            raise OSError(errno.EIO, f"unexpected reply {t} to READDIR", remote(rel))
        queue.append((sftp._async_request(type(None), CMD_READDIR, handle), "readdir", rel,
                      handle))
    return listing


def pipelined_reads(sftp: paramiko.SFTPClient, files: list[tuple[str, int]], *,
                    window: int = WINDOW, ahead: int = AHEAD,
                    chunk: int = CHUNK) -> Iterator[bytes]:
    """The contents of each remote (path, size), in order, with up to ``window``
    OPEN/READ/CLOSE requests in flight over the one channel (the reverse of
    pipelined_upload). A file whose size changed meanwhile raises OSError."""
    queue: deque = deque()  # (num, kind, index, offset)
    opened: deque = deque()  # (index, handle)
    parts: dict[int, list[bytes]] = {}
    next_open = opening = 0
    done = 0

    def drain_one() -> int | None:
        """Read the oldest reply; the index of a file whose CLOSE came back, else None."""
        nonlocal opening
        num, kind, index, offset = queue.popleft()
        path, size = files[index]
        try:
            t, msg = _status(sftp, num, path)
        except EOFError:
            raise OSError(None, "the file changed while it was read", path) from None
        if kind == "open":
            opening -= 1
            if t != CMD_HANDLE:
                raise OSError(errno.EIO, f"unexpected reply {t} to OPEN", path)
            opened.append((index, msg.get_binary()))
        elif kind == "read":
            data = msg.get_string()
            if len(data) != min(chunk, size - offset):  # a short reply: changed, or odd
                raise OSError(None, "the file changed while it was read", path)
            parts[index].append(data)
        elif kind == "close":
            return index
        return None

    while done < len(files):
        while opening < ahead and next_open < len(files) and len(queue) < window:
            path, _size = files[next_open]
            parts[next_open] = []
            queue.append((sftp._async_request(type(None), CMD_OPEN, path, SFTP_FLAG_READ,
                                              SFTPAttributes()), "open", next_open, 0))
            next_open += 1
            opening += 1
        finished = None
        if opened:
            index, handle = opened.popleft()
            size = files[index][1]
            for offset in range(0, size, chunk):
                queue.append((sftp._async_request(type(None), CMD_READ, handle, int64(offset),
                                                  min(chunk, size - offset)), "read", index,
                              offset))
                while len(queue) > window and finished is None:
                    finished = drain_one()
            queue.append((sftp._async_request(type(None), CMD_CLOSE, handle), "close", index,
                          0))
        if finished is None and queue:
            finished = drain_one()
        if finished is not None:
            if finished != done:  # replies come in order: so do the files
                raise OSError(errno.EIO, "SFTP replies out of order", files[finished][0])
            data = b"".join(parts.pop(finished))
            done += 1
            yield data


def pipelined_write(sftp: paramiko.SFTPClient, path: str, src: BinaryIO, *,
                    window: int = WINDOW, chunk: int = CHUNK) -> int:
    """Create remote file ``path`` (it must not exist) from ``src`` with up to ``window``
    WRITEs in flight, every reply checked: paramiko's own pipelined mode drops a WRITE's
    error and its close still succeeds, which would rename a truncated file into place.
    Returns the bytes written."""
    private = SFTPAttributes()
    private.st_mode = 0o600  # until the caller sets the final mode: never readable early
    num = sftp._async_request(type(None), CMD_OPEN, path,
                              SFTP_FLAG_WRITE | SFTP_FLAG_CREATE | SFTP_FLAG_EXCL, private)
    t, msg = _status(sftp, num, path)
    if t != CMD_HANDLE:
        raise OSError(errno.EIO, f"unexpected reply {t} to OPEN", path)
    handle = msg.get_binary()
    queue: deque = deque()
    offset = 0
    try:
        while block := src.read(chunk):
            queue.append(sftp._async_request(type(None), CMD_WRITE, handle, int64(offset),
                                             block))
            offset += len(block)
            while len(queue) >= window:
                _status(sftp, queue.popleft(), path)
        while queue:
            _status(sftp, queue.popleft(), path)
    finally:
        failed = bool(queue)
        for num in queue:  # after an error: the replies still come, in order
            try:
                sftp._read_response(num)
            except Exception:  # noqa: BLE001 - the first error is the one raised
                break
        try:
            _status(sftp, sftp._async_request(type(None), CMD_CLOSE, handle), path)
        except Exception:
            if not failed:
                raise
    return offset


def pipelined_upload(sftp: paramiko.SFTPClient, stage: str, tar_fh: BinaryIO, *,
                     window: int = WINDOW, ahead: int = AHEAD, chunk: int = CHUNK) -> int:
    """Write every member of an (already checked, uncompressed) tar below remote folder
    ``stage`` with up to ``window`` requests in flight. Returns the number of files.

    paramiko's public API waits for each OPEN and CLOSE; its low-level
    ``_async_request``/``_read_response`` let us queue them. The server answers in order,
    so the oldest outstanding reply is always the next one read. Offsets go out as int64
    (a plain int is packed as uint32 and the server drops the connection; pitfall 11).
    """
    with tarfile.open(fileobj=tar_fh, mode="r:") as tar:
        members = [m for m in tar if m.isdir() or m.isreg()]
        dirs: dict[str, int] = {}
        files = []
        for m in members:
            name = "/".join(p for p in m.name.split("/") if p not in ("", "."))
            if not name:
                continue
            parts = name.split("/")
            for i in range(1, len(parts) if m.isreg() else len(parts) + 1):
                dirs.setdefault("/".join(parts[:i]), 0o755)
            if m.isdir():
                dirs[name] = (m.mode & 0o777) | 0o700
            else:
                files.append((name, m))
        # Parents first: the server runs requests in order, so a child's MKDIR finds its parent.
        pending: deque = deque()
        for d in sorted(dirs, key=lambda p: (p.count("/"), p)):
            attrs = SFTPAttributes()
            attrs.st_mode = dirs[d] & ~0o022
            path = f"{stage}/{d}"
            pending.append((sftp._async_request(type(None), CMD_MKDIR, path, attrs), path))
        for num, path in pending:
            _status(sftp, num, path)

        queue: deque = deque()  # (num, kind, path, member), oldest first
        ready: deque = deque()  # (handle, path, member) of opened files
        opening = next_file = written = 0

        def drain_one() -> None:
            nonlocal opening
            num, kind, path, member = queue.popleft()
            t, msg = _status(sftp, num, path)
            if kind == "open":
                opening -= 1
                if t != CMD_HANDLE:
                    raise OSError(errno.EIO, f"unexpected reply {t} to OPEN", path)
                ready.append((msg.get_binary(), path, member))

        while True:
            while opening < ahead and next_file < len(files) and len(queue) < window:
                name, member = files[next_file]
                next_file += 1
                attrs = SFTPAttributes()
                attrs.st_mode = member.mode & 0o755
                path = f"{stage}/{name}"
                num = sftp._async_request(type(None), CMD_OPEN, path,
                                          SFTP_FLAG_WRITE | SFTP_FLAG_CREATE | SFTP_FLAG_TRUNC,
                                          attrs)
                queue.append((num, "open", path, member))
                opening += 1
            if ready:
                handle, path, member = ready.popleft()
                src = tar.extractfile(member)
                offset = 0
                while block := src.read(chunk):
                    queue.append((sftp._async_request(type(None), CMD_WRITE, handle,
                                                      int64(offset), block), "write", path, None))
                    offset += len(block)
                    while len(queue) > window:
                        drain_one()
                queue.append((sftp._async_request(type(None), CMD_CLOSE, handle), "close",
                              path, None))
                written += 1
            elif queue:
                drain_one()
            else:
                return written
