"""The Content-Security-Policy (issue 15, "Lower") against the real pages in headless Chromium:
every main page, as a website owner and as the admin, with htmx at work, and not one
message from the browser about the policy. Chromium logs each refused inline script or style
("... violates the following Content Security Policy directive ...") to the console."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN_PASSWORD
from tests.fixtures.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_WP = "/gui/installs/new/wordpress/"


@pytest.fixture
def complaints(page):
    """Console messages and page errors about the policy, collected while the test runs."""
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(f"{page.url}: {msg.text}")
            if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda error: seen.append(f"{page.url}: {error}"))
    return seen


def _visit_every_main_page(page, base: str) -> list[str]:
    """Open the home page and each link of the main navigation; the URLs seen."""
    nav = page.get_by_role("navigation", name="Main").get_by_role("link")
    hrefs = ["/gui/", *(nav.nth(i).get_attribute("href") for i in range(nav.count()))]
    for href in hrefs:
        page.goto(base + href)
        page.wait_for_load_state("networkidle")
    return hrefs


def _running_install(account):
    """An install whose task is 40 % done: its page shows the bar and polls."""
    from apps.installs.models import Install
    from apps.tasks.models import Task

    website = account.websites.get()
    install = Install.objects.create(
        account=account, website=website, installer="wordpress", version="6.1.9",
        path="public_html/blog", url="http://alice.test/blog", url_domain="alice.test",
        title="Policy Blog", status="installing", db_name="alice_wp1", db_user="alice_wp1",
        db_prefix="wp_", fields={"login": "admin_x1", "email": "a@b.c"})
    install.task = Task.objects.create(
        account=account, cmd="install", url=install.url, title=install.title,
        install=install.pk, status="processing", percent_min=40, percent_max=60,
        message="Copying files")
    install.save()
    return install


def test_the_owners_pages_run_under_the_policy_without_a_complaint(
        live_server, user, wordpress_package, page, complaints):
    from playwright.sync_api import expect

    from apps.accounts.services import create_handoff

    install = _running_install(user)
    page.goto(live_server.url + "/index.php?s=" + create_handoff(user))
    expect(page.get_by_role("heading", name="Welcome, alice")).to_be_visible()
    policy = page.request.get(live_server.url + "/gui/").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    visited = _visit_every_main_page(page, live_server.url)
    assert {"/gui/", "/gui/apps/", "/gui/installs/", "/gui/backups/", "/gui/tasks/"} <= set(visited)

    # The applications: the filter works through htmx.
    page.goto(live_server.url + "/gui/apps/")
    def is_htmx(response) -> bool:
        return response.request.headers.get("hx-request") == "true"

    with page.expect_response(lambda r: "/gui/apps/" in r.url and is_htmx(r)):
        page.get_by_label("Search").fill("word")
    expect(page.locator("#apps")).to_contain_text("WordPress")

    # The install form: the Show toggle (a static script now) still reveals the password.
    page.goto(live_server.url + NEW_WP)
    password = page.get_by_label("Administrator Password", exact=True)
    expect(password).to_have_attribute("type", "password")
    page.get_by_label("Show Administrator Password").check()
    expect(password).to_have_attribute("type", "text")
    page.get_by_label("Show Administrator Password").uncheck()
    expect(password).to_have_attribute("type", "password")
    page.get_by_label("Website Title").fill("Changed title")

    # The install's page: the bar is drawn 40 % wide, and keeps polling with htmx.
    page.goto(f"{live_server.url}/gui/installs/{install.pk}/")
    with page.expect_response(is_htmx):
        pass  # one poll at least: the swapped-in bar must live under the policy too
    bar = page.get_by_role("progressbar")
    expect(bar).to_have_attribute("aria-valuenow", "40")
    outer = bar.bounding_box()
    inner = bar.locator("span").bounding_box()
    assert outer and inner and abs(inner["width"] / outer["width"] - 0.40) < 0.02, (outer, inner)
    screenshot(page, "csp-owner-progress")

    page.goto(live_server.url + "/gui/tasks/")
    expect(page.get_by_role("progressbar").first).to_have_attribute("aria-valuenow", "40")
    assert complaints == []


def test_the_admins_pages_run_under_the_policy_without_a_complaint(
        live_server, admin, user, wordpress_package, page, complaints):
    from playwright.sync_api import expect

    _running_install(user)
    page.goto(live_server.url + "/gui/login/")
    page.get_by_label("Name").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()  # a form posting to 'self'
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    visited = _visit_every_main_page(page, live_server.url)
    assert {"/gui/settings/", "/gui/users/", "/gui/tasks/", "/gui/backups/"} <= set(visited)
    page.goto(live_server.url + "/gui/tasks/")
    expect(page.get_by_role("progressbar").first).to_have_attribute("aria-valuenow", "40")
    screenshot(page, "csp-admin-tasks")
    page.goto(live_server.url + "/index.php?s=" + "x" * 43)  # the expired-link page
    expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()
    screenshot(page, "csp-expired-link")
    assert complaints == []
