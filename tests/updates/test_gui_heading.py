"""Updates in view (issue 14, deliver 8): the install page's heading follows an update
that ends while the page is open, and stages are marked as such in My installs."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import screenshot
from tests.installs.test_gui import _make_install, _make_task
from tests.installs.test_gui_browser_small import WIDTHS, _sign_in


def test_an_htmx_poll_swaps_the_heading_with_the_version(client, user):
    install = _make_install(user, version="6.1.9")
    task = _make_task(install, cmd="upgrade")
    client.force_login(user)
    poll = client.get(f"/gui/installs/{install.pk}/", headers={"HX-Request": "true"})
    assert 'id="install-heading" hx-swap-oob="true"' in poll.content.decode()
    install.version = "6.2.1"
    install.save()
    task.status, task.percent_min = "completed", 100
    task.save()
    html = client.get(f"/gui/installs/{install.pk}/", headers={"HX-Request": "true"}).content.decode()
    heading = html[html.index('id="install-heading"'):]
    assert '<span class="muted">6.2.1</span>' in heading[:heading.index("</h1>")]
    # The full page has one heading, not swapped out of band.
    page = client.get(f"/gui/installs/{install.pk}/").content.decode()
    assert page.count('id="install-heading"') == 1 and "hx-swap-oob" not in page


def test_a_stage_is_marked_in_my_installs_and_on_its_page(client, user):
    live = _make_install(user, title="Alice's blog")
    stage = _make_install(user, title="Alice's blog", url="http://alice.test/stage",
                          path="public_html/stage", stage_of=live.pk)
    client.force_login(user)
    rows = client.get("/gui/installs/").content.decode()
    stage_row = rows[rows.index(f'id="install-{stage.pk}"'):]
    live_row = rows[rows.index(f'id="install-{live.pk}"'):]
    assert ">Stage</span>" in stage_row[:stage_row.index("</tr>")]
    assert ">Stage</span>" not in live_row[:live_row.index("</tr>")]
    assert ">Stage</span>" in client.get(f"/gui/installs/{stage.pk}/").content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_the_heading_shows_the_new_version_when_the_update_ends(
        live_server, page, user):
    for width in WIDTHS:
        install = _make_install(user, version="6.1.9", url=f"http://alice.test/w{width}",
                                path=f"public_html/w{width}")
        task = _make_task(install, cmd="upgrade", message="Updating")
        _sign_in(page, live_server, user)
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{live_server.url}/gui/installs/{install.pk}/")
        heading = page.locator("h1#install-heading")
        assert "6.1.9" in heading.inner_text()
        install.version = "6.2.1"
        install.save()
        task.status, task.percent_min, task.message = "completed", 100, "Updated"
        task.save()
        from playwright.sync_api import expect

        expect(heading).to_contain_text("6.2.1", timeout=10000)
        assert page.locator("h1").count() == 1
        screenshot(page, f"update-heading-{width}")
