"""The one policy for network connections a website owner can make us open (backup
locations, migration sources): a backup location's host must not turn this server into a
port scanner of its own network.

* The host is resolved once; every address it resolves to must be allowed, and the
  socket connects to exactly the address that was checked (no second lookup).
* Refused unless the administrator allows their network (``OUTBOUND_ALLOW``, a list of
  CIDR networks): loopback, private, link-local, shared (CGNAT), unspecified, multicast,
  reserved and documentation addresses, also written as IPv4-mapped, 6to4 or Teredo IPv6,
  as a decimal or hex number (``2130706433``, ``0x7f.1``) or in brackets.
* One error for every way a connection can fail (refused by this policy, no such host,
  closed port, silent host), raised no sooner than the connect timeout, so neither the
  text nor the time tells an open port from a closed one.

Website paths the panel gives (API key holders) are trusted: ``connect(..., check=False)``
still connects to one resolved address but skips the policy and keeps the detail.
"""

from __future__ import annotations

import ipaddress
import socket
import time

from django.conf import settings

from .errors import InstallatronError

ERRCODE = "failed_filesystem_host"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundError(InstallatronError):
    errcode = ERRCODE
    status = 500


def refused(host: str, port: int) -> OutboundError:
    """The one error text: the same for a refused policy, DNS, port or timeout."""
    where = f"[{host}]" if ":" in host else host
    return OutboundError(f"Cannot connect to {where}:{port}.")


def timeout() -> float:
    return float(getattr(settings, "OUTBOUND_TIMEOUT", 10))


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for item in getattr(settings, "OUTBOUND_ALLOW", []) or []:
        try:
            networks.append(ipaddress.ip_network(str(item).strip(), strict=False))
        except ValueError:
            continue  # a typo in the setting allows nothing
    return networks


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _parts(ip: Address) -> list[Address]:
    """What a connection to ``ip`` really reaches: the IPv4 address inside an IPv4-mapped,
    IPv4-compatible or NAT64 address; both halves of a 6to4 or Teredo one."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return [ip]
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if (int(ip) >> 32 == 0 and int(ip) > 1) or ip in NAT64:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.sixtofour is not None:
        return [ip, ip.sixtofour]
    if ip.teredo is not None:
        return [ip, *ip.teredo]
    return [ip]


def _public(a: Address) -> bool:
    return (a.is_global and not a.is_multicast and not a.is_unspecified
            and not a.is_reserved and not a.is_loopback and not a.is_link_local)


def allowed(ip: Address) -> bool:
    """Whether the policy lets us connect to ``ip``: a public unicast address, or one
    inside a network the administrator allows."""
    networks = _allowed_networks()
    return all(_public(a) or any(a.version == n.version and a in n for n in networks)
               for a in _parts(ip))


def _address(sockaddr) -> Address:
    return ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])


def resolve(host: str, port: int, *, check: bool = True) -> tuple[int, tuple]:
    """(family, sockaddr) of the first address of ``host``: with ``check``, every
    address must pass the policy (OutboundError otherwise)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        if check:
            raise refused(host, port) from None
        raise OutboundError(f"The host name '{host}' cannot be resolved.") from exc
    if not found or (check and not all(allowed(_address(sa)) for *_, sa in found)):
        raise refused(host, port)
    family, _, _, _, sockaddr = found[0]
    return family, sockaddr


def check_host(host: str, port: int) -> None:
    """For clients that resolve again themselves (boto3): the host passes the policy."""
    resolve(host, port, check=True)


def connect(host: str, port: int, *, timeout: float, check: bool = True,
            address: tuple[int, tuple] | None = None) -> socket.socket:
    """A TCP socket connected to the address ``host`` resolved to (checked unless
    ``check`` is False), or to ``address`` (what ``resolve`` gave before: a client's
    further connections to the same host). Checked connections fail with the one generic
    error, never sooner than ``timeout`` after the attempt started."""
    started = time.monotonic()
    family, sockaddr = address or resolve(host, port, check=check)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(sockaddr)
    except OSError:
        sock.close()
        if not check:
            raise
        time.sleep(max(0.0, started + timeout - time.monotonic()))
        raise refused(host, port) from None
    return sock
