"""The GUI shell: password sign-in, roles, users and resellers pages, security headers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from apps.accounts.models import Account
from tests.conftest import ADMIN_PASSWORD, RESELLER_PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def test_the_admin_signs_in_with_a_password(client, admin):
    response = client.post("/gui/login/", {"username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/gui/"
    page = client.get("/gui/").content.decode()
    assert "Resellers" in page and "Settings" in page


def test_website_owners_cannot_use_the_password_page(client, user):
    user.set_password("Some-pass-123!")
    user.save()
    response = client.post("/gui/login/", {"username": "alice", "password": "Some-pass-123!"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_failed_sign_ins_are_throttled(client, admin, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert client.post("/gui/login/", {"username": "admin", "password": "nope"}).status_code == 200
    # Even the right password is refused while throttled.
    response = client.post("/gui/login/", {"username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 429
    assert b"Too many" in response.content
    assert "_auth_user_id" not in client.session


def test_login_does_not_redirect_off_site(client, admin):
    response = client.post("/gui/login/", {"username": "admin", "password": ADMIN_PASSWORD,
                                           "next": "https://evil.example/"})
    assert response["Location"] == "/gui/"


def test_navigation_follows_the_role(client, user, reseller):
    client.force_login(user)
    page = client.get("/gui/").content.decode()
    for item in ("Applications", "My installs", "My backups", "Tasks"):
        assert item in page
    assert "/gui/users/" not in page and "Resellers" not in page
    assert client.get("/gui/users/").status_code == 404
    assert client.get("/gui/settings/").status_code == 404
    client.force_login(reseller)
    page = client.get("/gui/").content.decode()
    assert "/gui/users/" in page and "/gui/resellers/" in page and "Settings" not in page
    assert client.get("/gui/settings/").status_code == 404


def test_a_reseller_cannot_see_another_resellers_users(client, reseller, user, stranger):
    client.force_login(reseller)
    listing = client.get("/gui/users/").content.decode()
    assert "alice" in listing and "mallory" not in listing
    assert client.get("/gui/accounts/mallory/").status_code == 404
    assert client.post("/gui/accounts/mallory/suspend/", {"suspended": "yes"}).status_code == 404
    assert client.post("/gui/accounts/mallory/delete/").status_code == 404
    assert client.get("/gui/accounts/res2/").status_code == 404
    assert not Account.objects.get(username="mallory").suspended


def test_a_reseller_creates_edits_and_deletes_its_own_users(client, reseller):
    client.force_login(reseller)
    response = client.post("/gui/accounts/new/", {"username": "carol", "kind": "user",
                                                  "email": "carol@example.com"})
    assert response.status_code == 302
    carol = Account.objects.get(username="carol")
    assert carol.owner == reseller
    response = client.post("/gui/accounts/carol/", {"username": "ignored", "kind": "user",
                                                    "email": "c2@example.com", "language": "nl"})
    assert response.status_code == 302
    carol.refresh_from_db()
    assert (carol.username, carol.email, carol.language) == ("carol", "c2@example.com", "nl")
    assert client.get("/gui/accounts/carol/delete/").status_code == 200  # confirmation first
    assert Account.objects.filter(username="carol").exists()
    client.post("/gui/accounts/carol/delete/")
    assert not Account.objects.filter(username="carol").exists()


def test_a_reseller_manages_its_own_sub_resellers_only(client, reseller, stranger):
    client.force_login(reseller)
    response = client.post("/gui/accounts/new/", {"username": "subres", "kind": "reseller",
                                                  "email": "sub@example.com"})
    assert response.status_code == 302 and response["Location"] == "/gui/resellers/"
    assert Account.objects.get(username="subres").owner == reseller
    listing = client.get("/gui/resellers/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert 'id="account-subres"' in page
    assert 'id="account-res2"' not in page and 'id="account-res1"' not in page
    assert "subres" not in client.get("/gui/users/").content.decode()


def test_form_errors_rerender_with_200(client, reseller):
    client.force_login(reseller)
    response = client.post("/gui/accounts/new/", {"username": "bad name!", "kind": "user"})
    assert response.status_code == 200
    assert b"alphanumeric" in response.content


def test_suspending_ends_open_sessions_and_keeps_the_account_out(client, admin, user):
    alice = Client()
    alice.force_login(user)
    assert alice.get("/gui/").status_code == 200
    client.force_login(admin)
    client.post("/gui/accounts/alice/suspend/", {"suspended": "yes"})
    assert alice.get("/gui/").status_code == 302
    # Unsuspending does not bring the old session back.
    client.post("/gui/accounts/alice/suspend/", {"suspended": "no"})
    assert alice.get("/gui/").status_code == 302


def test_suspending_asks_first_and_the_confirm_page_suspends(client, admin, user, stranger):
    client.force_login(admin)
    listing = client.get("/gui/users/").content.decode()
    assert 'href="/gui/accounts/alice/suspend/">Suspend</a>' in listing
    assert 'name="suspended" value="yes"' not in listing  # no one-click suspend
    ask = client.get("/gui/accounts/alice/suspend/")
    html = ask.content.decode()
    assert ask.status_code == 200 and "<h1>Suspend alice?</h1>" in html
    assert "signed out at once" in html and 'name="suspended" value="yes"' in html
    assert not Account.objects.get(username="alice").suspended  # asking changes nothing
    done = client.post("/gui/accounts/alice/suspend/", {"suspended": "yes"})
    assert done.status_code == 302 and done["Location"] == "/gui/users/"
    assert Account.objects.get(username="alice").suspended
    # Unsuspending stays one click, and strangers' accounts stay hidden.
    listing = client.get("/gui/users/").content.decode()
    assert 'name="suspended" value="no"' in listing
    client.force_login(stranger)
    assert client.get("/gui/accounts/alice/suspend/").status_code == 404


def test_suspending_a_reseller_keeps_its_users_out(client, admin, reseller, user):
    from apps.accounts import services

    raw = services.create_handoff(user)
    services.set_suspended(reseller, True)
    assert client.get(f"/index.php?s={raw}").status_code == 403


def test_every_gui_form_needs_a_csrf_token(admin, user):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin)
    assert strict.post("/gui/accounts/alice/suspend/", {"suspended": "yes"}).status_code == 403
    assert strict.post("/gui/accounts/new/", {"username": "x1", "kind": "user"}).status_code == 403
    assert strict.post("/gui/logout/").status_code == 403
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post("/gui/login/", {"username": "admin", "password": "x"}).status_code == 403
    assert not Account.objects.get(username="alice").suspended


def test_pages_carry_the_security_headers(client, user):
    from apps.accounts import services

    redeemed = client.get(f"/index.php?s={services.create_handoff(user)}")
    cookie = redeemed.cookies["itron_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    response = client.get("/gui/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


STRICT = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "object-src 'none'; base-uri 'none'; form-action 'self'; ")


def test_every_page_carries_one_strict_content_security_policy(client, admin, user, api):
    from apps.accounts import services

    pages = {"login": client.get("/gui/login/"),
             "expired link": client.get("/index.php", {"s": "x" * 43})}
    client.get(f"/index.php?s={services.create_handoff(user)}")
    pages["owner"] = client.get("/gui/")
    pages["owner's tasks"] = client.get("/gui/tasks/")
    admin_client = Client()
    admin_client.force_login(admin)
    pages["admin"] = admin_client.get("/gui/settings/")
    for name, response in pages.items():
        assert response["Content-Type"].startswith("text/html"), name
        assert response["Content-Security-Policy"] == STRICT + "frame-ancestors 'none'", name
        assert response["X-Frame-Options"] == "DENY", name
    # A JSON reply is no document: it needs no policy.
    reply = api.v1("list")
    assert reply["Content-Type"].startswith("application/json")
    assert "Content-Security-Policy" not in reply


def test_allowed_panels_may_frame_the_gui(settings, user):
    settings.FRAME_ANCESTORS = ["https://panel.example.com:8083"]
    client = Client()
    client.force_login(user)
    response = client.get("/gui/")
    assert "X-Frame-Options" not in response
    assert response["Content-Security-Policy"] == (
        STRICT + "frame-ancestors 'self' https://panel.example.com:8083")


def test_the_hand_off_language_is_applied(client, user):
    from apps.accounts import services

    raw = services.create_handoff(user, language="nl")
    client.get(f"/index.php?s={raw}")
    assert client.get("/gui/")["Content-Language"] == "nl"


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    # The browser fixture sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; production never does.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**env, "INSTALLATRON_HTTPS": "1", "INSTALLATRON_DEBUG": "0",
           "SECRET_KEY": "x" * 20 + "q8#Vn2!pLz$Rk7@Wm4^Ty9&Hc5*Bd3(Fs6)Gj1",
           "ALLOWED_HOSTS": "installer.example.com", "INSTALLATRON_DATA": str(tmp_path),
           "DB": "sqlite", "INSTALLATRON_TESTING": "0"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level",
                             "WARNING"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_unless_asked_for(settings):
    from django.conf import settings as live

    assert live.DEBUG is False
