"""Signing in to an installed Roundcube: it reaches the IMAP host of its configuration
(a tiny real IMAP server, imap.py) with the user's password and records the user in its
own tables; a wrong password is refused by the server and shown as a failed login."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest

from tests.backups.conftest import db_rows

from .imap import ImapServer

pytestmark = pytest.mark.slow

MAIL_USER = "alice@example.org"
MAIL_PASS = "Mail pass-42 'q\" <&>"


def _install(site, url: str, imap_host: str):
    from apps.installs import services, tasks
    from apps.installs.models import Install
    from apps.tasks.services import wait_for_task

    plan = services.check_install(site.account, {"application": "roundcube", "url": url,
                                                 "imap_host": imap_host})
    install, task = services.start_install(plan)
    tasks.install_app(task.id)
    task = wait_for_task(task.id, timeout=300)
    assert task.status == "completed", task.message
    return Install.objects.get(pk=install.pk)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def roundcube_login(url: str, user: str, password: str) -> tuple[int, str, str]:
    """Roundcube's login form as a browser sends it: (status, Location, page)."""
    opener = urllib.request.build_opener(_NoRedirect,
                                         urllib.request.HTTPCookieProcessor(CookieJar()))
    page = opener.open(f"{url}/", timeout=60).read().decode()
    token = re.search(r'name="_token" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"_token": token, "_task": "login", "_action": "login",
                                   "_timezone": "UTC", "_url": "", "_user": user,
                                   "_pass": password}).encode()
    try:
        response = opener.open(urllib.request.Request(f"{url}/?_task=login", data=body),
                               timeout=60)
        return response.status, "", response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", ""), exc.read().decode()


def test_a_mail_user_signs_in_through_the_configured_imap_server(site, roundcube_package):
    with ImapServer(MAIL_USER, MAIL_PASS) as imap:
        install = _install(site, f"{site.url}/mail", f"127.0.0.1:{imap.port}")

        status, location, page = roundcube_login(f"{site.url}/mail", MAIL_USER, "wrong")
        assert status == 401 and imap.failures == [MAIL_USER] and not imap.logins
        assert "Login failed" in page
        assert db_rows(install, "SELECT COUNT(*) FROM users")[0][0] == 0

        status, location, _ = roundcube_login(f"{site.url}/mail", MAIL_USER, MAIL_PASS)
        assert status == 302 and "_task=mail" in location, (status, location)
        assert imap.logins == [MAIL_USER]
        assert db_rows(install, "SELECT username, mail_host FROM users") == \
            ((MAIL_USER, "127.0.0.1"),)
