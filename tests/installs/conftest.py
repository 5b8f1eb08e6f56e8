"""A website served by PHP's built-in server, owned by an account whose databases we can
find and drop (the mysql panel names them after the account: ``itrwp<hex>_...``)."""

from __future__ import annotations

import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

ADMIN_PASS = "S3cret pass!42 'quoted\" <&>"


@dataclass
class Site:
    account: object
    website: object
    url: str
    root: Path  # the website path
    docroot: Path  # public_html, what the vhost URL serves


@pytest.fixture
def owner(reseller, tmp_path):
    from apps.accounts.models import Account

    name = "itrwp" + secrets.token_hex(3)
    return Account.objects.create(username=name, kind="user", owner=reseller,
                                  email=f"{name}@example.com")


def make_site(account, root: Path, php_server) -> Site:
    """A website of ``account`` in ``root``, its public_html served by PHP."""
    from apps.accounts.models import Website

    docroot = root / "public_html"
    docroot.mkdir(parents=True)
    url = php_server(docroot)
    website = Website.objects.create(account=account, ws_id="ws1", label="wp.test",
                                     path=str(root), vhosts={url: "public_html"},
                                     email="owner@example.com")
    return Site(account=account, website=website, url=url, root=root, docroot=docroot)


def drop_databases_of(mysql_query, account) -> None:
    """Whatever a test left behind on the server: databases and users named after it."""
    for (name,) in mysql_query("SHOW DATABASES LIKE %s", (account.username + r"\_%",)):
        mysql_query(f"DROP DATABASE IF EXISTS `{name}`")
    for user, host in mysql_query("SELECT User, Host FROM mysql.user WHERE User LIKE %s",
                                  (account.username + r"\_%",)):
        mysql_query("DROP USER IF EXISTS %s@%s", (user, host))


@pytest.fixture
def site(owner, tmp_path, php_server, mysql_query) -> Site:
    yield make_site(owner, tmp_path / "site", php_server)
    drop_databases_of(mysql_query, owner)


def databases_of(mysql_query, account) -> list[str]:
    return [r[0] for r in mysql_query("SHOW DATABASES LIKE %s", (account.username + r"\_%",))]


def listing(root: Path) -> dict[str, tuple]:
    """Every path below ``root`` with its type, size and mode: equal listings, same tree."""
    result = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        result[str(path.relative_to(root))] = (path.is_dir(), st.st_size if path.is_file() else 0,
                                               st.st_mode)
    return result


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def wp_login(url: str, login: str, password: str) -> tuple[int, str, list[str]]:
    """POST wp-login.php with the test cookie: (status, Location, cookie names set)."""
    jar = CookieJar()
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPCookieProcessor(jar))
    body = urllib.parse.urlencode({"log": login, "pwd": password, "testcookie": "1",
                                   "wp-submit": "Log In"}).encode()
    request = urllib.request.Request(f"{url}/wp-login.php", data=body)
    request.add_header("Cookie", "wordpress_test_cookie=WP%20Cookie%20check")
    try:
        response = opener.open(request, timeout=60)
        status, location = response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as exc:
        status, location = exc.code, exc.headers.get("Location", "")
    return status, location, [c.name for c in jar]


@pytest.fixture
def own_database(mysql_query, mysql_admin):
    """A database and its user on the real server, as a panel would have made them."""
    name = "itrform_" + secrets.token_hex(3)
    password = "Db-pass-" + secrets.token_hex(4)
    mysql_query(f"CREATE DATABASE `{name}`")
    mysql_query("CREATE USER %s@'%%' IDENTIFIED BY %s", (name, password))
    mysql_query(f"GRANT ALL ON `{name}`.* TO %s@'%%'", (name,))
    host = f"{mysql_admin['host']}:{mysql_admin['port']}"
    yield {"db_host": host, "db_name": name, "db_user": name, "db_pass": password}
    mysql_query(f"DROP DATABASE IF EXISTS `{name}`")
    mysql_query("DROP USER IF EXISTS %s@'%%'", (name,))
