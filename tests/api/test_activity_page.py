"""Issue 14: the audit log has a page: the admin sees every API call, a reseller those about
its own tree, a website owner nothing (404)."""

from __future__ import annotations

from apps.api.models import ApiLog


def _log(user, cmd="install", result=True, errcode=""):
    return ApiLog.objects.create(user=user, cmd=cmd, result=result, errcode=errcode,
                                 status=200 if result else 400, address="192.0.2.1")


def test_the_admin_sees_every_call_and_can_filter(client, admin, user, stranger):
    _log("alice")
    _log("mallory", cmd="backup", result=False, errcode="invalid_argument_url")
    client.force_login(admin)
    page = client.get("/gui/activity/").content.decode()
    assert "alice" in page and "mallory" in page and "invalid_argument_url" in page
    failed = client.get("/gui/activity/?failed=1").content.decode()
    assert "mallory" in failed and ">alice<" not in failed
    only = client.get("/gui/activity/?cmd=install").content.decode()
    assert "alice" in only and "mallory" not in only
    assert "/gui/activity/" in client.get("/gui/settings/").content.decode()


def test_a_reseller_sees_its_own_tree_only(client, reseller, user, stranger):
    _log("alice")
    _log("res1", cmd="users")
    _log("mallory")
    client.force_login(reseller)
    page = client.get("/gui/activity/").content.decode()
    assert "alice" in page and ">res1<" in page and "mallory" not in page
    assert "Nothing matches" in client.get("/gui/activity/?user=mallory").content.decode()


def test_website_owners_get_404(client, user):
    client.force_login(user)
    assert client.get("/gui/activity/").status_code == 404
