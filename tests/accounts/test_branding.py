"""Issue 14: branded portals. A reseller's customers see the reseller's product name, logo
and colours; everyone else sees their own reseller's, the admin's, or the plain look."""

from __future__ import annotations

import base64
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.accounts.models import Branding
from tests.fixtures.browser import screenshot

# A 1x1 PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def _as(account) -> Client:
    client = Client()
    client.force_login(account)
    return client


def _save(client, **fields):
    data = {"name": "", "accent": "#2a66d0", "bar": "#17223b", **fields}
    return client.post("/gui/branding/", data)


def _topbar(html: str) -> str:
    return re.search(r'<a class="brand"[^>]*>(.*?)</a>', html, re.S).group(1)


def test_a_resellers_customers_see_its_name_and_colours(reseller, user, stranger):
    answer = _save(_as(reseller), name="Hosty Apps", accent="#7a1f5c", bar="#2b0a1f")
    assert answer.status_code == 302
    page = _as(user).get("/gui/installs/").content.decode()
    assert "Hosty Apps" in _topbar(page) and "· Hosty Apps</title>" in page
    css_url = re.search(r'href="(/gui/brand/\d+\.css\?v=\d+)"', page).group(1)
    css = _as(user).get(css_url)
    assert css["Content-Type"].startswith("text/css")
    assert "--accent:#7a1f5c" in css.content.decode() and "#2b0a1f" in css.content.decode()
    # Another reseller's customer keeps the plain look and cannot fetch this stylesheet.
    other = _as(stranger).get("/gui/installs/").content.decode()
    assert "App Installer" in _topbar(other) and "/gui/brand/" not in other
    assert _as(stranger).get(css_url).status_code == 404


def test_the_admins_branding_is_everyones_default_and_a_resellers_own_wins(admin, reseller,
                                                                         user, stranger):
    _save(_as(admin), name="Main Host")
    assert "Main Host" in _topbar(_as(stranger).get("/gui/").content.decode())
    assert "Main Host" in _topbar(_as(user).get("/gui/").content.decode())
    _save(_as(reseller), name="Reseller One")
    assert "Reseller One" in _topbar(_as(user).get("/gui/").content.decode())
    assert "Main Host" in _topbar(_as(stranger).get("/gui/").content.decode())


def test_a_colour_white_text_cannot_be_read_on_is_refused_with_the_reason(reseller, user):
    answer = _save(_as(reseller), name="Pale", accent="#ffe680")
    assert answer.status_code == 200
    assert "too light" in answer.content.decode()
    answer = _save(_as(reseller), name="Pale", bar="#c0c0c0")
    assert "too light" in answer.content.decode()
    answer = _save(_as(reseller), name="Odd", accent="red;}body{display:none")
    assert answer.status_code == 200
    assert not Branding.objects.exists()


def test_a_png_logo_is_shown_and_an_svg_is_refused(reseller, user, stranger):
    client = _as(reseller)
    svg = SimpleUploadedFile("logo.svg", SVG, content_type="image/svg+xml")
    answer = _save(client, name="Logo Co", logo=svg)
    assert "PNG or JPEG" in answer.content.decode()
    png = SimpleUploadedFile("logo.png", PNG, content_type="image/png")
    assert _save(client, name="Logo Co", logo=png).status_code == 302
    page = _as(user).get("/gui/").content.decode()
    logo_url = re.search(r'<img class="brand-logo" src="([^"]+)"', page).group(1)
    logo = _as(user).get(logo_url)
    assert logo.content == PNG and logo["Content-Type"] == "image/png"
    assert logo["X-Content-Type-Options"] == "nosniff"
    assert _as(stranger).get(logo_url).status_code == 404
    # Removing it keeps the rest.
    _save(client, name="Logo Co", remove_logo="on")
    page = _as(user).get("/gui/").content.decode()
    assert "brand-logo" not in page and "Logo Co" in _topbar(page)


def test_website_owners_have_no_branding_page_and_resellers_can_go_back_to_plain(reseller,
                                                                                user):
    assert _as(user).get("/gui/branding/").status_code == 404
    client = _as(reseller)
    _save(client, name="Soon Gone")
    client.post("/gui/branding/", {"reset": "1"})
    assert not Branding.objects.exists()
    assert "App Installer" in _topbar(_as(user).get("/gui/").content.decode())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_branded_portal_as_its_customer_sees_it(live_server, page, reseller, user):
    """The reseller sets it up in the form (colour pickers, upload), the customer sees it."""
    from tests.installs.test_gui_browser_small import _fits, _sign_in

    _sign_in(page, live_server, reseller)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/gui/branding/")
    page.get_by_label("Product name").fill("Hosty Apps")
    page.locator("input[name=accent]").fill("#7a1f5c")
    page.locator("input[name=bar]").fill("#2b0a1f")
    page.get_by_label("Logo").set_input_files(files=[{"name": "logo.png", "mimeType": "image/png",
                                                     "buffer": PNG}])
    page.get_by_role("button", name="Save").click()
    assert "The branding was saved." in page.inner_text("main")
    screenshot(page, "branding-form-1280")
    page.context.clear_cookies()
    _sign_in(page, live_server, user)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{live_server.url}/gui/installs/")
        bar = page.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor")
        assert bar == "rgb(43, 10, 31)"
        assert page.locator(".brand").inner_text().strip() == "Hosty Apps"
        assert page.locator(".brand-logo").evaluate("i => i.naturalWidth") == 1
        assert _fits(page)
        screenshot(page, f"branded-portal-{width}")


def test_a_used_link_is_answered_in_its_accounts_brand_and_language(reseller, user):
    from apps.accounts.services import create_handoff

    _save(_as(reseller), name="Hosty Apps", accent="#7a1f5c", bar="#2b0a1f",
          logo=SimpleUploadedFile("logo.png", PNG, content_type="image/png"))
    raw = create_handoff(user, language="de")
    browser = Client()
    assert browser.get("/index.php", {"s": raw}).status_code == 302
    browser.logout()
    again = browser.get("/index.php", {"s": raw})
    html = again.content.decode()
    assert again.status_code == 403
    assert '<html lang="de">' in html and "Dieser Link ist abgelaufen" in html
    assert "<strong>Hosty Apps</strong>" in html and "· Hosty Apps</title>" in html
    css_url = re.search(r'href="(/gui/brand/\d+\.css\?v=\d+)"', html).group(1)
    logo_url = re.search(r'src="(/gui/brand/[^"]+)"', html).group(1)
    assert "#7a1f5c" in browser.get(css_url).content.decode()  # signed out, this browser
    assert browser.get(logo_url).status_code == 200
    assert Client().get(css_url).status_code == 404  # any other browser: nothing
    # An id that never existed learns nothing: the plain page, in English.
    plain = Client().get("/index.php", {"s": "y" * 43}).content.decode()
    assert "Hosty Apps" not in plain and "This link has expired" in plain
