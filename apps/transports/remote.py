"""What the ftp, ftps, sftp and ssh transports share: the parsed website URI, paths on the
remote host, scrubbed error text, connection retries and the package check.

A website path such as ``sftp://bob:p%40ss@web12.example.com:2222/home/bob`` is parsed
once; user and password are URL-decoded exactly once here and never again.
"""

from __future__ import annotations

import gzip
import logging
import posixpath
import shutil
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TypeVar
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings

from installatron_gui.lib import outbound

from .base import TransportError
from .local import check_archive, split_rel

log = logging.getLogger(__name__)
T = TypeVar("T")

# Errcodes of the faults every remote backend reports the same way.
HOST = "failed_filesystem_host"
LOGIN = "failed_filesystem_login"
PERMISSION = "failed_filesystem_permission"
QUOTA = "failed_filesystem_quota"
MISSING = "failed_filesystem_missing"
EXISTS = "failed_filesystem_exists"

STAGE_PREFIX = ".itron-unpack-"


@dataclass(frozen=True)
class RemoteUrl:
    scheme: str
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    root: str  # "" means the login folder

    @property
    def label(self) -> str:
        """``user@host:port`` for messages: never the password."""
        return f"{self.user}@{self.host}:{self.port}" if self.user else f"{self.host}:{self.port}"

    def path(self, rel: str) -> str:
        """The remote path of website-relative ``rel`` (checked: no absolute, no ``..``)."""
        parts = split_rel(rel)
        if not self.root:
            return "/".join(parts) or "."
        return posixpath.join(self.root, *parts) if parts else self.root

    def secrets(self) -> list[str]:
        if not self.password:
            return []
        return [self.password, quote(self.password, safe=""), quote(self.password)]


def parse_remote(path: str, default_port: int) -> RemoteUrl:
    try:
        parts = urlsplit(path)
        port = parts.port or default_port
    except ValueError:
        raise TransportError("The website path is not a valid URI.",
                             errcode="invalid_argument_websites", status=400) from None
    if not parts.hostname:
        raise TransportError("The website path URI has no host.",
                             errcode="invalid_argument_websites", status=400)
    root = unquote(parts.path)
    if "\x00" in root or ".." in root.split("/"):
        raise TransportError("The website path is not allowed.",
                             errcode="invalid_argument_websites", status=400)
    if root not in ("", "/"):
        root = root.rstrip("/")
    return RemoteUrl(scheme=parts.scheme.lower(), host=parts.hostname, port=port,
                     user=unquote(parts.username or ""), password=unquote(parts.password or ""),
                     root=root)


def scrub(text: str, url: RemoteUrl, extra: list[str] | None = None) -> str:
    """``text`` with the password (raw or URL-encoded) and any extra secret replaced."""
    for secret in sorted([*url.secrets(), *(extra or [])], key=len, reverse=True):
        if secret and len(secret) >= 1:
            text = text.replace(secret, "***")
    return text


def remote_error(message: str, url: RemoteUrl, *, errcode: str, status: int = 500,
                 extra: list[str] | None = None) -> TransportError:
    return TransportError(scrub(message, url, extra), errcode=errcode, status=status)


def setting(name: str, default):
    return getattr(settings, name, default)


def trusted(options: dict) -> bool:
    """Whether the address came from the panel (its website paths): only those skip the
    outbound policy (lib/outbound.py); every other address is an owner's."""
    return bool(options.get("trusted"))


def connect_attempts(options: dict) -> int | None:
    """An owner's address is tried once (retries would multiply a probe); the panel's
    websites get REMOTE_CONNECT_ATTEMPTS unless the caller says otherwise."""
    return options.get("attempts") or (None if trusted(options) else 1)


def open_socket(url: RemoteUrl, *, timeout: float, options: dict):
    """A TCP connection to the URI's host through the outbound policy: the address checked
    is the address connected to; an owner's address fails with the one generic error."""
    check = not trusted(options)
    try:
        # Looked up once per transport: its further connections (the FTP pool, a
        # reconnect) go to the same checked address. ``options`` is this transport's own.
        if "_address" not in options:
            options["_address"] = outbound.resolve(url.host, url.port, check=check)
        return outbound.connect(url.host, url.port, check=check, address=options["_address"],
                                timeout=min(timeout, outbound.timeout()) if check else timeout)
    except outbound.OutboundError as exc:
        raise remote_error(exc.message, url, errcode=HOST) from None


def generic_error(url: RemoteUrl) -> TransportError:
    """What an owner sees when the server did not answer as expected before the login."""
    return remote_error(outbound.refused(url.host, url.port).message, url, errcode=HOST)


