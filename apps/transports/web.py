"""put_tree and get_tree of ftp/ftps/sftp websites through the website's own web server.

Copying a package file by file costs a few round trips per file (2,600 files: 77 s onto an
``ftp://`` website at 20 ms). When a vhost of the website reaches the folder and runs
PHP, one archive and a one-time script (webtar.php) are uploaded instead and the script
is called over HTTP, dialling the website's ``vhost_ip`` when it has one:

* the script has a random name in a private folder with a random name (an empty
  index.html in it against directory listings); it answers only a POST carrying a random
  token whose SHA-256 it holds (hash_equals), only until its expiry, deletes itself before
  doing anything, and proves it ran by an HMAC of the token;
* it refuses to work when PHP runs as another user than the one who uploaded it (files it
  made could not be changed over FTP later), and refuses any archive member that is not a
  plain file or folder with a relative name without ``..``; it creates files with O_EXCL
  (never through a link), unpacks into its private folder, checks each top-level name is
  still free and renames it into place;
* the packer streams a tar of the folder (links stored as links, never followed) in
  length-prefixed frames, so a cut connection is told apart from the end.

Whenever the script cannot run (no vhost reaches the folder, no PHP, PHP as another user,
the host unreachable, a redirect, a TLS failure) the transport's own file-by-file
transfer is used, logged at info. Once the script reported that it started, a failure is
an error and put_tree removes whatever it made, like the file-by-file path does. Over an
encrypted transport (ftps, sftp) only https:// vhosts are used unless
``WEB_ARCHIVE_PLAIN_HTTP`` allows http (a backup read would otherwise cross the network
in clear).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import secrets
import time
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, urlencode, urlsplit

from installatron_gui.lib.http import connection

from .base import TransportError
from .local import split_rel
from .remote import HOST, PERMISSION, QUOTA, CheckedPackage, refuse_existing, setting

log = logging.getLogger(__name__)

SCRIPT = Path(__file__).with_name("webtar.php")
STAGE_PREFIX = "itron-web-"
TTL = 3600  # seconds the script answers at all (the website's clock)
ENCRYPTED = ("ftps", "sftp", "ssh")
FRAME_HEAD = 9  # a kind letter and eight hex digits of length


class NotServed(Exception):
    """The website did not run the script: the caller falls back."""


class BadProof(NotServed):
    """Something answered as the script would, without proving it knows the token."""


def folder_url(vhosts: dict | None, rel: str, *, https_only: bool) -> str | None:
    """The URL that reaches folder ``rel`` (relative to the website path) through the
    vhost whose folder is its longest prefix (https preferred on a tie); None if none."""
    parts = split_rel(rel)
    best = None
    for url, folder in (vhosts or {}).items():
        scheme = urlsplit(str(url)).scheme.lower()
        if scheme not in ("http", "https") or (https_only and scheme != "https"):
            continue
        try:
            prefix = split_rel(str(folder or ""))
        except TransportError:
            continue
        if parts[:len(prefix)] != prefix:
            continue
        rank = (len(prefix), scheme == "https")
        if best is None or rank > best[0]:
            rest = "".join("/" + quote(p, safe="") for p in parts[len(prefix):])
            best = (rank, str(url).rstrip("/") + rest)
    return best[1] if best else None


def proof(token: str, what: str) -> str:
    return hmac.new(token.encode(), what.encode(), hashlib.sha256).hexdigest()


def script_text(token: str, archive: str) -> bytes:
    """webtar.php for one use: the token's SHA-256, an expiry time, the archive's name."""
    text = SCRIPT.read_text()
    return (text.replace("%TOKEN_SHA256%", hashlib.sha256(token.encode()).hexdigest())
            .replace("%EXPIRES%", str(int(time.time()) + TTL))
            .replace("%ARCHIVE%", archive)).encode()


def call_script(url: str, token: str, action: str, *, ip: str = "", timeout: float = 120,
                fields: dict | None = None) -> tuple[http.client.HTTPConnection,
                                                     http.client.HTTPResponse]:
    """POST to the script; returns the open connection and response once the script said
    it started. NotServed when it did not (the caller falls back)."""
    parts = urlsplit(url)
    conn = connection(url, ip=ip, timeout=timeout)
    body = urlencode({"token": token, "action": action, **(fields or {})}).encode()
    try:
        conn.request("POST", parts.path, body=body, headers={
            "User-Agent": "installatron-gui", "Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        line = response.readline(400).decode("ascii", "replace").strip() \
            if response.status == 200 else ""
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        raise NotServed(f"{parts.scheme}://{parts.netloc} cannot be reached "
                        f"({type(exc).__name__})") from None
    if line == f"ITRON-GO {proof(token, 'go')}":
        return conn, response
    conn.close()
    if line.startswith(("ITRON-GO ", "ITRON-NO ")) and not line.startswith(
            f"ITRON-NO {proof(token, 'no')} "):
        raise BadProof("the script's answer does not prove it holds the token")
    if line.startswith(f"ITRON-NO {proof(token, 'no')} "):
        raise NotServed("the script cannot work there: " + line.split(" ", 2)[2][:200])
    if response.status != 200:
        raise NotServed(f"the URL answered HTTP {response.status}")
    raise NotServed("the URL does not run PHP in this folder")


def read_frames(response: http.client.HTTPResponse, out: BinaryIO,
                sinks: dict[bytes, BinaryIO] | None = None) -> None:
    """Copy the packer's data frames to ``out`` (other kinds to their ``sinks``) up to
    its end frame; a cut or an error frame is a TransportError."""
    while True:
        head = response.read(FRAME_HEAD)
        if len(head) < FRAME_HEAD:
            raise TransportError("The connection to the website's packer was cut before the "
                                 "end of the archive.", errcode=HOST)
        kind, size = head[:1], int(head[1:], 16)
        data = response.read(size) if size else b""
        if len(data) < size:
            raise TransportError("The connection to the website's packer was cut before the "
                                 "end of the archive.", errcode=HOST)
        if kind == b"D":
            out.write(data)
        elif sinks and kind in sinks:
            sinks[kind].write(data)
        elif kind == b"Z":
            return
        else:
            raise TransportError("The website could not pack the folder: "
                                 f"{data.decode('utf-8', 'replace')[:200]}.", errcode=PERMISSION)


def read_unpack(response: http.client.HTTPResponse) -> list[str]:
    """The unpacker's report: the top-level names it moved into place."""
    while True:
        line = response.readline(70000)
        text = line.decode("utf-8", "replace").rstrip("\n")
        if not line.endswith(b"\n"):
            raise TransportError("The connection to the website's unpacker was cut before it "
                                 "finished.", errcode=HOST)
        if text.startswith("OK "):
            return list(json.loads(text[3:]))
        if text.startswith("ERR "):
            message = text[4:204]
            errcode = ("failed_package_invalid" if "unsafe" in message or "archive" in message
                       else QUOTA if "disk" in message else PERMISSION)
            raise TransportError(f"The website could not unpack the archive: {message}.",
                                 errcode=errcode)


