"""phpMyAdmin in the package store, built once per test session from Debian's package by
the recipe's own ``build_package``; its cookie sign-in driven with a real cookie jar."""

from __future__ import annotations

import re
import urllib.parse

import pytest

from tests.backups.conftest import backup_dir  # noqa: F401  (autouse: a per-test BACKUP_DIR)
from tests.installs.conftest import owner, site  # noqa: F401
from tests.recipes.adminer.conftest import (  # noqa: F401
    BuiltApp,
    DbAccount,
    build_app,
    db_account,
    opener_with_jar,
    register_package,
)


@pytest.fixture(scope="session")
def phpmyadmin_archive(tmp_path_factory) -> BuiltApp:
    return build_app(tmp_path_factory, "phpmyadmin", "libraries/classes/Version.php")


@pytest.fixture
def phpmyadmin_package(db, settings, monkeypatch, phpmyadmin_archive):
    return register_package(settings, monkeypatch, "phpmyadmin", phpmyadmin_archive)


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    return match.group(1) if match else ""


def phpmyadmin_login(url: str, account: DbAccount, password: str | None = None) -> str:
    """Sign in through phpMyAdmin's cookie form and open the server's database list: its
    HTML ("" when the sign-in was refused)."""
    opener, jar = opener_with_jar()
    page = opener.open(f"{url}/", timeout=60).read().decode("utf-8", "replace")
    form = {"token": _hidden(page, "token"), "set_session": _hidden(page, "set_session"),
            "pma_username": account.user, "server": "1", "route": "/",
            "pma_password": account.password if password is None else password}
    opener.open(f"{url}/index.php?route=/", data=urllib.parse.urlencode(form).encode(),
                timeout=60).read()
    if not any(c.name.startswith("pmaAuth-") for c in jar):
        return ""
    page = opener.open(f"{url}/index.php?route=/server/databases",
                       timeout=60).read().decode("utf-8", "replace")
    return "" if 'name="pma_username"' in page else page
