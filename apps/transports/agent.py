"""Privilege separation for local websites: their file work runs as the website's owner.

As root, with the website's uid/gid known, we never touch a website's files ourselves.
``OwnerTransport`` starts one small process per opened website (this module, run as the
owner's uid/gid with no supplementary groups, umask 022, the minimal environment), hands it
a descriptor of the website root (opened by us: the panel's path is trusted, its parents
need not be reachable by the owner) and asks it, one call at a time, to do what
``LocalTransport`` does. Whatever the owner planted (links, swapped folders, a tar member
racing us), the worst it can reach is what the owner could reach anyway.

The protocol is a Unix socket pair: each message is a 4-byte length and a JSON object;
file contents travel through pipes whose ends go along with a request (SCM_RIGHTS). The
agent runs as the owner, who may attach a debugger to it: its replies are untrusted data,
so they are JSON (never pickle) and every reply is checked against the type its call
returns before we use it.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from installatron_gui.lib.children import DEFAULT_PATH, child_env

from .base import Transport, TransportError
from .local import LocalTransport, _copy

HEADER = struct.Struct(">I")
MAX_REPLY = 64 << 20  # a walk() of a very large site; anything longer is refused
CALL_TIMEOUT = 3600
PROJECT = Path(__file__).resolve().parents[2]
# What the agent runs: these modules only (stdlib beneath them), copied into a root-owned
# folder every owner can read but none can write, so the project itself may live where
# owners cannot look (/root) and no owner can change the code the next agent runs.
AGENT_MODULES = ("apps/__init__.py", "apps/transports/__init__.py", "apps/transports/agent.py",
                 "apps/transports/base.py", "apps/transports/local.py",
                 "installatron_gui/lib/__init__.py", "installatron_gui/lib/archives.py",
                 "installatron_gui/lib/children.py", "installatron_gui/lib/errors.py",
                 "installatron_gui/lib/tarfix.py")
# installatron_gui's __init__ starts Celery (a quarter of a second per website opened): the
# package is registered bare, tarfix applied by hand. -I keeps PYTHON* variables and the
# owner's site-packages out, -B writes no bytecode into the shared folder.
BOOT = """
import sys, types
root = sys.argv[1]
sys.path.insert(0, root)
package = types.ModuleType("installatron_gui")
package.__path__ = [root + "/installatron_gui"]
sys.modules["installatron_gui"] = package
from installatron_gui.lib import tarfix
tarfix.apply()
from apps.transports.agent import serve
serve(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
"""
_home: Path | None = None
_home_lock = threading.Lock()


def _agent_home() -> Path:
    """The agent's code, copied once per process (again if a /tmp cleaner removed it)."""
    global _home
    with _home_lock:
        if _home is None or not (_home / AGENT_MODULES[-1]).is_file():
            home = Path(tempfile.mkdtemp(prefix="itron-agent-"))
            for rel in AGENT_MODULES:
                (home / rel).parent.mkdir(mode=0o755, parents=True, exist_ok=True)
                shutil.copyfile(PROJECT / rel, home / rel)
                os.chmod(home / rel, 0o644)
            for folder in (home, home / "apps", home / "apps/transports",
                           home / "installatron_gui", home / "installatron_gui/lib"):
                os.chmod(folder, 0o755)  # noqa: S103 (code every owner reads, none may write)
            _home = home
        return _home


def _open_to_others(path: str) -> bool:
    """Whether anyone may run ``path``: every folder above it searchable and the file
    itself readable and executable by others."""
    real = Path(os.path.realpath(path))
    try:
        if os.stat(real).st_mode & 0o005 != 0o005:
            return False
        return all(os.stat(folder).st_mode & 0o001 for folder in real.parents)
    except OSError:
        return False


def _interpreter() -> str:
    """Our Python where owners can run it (a pyenv under /root is not), else the system's;
    the agent needs the standard library only."""
    for candidate in (sys.executable, shutil.which("python3", path=DEFAULT_PATH) or ""):
        if candidate and _open_to_others(candidate):
            return candidate
    raise TransportError("No Python that website owners may run was found (install "
                         "python3): file work on local websites runs as their owner.",
                         errcode="failed_filesystem_permission")


def wants_owner(uid: int | None, gid: int | None) -> bool:
    """Whether a local website's file work must go through an owner agent: we are root and
    the website belongs to someone else."""
    return os.geteuid() == 0 and uid is not None and gid is not None and uid != 0


# -- framing (both sides)
def _send(sock: socket.socket, obj: dict, fds: tuple[int, ...] = ()) -> None:
    data = json.dumps(obj).encode()
    frame = HEADER.pack(len(data)) + data
    sent = socket.send_fds(sock, [frame], list(fds)) if fds else sock.send(frame)
    if sent < len(frame):
        sock.sendall(frame[sent:])


def _recv_exact(sock: socket.socket, size: int, first: bytes = b"") -> bytes:
    buf = bytearray(first)
    while len(buf) < size:
        chunk = sock.recv(min(size - len(buf), 1 << 20))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def _recv(sock: socket.socket, *, with_fds: bool = False) -> tuple[dict, list[int]]:
    if with_fds:
        first, fds, _flags, _addr = socket.recv_fds(sock, HEADER.size, 4)
        if not first:
            raise EOFError
    else:
        first, fds = b"", []
    (size,) = HEADER.unpack(_recv_exact(sock, HEADER.size, first))
    if size > MAX_REPLY:
        raise ValueError("message too long")
    obj = json.loads(_recv_exact(sock, size))
    if not isinstance(obj, dict):
        raise TypeError("message is not an object")
    return obj, fds


# -- the agent (runs as the owner)
class _OwnedRoot(LocalTransport):
    """LocalTransport on a root descriptor we were given (never reopened by path)."""

    def __init__(self, root: str, root_fd: int):
        super().__init__(root)
        self._root_fd = root_fd

    def _open_root(self) -> int:
        return os.dup(self._root_fd)


def _agent_call(t: _OwnedRoot, op: str, args: dict, fds: list[int]):
    rel = str(args.get("rel", ""))
    if op in ("exists", "is_dir", "listdir", "size", "remove"):
        return getattr(t, op)(rel)
    if op == "mkdir":
        return t.mkdir(rel, mode=int(args.get("mode", 0o755)) & 0o7777)
    if op == "walk":
        return list(t.walk(rel))
    if op == "rename":
        return t.rename(str(args["src"]), str(args["dst"]))
    (fd,) = fds
    if op == "read_to":
        with os.fdopen(fd, "wb") as out:
            return t.read_to(rel, out)
    if op == "get_tree":
        with os.fdopen(fd, "wb") as out:
            return t.get_tree(rel, out, exclude=[str(p) for p in args.get("exclude") or []])
    if op == "write":
        with os.fdopen(fd, "rb") as data:
            return t.write(rel, data, mode=int(args.get("mode", 0o644)) & 0o7777)
    if op == "put_tree":
        with os.fdopen(fd, "rb") as src:
            return t.put_tree_from(src, rel)
    raise ValueError(f"unknown call {op!r}")


def serve(sock_fd: int, root_fd: int, root: str) -> None:
    """The agent's loop: one call at a time until the socket closes."""
    sock = socket.socket(fileno=sock_fd)
    transport = _OwnedRoot(root, root_fd)
    while True:
        try:
            request, fds = _recv(sock, with_fds=True)
        except (EOFError, OSError, TypeError, ValueError):
            return
        try:
            reply = {"ok": _agent_call(transport, str(request.get("op")),
                                       request.get("args") or {}, fds)}
        except TransportError as exc:
            reply = {"error": exc.message, "errcode": exc.errcode, "status": exc.status}
        except Exception as exc:  # noqa: BLE001 - reported to the caller, who decides
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            for fd in fds:  # whatever the call did not take over
                try:
                    os.close(fd)
                except OSError:
                    pass
        _send(sock, reply)


# -- our side (root)
def _checked(kind: type | tuple[type, ...]) -> Callable[[object], object]:
    def check(value: object) -> object:
        if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
            raise TransportError("The website's file agent gave an unexpected reply.")
        return value
    return check


def _str_list(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TransportError("The website's file agent gave an unexpected reply.")
    return value


_bool, _int, _none = _checked(bool), _checked(int), _checked(type(None))


class OwnerTransport(Transport):
    """A local website whose file work runs in a process with the website's uid/gid."""

    has_shell = False
    same_machine = True

    def __init__(self, root: str, *, uid: int | None = None, gid: int | None = None,
                 **options):
        self._local = LocalTransport(root, uid=uid, gid=gid, **options)  # checks the path
        super().__init__(self._local.root, uid=uid, gid=gid, **options)
        self._proc: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def connect(self) -> None:
        if self._proc is not None:
            return
        python, home = _interpreter(), _agent_home()
        root_fd = self._local._open_root()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._proc = subprocess.Popen(
                [python, "-I", "-B", "-c", BOOT, str(home), str(theirs.fileno()),
                 str(root_fd), self.root],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, pass_fds=(theirs.fileno(), root_fd), cwd="/",
                user=self.uid, group=self.gid, extra_groups=[], umask=0o022,
                env=child_env(HOME="/"), start_new_session=True)
        except OSError as exc:
            ours.close()
            raise TransportError("The website's files cannot be reached as their owner: "
                                 f"{exc.strerror or exc}.",
                                 errcode="failed_filesystem_permission") from None
        finally:
            theirs.close()
            os.close(root_fd)
        self._sock = ours
        self._sock.settimeout(CALL_TIMEOUT)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def _call(self, op: str, args: dict, check: Callable[[object], object], *,
              fd: int | None = None, feed: Callable[[], None] | None = None):
        """One request; ``fd`` (a pipe end) goes with it, ``feed`` runs before the reply is
        read (it moves the data through the pipe)."""
        self.connect()
        with self._lock:
            try:
                try:
                    _send(self._sock, {"op": op, "args": args},
                          (fd,) if fd is not None else ())
                finally:
                    if fd is not None:
                        os.close(fd)
                if feed is not None:
                    feed()
                reply, _ = _recv(self._sock)
            except (EOFError, OSError, TypeError, ValueError) as exc:
                self.close()
                raise TransportError("The website's file agent stopped: "
                                     f"{exc.__class__.__name__}.") from None
        if "error" in reply:
            errcode = reply.get("errcode")
            status = reply.get("status")
            raise TransportError(str(reply["error"])[:500],
                                 errcode=errcode if isinstance(errcode, str) else None,
                                 status=status if isinstance(status, int) else None)
        return check(reply.get("ok"))

    def _pull(self, op: str, args: dict, out: BinaryIO, check) -> object:
        """A call whose data comes back through a pipe into ``out``."""
        r, w = os.pipe()
        with os.fdopen(r, "rb") as src:
            return self._call(op, args, check, fd=w, feed=lambda: _copy(src, out))

    def _push(self, op: str, args: dict, data: bytes | BinaryIO) -> object:
        """A call whose data goes to the agent through a pipe."""
        r, w = os.pipe()
        sink = os.fdopen(w, "wb")

        def feed() -> None:
            try:
                with sink:
                    if isinstance(data, bytes | bytearray | memoryview):
                        sink.write(data)
                    else:
                        _copy(data, sink)
            except BrokenPipeError:
                pass  # the agent refused before reading; its reply says why

        try:
            return self._call(op, args, _none, fd=r, feed=feed)
        finally:
            if not sink.closed:
                try:
                    sink.close()
                except BrokenPipeError:
                    pass

    def exists(self, rel: str) -> bool:
        return self._call("exists", {"rel": rel}, _bool)

    def is_dir(self, rel: str) -> bool:
        return self._call("is_dir", {"rel": rel}, _bool)

    def listdir(self, rel: str = "") -> list[str]:
        return self._call("listdir", {"rel": rel}, _str_list)

    def size(self, rel: str) -> int:
        return self._call("size", {"rel": rel}, _int)

    def walk(self, rel: str = "") -> Iterator[str]:
        yield from self._call("walk", {"rel": rel}, _str_list)

    def read(self, rel: str) -> bytes:
        buf = io.BytesIO()
        self.read_to(rel, buf)
        return buf.getvalue()

    def read_to(self, rel: str, out: BinaryIO) -> int:
        return self._pull("read_to", {"rel": rel}, out, _int)

    def write(self, rel: str, data: bytes | BinaryIO, *, mode: int = 0o644) -> None:
        self._push("write", {"rel": rel, "mode": mode}, data)

    def mkdir(self, rel: str, *, mode: int = 0o755) -> list[str]:
        return self._call("mkdir", {"rel": rel, "mode": mode}, _str_list)

    def remove(self, rel: str) -> None:
        self._call("remove", {"rel": rel}, _none)

    def rename(self, src: str, dst: str) -> None:
        self._call("rename", {"src": src, "dst": dst}, _none)

    def put_tree(self, archive: Path, rel: str) -> list[str]:
        try:
            fd = os.open(archive, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise TransportError(f"The package archive cannot be read: "
                                 f"{os.strerror(exc.errno or 0)}.") from None
        return self._call("put_tree", {"rel": rel}, _str_list, fd=fd)

    def get_tree(self, rel: str, out: BinaryIO, *, exclude: list[str] | None = None) -> None:
        self._pull("get_tree", {"rel": rel, "exclude": list(exclude or [])}, out, _none)


def local_transport(root: str, *, uid: int | None = None, gid: int | None = None,
                    **options) -> Transport:
    """The transport of a local website path (settings.TRANSPORT_BACKENDS["local"])."""
    cls = OwnerTransport if wants_owner(uid, gid) else LocalTransport
    return cls(root, uid=uid, gid=gid, **options)
