"""Websites reached over FTP (``ftp://``) or explicit FTPS (``ftps://``), with ftplib.

* FTPS is AUTH TLS on the control connection plus PROT P for data; the certificate is
  verified against the system CAs or ``FTPS_CA_FILE`` unless ``FTPS_VERIFY_CERTIFICATE``
  is off.
* Passive data connections go to the control connection's peer, never to the address
  in the PASV reply (ftplib's trust_server_pasv_ipv4_address=False): a hostile server
  cannot point us at another host.
* Listings use MLSD and fall back to LIST for servers without it.
* Every file needs its own data connection (about 4 round trips), so put_tree and
  get_tree spread files over a few parallel control connections (``FTP_CONNECTIONS``,
  default 4).
"""

from __future__ import annotations

import fnmatch
import ftplib
import io
import logging
import queue
import secrets
import socket
import ssl
import tarfile
import tempfile
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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

SMALL_FILE = 1 << 20  # get_tree fetches files up to this size ahead, in parallel
READ_AHEAD = 64  # files fetched ahead of the one being added to the tar (memory bound)


@dataclass
class Entry:
    name: str
    kind: str  # "dir", "file", "link" or "other"
    size: int = 0
    mode: int | None = None
    mtime: int = 0


def parse_list_line(line: str) -> Entry | None:
    """One line of a Unix-style LIST reply (the fallback when MLSD is missing)."""
    fields = line.split(None, 8)
    if len(fields) < 9 or not fields[0] or fields[0][0] not in "dl-bcps":
        return None
    perm, name = fields[0], fields[8]
    kind = {"d": "dir", "-": "file", "l": "link"}.get(perm[0], "other")
    if kind == "link":
        name = name.split(" -> ", 1)[0]
    if name in (".", ".."):
        return None
    try:
        size = int(fields[4])
    except ValueError:
        size = 0
    return Entry(name=name, kind=kind, size=size)


