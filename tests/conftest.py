"""The cast (admin, reseller, user, stranger) and the API key, shared by every test."""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.fixtures.services", "tests.fixtures.browser", "tests.fixtures.packages",
                  "tests.fixtures.remote", "tests.fixtures.versions", "tests.fixtures.smtp"]

ADMIN_PASSWORD = "Adm1n-pass-for-tests!"
RESELLER_PASSWORD = "Res3ller-pass-for-tests!"


@pytest.fixture
def api_key(db) -> str:
    from apps.api import keys

    return keys.ensure_keys()["key"]


@pytest.fixture
def admin(db):
    from apps.accounts.models import Account

    account = Account.objects.main_admin()
    account.set_password(ADMIN_PASSWORD)
    account.save()
    return account


@pytest.fixture
def reseller(admin):
    from apps.accounts.models import Account

    account = Account.objects.create(username="res1", kind="reseller", owner=admin)
    account.set_password(RESELLER_PASSWORD)
    account.save()
    return account


@pytest.fixture
def user(reseller, tmp_path):
    """A website owner under ``reseller`` with one local website."""
    from apps.accounts.models import Account, Website

    account = Account.objects.create(username="alice", kind="user", owner=reseller,
                                     email="alice@example.com")
    site = tmp_path / "alice"
    (site / "public_html").mkdir(parents=True)
    Website.objects.create(account=account, ws_id="ws1", label="alice.test", path=str(site),
                           vhosts={"http://alice.test": "public_html"})
    return account


@pytest.fixture
def stranger(admin, tmp_path):
    """Another reseller's user: must never see or touch ``user``'s things."""
    from apps.accounts.models import Account, Website

    other = Account.objects.create(username="res2", kind="reseller", owner=admin)
    account = Account.objects.create(username="mallory", kind="user", owner=other)
    site = tmp_path / "mallory"
    (site / "public_html").mkdir(parents=True)
    Website.objects.create(account=account, ws_id="ws1", path=str(site),
                           vhosts={"http://mallory.test": "public_html"})
    return account


@pytest.fixture
def api(client, api_key):
    """POST/GET helpers that send the key the way panels do."""

    class Api:
        def v1(self, cmd: str, path: str = "/index.php", **params):
            import json

            body = {"key": api_key, "cmd": cmd, **params}
            return client.post(path, data=json.dumps(body), content_type="application/json")

        def v2(self, method: str, path: str, params: dict | None = None, **headers):
            import json

            headers = {"HTTP_X_API_KEY": api_key, **headers}
            if method == "GET":
                return client.get(path, params or {}, **headers)
            return client.generic(method, path, json.dumps(params or {}),
                                  content_type="application/json", **headers)

    return Api()
