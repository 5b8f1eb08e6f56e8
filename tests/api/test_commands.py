"""Every command: a v1 call and a v2 call reach the same decision; scoping; the audit log."""

from __future__ import annotations

import json
import re

import pytest
from django.db import transaction

from apps.api import v2names
from apps.api.dispatch import COMMANDS, DOCUMENTED, V2_ROUTES
from apps.api.models import ApiLog

# Which rename applies to a command's data (None: the same members in v1 and v2).
KINDS = {"browser": "browser", "users": "account", "edituser": "account",
         "installs": "install", "detach": "install", "backups": "backup",
         "edit": "install", "view": "install", "sync": "install", "templates": "template",
         "edittemplate": "template"}


def _isolated(fn):
    """Run one call and undo everything it wrote, so the next call sees the same state."""
    with transaction.atomic():
        response = fn()
        transaction.set_rollback(True)
    return response


def _v1_params(pattern: str, route_values: dict, fixed: dict) -> dict:
    params = {}
    for name in re.findall(r"\{(\w+)\}", pattern):
        params[name] = route_values[name]
    params.update({k: v for k, v in fixed.items() if not k.startswith("__")})
    # The add-on routes' v1 form names the action: install-plugin=<id>, uninstall-theme=...
    action = V1_ADDON_ACTIONS.get(fixed.get("__v2_addon", ""))
    if action:
        kind = action.rsplit("-", 1)[1]
        params[action] = params.pop(kind)
    return params


V1_ADDON_ACTIONS = {"plugin": "install-plugin", "plugin-uninstall": "uninstall-plugin",
                    "theme": "install-theme", "theme-uninstall": "uninstall-theme"}


def _v2_path(pattern: str, route_values: dict) -> str:
    return "/" + re.sub(r"\{(\w+)\}", lambda m: route_values[m.group(1)], pattern)


@pytest.mark.parametrize("method,pattern,cmd,fixed", V2_ROUTES,
                         ids=[f"{m} {p}" for m, p, _, _ in V2_ROUTES])
def test_v1_and_v2_reach_the_same_decision(api, install, stranger, method, pattern, cmd,
                                          fixed):
    values = {"application": "wordpress", "user": "alice", "plugin": "akismet",
              "theme": "twentytwenty",
              "id": install.id if pattern.startswith("installs") else "nosuchbackup0"}
    extra = {"user": "alice", "background": "1"} if "{user}" not in pattern else {}
    v1 = _isolated(lambda: api.v1(cmd, **_v1_params(pattern, values, fixed), **extra))
    v2 = _isolated(lambda: api.v2(method, _v2_path(pattern, values), extra))
    b1, b2 = v1.json(), v2.json()
    assert (v1.status_code, b1["result"], b1.get("errcode")) == \
        (v2.status_code, b2["result"], b2.get("errcode")), (b1, b2)
    if cmd not in COMMANDS:
        assert v1.status_code == 501 and b1["errcode"] == "unsupported_cmd"
        return
    if b1["result"] and cmd == "guixfer":
        assert b1["session_id"] != b2["session_id"]  # each call makes its own session
    elif b1["result"] and cmd == "createadminsso":
        assert b1["data"]["url"] != b2["data"]["url"]  # each call makes its own link
    elif b1["result"]:
        kind = KINDS.get(cmd)
        expected = v2names.for_version(b1["data"], True, kind) if kind else b1["data"]
        if fixed.get("__single"):  # a v2 route naming one record answers it as an object
            assert len(expected) == 1 and "total_count" not in b2
            expected = expected[0]
        else:
            assert b1.get("total_count") == b2.get("total_count")
        assert expected == b2["data"]


def test_every_documented_command_has_an_engine():
    assert sorted(DOCUMENTED - set(COMMANDS)) == []


def test_the_same_bad_input_gets_the_same_errcode_in_both_styles(api, install):
    cases = [
        ("detach", {"id": "nope"}, "POST", "/installs/nope/detach", {}),
        ("installs", {"id": "nope"}, "GET", "/installs", {"id": "nope"}),
        ("installs", {"user": "bad user!"}, "GET", "/installs", {"user": "bad user!"}),
        ("users", {"user": "ghost"}, "GET", "/users/ghost", {}),
        ("users", {"limit": "x"}, "GET", "/users", {"limit": "x"}),
        ("edituser", {"user": "bob", "suspended": "maybe"}, "POST", "/users/bob",
         {"suspended": "maybe"}),
        ("logs", {"since": "yesterday-ish"}, "GET", "/logs", {"since": "yesterday-ish"}),
        ("install", {"user": "alice", "application": "wordpress", "dryrun": "7"}, "POST",
         "/browser/wordpress/install", {"user": "alice", "dryrun": "7"}),
    ]
    for cmd, p1, method, path, p2 in cases:
        b1 = _isolated(lambda: api.v1(cmd, **p1)).json()
        b2 = _isolated(lambda: api.v2(method, path, p2)).json()
        assert b1["result"] is False and b2["result"] is False, (cmd, b1, b2)
        assert (b1["errcode"], b1["status"]) == (b2["errcode"], b2["status"]), (cmd, b1, b2)


