"""Issue 14's small GUI items as a person sees them, in headless Chromium at 1280 and 390 px."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests.fixtures.browser import screenshot

from .test_gui import _make_install

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 390)


def _sign_in(page, live_server, account) -> None:
    client = Client()
    client.force_login(account)
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": client.cookies[name].value,
                               "url": live_server.url}])


def _fits(page) -> bool:
    """Nothing sticks out sideways: the page is no wider than the window."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_email_choices_are_checkboxes_a_person_can_tick(live_server, page, user):
    install = _make_install(user, notification=["backup"], fields={
        "login": "admin_x1", "email": "a@b.c", "sitetitle": "Alice's blog", "sitetagline": ""})
    _sign_in(page, live_server, user)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 860})
        page.goto(f"{live_server.url}/gui/installs/{install.pk}/edit/")
        group = page.get_by_role("group", name="Email me about")
        assert group.get_by_role("checkbox", name="A backup was made").is_checked()
        assert _fits(page)
        group.scroll_into_view_if_needed()
        screenshot(page, f"edit-notifications-{width}")
    page.get_by_role("checkbox", name="An update is available").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/gui/installs/{install.pk}/")
    install.refresh_from_db()
    assert sorted(install.notification) == ["backup", "update_available"]


def test_an_unknown_page_is_styled_with_a_way_home(live_server, page, user):
    _sign_in(page, live_server, user)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 700})
        answer = page.goto(f"{live_server.url}/gui/no-such-page/")
        assert answer.status == 404
        assert page.get_by_role("heading", name="Page not found").is_visible()
        assert page.locator("link[rel=icon]").get_attribute("href").endswith("favicon.svg")
        assert _fits(page)
        screenshot(page, f"error-404-{width}")
    page.get_by_role("link", name="Go to the start page").click()
    page.wait_for_url(f"{live_server.url}/gui/")


def test_the_install_and_clone_pages_mark_their_own_tab(live_server, page, user,
                                                          wordpress_package):
    install = _make_install(user)
    _sign_in(page, live_server, user)
    pages = {"/gui/installs/new/wordpress/": "Applications",
             f"/gui/backups/install/{install.pk}/clone/": "My installs"}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 700})
        for path, tab in pages.items():
            page.goto(f"{live_server.url}{path}")
            current = page.locator("nav.mainnav a[aria-current=page]")
            assert current.inner_text() == tab and current.is_visible()
            assert _fits(page)
            screenshot(page, f"menu-{tab.replace(' ', '-')}-{width}")


def test_lists_show_the_application_name_and_a_running_backup(live_server, page, user):
    from apps.tasks.models import Task

    install = _make_install(user)
    Task.objects.create(account=user, cmd="backup", url=install.url, title=install.title,
                        install=install.pk, status="processing", percent_max=30,
                        message="Archiving files")
    _sign_in(page, live_server, user)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 700})
        page.goto(f"{live_server.url}/gui/backups/?install={install.pk}")
        text = page.inner_text("main")
        assert "A backup is being made" in text and "No backup matches" not in text
        assert "Archiving files" in text
        assert _fits(page)
        screenshot(page, f"backups-running-{width}")
        for path in ("/gui/installs/", "/gui/tasks/"):
            page.goto(f"{live_server.url}{path}")
            assert "WordPress" in page.inner_text("main")
            screenshot(page, f"appname{path.replace('/', '-')}{width}")


def test_the_admin_confirms_before_suspending(live_server, page, admin, user):
    _sign_in(page, live_server, admin)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 700})
        page.goto(f"{live_server.url}/gui/users/")
        page.locator("#account-alice").get_by_role("link", name="Suspend").click()
        assert page.get_by_role("heading", name="Suspend alice?").is_visible()
        assert _fits(page)
        screenshot(page, f"suspend-confirm-{width}")
    user.refresh_from_db()
    assert not user.suspended
    page.get_by_role("button", name="Suspend").click()
    page.wait_for_url(f"{live_server.url}/gui/users/")
    assert "suspended" in page.inner_text("#account-alice")
    user.refresh_from_db()
    assert user.suspended


def test_installed_badges_and_breadcrumbs_read_at_4_5_to_1(live_server, page, user):
    from tests.accounts.test_contrast import contrast

    def hex_of(rgb: str) -> str:
        return "#" + "".join(f"{int(n):02x}" for n in rgb[rgb.index("(") + 1:-1].split(",")[:3])

    def style(locator, prop: str) -> str:
        return hex_of(locator.evaluate(f"e => getComputedStyle(e)['{prop}']"))

    install = _make_install(user)
    _sign_in(page, live_server, user)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 700})
        page.goto(f"{live_server.url}/gui/installs/")
        badge = page.locator("span.badge.ok").first
        assert badge.inner_text() == "Installed"
        assert contrast(style(badge, "color"), style(badge, "backgroundColor")) >= 4.5
        page.goto(f"{live_server.url}/gui/installs/{install.pk}/edit/")
        crumb = page.locator(".crumbs a").first
        background = style(page.locator("body"), "backgroundColor")
        assert contrast(style(crumb, "color"), background) >= 4.5
        screenshot(page, f"contrast-crumbs-{width}")


def _actions_on_screen(page, names) -> None:
    """Each named link is visible and lies inside the window horizontally."""
    width = page.viewport_size["width"]
    for name in names:
        link = page.get_by_role("link", name=name).first
        assert link.is_visible(), name
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (name, box)


def test_every_list_fits_a_phone_with_its_actions_on_screen(live_server, page, admin, user):
    """390 px: the lists turn into one card per row, each value under its column's name, so
    Manage, Restore and Download are on screen instead of past the right edge."""
    from apps.backups.models import Backup
    from apps.tasks.models import Task

    install = _make_install(user, url="http://alice.test/a-rather-long-folder-name/with/depth")
    Backup.objects.create(account=user, install=install, install_ref=install.id,
                          website=install.website, file=f"{user.username}/b.tar.gz",
                          installer="wordpress", version="6.1.9", path=install.path,
                          url=install.url, title=install.title, size=52_000_000,
                          list_files=["index.php"], checksum="0" * 64)
    Task.objects.create(account=user, cmd="backup", url=install.url, title=install.title,
                        install=install.pk, status="completed", percent_min=100,
                        percent_max=100, message="Done")
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, live_server, user)
    pages = {"/gui/": [], "/gui/installs/": ["Manage"], "/gui/tasks/": [],
             "/gui/backups/": ["Restore", "Download"]}
    for path, actions in pages.items():
        page.goto(f"{live_server.url}{path}")
        assert _fits(page), path
        table = page.locator("main table").first
        assert table.get_attribute("class").startswith("stack"), path
        assert table.locator("thead").is_hidden(), path
        _actions_on_screen(page, actions)
        screenshot(page, f"phone-list{path.replace('/', '-')}")
    # Each value sits under its column's name.
    page.goto(f"{live_server.url}/gui/installs/")
    version = page.locator("td[data-label=Version]").first
    assert page.evaluate("e => getComputedStyle(e, '::before').content", version.element_handle()) \
        == '"Version"'
    _sign_in(page, live_server, admin)
    page.goto(f"{live_server.url}/gui/users/")
    assert _fits(page)
    screenshot(page, "phone-list-accounts")
