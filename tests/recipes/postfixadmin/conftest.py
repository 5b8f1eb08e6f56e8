"""PostfixAdmin in the package store, built once per test session from Debian's
postfixadmin by the recipe's own build_package; its login form driven with a cookie jar
and its CSRF token, as a browser does."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.installs.conftest import owner, site  # noqa: F401
from tests.recipes.conftest import BuiltApp, build_app, register_package


@pytest.fixture(scope="session")
def postfixadmin_archive(tmp_path_factory) -> BuiltApp:
    return build_app(tmp_path_factory, "postfixadmin", "setup.php")


@pytest.fixture
def postfixadmin_package(db, settings, monkeypatch, postfixadmin_archive):
    return register_package(settings, monkeypatch, "postfixadmin", postfixadmin_archive)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def pfa_login(url: str, login: str, password: str) -> bool:
    """PostfixAdmin's login form (with the token of the session it made): True when it
    sends the administrator on to main.php."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPCookieProcessor(jar))
    base = url.rstrip("/")
    page = opener.open(f"{base}/login.php", timeout=60).read().decode("utf-8", "replace")
    token = urllib.parse.unquote(re.search(r'name="token" value="([^"]*)"', page).group(1))
    body = urllib.parse.urlencode({"fUsername": login, "fPassword": password, "lang": "en",
                                   "token": token, "submit": "Login"}).encode()
    try:
        with opener.open(urllib.request.Request(f"{base}/login.php", data=body),
                         timeout=60) as response:
            return False  # the form again: refused
    except urllib.error.HTTPError as exc:
        return exc.code == 302 and exc.headers.get("Location", "").endswith("main.php")