def test_v2_install_data_uses_the_guides_renames_and_values(api, install):
    v1 = api.v1("installs", user="alice").json()["data"][0]
    v2 = api.v2("GET", "/installs", {"user": "alice"}).json()["data"][0]
    assert (v1["installer"], v1["autoup"], v1["path-created"], v1["autobk"]) == \
        ("wordpress", "2", "1", "custom")
    assert (v2["application"], v2["autoup"], v2["path_created"], v2["autobk"]) == \
        ("wordpress", "all", True, "custom")
    assert v2["autobk_daily"] == 3 and v2["time_created"] == int(v1["time"])
    assert not any("-" in name for name in v2)
    assert v1["db-pass"] == "" and v2["db_pass"] == ""
    # v2 route with X-API-Version: 1.0 answers with v1 data, v1 cmd with 2.0 with v2 data
    old = api.v2("GET", "/installs", {"user": "alice"}, HTTP_X_API_VERSION="1.0").json()
    assert old["data"][0] == v1
    new = api.v1("installs", user="alice", api_version="2.0").json()
    assert new["data"][0] == v2


# ---------------------------------------------------------------- scoping


def test_a_reseller_reaches_its_own_tree_only_with_filter_ownedaccounts(api, install,
                                                                        stranger):
    own = api.v1("installs", user="res1").json()
    assert own["result"] and own["total_count"] == 0  # the reseller itself has none
    tree = api.v1("installs", user="res1", **{"filter-ownedaccounts": "yes"}).json()
    assert [i["id"] for i in tree["data"]] == [install.id]
    other = api.v1("installs", user="res2", **{"filter-ownedaccounts": "yes"}).json()
    assert other["total_count"] == 0
    assert api.v1("installs", user="mallory").json()["total_count"] == 0
    everything = api.v1("installs").json()
    assert [i["id"] for i in everything["data"]] == [install.id]


@pytest.mark.parametrize("who", ["mallory", "res2"])
def test_another_owners_install_is_404(api, install, stranger, who):
    for response in (
        api.v1("detach", user=who, id=install.id, **{"filter-ownedaccounts": "1"}),
        api.v2("POST", f"/installs/{install.id}/detach",
               {"user": who, "filter-ownedaccounts": "1"}),
        api.v1("installs", user=who, id=install.id, **{"filter-ownedaccounts": "1"}),
        api.v1("uninstall", user=who, id=install.id, background="1"),
    ):
        assert response.status_code == 404, response.json()
        assert response.json()["errcode"] == "invalid_argument_id"
    install.refresh_from_db()
    assert install.autoup == 2 and install.status == "installed"


def test_tasks_and_users_are_scoped_too(api, install, stranger):
    from apps.tasks.models import Task

    Task.objects.create(account=install.account, cmd="backup", install=install.id)
    assert api.v1("tasks", user="alice").json()["total_count"] == 1
    assert api.v1("tasks", user="res1").json()["total_count"] == 0
    assert api.v1("tasks", user="res1", **{"filter-ownedaccounts": ""}).json()[
        "total_count"] == 1
    assert api.v1("tasks", user="res2", **{"filter-ownedaccounts": ""}).json()[
        "total_count"] == 0
    users = api.v2("GET", "/users/res1", {"filter-ownedaccounts": "1"}).json()
    assert sorted(u["user"] for u in users["data"]) == ["alice", "res1"]
    assert api.v2("GET", "/users/ghost").status_code == 404


# ---------------------------------------------------------------- detach, logs


def test_detach_stops_automatic_updates_and_nothing_else(api, install):
    body = api.v2("POST", f"/installs/{install.id}/detach", {"user": "alice"}).json()
    assert body["result"] is True and body["data"]["autoup"] == "none"
    install.refresh_from_db()
    assert install.autoup == 0 and install.status == "installed"
    assert install.list_files == ["index.php"] and install.autobk == "custom"


def test_every_authenticated_call_is_logged_without_secrets(api, client, api_key, install):
    api.v1("edituser", user="logme", websites=[{"id": "w1", "path": "sftp://u:hunter2@h/x",
                                                "vhosts": {"http://logme.test": ""}}])
    api.v2("POST", f"/installs/{install.id}/detach", {"user": "alice"})
    api.v1("install", user="alice", application="nosuchapp", passwd="Pa55-secret")
    client.post("/index.php", {"cmd": "users", "key": "wrong"})  # not authenticated
    rows = list(ApiLog.objects.order_by("id"))
    assert [(r.cmd, r.user, r.result) for r in rows] == [
        ("edituser", "logme", True), ("detach", "alice", True), ("install", "alice", False)]
    assert rows[1].install == install.id and rows[1].version == "2"
    assert rows[2].errcode == "invalid_argument_application" and rows[2].status == 400
    assert rows[0].address == "127.0.0.1"
    dump = json.dumps([r.as_api() for r in rows])
    for secret in ("hunter2", "Pa55-secret", api_key):
        assert secret not in dump


