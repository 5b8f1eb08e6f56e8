"""The request header: bad input gets a documented errcode and writes nothing."""

from __future__ import annotations

import pytest

from apps.accounts.models import Account, Website

GOOD_SITE = {"id": "ws1", "path": "/home/bob", "vhosts": {"http://bob.test": "public_html"}}


def _counts():
    return Account.objects.count(), Website.objects.count()


@pytest.mark.parametrize("params,errcode", [
    ({"user": "bob smith"}, "invalid_argument_user"),
    ({"user": "../etc"}, "invalid_argument_user"),
    ({"user": "b" * 65}, "invalid_argument_user"),
    ({"user": "bob", "websites": [{**GOOD_SITE, "path": "gopher://x/y"}]}, "invalid_argument_websites"),
    ({"user": "bob", "websites": [{**GOOD_SITE, "path": "relative/path"}]}, "invalid_argument_websites"),
    ({"user": "bob", "websites": [{**GOOD_SITE, "path": "/home/../etc"}]}, "invalid_argument_websites"),
    ({"user": "bob", "websites": [{**GOOD_SITE, "vhosts": {"ftp://bob.test": "x"}}]}, "invalid_argument_websites"),
    ({"user": "bob", "websites": [{**GOOD_SITE, "vhosts": {"not a url": "x"}}]}, "invalid_argument_websites"),
    ({"user": "bob", "websites": [{**GOOD_SITE, "vhosts": {"http://bob.test": "../../etc"}}]}, "invalid_argument_websites"),
    ({"user": "bob", "websites": [{**GOOD_SITE, "vhosts": {"http://bob.test": "a/../../b"}}]}, "invalid_argument_websites"),
    ({"user": "bob", "websites": [GOOD_SITE, GOOD_SITE]}, "invalid_argument_websites"),
    ({"user": "bob", "websites": "nope"}, "invalid_argument_websites"),
    ({"user": "bob", "websites": [{**GOOD_SITE, "uid": "abc"}]}, "invalid_argument_websites"),
    ({"user": "bob", "type": "god"}, "invalid_argument_type"),
    ({"user": "bob", "reseller": "bad name"}, "invalid_argument_reseller"),
    ({"user": "bob", "email": "not-an-email"}, "invalid_argument_email"),
])
def test_bad_header_input_gets_400_and_writes_nothing(api, params, errcode):
    before = _counts()
    response = api.v1("edituser", **params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["result"] is False and body["errcode"] == errcode
    assert _counts() == before


def test_malformed_json_gets_400(client, api_key):
    response = client.post("/index.php", '{"cmd": "edituser", "user": ', content_type="application/json",
                           HTTP_X_API_KEY=api_key)
    assert response.status_code == 400
    assert response.json()["errcode"] == "invalid_argument_json"


def test_a_failure_late_in_the_header_leaves_earlier_websites_unwritten(api):
    sites = [GOOD_SITE, {"id": "ws2", "path": "/home/bob2", "vhosts": {"javascript:alert(1)": "x"}}]
    response = api.v1("edituser", user="bob", websites=sites)
    assert response.status_code == 400
    assert not Account.objects.filter(username="bob").exists()
    assert Website.objects.count() == 0


def test_websites_a_header_leaves_out_are_kept_after_the_listed_ones(api):
    api.v1("edituser", user="bob", websites=[GOOD_SITE, {**GOOD_SITE, "id": "ws2"}])
    assert Website.objects.filter(account__username="bob").count() == 2
    # One website per call, as panels send them: ws1 is updated, ws2 stays (listed last).
    api.v1("edituser", user="bob", websites=[{**GOOD_SITE, "id": "ws2", "label": "renamed"}])
    sites = list(Website.objects.filter(account__username="bob"))
    assert [(s.ws_id, s.label) for s in sites] == [("ws2", "renamed"), ("ws1", "")]
    api.v1("edituser", user="bob", websites=[])
    assert Website.objects.filter(account__username="bob").count() == 2
    body = api.v1("users", user="bob").json()
    assert [w["id"] for w in body["data"][0]["websites"]] == ["ws2", "ws1"]


def test_paths_and_database_passwords_are_encrypted_at_rest(api):
    from django.db import connection

    site = {**GOOD_SITE, "path": "sftp://bob:S3cretPw@host.example/home/bob",
            "db_mode": "manual",
            "databases": [{"type": "mysql", "host": "localhost", "name": "db1", "user": "db1",
                           "pass": "DbPassw0rd"}]}
    assert api.v1("edituser", user="bob", websites=[site]).status_code == 200
    with connection.cursor() as cursor:
        q = connection.ops.quote_name
        cursor.execute(f"SELECT {q('path')}, {q('databases')} FROM accounts_website")
        raw = " ".join(str(v) for row in cursor.fetchall() for v in row)
    assert "S3cretPw" not in raw and "DbPassw0rd" not in raw and "host.example" not in raw
    website = Website.objects.get()
    assert website.path.endswith("@host.example/home/bob")
    assert website.databases[0]["pass"] == "DbPassw0rd"


def test_the_user_id_never_changes_and_reseller_ownership_can(api):
    api.v1("edituser", user="bob")
    api.v1("edituser", user="bob", reseller="r1")
    bob = Account.objects.get(username="bob")
    assert bob.owner.username == "r1" and bob.owner.kind == "reseller"


def test_a_sub_reseller_under_a_reseller(api):
    api.v1("edituser", user="r12345", type="reseller")
    api.v1("edituser", user="r12346", type="reseller", reseller="r12345")
    sub = Account.objects.get(username="r12346")
    assert sub.owner.username == "r12345"
    assert Account.objects.get(username="r12345").manages(sub)


def test_ownership_cycles_are_refused(api):
    api.v1("edituser", user="r1", type="reseller")
    api.v1("edituser", user="r2", type="reseller", reseller="r1")
    response = api.v1("edituser", user="r1", reseller="r2")
    assert response.status_code == 400
    assert response.json()["errcode"] == "invalid_argument_reseller"


def test_deleteuser_removes_the_user_and_websites_only(api, tmp_path):
    site_dir = tmp_path / "bob"
    site_dir.mkdir()
    (site_dir / "index.php").write_text("<?php echo 1;")
    api.v1("edituser", user="bob", websites=[{**GOOD_SITE, "path": str(site_dir)}])
    response = api.v1("deleteuser", user="bob")
    assert response.status_code == 200 and response.json()["data"] == ["bob"]
    assert not Website.objects.exists()
    assert (site_dir / "index.php").read_text() == "<?php echo 1;"


def test_deleting_a_reseller_moves_its_accounts_up(api):
    api.v1("edituser", user="r1", type="reseller")
    api.v1("edituser", user="bob", reseller="r1")
    api.v1("deleteuser", user="r1")
    assert Account.objects.get(username="bob").owner.username == "admin"


def test_vhost_ip_is_kept_and_becomes_the_default_url_ip_of_installs(wordpress_package,
                                                                     tmp_path):
    """The v2 overview: a vhost whose DNS does not point here yet is reached at vhost_ip."""
    from apps.accounts import services
    from apps.accounts.errors import AccountError
    from apps.accounts.models import Account
    from apps.installs.services import check_install

    header = services.parse_header({"user": "dnsless", "websites": [
        {"id": "w1", "path": str(tmp_path), "vhosts": {"http://website.com": ""},
         "vhost_ip": "192.0.2.7"}]})
    account = services.apply_header(header)
    website = Account.objects.get(username="dnsless").websites.get()
    assert website.vhost_ip == "192.0.2.7" and website.as_session()["vhost_ip"] == "192.0.2.7"
    plan = check_install(account, {"application": "wordpress", "url": "http://website.com/",
                                   "email": "o@example.com"},
                         dryrun=1)
    assert plan.url_ip == "192.0.2.7"
    explicit = check_install(account, {"application": "wordpress", "url": "http://website.com/",
                                       "url_ip": "198.51.100.1", "email": "o@example.com"},
                             dryrun=1)
    assert explicit.url_ip == "198.51.100.1"
    with pytest.raises(AccountError) as refused:
        services.parse_header({"user": "dnsless", "websites": [
            {"id": "w1", "path": str(tmp_path), "vhost_ip": "not-an-ip"}]})
    assert refused.value.errcode == "invalid_argument_websites"
