"""The admin console as a person uses it, in headless Chromium at 1280 and 390 px."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests.fixtures.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 390)


def _sign_in(page, live_server, account) -> None:
    client = Client()
    client.force_login(account)
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": client.cookies[name].value,
                               "url": live_server.url}])


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_admin_runs_the_console_on_a_desktop_and_a_phone(
        live_server, page, admin, wordpress_package):
    from apps.accounts.models import AuditEntry, SiteSettings
    from apps.catalog.services import disabled_applications

    _sign_in(page, live_server, admin)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 860})
        page.goto(f"{live_server.url}/gui/")
        page.get_by_role("link", name="Console").click()
        page.wait_for_url("**/gui/console/")
        row = page.locator("#app-wordpress")
        assert row.get_by_role("link", name="Switch off").is_visible()
        assert row.get_by_role("button", name="Save").is_visible()
        assert _fits(page)
        screenshot(page, f"console-applications-{width}")
        for tab, slug in (("Install options", "defaults"), ("Languages", "languages"),
                          ("Email", "email"),
                          ("Audit log", "audit")):
            page.locator("nav.subnav").get_by_role("link", name=tab).click()
            page.wait_for_url(f"**/gui/console/{slug}/")
            assert _fits(page), slug
            screenshot(page, f"console-{slug}-{width}")

    # On the phone: switch WordPress off (asked first), then on again in place (htmx).
    page.goto(f"{live_server.url}/gui/console/")
    page.locator("#app-wordpress").get_by_role("link", name="Switch off").click()
    assert page.get_by_role("heading", name="Switch off WordPress?").is_visible()
    assert _fits(page)
    screenshot(page, "console-switch-off-390")
    page.get_by_role("button", name="Switch off").click()
    page.wait_for_url("**/gui/console/")
    assert disabled_applications() == {"wordpress"}
    page.locator("#app-wordpress").get_by_role("button", name="Switch on").click()
    page.locator("#app-wordpress").get_by_role("link", name="Switch off").wait_for()
    assert disabled_applications() == set()

    # The mail server, typed on the phone.
    page.goto(f"{live_server.url}/gui/console/email/")
    page.get_by_label("Mail server").fill("mail.example.net")
    page.get_by_label("Port").fill("587")
    page.get_by_label("Encryption").select_option("starttls")
    page.get_by_label("User name").fill("notify")
    page.get_by_label("Password", exact=True).fill("phone-typed secret")
    page.get_by_label("Sender address").fill("apps@example.net")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("The mail server settings were saved.").is_visible()
    site = SiteSettings.load()
    assert (site.smtp_host, site.smtp_port, site.smtp_security, site.smtp_password) == (
        "mail.example.net", 587, "starttls", "phone-typed secret")
    assert _fits(page)
    screenshot(page, "console-email-saved-390")

    page.goto(f"{live_server.url}/gui/console/audit/")
    assert page.get_by_text("application.disable").is_visible()
    assert page.get_by_text("email.change").is_visible()
    assert "phone-typed secret" not in page.content()
    assert _fits(page)
    screenshot(page, "console-audit-filled-390")
    assert AuditEntry.objects.count() == 3
