"""Adminer in the package store, built once per test session from Debian's package by the
recipe's own ``build_package``; a database account to sign in with; Adminer's login form
driven with a real cookie jar."""

from __future__ import annotations

import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar

import pytest

from tests.backups.conftest import backup_dir  # noqa: F401  (autouse: a per-test BACKUP_DIR)
from tests.installs.conftest import Site, fetch, listing, owner, site  # noqa: F401
from tests.recipes.conftest import BuiltApp, build_app, register_package  # noqa: F401


@dataclass(frozen=True)
class DbAccount:
    host: str
    port: int
    user: str
    password: str
    database: str


@pytest.fixture(scope="session")
def adminer_archive(tmp_path_factory) -> BuiltApp:
    return build_app(tmp_path_factory, "adminer", "index.php")


@pytest.fixture
def adminer_package(db, settings, monkeypatch, adminer_archive):
    return register_package(settings, monkeypatch, "adminer", adminer_archive)


@pytest.fixture
def db_account(site, mysql_admin, mysql_query) -> DbAccount:  # noqa: F811
    """A MariaDB account with a password (both tools refuse an empty one) and a database
    with one table, named after the site's owner so the site fixture drops them."""
    name = site.account.username
    account = DbAccount(host=mysql_admin["host"], port=int(mysql_admin["port"]),
                        user=f"{name}_tool", password="Tool pass 42 'q\" <&>" + secrets.token_hex(4),
                        database=f"{name}_shop")
    mysql_query(f"CREATE DATABASE `{account.database}`")
    mysql_query(f"CREATE TABLE `{account.database}`.`orders` (id INT PRIMARY KEY)")
    mysql_query("CREATE USER %s@'%%' IDENTIFIED BY %s", (account.user, account.password))
    mysql_query(f"GRANT ALL ON `{account.database}`.* TO %s@'%%'", (account.user,))
    return account


def ok(response) -> dict:
    """The data of an API answer that must have succeeded."""
    body = response.json()
    assert response.status_code == 200 and body["result"] is True, body
    return body["data"]


def opener_with_jar():
    jar = CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def adminer_login(url: str, account: DbAccount, password: str | None = None) -> str:
    """Sign in through Adminer's form with a cookie jar and open the server's page: the
    page's HTML ("" when the sign-in was refused)."""
    opener, jar = opener_with_jar()
    opener.open(f"{url}/", timeout=60).read()
    server = f"{account.host}:{account.port}"
    form = {"auth[driver]": "server", "auth[server]": server, "auth[username]": account.user,
            "auth[password]": account.password if password is None else password,
            "auth[db]": ""}
    try:
        page = opener.open(f"{url}/", data=urllib.parse.urlencode(form).encode(),
                           timeout=60).read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        if exc.code == 403:  # Adminer's "Invalid credentials"
            return ""
        raise
    if not any(c.name == "adminer_sid" for c in jar) or 'name="auth[password]"' in page:
        return ""
    return page


def database_links(page: str) -> set[str]:
    """The databases a signed-in Adminer page lists."""
    return set(re.findall(r"[?&]amp;db=([A-Za-z0-9_]+)", page))
