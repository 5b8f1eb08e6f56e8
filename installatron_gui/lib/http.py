"""One HTTP request with the standard library, able to dial a given IP address.

A new site is checked at its public URL before DNS may point at this server: the
connection goes to ``ip`` while the Host header, SNI and the certificate check use the
URL's host name. Recipes (installers, checks) and the engine (add-ons, import) share it.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from urllib.parse import urlencode, urlsplit

from .errors import InstallError

TIMEOUT = 60


class _Connection(http.client.HTTPConnection):
    """Connects to ``ip`` while the request (Host header) names the URL's host."""

    def __init__(self, host, port=None, *, ip="", **kwargs):
        super().__init__(host, port, **kwargs)
        self._ip = ip

    def connect(self):
        self.sock = socket.create_connection((self._ip or self.host, self.port), self.timeout)


class _TlsConnection(http.client.HTTPSConnection):
    def __init__(self, host, port=None, *, ip="", **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._ip = ip

    def connect(self):
        sock = socket.create_connection((self._ip or self.host, self.port), self.timeout)
        # SNI and certificate checks use the URL's host name, whatever address we dialled.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def connection(url: str, *, ip: str = "", timeout: float = TIMEOUT
               ) -> http.client.HTTPConnection:
    """An unopened connection for ``url`` that dials ``ip`` when given (callers that
    stream a response: the transports' archive path)."""
    parts = urlsplit(url)
    cls = _TlsConnection if parts.scheme == "https" else _Connection
    return cls(parts.hostname, parts.port, ip=ip, timeout=timeout)


def http_request(method: str, url: str, *, ip: str = "", data: dict | None = None,
                 cookies: str = "") -> tuple[int, dict, str]:
    """One request; returns (status, lower-case headers, text). An unreachable site is
    an ``InstallError`` (``failed_http``) naming the URL, never a socket error."""
    parts = urlsplit(url)
    conn = connection(url, ip=ip)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    body = urlencode(data).encode() if data is not None else None
    headers = {"User-Agent": "installatron-gui", "Accept": "text/html"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if cookies:
        headers["Cookie"] = cookies
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read(8 * 1024 * 1024).decode("utf-8", errors="replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text
    except (OSError, http.client.HTTPException) as exc:
        raise InstallError(
            f"Could not reach {parts.scheme}://{parts.netloc}{parts.path} "
            f"({type(exc).__name__}: {exc}). Check that the domain points at this website "
            "(or give url_ip).", errcode="failed_http", status=500) from None
    finally:
        conn.close()
