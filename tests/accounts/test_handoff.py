"""The guixfer hand-off: one-time, short-lived, hashed ids that sign a person in."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import Account, Handoff


def guixfer(api, **params):
    reply = api.v1("guixfer", **params)
    assert reply.status_code == 200, reply.content
    return reply.json()


WEBSITES = [{"id": "ws124", "label": "company.com", "path": "/var/www/vhosts/company.com",
             "vhosts": {"http://company.com": "httpdocs", "http://www.company.com": "httpdocs"},
             "email": "user@mail.com", "uid": 153, "gid": 153}]


def test_guixfer_reply_has_installatrons_shape(api):
    body = guixfer(api, user="bob", websites=WEBSITES)
    assert body["result"] is True
    assert body["status"] == 200
    assert body["data"] == f"http://testserver/index.php?s={body['session_id']}"
    assert set(body) >= {"result", "message", "status", "session_id", "data"}


def test_it_stores_only_a_hash_of_the_id(api):
    body = guixfer(api, user="bob", websites=WEBSITES)
    raw = body["session_id"]
    assert len(raw) >= 43  # 256 bits in url-safe base64
    handoff = Handoff.objects.get()
    assert handoff.id_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in json.dumps(list(Handoff.objects.values()), default=str)


def test_redeeming_signs_in_and_hides_the_id(api, client):
    raw = guixfer(api, user="bob", websites=WEBSITES)["session_id"]
    response = client.get(f"/index.php?s={raw}")
    assert response.status_code == 302
    assert response["Location"] == "/gui/"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    home = client.get("/gui/")
    assert home.status_code == 200
    assert b"company.com" in home.content
    assert b"http://www.company.com" in home.content


def test_it_refuses_a_reused_session_id(api, client):
    raw = guixfer(api, user="bob", websites=WEBSITES)["session_id"]
    assert client.get(f"/?s={raw}").status_code == 302
    client.logout()
    again = client.get(f"/?s={raw}")
    assert again.status_code == 403
    assert b"expired" in again.content
    assert "sessionid" not in again.cookies and "itron_session" not in again.cookies


def test_it_refuses_an_expired_session_id(api, client):
    raw = guixfer(api, user="bob", websites=WEBSITES)["session_id"]
    Handoff.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = client.get(f"/index.php?s={raw}")
    assert response.status_code == 403
    assert client.get("/gui/").status_code == 302  # still anonymous: sent to the login page


def test_the_default_lifetime_is_short(api):
    guixfer(api, user="bob", websites=WEBSITES)
    handoff = Handoff.objects.get()
    assert timedelta(seconds=100) < handoff.expires - handoff.created <= timedelta(seconds=120)


@pytest.mark.parametrize("bad", ["", "x", "a" * 200, "../../etc/passwd", "<script>", "A" * 43])
def test_it_refuses_unknown_or_malformed_ids_with_one_plain_page(client, db, bad):
    response = client.get("/index.php", {"s": bad})
    assert response.status_code == 403
    assert b"expired" in response.content
    assert b"Traceback" not in response.content


def test_redeeming_ends_another_accounts_session_in_that_browser(api, client, admin):
    client.force_login(admin)
    old_key = client.session.session_key
    raw = guixfer(api, user="bob", websites=WEBSITES)["session_id"]
    client.get(f"/index.php?s={raw}")
    assert client.session.session_key != old_key
    assert client.session["_auth_user_id"] == str(Account.objects.get(username="bob").pk)


def test_resellers_and_the_admin_get_their_portals(api, client):
    raw = guixfer(api, user="r12345", type="reseller")["session_id"]
    client.get(f"/index.php?s={raw}")
    page = client.get("/gui/").content.decode()
    # A reseller's portal: its users and its sub-resellers, never the server's settings.
    assert "/gui/users/" in page and "/gui/resellers/" in page and "/gui/settings/" not in page
    assert Account.objects.get(username="r12345").kind == "reseller"

    client.logout()
    raw = guixfer(api, user="admin")["session_id"]
    client.get(f"/index.php?s={raw}")
    page = client.get("/gui/").content.decode()
    assert "Resellers" in page and "Settings" in page


def test_a_suspended_user_gets_no_session(api, client):
    guixfer(api, user="bob", websites=WEBSITES)
    Account.objects.filter(username="bob").update(suspended=True)
    reply = api.v1("guixfer", user="bob")
    assert reply.status_code == 403
    assert reply.json()["result"] is False


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_redemptions_give_exactly_one_session(live_server, api_key):
    body = json.dumps({"key": api_key, "cmd": "guixfer", "user": "bob", "websites": WEBSITES})
    request = urllib.request.Request(f"{live_server.url}/index.php", data=body.encode(),
                                     headers={"Content-Type": "application/json"})
    raw = json.load(urllib.request.urlopen(request))["session_id"]

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def redeem(_):
        try:
            response = opener.open(f"{live_server.url}/index.php?s={raw}", timeout=30)
        except urllib.error.HTTPError as exc:
            return exc.code, " ".join(exc.headers.get_all("Set-Cookie") or [])
        return response.status, " ".join(response.headers.get_all("Set-Cookie") or [])

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(redeem, range(50)))
    codes = sorted(code for code, _ in results)
    assert codes.count(302) == 1, codes
    # The rest are refused: spent (403), or, past INSTALLATRON_HANDOFF_FAILURE_LIMIT failures
    # from this one address, throttled (429).
    assert codes.count(403) + codes.count(429) == 49, codes
    assert codes.count(403) >= 20, codes
    signed_in = [cookie for code, cookie in results if "itron_session=" in cookie]
    assert len(signed_in) == 1, results[:3]
