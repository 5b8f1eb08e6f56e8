"""DokuWiki in the package store, built once per test session from Debian's package by
the recipe's own ``build_package`` (like tests/fixtures/packages.py for WordPress)."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest

from tests.recipes.conftest import BuiltApp, build_app, register_package


@pytest.fixture(scope="session")
def dokuwiki_archive(tmp_path_factory) -> BuiltApp:
    return build_app(tmp_path_factory, "dokuwiki", "doku.php")


@pytest.fixture
def dokuwiki_package(db, settings, monkeypatch, dokuwiki_archive):
    return register_package(settings, monkeypatch, "dokuwiki", dokuwiki_archive)


def dokuwiki_login(url: str, login: str, password: str) -> bool:
    """Sign in through doku.php?do=login with a real cookie jar; True when the next page
    offers to log out (DokuWiki answers 403 to a wrong password)."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{url}/doku.php?id=start&do=login", timeout=60).read()
    body = urllib.parse.urlencode({"u": login, "p": password, "do": "login",
                                   "id": "start"}).encode()
    try:
        opener.open(f"{url}/doku.php?id=start&do=login", data=body, timeout=60).read()
    except urllib.error.HTTPError as exc:
        if exc.code == 403:  # DokuWiki's "Login failed"
            return False
        raise
    page = opener.open(f"{url}/doku.php?id=start", timeout=60).read().decode()
    return "do=logout" in page and any(c.name.startswith("DW") for c in jar)