class WebArchive:
    """The HTTP path of one transport (``vhosts``, ``vhost_ip`` from its options)."""

    def __init__(self, transport, vhosts: dict, ip: str = ""):
        self.t = transport
        self.vhosts = vhosts
        self.ip = ip
        self.timeout = max(60.0, float(setting("REMOTE_TIMEOUT", 30)) * 4)

    @classmethod
    def for_transport(cls, transport, options: dict) -> WebArchive | None:
        vhosts = options.get("vhosts")
        if not vhosts or not setting("WEB_ARCHIVE", True):
            return None
        return cls(transport, dict(vhosts), str(options.get("vhost_ip") or ""))

    def url_for(self, rel: str) -> str | None:
        https_only = (self.t.url.scheme in ENCRYPTED
                      and not setting("WEB_ARCHIVE_PLAIN_HTTP", False))
        return folder_url(self.vhosts, rel, https_only=https_only)

    def _stage(self, stage: str, archive: BinaryIO | None = None) -> tuple[str, str]:
        """Fill the private folder ``stage`` (already made): index.html, the archive,
        the script. Returns the token and the script's name."""
        token = secrets.token_urlsafe(32)
        name = secrets.token_hex(16)
        self.t.write(f"{stage}/index.html", b"", mode=0o644)
        if archive is not None:
            self.t.write(f"{stage}/{name}.tar.gz", archive, mode=0o600)
        self.t.write(f"{stage}/{name}.php", script_text(token, f"{name}.tar.gz"), mode=0o644)
        return token, f"{name}.php"

    def _where(self, rel: str, doing: str) -> tuple[str, list[str], str] | None:
        """The URL of folder ``rel``, its parts and a new private folder in it; None
        (logged) when no vhost reaches it."""
        base = self.url_for(rel)
        if base is None:
            log.info("%s: no vhost reaches '%s'; %s file by file", self.t.url.label,
                     rel or "/", doing)
            return None
        parts = split_rel(rel)
        return base, parts, "/".join([*parts, STAGE_PREFIX + secrets.token_hex(16)])

    def _not_available(self, rel: str, exc: Exception, doing: str) -> None:
        reason = exc.message if isinstance(exc, TransportError) else str(exc)
        log.info("%s: the archive path is not available for '%s' (%s); %s file by file",
                 self.t.url.label, rel or "/", reason, doing)

    def _quiet_remove(self, rel: str) -> None:
        try:
            self.t.remove(rel)
        except TransportError as exc:
            log.warning("cleanup of '%s' on %s failed: %s", rel, self.t.url.label, exc.message)

    def put_tree(self, archive: Path, rel: str) -> list[str] | None:
        """Unpack a checked package into ``rel`` through the website's PHP; None when the
        site cannot run it (nothing left behind: the caller copies file by file)."""
        if (where := self._where(rel, "copying")) is None:
            return None
        base, parts, stage = where
        with CheckedPackage(archive, decompress=False) as package:
            tops = package.tops
            created = self.t.mkdir(rel) if parts else []
            before: set[str] = set()

            def undo() -> None:
                for name in tops:
                    if name not in before:
                        self._quiet_remove("/".join([*parts, name]))
                self._quiet_remove(stage)
                for folder in reversed(created):
                    self._quiet_remove(folder)

            try:
                before = set(self.t.listdir(rel))
                refuse_existing(sorted(before & set(tops)), rel)
            except BaseException:
                for folder in reversed(created):
                    self._quiet_remove(folder)
                raise
            try:
                self.t.mkdir(stage)
                token, script = self._stage(stage, package.gz)
                conn, response = call_script(f"{base}/{stage.rsplit('/', 1)[-1]}/{script}",
                                             token, "unpack", ip=self.ip, timeout=self.timeout)
            except (NotServed, TransportError) as exc:
                self._not_available(rel, exc, "copying")
                undo()
                return None
            try:
                try:
                    moved = read_unpack(response)
                finally:
                    conn.close()
                if sorted(moved) != tops:
                    raise TransportError("The website's unpacker moved other names than the "
                                         "package holds.", errcode=PERMISSION)
                if stage.rsplit("/", 1)[-1] in self.t.listdir(rel):
                    self._quiet_remove(stage)
            except BaseException:
                undo()
                raise
        log.info("%s: '%s' unpacked by the website's PHP", self.t.url.label, rel or "/")
        return tops

    def get_tree(self, rel: str, out: BinaryIO, *, exclude: list[str] | None = None) -> bool:
        """Stream a tar of folder ``rel`` packed by the website's PHP into ``out``; False
        (nothing written, nothing left behind) when the site cannot run it."""
        if (where := self._where(rel, "reading")) is None:
            return False
        base, _parts, stage = where
        created: list[str] = []
        try:
            created = self.t.mkdir(stage)
            if len(created) != 1:  # the folder itself was missing: not ours to create
                raise TransportError(f"'{rel}' does not exist.", errcode="failed_filesystem_missing")
            token, script = self._stage(stage)
            conn, response = call_script(f"{base}/{stage.rsplit('/', 1)[-1]}/{script}", token,
                                         "pack", ip=self.ip, timeout=self.timeout,
                                         fields={"exclude": json.dumps(
                                             [p.strip("/") for p in exclude or []])})
        except (NotServed, TransportError) as exc:
            self._not_available(rel, exc, "reading")
            for folder in reversed(created):
                self._quiet_remove(folder)
            return False
        try:
            read_frames(response, out)
        except BaseException:
            self._quiet_remove(stage)
            raise
        finally:
            conn.close()
        log.info("%s: '%s' packed by the website's PHP", self.t.url.label, rel or "/")
        return True
