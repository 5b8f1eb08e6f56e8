"""Tiny Tiny RSS in the package store, built once per test session from Debian's tt-rss.

``ttrss_archive`` (session): the archive the recipe's build_package makes, checked, in a
session-wide store folder. ``ttrss_package`` (function): points PACKAGE_STORE at it and
registers the Package row. Treat the archive as read-only.
"""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.installs.conftest import owner, site  # noqa: F401
from tests.recipes.conftest import BuiltApp, build_app, register_package


@pytest.fixture(scope="session")
def ttrss_archive(tmp_path_factory) -> BuiltApp:
    return build_app(tmp_path_factory, "ttrss")


@pytest.fixture
def ttrss_package(db, settings, monkeypatch, ttrss_archive):
    return register_package(settings, monkeypatch, "ttrss", ttrss_archive)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def ttrss_login(url: str, login: str, password: str) -> str:
    """ttrss's own login form, posted with a cookie jar as a browser does; the page
    index.php then shows to that session."""
    jar = http.cookiejar.CookieJar()
    cookies = urllib.request.HTTPCookieProcessor(jar)
    opener = urllib.request.build_opener(_NoRedirect, cookies)
    base = url.rstrip("/")
    opener.open(f"{base}/index.php", timeout=60).read()  # the session cookie, as a browser
    body = urllib.parse.urlencode({"op": "login", "login": login,
                                   "password": password}).encode()
    try:
        opener.open(urllib.request.Request(f"{base}/public.php", data=body), timeout=60)
    except urllib.error.HTTPError as exc:
        assert exc.code == 302, exc.code  # ttrss answers a login with a redirect
    with opener.open(f"{base}/index.php", timeout=60) as response:
        return response.read().decode("utf-8", "replace")


def logged_in(page: str) -> bool:
    """The main page of a signed-in user (its feed tree), not the login form."""
    return 'name="login"' not in page and "feedTree" in page