class FtpTransport(Transport):
    """Options: ``timeout`` (seconds per network wait), ``connections`` (put_tree pool)."""

    default_port = 21
    tls = False

    def __init__(self, root: str, *, uid: int | None = None, gid: int | None = None,
                 **options):
        super().__init__(root, uid=uid, gid=gid, **options)
        self.url: RemoteUrl = parse_remote(root, self.default_port)
        self.timeout = float(options.get("timeout") or setting("REMOTE_TIMEOUT", 30))
        self.attempts = connect_attempts(options)
        self.connections = max(1, int(options.get("connections")
                                      or setting("FTP_CONNECTIONS", 4)))
        self._ftp: ftplib.FTP | None = None
        self._mlsd = True
        self.web = WebArchive.for_transport(self, options)

    # -- connection
    def _tls_context(self) -> ssl.SSLContext:
        cafile = setting("FTPS_CA_FILE", "") or None
        ctx = ssl.create_default_context(cafile=cafile)
        if not setting("FTPS_VERIFY_CERTIFICATE", True):
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def _login(self) -> ftplib.FTP:
        """One logged-in control connection (passive, binary, PROT P under TLS)."""
        ftp: ftplib.FTP | None = None
        where = f"{self.url.host}:{self.url.port}"
        try:
            if self.tls:
                ftp = ftplib.FTP_TLS(context=self._tls_context(), timeout=self.timeout)
            else:
                ftp = ftplib.FTP(timeout=self.timeout)
            ftp.trust_server_pasv_ipv4_address = False
            # ftplib's connect() would look the name up again: the checked socket instead.
            sock = open_socket(self.url, timeout=self.timeout, options=self.options)
            ftp.host, ftp.port, ftp.sock, ftp.af = self.url.host, self.url.port, sock, sock.family
            ftp.file = sock.makefile("r", encoding=ftp.encoding)
            ftp.welcome = ftp.getresp()
            if self.tls:
                ftp.auth()
            ftp.login(self.url.user or "anonymous", self.url.password)
            if self.tls:
                ftp.prot_p()
            ftp.set_pasv(True)
            ftp.voidcmd("TYPE I")
            return ftp
        except BaseException as exc:
            if ftp is not None:
                ftp.close()
            if isinstance(exc, KeyboardInterrupt | SystemExit | TransportError):
                raise
            if isinstance(exc, ssl.SSLCertVerificationError):
                raise remote_error(f"The TLS certificate of {where} could not be verified "
                                   f"({exc.verify_message}).", self.url, errcode=HOST) from None
            if isinstance(exc, ftplib.error_perm) and str(exc)[:3] in ("530", "331", "332"):
                raise remote_error(f"{where} rejected the login for user '{self.url.user}'.",
                                   self.url, errcode=LOGIN) from None
            if not trusted(self.options):
                raise generic_error(self.url) from None  # an owner's address: one text
            if isinstance(exc, ftplib.error_perm) and self.tls:
                raise remote_error(f"{where} does not offer FTP over TLS: {exc}.", self.url,
                                   errcode=HOST) from None
            if isinstance(exc, ConnectionRefusedError):
                raise remote_error(f"{where} refused the connection.", self.url,
                                   errcode=HOST) from None
            if isinstance(exc, socket.timeout | TimeoutError):
                raise remote_error(f"{where} did not answer within {self.timeout:g} seconds.",
                                   self.url, errcode=HOST) from None
            if isinstance(exc, socket.gaierror):
                raise remote_error(f"The host name '{self.url.host}' cannot be resolved.",
                                   self.url, errcode=HOST) from None
            raise remote_error(f"Cannot connect to {where}: {exc or type(exc).__name__}.",
                               self.url, errcode=HOST) from None

    def connect(self) -> None:
        self._ftp = with_retries(self._login, self.url, attempts=self.attempts)
        if self.url.root and self._entry_kind("") != "dir":
            raise TransportError("The website folder cannot be opened.", errcode=MISSING)

    def close(self) -> None:
        if self._ftp is not None:
            try:
                self._ftp.quit()
            except (ftplib.Error, OSError, EOFError):
                self._ftp.close()
            self._ftp = None

    @property
    def ftp(self) -> ftplib.FTP:
        if self._ftp is None:
            raise TransportError("The transport is not connected.", errcode=HOST)
        return self._ftp

    def _path(self, rel: str) -> str:
        path = self.url.path(rel)
        if "\r" in path or "\n" in path:
            # an FTP command ends at a line break: such a name could smuggle a command in
            raise TransportError("A path with a line break is not allowed over FTP.",
                                 errcode="invalid_argument_path", status=400)
        return path

    @contextmanager
    def _io(self, rel: str) -> Iterator[None]:
        try:
            yield
        except TransportError:
            raise
        except ftplib.Error as exc:
            raise self._reply_error(str(exc), rel) from None
        except (OSError, EOFError) as exc:
            if isinstance(exc, socket.timeout | TimeoutError):
                raise remote_error(f"{self.url.host}:{self.url.port} stopped answering (no "
                                   f"reply within {self.timeout:g} seconds).", self.url,
                                   errcode=HOST) from None
            raise remote_error(f"The connection to {self.url.host}:{self.url.port} was lost "
                               f"({exc or type(exc).__name__}).", self.url, errcode=HOST) from None

    def _reply_error(self, reply: str, rel: str) -> TransportError:
        code, low = reply[:3], reply.lower()
        text = reply[4:200].strip() or reply[:200]
        if code in ("552", "452") or "no space left" in low or "quota" in low:
            return remote_error(f"The server could not write '{rel or '/'}': the disk is full "
                                "or the account is over its quota.", self.url, errcode=QUOTA)
        if code == "550" and ("no such file" in low or "not found" in low
                              or "does not exist" in low):
            return TransportError(f"'{rel}' does not exist.", errcode=MISSING, status=400)
        if code in ("421", "425", "426") and "permission" not in low:
            return remote_error(f"The server ended the transfer of '{rel or '/'}': {text}",
                                self.url, errcode=HOST)
        return remote_error(f"Permission denied on '{rel or '/'}' ({text}).", self.url,
                            errcode=PERMISSION)

    # -- listings
    def _entries(self, rel: str, ftp: ftplib.FTP | None = None) -> list[Entry]:
        ftp = ftp or self.ftp
        path = self._path(rel)
        with self._io(rel):
            if self._mlsd:
                try:
                    entries = []
                    for name, facts in ftp.mlsd(path, facts=["type", "size", "unix.mode",
                                                             "modify"]):
                        kind = facts.get("type", "").lower()
                        if kind in ("cdir", "pdir") or name in (".", ".."):
                            continue
                        mode = facts.get("unix.mode")
                        mtime = facts.get("modify", "")
                        entries.append(Entry(
                            name=name,
                            kind=kind if kind in ("dir", "file") else
                            ("link" if "slink" in kind else "other"),
                            size=int(facts.get("size") or 0),
                            mode=int(mode, 8) if mode else None,
                            mtime=_mlsd_time(mtime)))
                    return sorted(entries, key=lambda e: e.name)
                except ftplib.error_perm as exc:
                    if str(exc)[:3] not in ("500", "501", "502", "504"):
                        raise
                    self._mlsd = False  # no MLSD here: LIST from now on
            lines: list[str] = []
            ftp.retrlines(f"LIST {path}", lines.append)
            return sorted((e for e in map(parse_list_line, lines) if e), key=lambda e: e.name)

    def _entry(self, rel: str) -> Entry | None:
        parts = split_rel(rel)
        if not parts:
            return Entry(name="", kind="dir")
        try:
            siblings = self._entries("/".join(parts[:-1]))
        except TransportError as exc:
            if exc.errcode in (MISSING, PERMISSION) and "/".join(parts[:-1]):
                return None
            raise
        return next((e for e in siblings if e.name == parts[-1]), None)

    def _entry_kind(self, rel: str) -> str | None:
        if not split_rel(rel):
            try:
                with self._io(rel):
                    self.ftp.cwd(self._path(rel))
                return "dir"
            except TransportError:
                return None
        entry = self._entry(rel)
        return entry.kind if entry else None

    # -- queries
    def exists(self, rel: str) -> bool:
        return self._entry(rel) is not None

    def is_dir(self, rel: str) -> bool:
        return self._entry_kind(rel) == "dir"

    def listdir(self, rel: str = "") -> list[str]:
        return [e.name for e in self._entries(rel)]

    def _walk(self, rel: str) -> Iterator[tuple[str, Entry]]:
        base = "/".join(split_rel(rel))
        for entry in self._entries(rel):
            path = f"{base}/{entry.name}" if base else entry.name
            yield path, entry
            if entry.kind == "dir":
                yield from self._walk(path)

    def size(self, rel: str) -> int:
        entry = self._entry(rel)
        if entry is None:
            raise TransportError(f"'{rel}' does not exist.", errcode=MISSING, status=400)
        if entry.kind != "dir":
            return entry.size
        return sum(e.size for _, e in self._walk(rel) if e.kind != "dir")

    def walk(self, rel: str = "") -> Iterator[str]:
        yield from [p for p, e in self._walk(rel) if e.kind != "dir"]

    # -- files
    def read(self, rel: str) -> bytes:
        out = io.BytesIO()
        self.read_to(rel, out)
        return out.getvalue()

    def read_to(self, rel: str, out: BinaryIO) -> int:
        if not split_rel(rel):
            raise TransportError(f"'{rel}' is not a file.", errcode="invalid_argument_path",
                                 status=400)
        copied = 0

        def take(block: bytes) -> None:
            nonlocal copied
            out.write(block)
            copied += len(block)

        with self._io(rel):
            self.ftp.retrbinary(f"RETR {self._path(rel)}", take)
        return copied

    def write(self, rel: str, data: bytes | BinaryIO, *, mode: int = 0o644) -> None:
        """Atomic: STOR to a temporary name in the same folder, then RNFR/RNTO."""
        parts = split_rel(rel)
        if not parts:
            raise TransportError("This operation needs a path inside the website.",
                                 errcode="invalid_argument_path", status=400)
        if len(parts) > 1:
            self.mkdir("/".join(parts[:-1]))
        tmp = "/".join([*parts[:-1], f".{parts[-1][:64]}.itron-{secrets.token_hex(6)}.tmp"])
        try:
            with self._io(rel):
                self.ftp.storbinary(f"STOR {self._path(tmp)}", io.BytesIO(data) if isinstance(
                    data, bytes | bytearray | memoryview) else data)
            self._chmod(tmp, mode)
            with self._io(rel):
                try:
                    self.ftp.rename(self._path(tmp), self._path(rel))
                except ftplib.error_perm:
                    # some servers refuse RNTO onto an existing file
                    if self._entry_kind(rel) not in ("file", "link"):
                        raise
                    self.ftp.delete(self._path(rel))
                    self.ftp.rename(self._path(tmp), self._path(rel))
        except BaseException:
            self._quiet_remove(tmp)
            raise

    def _chmod(self, rel: str, mode: int, ftp: ftplib.FTP | None = None) -> None:
        try:
            (ftp or self.ftp).voidcmd(f"SITE CHMOD {mode & 0o777:o} {self._path(rel)}")
        except ftplib.error_perm:
            pass  # optional in FTP: the server's default mode then applies

    def mkdir(self, rel: str, *, mode: int = 0o755) -> list[str]:
        created: list[str] = []
        parts = split_rel(rel)
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            kind = self._entry_kind(sub)
            if kind == "dir":
                continue
            if kind is not None:
                raise TransportError(f"A part of '{rel}' is not a folder.",
                                     errcode="invalid_argument_path", status=400)
            with self._io(sub):
                self.ftp.mkd(self._path(sub))
            created.append(sub)
        return created

    def remove(self, rel: str) -> None:
        """A file, a symlink (never its target) or a whole tree; missing is fine.

        DELE first: it removes files and links alike (unlink), so only something DELE
        refused, and that is a folder, is entered. A link is never descended into even
        where MLSD reports the type of its target.
        """
        if not split_rel(rel):
            raise TransportError("This operation needs a path inside the website.",
                                 errcode="invalid_argument_path", status=400)
        self._remove(rel, self.ftp)

    def _remove(self, rel: str, ftp: ftplib.FTP) -> None:
        path = self._path(rel)
        with self._io(rel):
            try:
                ftp.delete(path)
                return
            except ftplib.error_perm as exc:
                refused = str(exc)
        try:
            entries = self._entries(rel, ftp)
        except TransportError as exc:
            if exc.errcode == MISSING or self._entry(rel) is None:
                return
            raise self._reply_error(refused, rel) from None
        for entry in entries:
            self._remove(f"{rel}/{entry.name}", ftp)
        with self._io(rel):
            ftp.rmd(path)

    def rename(self, src: str, dst: str) -> None:
        if self.exists(dst):
            raise TransportError(f"'{dst}' already exists.", errcode=EXISTS, status=400)
        with self._io(src):
            self.ftp.rename(self._path(src), self._path(dst))

    def _quiet_remove(self, rel: str) -> None:
        try:
            self.remove(rel)
        except TransportError as exc:
            log.warning("cleanup of '%s' on %s failed: %s", rel, self.url.label, exc.message)

    # -- bulk
    def put_tree(self, archive: Path, rel: str) -> list[str]:
        """Unpack a checked package into ``rel``: folders on this connection, files over a
        small pool of parallel connections, all into a stage folder next to the target
        that is renamed into place at the end (removed again on any failure). Where the
        website's PHP can unpack one archive instead, it does (web.py)."""
        if self.web is not None and (tops := self.web.put_tree(archive, rel)) is not None:
            return tops
        parts = split_rel(rel)
        with CheckedPackage(archive) as package:
            tops = package.tops
            created = self.mkdir(rel) if parts else []
            undo = list(reversed(created))
            try:
                refuse_existing([n for n in tops if self.exists("/".join([*parts, n]))], rel)
                stage = "/".join([*parts, STAGE_PREFIX + secrets.token_hex(6)])
                with self._io(stage):
                    self.ftp.mkd(self._path(stage))
                undo.insert(0, stage)
                self._upload(package.tar, stage)
                refuse_existing([n for n in tops if self.exists("/".join([*parts, n]))], rel)
                for name in tops:
                    target = "/".join([*parts, name])
                    with self._io(target):
                        self.ftp.rename(self._path(f"{stage}/{name}"), self._path(target))
                    undo.insert(0, target)
                with self._io(stage):
                    self.ftp.rmd(self._path(stage))
            except BaseException:
                self._undo(undo)
                raise
        return tops

    def _undo(self, rels: list[str]) -> None:
        try:
            self.ftp.voidcmd("NOOP")
        except (ftplib.Error, OSError, EOFError, TransportError):
            self.close()
            try:
                self._ftp = with_retries(self._login, self.url, attempts=self.attempts)
            except TransportError as exc:
                log.warning("cannot clean up %s after a failure: %s", self.url.label,
                            exc.message)
                return
        for rel in rels:
            self._quiet_remove(rel)

    def _upload(self, tar_fh: BinaryIO, stage: str) -> None:
        with tarfile.open(fileobj=tar_fh, mode="r:") as tar:
            members = [m for m in tar if m.isdir() or m.isreg()]
            dirs: set[str] = set()
            for m in members:
                parts = [p for p in m.name.split("/") if p not in ("", ".")]
                for i in range(1, len(parts) + (1 if m.isdir() else 0)):
                    dirs.add("/".join(parts[:i]))
            for d in sorted(dirs, key=lambda p: (p.count("/"), p)):
                with self._io(f"{stage}/{d}"):
                    self.ftp.mkd(self._path(f"{stage}/{d}"))
            work: queue.Queue = queue.Queue(maxsize=self.connections * 8)
            failures: list[BaseException] = []
            stop = threading.Event()

            def worker(ftp: ftplib.FTP) -> None:
                try:
                    while (item := work.get()) is not None:
                        if stop.is_set():
                            continue
                        rel, data, mode = item
                        with self._io(rel):
                            ftp.storbinary(f"STOR {self._path(rel)}", io.BytesIO(data))
                        # Executables, and private files (a wp-config.php at 0640 in
                        # a restore must not come back world-readable).
                        if mode & 0o111 or (mode & 0o777) != 0o644:
                            self._chmod(rel, mode, ftp)
                except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                    failures.append(exc)
                    stop.set()
                    while work.get() is not None:  # keep draining so the producer never blocks
                        pass
                finally:
                    try:
                        ftp.close()
                    except OSError:
                        pass

            pool = [self._login() for _ in range(self.connections)]
            threads = [threading.Thread(target=worker, args=(f,), daemon=True) for f in pool]
            for t in threads:
                t.start()
            try:
                for m in members:
                    if stop.is_set():
                        break
                    if m.isreg():
                        name = "/".join(p for p in m.name.split("/") if p not in ("", "."))
                        work.put((f"{stage}/{name}", tar.extractfile(m).read(), m.mode))
            finally:
                for _ in threads:
                    work.put(None)
                for t in threads:
                    t.join()
            if failures:
                raise failures[0]

    def get_tree(self, rel: str, out: BinaryIO, *, exclude: list[str] | None = None) -> None:
        """A tar stream of folder ``rel`` (links stored as empty entries are left out,
        since FTP cannot read a link's target).

        Each RETR needs its own data connection, so small files are fetched ahead, in
        walk order, over the ``connections`` pool; large ones stream through a spool
        file on the main connection. The tar keeps the walk's order.
        """
        if self.web is not None and self.web.get_tree(rel, out, exclude=exclude):
            return
        patterns = [p.strip("/") for p in exclude or []]
        base = "/".join(split_rel(rel))
        skipped: list[str] = []
        wanted: list[tuple[str, str, Entry]] = []
        for path, entry in self._walk(rel):
            name = path[len(base) + 1:] if base else path
            if any(name == d or name.startswith(d + "/") for d in skipped):
                continue
            if any(fnmatch.fnmatchcase(name, p) for p in patterns):
                skipped.append(name)
                continue
            if entry.kind in ("dir", "file"):
                wanted.append((path, name, entry))
        small = sum(1 for _p, _n, e in wanted if e.kind == "file" and e.size <= SMALL_FILE)
        workers = min(self.connections, max(1, small // 16))
        with _FetchPool(self, workers) as pool, \
                tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            ahead: deque = deque()
            todo = iter(wanted)

            def fill() -> None:
                while len(ahead) < READ_AHEAD and (item := next(todo, None)) is not None:
                    path, _name, entry = item
                    early = (entry.kind == "file" and entry.size <= SMALL_FILE
                             and workers > 1 and not pool.refused)
                    ahead.append((item, pool.submit(path) if early else None))

            fill()
            while ahead:
                (path, name, entry), future = ahead.popleft()
                fill()
                info = tarfile.TarInfo(name)
                info.mtime = entry.mtime
                if entry.kind == "dir":
                    info.type = tarfile.DIRTYPE
                    info.mode = entry.mode if entry.mode is not None else 0o755
                    tar.addfile(info)
                    continue
                info.mode = entry.mode if entry.mode is not None else 0o644
                data = future.result() if future is not None else None
                if data is not None:
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
                    continue
                with tempfile.SpooledTemporaryFile(max_size=SMALL_FILE) as spool:
                    info.size = self.read_to(path, spool)
                    spool.seek(0)
                    tar.addfile(info, spool)


class _FetchPool:
    """Extra logged-in control connections that RETR small files for get_tree."""

    def __init__(self, transport: FtpTransport, workers: int):
        self.transport = transport
        self.workers = workers
        self.local = threading.local()
        self.opened: list[ftplib.FTP] = []
        self.lock = threading.Lock()
        self.executor = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
        self.refused = False  # the server would not take another connection

    def __enter__(self) -> _FetchPool:
        return self

    def __exit__(self, *exc) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
        for ftp in self.opened:
            try:
                ftp.quit()
            except (ftplib.Error, OSError, EOFError):
                ftp.close()

    def submit(self, path: str):
        return self.executor.submit(self._fetch, path)

    def _fetch(self, path: str) -> bytes | None:
        """The file's contents; None when this worker has no connection (a server that
        limits connections per client): the main connection then reads it."""
        t = self.transport
        ftp = getattr(self.local, "ftp", None)
        if ftp is None:
            if self.refused:
                return None
            try:
                ftp = self.local.ftp = t._login()
            except TransportError as exc:
                log.info("no extra FTP connection to %s (%s): reading on one", t.url.label,
                         exc.message)
                self.refused = True
                return None
            with self.lock:
                self.opened.append(ftp)
        buf = bytearray()
        with t._io(path):
            ftp.retrbinary(f"RETR {t._path(path)}", buf.extend)
        return bytes(buf)


def _mlsd_time(value: str) -> int:
    import calendar
    import time

    try:
        return calendar.timegm(time.strptime(value[:14], "%Y%m%d%H%M%S"))
    except ValueError:
        return 0


class FtpsTransport(FtpTransport):
    """Explicit FTPS: AUTH TLS, certificate verified, PROT P for every data connection."""

    tls = True