def test_logs_are_paged_and_filtered(api, install, stranger):
    for _ in range(3):
        api.v1("installs", user="alice")
    api.v1("tasks", user="mallory")
    page = api.v2("GET", "/logs", {"limit": 2}).json()
    assert page["total_count"] == 4 and page["has_more"] is True and len(page["data"]) == 2
    assert api.v2("GET", "/logs", {"cmd": "tasks"}).json()["total_count"] == 1
    assert api.v1("logs", **{"filter-cmd": "installs"}).json()["total_count"] == 3
    # a reseller sees the calls about its tree only with filter-ownedaccounts
    assert api.v2("GET", "/logs", {"user": "res1"}).json()["total_count"] == 0
    mine = api.v2("GET", "/logs", {"user": "res1", "filter-ownedaccounts": "1"}).json()
    # alice's three calls, and the reseller's own logs call just before
    assert sorted({e["user"] for e in mine["data"]}) == ["alice", "res1"]
    assert mine["total_count"] == 4
    assert api.v2("GET", "/logs", {"since": "4102444800"}).json()["total_count"] == 0


# ---------------------------------------------------------------- errors


def test_malformed_json_is_400_and_a_view_only_get_refuses_changes(client, api_key):
    response = client.post("/index.php", "{nope", content_type="application/json",
                           HTTP_X_API_KEY=api_key)
    assert response.status_code == 400 and response.json()["errcode"] == "invalid_argument_json"
    response = client.get("/index.php", {"cmd": "deleteuser", "user": "x", "key": api_key})
    assert response.status_code == 405 and response.json()["errcode"] == "invalid_method"
    assert client.get("/index.php", {"cmd": "users", "key": api_key}).status_code == 200


def test_a_refused_install_leaves_the_header_unwritten(api, user):
    response = api.v1("install", user="newbie", application="nosuchapp", url="http://n.test",
                      websites=[{"id": "w1", "path": "/tmp/newbie",
                                 "vhosts": {"http://n.test": ""}}])
    assert response.json()["errcode"] == "invalid_argument_application"
    from apps.accounts.models import Account

    assert not Account.objects.filter(username="newbie").exists()


def test_huge_offsets_are_an_empty_page_not_a_crash(api):
    body = api.v2("GET", "/users", {"offset": str(10**30), "page": ""}).json()
    assert body["result"] is True and body["data"] == [] and body["has_more"] is False
    assert api.v2("GET", "/users", {"page": str(10**30)}).json()["data"] == []


@pytest.mark.parametrize("cmd,params", [
    ("backup", {"id": "nosuchinstall"}),
    ("clone", {"id": "nosuchinstall", "url": "http://n.test/clone"}),
    ("restore", {"id": "nosuchbackup"}),
    ("restoreto", {"id": "nosuchbackup", "url": "http://n.test/copy"}),
])
def test_a_refused_backup_clone_or_restore_leaves_the_header_unwritten(api, cmd, params):
    from apps.accounts.models import Account

    response = api.v1(cmd, user="newbie", websites=[{"id": "w1", "path": "/tmp/newbie",
                                                     "vhosts": {"http://n.test": ""}}],
                      **params)
    assert response.status_code == 404 and response.json()["result"] is False
    assert not Account.objects.filter(username="newbie").exists()


def test_the_v2_overview_calls_add_a_user_and_hand_it_over(api):
    """000's quick start: POST /users, then GET /users/{id}/login."""
    from apps.accounts.models import Account

    body = api.v2("POST", "/users", {"id": "useraccountname", "websites": [
        {"id": "w1", "path": "/tmp/useraccountname", "vhosts": {"http://website.com": ""}}]})
    assert body.status_code == 200, body.json()
    assert Account.objects.get(username="useraccountname").websites.count() == 1
    handoff = api.v2("GET", "/users/useraccountname/login").json()
    assert handoff["result"] is True and handoff["data"].endswith("?s=" + handoff["session_id"])
    assert api.v2("POST", "/users", {}).json()["errcode"] == "empty_argument_user"


@pytest.mark.parametrize("path", ["/", "/index.php", "/server/v1"])
@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_v1_paths_refuse_other_methods(client, api_key, user, path, method):
    from apps.accounts.models import Account

    response = client.generic(method, f"{path}?cmd=deleteuser&user=alice&key={api_key}")
    assert response.status_code == 405 and response.json()["errcode"] == "invalid_method"
    assert client.generic(method, f"{path}?cmd=users").status_code == 403  # no key: 403 first
    assert Account.objects.filter(username="alice").exists()


def test_a_body_member_named_like_the_routers_own_is_ignored(api):
    response = api.v1("users", __error__="boom", __v2_addon="plugin")
    assert response.status_code == 200 and response.json()["result"] is True
