"""Migration of a WordPress with its administrator's login (``source_ftu=app://user:pass``,
the reference's worker-plugin migration).

Signed in at ``<source_url>/wp-login.php`` (dialling ``source_url_ip`` when given, every
address through the outbound policy), a one-time plugin is uploaded through WordPress's
own upload form: a random folder holding webtar.php (apps/transports: one-time token
whose SHA-256 only it holds, expiry, HMAC proof, length-prefixed frames, links never
followed) and appworker.php, which packs the WordPress folder and dumps the site's
tables (``$table_prefix``, read from wp-config.php by PHP) in one streamed answer. The
plugin is never activated, and its folder is removed when the request ends. The source
is only read otherwise.
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import re
import secrets
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlencode, urlsplit

from apps.installs.errors import InstallError
from apps.transports.base import TransportError
from apps.transports.web import BadProof, NotServed, call_script, read_frames, script_text
from installatron_gui.lib import outbound
from installatron_gui.lib.http import connection

log = logging.getLogger(__name__)

WORKER = Path(__file__).with_name("appworker.php")
TIMEOUT = 3600
NONCE = re.compile(r'name="_wpnonce"\s+value="([0-9a-f]+)"')
# The admin bar's "Log Out" link (wp_logout_url), on every wp-admin page.
LOGOUT = re.compile(r'wp-login\.php\?action=logout&(?:amp;|#038;)?_wpnonce=([0-9a-f]+)')


def split_app(ftu: str) -> tuple[str, str]:
    """``app://username:password`` -> (username, password), taken literally."""
    user, _, password = ftu[len("app://"):].partition(":")
    return user, password


def _error(message: str, errcode: str) -> InstallError:
    return InstallError(message, errcode=errcode, field="source_ftu")


class Browser:
    """A signed-in administrator's session: cookies kept, one checked address dialled."""

    def __init__(self, source_url: str, ip: str = ""):
        self.base = source_url.rstrip("/")
        parts = urlsplit(self.base)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            _family, sockaddr = outbound.resolve(ip or parts.hostname, port)
        except outbound.OutboundError as exc:
            raise InstallError(exc.message, errcode=exc.errcode, status=exc.status,
                               field="source_url") from None
        self.ip = sockaddr[0]
        self.cookies: dict[str, str] = {"wordpress_test_cookie": "WP Cookie check"}

    def request(self, method: str, path: str, *, body: bytes | None = None,
                content_type: str = "") -> tuple[int, dict, str]:
        url = self.base + path
        conn = connection(url, ip=self.ip, timeout=120)
        headers = {"User-Agent": "installatron-gui",
                   "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            conn.request(method, urlsplit(url).path + ("?" + urlsplit(url).query
                                                       if urlsplit(url).query else ""),
                         body=body, headers=headers)
            response = conn.getresponse()
            text = response.read(8 * 1024 * 1024).decode("utf-8", "replace")
            for header in response.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, {k.lower(): v for k, v in response.getheaders()}, text
        except (OSError, http.client.HTTPException) as exc:
            raise InstallError(f"Could not reach {self.base} ({type(exc).__name__}).",
                               errcode="failed_http", status=500, field="source_url") from None
        finally:
            conn.close()

    def sign_in(self, user: str, password: str) -> None:
        """Log in; cannot_find_uid or invalid_password when WordPress refuses."""
        status, _h, text = self.request("GET", "/wp-login.php")
        if status != 200 or 'name="log"' not in text or 'name="pwd"' not in text:
            raise _error(f"{self.base}/wp-login.php is not a WordPress login page.",
                         "invalid_argument_source_url")
        body = urlencode({"log": user, "pwd": password, "wp-submit": "Log In",
                          "redirect_to": self.base + "/wp-admin/", "testcookie": "1"}).encode()
        status, _headers, text = self.request("POST", "/wp-login.php", body=body,
                                             content_type="application/x-www-form-urlencoded")
        if status in (301, 302, 303) and any(k.startswith("wordpress_logged_in")
                                             for k in self.cookies):
            return
        error = text.partition('id="login_error"')[2].partition("</div>")[0]
        if not error:
            raise _error("WordPress did not accept the login (no error shown).",
                         "invalid_password")
        # Language-independent: WordPress links "Lost your password?" only in the error
        # for a known user with a wrong password (incorrect_password), not for an unknown
        # user name or e-mail address (invalid_username, invalid_email).
        if "action=lostpassword" in error:
            raise _error("The password given for the WordPress administrator is wrong.",
                         "invalid_password")
        raise _error("The WordPress username given was not found on the source site.",
                     "cannot_find_uid")

    def sign_out(self) -> None:
        """Log out through the admin bar's link, so WordPress drops this session's token
        from the administrator's ``session_tokens``; a failure is only logged (the token
        expires by itself in two days)."""
        try:
            status, _h, text = self.request("GET", "/wp-admin/profile.php")
            found = LOGOUT.search(text) if status == 200 else None
            if found:
                status, _h, _text = self.request(
                    "GET", f"/wp-login.php?action=logout&_wpnonce={found.group(1)}")
            if not found or status not in (301, 302, 303):
                log.warning("could not sign out of %s", self.base)
        except InstallError as exc:
            log.warning("could not sign out of %s: %s", self.base, exc.message)

    def upload_plugin(self, folder: str, data: bytes) -> None:
        """WordPress's plugin upload form; invalid_worker_plugin_upload when refused (no
        rights, file changes disabled, FTP credentials asked, folder not writable)."""
        status, _h, text = self.request("GET", "/wp-admin/plugin-install.php?tab=upload")
        found = NONCE.search(text) if status == 200 else None
        if not found:
            raise _error("WordPress does not let this administrator upload plugins.",
                         "invalid_worker_plugin_upload")
        boundary = secrets.token_hex(16)
        parts = []
        for name, value in (("_wpnonce", found.group(1)), ("install-plugin-submit", "1")):
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
                         f"\r\n\r\n{value}\r\n".encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="pluginzip"; '
                     f'filename="{folder}.zip"\r\nContent-Type: application/zip\r\n\r\n'
                     .encode() + data + f"\r\n--{boundary}--\r\n".encode())
        status, _h, text = self.request("POST", "/wp-admin/update.php?action=upload-plugin",
                                        body=b"".join(parts),
                                        content_type=f"multipart/form-data; boundary={boundary}")
        # Installed: the page offers to activate it (whatever the site's language).
        if status != 200 or f"plugin={folder}%2F" not in text:
            raise _error("WordPress refused the migration's worker plugin (it may ask for "
                         "FTP access, or cannot write its plugins folder).",
                         "invalid_worker_plugin_upload")

    def delete_plugin(self, plugin: str) -> None:
        """Remove the worker plugin through WordPress (when the worker did not run, so did
        not remove itself); a failure is only logged: it answers nothing after its expiry."""
        try:
            status, _h, text = self.request("GET", "/wp-admin/plugins.php")
            found = NONCE.search(text) if status == 200 else None
            if found:
                body = urlencode({"action": "delete-selected", "checked[]": plugin,
                                  "verify-delete": "1", "_wpnonce": found.group(1)}).encode()
                status, _h, _text = self.request(
                    "POST", "/wp-admin/plugins.php", body=body,
                    content_type="application/x-www-form-urlencoded")
            if not found or status not in (301, 302, 303):
                log.warning("the worker plugin %s could not be removed from %s", plugin,
                            self.base)
        except InstallError as exc:
            log.warning("the worker plugin %s could not be removed from %s: %s", plugin,
                        self.base, exc.message)


