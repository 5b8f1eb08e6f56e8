"""Every API route refuses callers without the right key, the same way."""

from __future__ import annotations

import json
import re

import pytest

from apps.api.dispatch import DOCUMENTED, V2_ROUTES


def _v2_path(pattern: str) -> str:
    return "/" + re.sub(r"\{\w+\}", "x1", pattern)


V2_CASES = [(method, _v2_path(pattern)) for method, pattern, _, _ in V2_ROUTES]
V2_CASES += [(method, "/api/v2" + path) for method, path in V2_CASES[:5]]


def _check_refused(response):
    assert response.status_code == 403
    body = response.json()
    assert body["result"] is False
    assert body["errcode"] == "invalid_api_key"
    assert body["status"] == 403


@pytest.mark.parametrize("method,path", V2_CASES)
@pytest.mark.parametrize("key", [None, "", "wrong", "0" * 32])
def test_every_v2_route_refuses_a_missing_or_wrong_key(client, api_key, method, path, key):
    headers = {} if key is None else {"HTTP_X_API_KEY": key}
    response = client.generic(method, path, json.dumps({"user": "bob"}),
                              content_type="application/json", **headers)
    _check_refused(response)


@pytest.mark.parametrize("cmd", sorted(DOCUMENTED) + ["nosuchcmd"])
@pytest.mark.parametrize("endpoint", ["/", "/index.php", "/server/v1"])
def test_every_v1_command_refuses_a_missing_or_wrong_key(client, api_key, cmd, endpoint):
    _check_refused(client.post(endpoint, {"cmd": cmd, "user": "bob"}))
    _check_refused(client.post(endpoint, {"cmd": cmd, "key": "wrong"}))
    _check_refused(client.post(endpoint, json.dumps({"cmd": cmd, "key": api_key[:-1]}),
                               content_type="application/json"))


def test_unknown_routes_and_wrong_methods_also_say_403_to_strangers(client, api_key):
    _check_refused(client.get("/users/bob/nothing-here"))
    _check_refused(client.put("/users"))
    _check_refused(client.post("/", "{not json", content_type="application/json"))


def test_key2_and_the_header_both_authenticate(client, api_key):
    from apps.accounts import keys

    key2 = keys.current_keys()["key2"]
    assert client.get("/users", HTTP_X_API_KEY=key2).status_code == 200
    assert client.post("/index.php", {"cmd": "users", "key2": key2}).status_code == 200
    assert client.post("/index.php", {"cmd": "users", "key": api_key}).status_code == 200


def test_rotating_a_key_locks_the_old_value_out(client, api_key):
    from apps.accounts import keys

    keys.rotate("key")
    _check_refused(client.get("/users", HTTP_X_API_KEY=api_key))
    assert client.get("/users", HTTP_X_API_KEY=keys.current_keys()["key"]).status_code == 200


def test_rotating_a_key_ends_the_sign_in_links_not_used_yet(client, api_key, user):
    from apps.accounts import services
    from apps.accounts import keys

    minted = services.create_handoff(user)
    keys.rotate("key")
    assert client.get(f"/index.php?s={minted}").status_code == 403
    assert client.get("/gui/installs/").status_code == 302
    # Links minted after the rotation work.
    assert client.get(f"/index.php?s={services.create_handoff(user)}").status_code == 302


def test_the_apikey_command_prints_and_rotates(db, capsys):
    from django.core.management import call_command

    from apps.accounts import keys

    call_command("apikey")
    before = keys.current_keys()
    assert f"key={before['key']}" in capsys.readouterr().out
    call_command("apikey", "--rotate", "key2")
    after = keys.current_keys()
    assert after["key"] == before["key"] and after["key2"] != before["key2"]
    assert re.fullmatch(r"[0-9a-f]{32}", after["key2"])


def test_an_address_sending_many_wrong_keys_gets_429_then_even_the_right_key_waits(
        client, api_key, settings):
    settings.API_KEY_FAILURE_LIMIT = 3
    for _ in range(3):
        assert client.get("/users", HTTP_X_API_KEY="0" * 32).status_code == 403
    answer = client.get("/users", HTTP_X_API_KEY=api_key)
    assert answer.status_code == 429
    assert answer.json()["errcode"] == "invalid_api_key"
    # Other addresses (the panel) are not locked out by someone else's guessing.
    assert client.get("/users", HTTP_X_API_KEY=api_key, REMOTE_ADDR="192.0.2.9").status_code \
        == 200
