"""Issue 14's "done when", end to end in Chromium on a 390 px phone: a branded reseller's
customer, handed in by the panel with language=de, sees a German GUI in the reseller's
brand, installs WordPress through the real worker, and a German email in that brand
reaches the SMTP server the test runs."""

from __future__ import annotations

import re

import pytest

from tests.fixtures.browser import screenshot

from .test_email_notifications import _use_mailbox, _wait_for

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def worker(transactional_db, wordpress_package, wordpress_archive, monkeypatch, request):
    monkeypatch.setenv("INSTALLATRON_PACKAGES", str(wordpress_archive.store))
    return request.getfixturevalue("celery_worker")


def test_a_branded_resellers_customer_installs_in_german_on_a_phone_and_gets_a_german_email(
        live_server, site, worker, api, smtp_server, reseller, page):
    from playwright.sync_api import expect

    from apps.accounts.models import Branding
    from apps.installs.models import Install

    Branding.objects.create(account=reseller, name="Hostiva Sites", accent="#7a1f5c",
                            bar="#2b0a1f")
    _use_mailbox(smtp_server)
    reply = api.v1("guixfer", user=site.account.username, reseller=reseller.username,
                   language="de").json()
    assert reply["result"] is True, reply

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/index.php?s={reply['session_id']}")
    assert page.locator("html").get_attribute("lang") == "de"
    expect(page.locator(".topbar .brand")).to_have_text("Hostiva Sites")
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar'))"
                         ".backgroundColor") == "rgb(43, 10, 31)"
    fits = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(fits)
    screenshot(page, "e2e-de-1-home-390")

    page.get_by_role("navigation").get_by_role("link", name="Anwendungen").click()
    page.get_by_role("link", name=re.compile("WordPress")).first.click()
    page.get_by_role("link", name="WordPress installieren").click()
    expect(page.get_by_role("heading", name="WordPress installieren")).to_be_visible()
    # The site's own language: the form offers the account's (de) first, but the test
    # package, like Debian's wordpress, has no German language files.
    assert page.locator("#id_language").input_value() == "de"
    page.locator("#id_language").select_option("en")
    page.get_by_label("Ordner").fill("blog")
    page.locator("#id_sitetitle").fill("Mein Garten")
    page.locator("#id_passwd").fill("Tulpen-und-42-im-Mai")
    assert page.get_by_label("Die Installation ist fertig").is_checked()
    assert page.evaluate(fits)
    screenshot(page, "e2e-de-2-form-390")
    page.get_by_role("button", name="WordPress installieren").click()
    expect(page.get_by_role("heading", name="WordPress ist installiert")).to_be_visible(
        timeout=120_000)
    expect(page.locator(".topbar .brand")).to_have_text("Hostiva Sites")
    assert page.evaluate(fits)
    screenshot(page, "e2e-de-3-installed-390")
    install = Install.objects.get(account=site.account)
    assert install.status == "installed" and install.url == f"{site.url}/blog"

    assert _wait_for(lambda: smtp_server.messages, 30), "no email reached the SMTP server"
    [received] = smtp_server.messages
    assert received.subject == "[Hostiva Sites] Mein Garten wurde installiert"
    assert "Mein Garten wurde installiert" in received.body
    assert received.body.rstrip().endswith("Hostiva Sites")
    assert "Tulpen-und-42-im-Mai" not in received.body