def with_retries(connect: Callable[[], T], url: RemoteUrl, *, attempts: int | None = None) -> T:
    """Call ``connect`` until it succeeds; only unreachable-host errors are retried.

    A rejected login or host key is final at once (retrying a password invites lockouts).
    """
    attempts = max(1, int(attempts or setting("REMOTE_CONNECT_ATTEMPTS", 3)))
    for attempt in range(1, attempts + 1):
        try:
            return connect()
        except TransportError as exc:
            if exc.errcode != HOST or attempt == attempts:
                raise
            log.info("remote %s: %s (attempt %d of %d)", url.label, exc.message, attempt,
                     attempts)
            time.sleep(min(2.0, 0.25 * 2 ** attempt))
    raise AssertionError("unreachable")


class CheckedPackage:
    """A package .tar.gz after every member was checked (local.check_archive).

    ``gz`` is the compressed file, ``tar`` the same archive decompressed into a private
    temporary file: both are what was checked, byte for byte, and they are what gets
    sent, so nothing can change between the check and the upload.
    """

    def __init__(self, archive: Path, *, decompress: bool = True):
        try:
            src = open(archive, "rb")  # noqa: SIM115
        except OSError as exc:
            raise TransportError(f"The package archive cannot be read: {exc.strerror}.") from None
        self.gz: BinaryIO = tempfile.TemporaryFile()  # noqa: SIM115
        self.tar: BinaryIO | None = tempfile.TemporaryFile() if decompress else None  # noqa: SIM115
        with src:
            shutil.copyfileobj(src, self.gz, 1 << 20)
        self.gz.seek(0)
        try:
            if self.tar is not None:
                with gzip.GzipFile(fileobj=self.gz) as gz:
                    shutil.copyfileobj(gz, self.tar, 1 << 20)
                self.tar.seek(0)
                self.tops = check_archive(self.tar, compressed=False)
                self.tar.seek(0)
            else:
                self.tops = check_archive(self.gz, compressed=True)
        except (OSError, EOFError, zlib.error) as exc:
            self.close()
            raise TransportError(f"The package archive is damaged: {exc}.",
                                 errcode="failed_package_invalid") from None
        except BaseException:
            self.close()
            raise
        self.gz.seek(0)

    def close(self) -> None:
        self.gz.close()
        if self.tar is not None:
            self.tar.close()

    def __enter__(self) -> CheckedPackage:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def refuse_existing(existing: list[str], rel: str) -> None:
    if existing:
        raise TransportError(
            f"The folder '{rel or '/'}' already contains "
            f"{', '.join(sorted(existing)[:5])}; choose another location.",
            errcode=EXISTS, status=400)


class WithSecondary:
    """A website transport whose bulk work (put_tree, get_tree) goes through the panel's
    secondary ssh:// path (reference section 4.2) when the website itself has no shell.

    Everything else is the website transport's. The SSH connection is opened on the
    first bulk call and closed with this object; ``opener`` returns it (connected).
    ``shell()`` is the transport that can ``run`` commands: the website's own when it
    has a shell, else the secondary one, else None.
    """

    def __init__(self, transport, opener: Callable[[], object] | None):
        self._t = transport
        self._opener = opener
        self._ssh = None

    def __getattr__(self, name):
        return getattr(self._t, name)

    def _secondary(self):
        if self._opener is not None:
            opener, self._opener = self._opener, None  # asked once per connection
            self._ssh = opener()
        return self._ssh

    def shell(self):
        if self._t.has_shell:
            return self._t
        return self._secondary()

    def put_tree(self, archive: Path, rel: str) -> list[str]:
        ssh = None if self._t.has_shell else self._secondary()
        return (ssh or self._t).put_tree(archive, rel)

    def get_tree(self, rel: str, out: BinaryIO, *, exclude: list[str] | None = None) -> None:
        ssh = None if self._t.has_shell else self._secondary()
        return (ssh or self._t).get_tree(rel, out, exclude=exclude)


def ssh_key_options(uri: str) -> dict:
    """This server's SSH key (``INSTALLATRON_SSH_KEY_FILE``) for an ``sftp://``/``ssh://``
    URI that carries no password: its host has that key authorized.

    Only for website paths the panel gives (the API's websites header): never for an
    address a website owner typed (see ``require_own_password``)."""
    parts = urlsplit(uri or "")
    if parts.scheme not in ("sftp", "ssh") or parts.password or not settings.SSH_KEY_FILE:
        return {}
    return {"key_file": settings.SSH_KEY_FILE,
            "key_passphrase": settings.SSH_KEY_PASSPHRASE or None}


def require_own_password(uri: str, *, errcode: str) -> None:
    """An ``sftp://``/``ssh://`` address a website owner gives (a backup location, a
    migration source) must carry its own password: this server's SSH key would log in
    to any user@host that has it authorized, so it is never tried for such addresses."""
    try:
        parts = urlsplit(uri or "")
        scheme, password = parts.scheme.lower(), parts.password
    except ValueError:
        return  # not an address at all: the caller's own checks say so
    if scheme in ("sftp", "ssh") and not password:
        raise TransportError(
            f"An {scheme}:// address needs its password: this server's own SSH key is used "
            "only for the websites the panel gives.", errcode=errcode, status=400)
