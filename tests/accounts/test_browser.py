"""The hand-off as a person meets it, in headless Chromium."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.fixtures.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _guixfer(base: str, key: str, **params) -> dict:
    body = json.dumps({"key": key, "cmd": "guixfer", **params}).encode()
    # As PHP's curl sends it: a JSON string with a form content type.
    request = urllib.request.Request(f"{base}/index.php", data=body,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def test_a_website_owner_lands_in_the_gui_showing_their_websites(live_server, api_key, page):
    reply = _guixfer(live_server.url, api_key, user="owner1", language="en", websites=[
        {"id": "website123", "label": "website.com", "path": "/var/www/website.com",
         "vhosts": {"http://website.com": "httpdocs", "http://www.website.com": "httpdocs"},
         "email": "user@mail.com"},
        {"id": "website124", "label": "company.com",
         "path": "ftp://website124:secretpw@12.24.36.22",
         "vhosts": {"https://company.com": "httpsdocs"}},
    ])
    assert reply["result"] is True
    page.goto(reply["data"])
    assert page.url == f"{live_server.url}/gui/"
    page.wait_for_selector("tr.website")
    text = page.inner_text("main")
    assert "Welcome, owner1" in text
    assert "website.com" in text and "company.com" in text
    assert "http://www.website.com" in text
    assert "secretpw" not in page.content()
    nav = page.inner_text("nav.mainnav")
    assert "Applications" in nav and "My installs" in nav and "Users" not in nav
    screenshot(page, "handoff-owner-home")

    # The same link again, even in this browser, is refused.
    page.goto(reply["data"])
    assert "This link has expired" in page.inner_text("body")


def test_a_reseller_lands_in_a_portal_listing_their_users(live_server, api_key, page):
    _guixfer(live_server.url, api_key, user="client7", reseller="r777",
             websites=[{"id": "w1", "path": "/home/client7", "vhosts": {"http://c7.example": ""}}])
    reply = _guixfer(live_server.url, api_key, user="r777", type="reseller")
    page.goto(reply["data"])
    page.click("nav.mainnav >> text=Users")
    page.wait_for_selector("#account-client7")
    assert "client7" in page.inner_text("#rows")
    screenshot(page, "handoff-reseller-users")


def test_the_admin_signs_in_with_a_password(live_server, admin, page):
    from tests.conftest import ADMIN_PASSWORD

    page.goto(f"{live_server.url}/gui/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/gui/")
    assert "Resellers" in page.inner_text("nav.mainnav")
    screenshot(page, "admin-home")
