"""Hostile API input gets the API's JSON errors (issue 15, "Lower"): a deeply nested JSON
body, and vhosts or paths carrying shell or header syntax."""

from __future__ import annotations

import pytest

from apps.accounts.models import Account, Website

SITE = {"id": "ws1", "path": "/home/bob", "vhosts": {"http://bob.test": "public_html"}}
DEEP = "[" * 100_000 + "]" * 100_000


def test_a_deeply_nested_json_body_gets_the_apis_json_400(client, api_key):
    body = '{"cmd": "edituser", "user": "bob", "websites": ' + DEEP + "}"
    signed = client.post("/index.php", body, content_type="application/json",
                         HTTP_X_API_KEY=api_key)
    assert signed.status_code == 400 and signed["Content-Type"].startswith("application/json")
    assert signed.json()["errcode"] == "invalid_argument_json"

    stranger = client.post("/index.php", body, content_type="application/json")
    assert stranger.status_code < 500 and stranger["Content-Type"].startswith("application/json")
    assert stranger.json()["result"] is False
    assert not Account.objects.filter(username="bob").exists()


@pytest.mark.parametrize("site", [
    {**SITE, "vhosts": {"http://a;b.example": "public_html"}},
    {**SITE, "vhosts": {"http://$(id).example": "public_html"}},
    {**SITE, "vhosts": {"http://`id`.example/": ""}},
    {**SITE, "vhosts": {"http://bob.test/blog\r\nSet-Cookie: x=1": ""}},
    {**SITE, "vhosts": {"http://bob.test/blog\n": "public_html\r\nx"}},
    {**SITE, "path": "/home/bob\r\nevil"},
    {**SITE, "path": "/home/bob\nother"},
    {**SITE, "path": "sftp://bob:pw@host;id.example/home/bob"},
    {**SITE, "path": "ftp://bob:pw@$(id).example/home/bob"},
], ids=["semicolon", "command", "backticks", "crlf-url", "crlf-folder", "crlf-path",
        "lf-path", "semicolon-path-host", "command-path-host"])
def test_vhosts_and_paths_with_shell_or_header_syntax_are_refused(api, site):
    response = api.v1("edituser", user="bob", websites=[site])
    assert response.status_code == 400, response.content
    assert response.json()["errcode"] == "invalid_argument_websites"
    assert Website.objects.count() == 0 and not Account.objects.filter(username="bob").exists()


def test_ordinary_vhosts_and_hosts_are_still_accepted(api):
    site = {**SITE, "path": "sftp://bob:pw@web-12.host_a.example:2222/home/bob",
            "vhosts": {"http://bob.test": "public_html", "https://www.bücher.example/shop": "b",
                       "http://127.0.0.1:8080/x": "x", "http://[::1]/y": "y",
                       "http://xn--bcher-kva.example./": "z"}}
    response = api.v1("edituser", user="bob", websites=[site])
    assert response.status_code == 200, response.content
    assert len(Website.objects.get(account__username="bob").vhosts) == 5
