"""Checking SSH host keys before any credential is sent.

The connection code (sftp.open_ssh) runs the key exchange, takes the server's key and
calls ``check_host_key`` before authenticating, so a password never reaches a server
whose key we do not trust. A changed key always fails; an unknown key is trusted only
when ``SSH_TRUST_FIRST_USE`` is on, or the website's ``_trust_host_key`` member says
``first-use`` or pins its ``SHA256:...`` fingerprint.
"""

from __future__ import annotations

import base64
import hashlib
import logging

import paramiko
from django.db import IntegrityError

from .base import TransportError
from .remote import setting

log = logging.getLogger(__name__)

FIRST_USE = "first-use"


class HostKeyError(TransportError):
    errcode = "failed_filesystem_hostkey"
    status = 500


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's ``SHA256:...`` form (what ``ssh-keygen -lf`` prints)."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _base_type(algorithm: str) -> str:
    """The key type behind a host key algorithm (rsa-sha2-512 signs with an ssh-rsa key)."""
    algorithm = algorithm.replace("-cert-v01@openssh.com", "")
    return "ssh-rsa" if algorithm.startswith("rsa-sha2-") else algorithm


def prefer_known_types(transport: paramiko.Transport, host: str, port: int) -> None:
    """Ask for the key type we already know first, so a server with several host keys
    does not look "changed" only because another type was negotiated."""
    from .models import KnownHost

    known = set(KnownHost.objects.filter(host=host.lower(), port=port)
                .values_list("key_type", flat=True))
    if not known:
        return
    options = transport.get_security_options()
    types = list(options.key_types)
    options.key_types = ([t for t in types if _base_type(t) in known]
                         + [t for t in types if _base_type(t) not in known])


class RefuseUnknownHostKey(paramiko.MissingHostKeyPolicy):
    """paramiko's policy hook for a key we have no record of: raise, unless first-use
    trust is allowed (setting or website) or the website pinned this fingerprint; then
    record the key. Never paramiko's AutoAddPolicy/WarningPolicy."""

    def __init__(self, *, port: int, trust: str | None = None, website_id: int | None = None):
        self.port = port
        self.trust = (trust or "").strip()
        self.website_id = website_id

    def missing_host_key(self, client, hostname: str, key: paramiko.PKey) -> None:
        seen = fingerprint(key)
        where = f"{hostname}:{self.port}"
        if self.trust.startswith("SHA256:"):
            if self.trust.rstrip("=") != seen:
                raise HostKeyError(
                    f"The SSH host key of {where} ({key.get_name()} {seen}) does not match "
                    f"the fingerprint configured for this website ({self.trust[:80]}).")
        elif not (self.trust == FIRST_USE or setting("SSH_TRUST_FIRST_USE", False)):
            raise HostKeyError(
                f"The SSH host key of {where} is not known yet: {key.get_name()} {seen}. "
                "An administrator must confirm this fingerprint (Settings → SSH host keys, "
                f"or manage.py hostkeys trust {where} {seen}), or allow first-use trust, "
                "before we connect.")
        _record(hostname, self.port, key, seen, self.website_id)
        log.warning("trusting new SSH host key of %s: %s %s", where, key.get_name(), seen)


def _record(host: str, port: int, key: paramiko.PKey, seen: str, website_id: int | None) -> None:
    from .models import KnownHost

    try:
        KnownHost.objects.create(host=host.lower(), port=port, key_type=key.get_name(),
                                 key_base64=key.get_base64(), fingerprint=seen,
                                 website_id=website_id)
    except IntegrityError:
        # Another connection recorded a key meanwhile: it has to be this same key.
        check_host_key(host, port, key)


def check_host_key(host: str, port: int, key: paramiko.PKey, *, trust: str | None = None,
                   website_id: int | None = None) -> None:
    """Accept ``key`` for ``host:port`` or raise HostKeyError (errcode
    failed_filesystem_hostkey, fingerprint in the message)."""
    from .models import KnownHost

    rows = list(KnownHost.objects.filter(host=host.lower(), port=port))
    if not rows:
        RefuseUnknownHostKey(port=port, trust=trust, website_id=website_id) \
            .missing_host_key(None, host, key)
        return
    for row in rows:
        if row.key_type == key.get_name() and row.key_base64 == key.get_base64():
            return
    stored = ", ".join(f"{r.key_type} {r.fingerprint}" for r in rows)
    raise HostKeyError(
        f"The SSH host key of {host}:{port} has CHANGED: the server now shows "
        f"{key.get_name()} {fingerprint(key)}, we trust {stored}. Nothing was sent to it. "
        "If the server was reinstalled, an administrator must remove the old key first "
        f"(manage.py hostkeys forget {host}:{port}).")


def fetch_host_key(host: str, port: int, *, timeout: float = 15.0) -> paramiko.PKey:
    """The key ``host:port`` shows in the key exchange; nothing is authenticated or sent."""
    import socket

    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise TransportError(f"{host}:{port} cannot be reached ({exc.strerror or exc}).",
                             errcode="failed_filesystem_host", status=500) from None
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = transport.handshake_timeout = timeout
        prefer_known_types(transport, host, port)
        transport.start_client(timeout=timeout)
        return transport.get_remote_server_key()
    except (paramiko.SSHException, EOFError, OSError) as exc:
        raise TransportError(f"{host}:{port} did not complete an SSH key exchange ({exc}).",
                             errcode="failed_filesystem_host", status=500) from None
    finally:
        transport.close()


def confirm_host_key(host: str, port: int, expected: str) -> str:
    """An administrator's confirmation: record the key ``host:port`` shows, if its
    fingerprint is ``expected`` (as the refusal message showed it). Returns it."""
    from .models import KnownHost

    key = fetch_host_key(host, port)
    seen = fingerprint(key)
    if expected.strip().rstrip("=") != seen:
        raise HostKeyError(f"{host}:{port} shows {key.get_name()} {seen}, not the fingerprint "
                           f"given ({expected.strip()[:80]}); nothing was recorded.")
    KnownHost.objects.update_or_create(
        host=host.lower(), port=port, key_type=key.get_name(),
        defaults={"key_base64": key.get_base64(), "fingerprint": seen})
    return seen