def plugin_zip(folder: str, script: str, token: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{folder}/{script}", WORKER.read_bytes())
        z.writestr(f"{folder}/webtar.php", script_text(token, ""))
        z.writestr(f"{folder}/index.html", b"")
        z.writestr(f"{folder}/stub/wp-settings.php", b"<?php\n")
    return buf.getvalue()


@contextmanager
def signed_in(source_url: str, source_ip: str, ftu: str) -> Iterator[Browser]:
    """A session of the administrator ``ftu`` names, signed out of at the end."""
    browser = Browser(source_url, source_ip)
    browser.sign_in(*split_app(ftu))
    try:
        yield browser
    finally:
        browser.sign_out()


def pull_site(source_url: str, source_ip: str, ftu: str, files: BinaryIO,
              dump: BinaryIO) -> dict:
    """The WordPress folder as a tar into ``files``, its tables as SQL into ``dump``;
    returns the worker's ``prefix``, ``tables`` and ``version``."""
    with signed_in(source_url, source_ip, ftu) as browser:
        return _pull_with(browser, files, dump)


def _pull_with(browser: Browser, files: BinaryIO, dump: BinaryIO) -> dict:
    folder = "itron-" + secrets.token_hex(12)
    script = secrets.token_hex(12) + ".php"
    token = secrets.token_urlsafe(32)
    browser.upload_plugin(folder, plugin_zip(folder, script, token))
    url = f"{browser.base}/wp-content/plugins/{folder}/{script}"
    try:
        conn, response = call_script(url, token, "migrate", ip=browser.ip, timeout=TIMEOUT)
    except NotServed as exc:
        # Whatever answered, it was not our worker running: remove the plugin ourselves.
        browser.delete_plugin(f"{folder}/{script}")
        if isinstance(exc, BadProof):
            raise _error("The worker plugin's answer did not carry its proof.",
                         "invalid_signature") from None
        raise _error(f"The worker plugin did not run: {exc}.", "invalid_worker_plugin") from None
    info = io.BytesIO()
    try:
        read_frames(response, files, {b"Q": dump, b"T": info})
    except TransportError as exc:
        raise _error(f"The worker plugin failed: {exc.message}",
                     "invalid_worker_plugin") from None
    finally:
        conn.close()
    try:
        meta = json.loads(info.getvalue())
        ok = isinstance(meta["prefix"], str) and isinstance(meta["tables"], list)
    except (ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        raise _error("The worker plugin did not report the site's tables.",
                     "invalid_worker_plugin")
    return meta
