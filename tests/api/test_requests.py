"""How panels send requests: JSON, PHP bracket forms, query strings, overrides."""

from __future__ import annotations

import json

import pytest

from apps.accounts.models import Account, Website
from installatron_gui.lib.phpform import FormError, parse_pairs


def test_php_bracket_arrays_become_nested_members():
    parsed = parse_pairs([
        ("websites[0][id]", "ws124"),
        ("websites[0][vhosts][http://company.com]", "httpdocs"),
        ("websites[0][vhosts][http://www.company.com]", "httpdocs"),
        ("websites[0][databases][0][name]", "db1"),
        ("websites[1][id]", "ws125"),
        ("tags[]", "a"),
        ("tags[]", "b"),
        ("cmd", "install"),
    ])
    assert parsed == {
        "websites": [
            {"id": "ws124", "vhosts": {"http://company.com": "httpdocs",
                                       "http://www.company.com": "httpdocs"},
             "databases": [{"name": "db1"}]},
            {"id": "ws125"},
        ],
        "tags": ["a", "b"],
        "cmd": "install",
    }


@pytest.mark.parametrize("name", ["a[b", "a[b]c", "a" + "[x]" * 20])
def test_malformed_bracket_names_are_refused(name):
    with pytest.raises(FormError):
        parse_pairs([(name, "1")])


def test_the_reference_curl_form_creates_the_user_and_websites(client, api_key):
    response = client.post("/server/v1", {
        "key": api_key,
        "cmd": "edituser",
        "user": "dev1",
        "websites[0][id]": "ws124",
        "websites[0][email]": "user@mail.com",
        "websites[0][path]": "ftp://website124:p%40ss@12.24.36.22",
        "websites[0][vhosts][http://company.com]": "httpdocs",
        "websites[0][vhosts][http://www.company.com]": "httpdocs",
        "websites[0][_hestia_user]": "dev1",
    })
    assert response.status_code == 200, response.content
    website = Website.objects.get(account__username="dev1")
    assert website.path == "ftp://website124:p%40ss@12.24.36.22"
    assert website.vhosts == {"http://company.com": "httpdocs", "http://www.company.com": "httpdocs"}
    assert website.custom == {"_hestia_user": "dev1"}
    # The reply masks the password of the path.
    assert "p%40ss" not in response.content.decode()
    assert "p@ss" not in response.content.decode()


def test_a_json_string_body_with_a_form_content_type_is_read_as_json(client, api_key):
    # PHP's curl with CURLOPT_POSTFIELDS => json_encode($query) sends exactly this.
    body = json.dumps({"key": api_key, "cmd": "edituser", "user": "php1"})
    response = client.post("/index.php", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert Account.objects.filter(username="php1").exists()


def test_query_parameters_work_too(client, api_key):
    response = client.get("/users", {"key": api_key, "type": "user"})
    assert response.status_code == 200
    assert response.json()["total_count"] == 0


def test_method_override_tunnels_delete_through_post(api, client, api_key):
    api.v1("edituser", user="gone1")
    response = client.post("/users/gone1", "{}", content_type="application/json",
                           HTTP_X_API_KEY=api_key, HTTP_X_HTTP_METHOD_OVERRIDE="DELETE")
    assert response.status_code == 200
    assert response.json()["data"] == ["gone1"]
    assert not Account.objects.filter(username="gone1").exists()


def test_api_version_chooses_member_values(api, client, api_key):
    api.v1("edituser", user="s1", suspended="yes")
    v1 = client.get("/users", {"key": api_key, "api_version": "1.0"}).json()["data"]
    v2 = client.get("/users", {"key": api_key}).json()["data"]
    assert v1[0]["suspended"] == "yes"
    assert v2[0]["suspended"] is True


def test_oversized_bodies_get_413(client, api_key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/index.php", json.dumps({"key": api_key, "x": "y" * 2000}),
                           content_type="application/json", HTTP_X_API_KEY=api_key)
    assert response.status_code == 413
    assert response.json()["errcode"] == "request_too_large"


def test_unknown_commands_and_routes_get_404_with_an_errcode(api, client, api_key):
    assert api.v1("frobnicate").json()["errcode"] == "invalid_argument_cmd"
    response = client.get("/users/bob/nowhere", HTTP_X_API_KEY=api_key)
    assert response.status_code == 404 and response.json()["errcode"] == "invalid_route"
    response = client.put("/users", HTTP_X_API_KEY=api_key)
    assert response.status_code == 405 and response.json()["errcode"] == "invalid_method"


def test_a_bug_in_a_command_gives_a_generic_500_without_a_trace(api, monkeypatch):
    from apps.api import dispatch

    def broken(ctx):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setitem(dispatch.COMMANDS, "users", broken)
    response = api.v1("users")
    assert response.status_code == 500
    body = response.content.decode()
    assert "hunter2" not in body and "Traceback" not in body and "RuntimeError" not in body
    assert response.json()["errcode"] == "failed"


def test_users_are_paged(api, client, api_key):
    for i in range(5):
        api.v1("edituser", user=f"p{i}")
    page = client.get("/users", {"limit": 2, "offset": 2}, HTTP_X_API_KEY=api_key).json()
    assert page["total_count"] == 5
    assert [u["user"] for u in page["data"]] == ["p2", "p3"]
    assert page["has_more"] is True
    last = client.get("/users", {"limit": 2, "offset": 4}, HTTP_X_API_KEY=api_key).json()
    assert last["has_more"] is False
