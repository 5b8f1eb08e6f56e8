"""Console sections of issue 14 (deliver 3): backup schedules and API keys (rotated after a
confirmation, the new key shown once and never logged), with links to branding and SSH
host keys; admin only, every change audited."""

from __future__ import annotations

import pytest


def test_the_admin_adds_changes_and_removes_backup_schedules(client, admin, user):
    from apps.accounts.models import AuditEntry
    from apps.installs.models import BackupSchedule, Install

    client.force_login(admin)
    page = client.get("/gui/console/schedules/").content.decode()
    assert "No backup schedules yet" in page
    response = client.post("/gui/console/schedules/", {"name": "Bad Name", "daily": 0,
                                                       "weekly": 0, "monthly": 0})
    assert "lowercase letters" in response.content.decode()
    response = client.post("/gui/console/schedules/", {"name": "nightly", "daily": 0,
                                                       "weekly": 0, "monthly": 0})
    assert "at least one daily" in response.content.decode()
    assert not BackupSchedule.objects.exists()
    client.post("/gui/console/schedules/", {"name": "nightly", "description": "Nights",
                                            "daily": 7, "weekly": 0, "monthly": 0})
    client.post("/gui/console/schedules/", {"name": "nightly", "description": "Nights",
                                            "daily": 7, "weekly": 4, "monthly": 0})
    schedule = BackupSchedule.objects.get()
    assert (schedule.daily, schedule.weekly) == (7, 4)
    details = list(AuditEntry.objects.filter(action="schedule.save").order_by("pk")
                   .values_list("detail", flat=True))
    assert len(details) == 2 and "weekly: 0 -> 4" in details[1]
    # The install form and the defaults offer it; in use, it cannot be removed.
    Install.objects.create(account=user, website=user.websites.get(), installer="wordpress",
                           version="6.1", path="public_html", url="http://alice.test",
                           status="installed", autobk="nightly")
    client.post("/gui/console/schedules/nightly/delete/")
    assert BackupSchedule.objects.exists()
    Install.objects.update(autobk="")
    client.post("/gui/console/schedules/nightly/delete/")
    assert not BackupSchedule.objects.exists()
    assert AuditEntry.objects.filter(action="schedule.delete", target="nightly").exists()


def test_an_api_key_is_rotated_after_a_confirmation_and_shown_once(client, admin, api):
    from apps.accounts import keys
    from apps.accounts.models import AuditEntry

    old = keys.ensure_keys()["key"]
    client.force_login(admin)
    page = client.get("/gui/console/keys/").content.decode()
    assert old not in page and f"…{old[-4:]}" in page
    confirm = client.get("/gui/console/keys/key/rotate/")
    assert b"stops working at once" in confirm.content
    assert keys.current_keys()["key"] == old  # asking changes nothing
    response = client.post("/gui/console/keys/key/rotate/")
    new = keys.current_keys()["key"]
    assert new != old and new in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert new not in client.get("/gui/console/keys/").content.decode()
    entry = AuditEntry.objects.get(action="apikey.rotate")
    assert entry.target == "key" and new not in entry.detail and old not in entry.detail
    assert client.get("/gui/console/audit/").content.decode().count(new) == 0
    assert client.get("/gui/console/keys/nokey/rotate/").status_code == 404


@pytest.mark.parametrize("url", ["/gui/console/schedules/", "/gui/console/keys/",
                                 "/gui/console/keys/key/rotate/"])
def test_others_get_404(client, reseller, url):
    client.force_login(reseller)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def test_the_console_links_every_section(client, admin):
    client.force_login(admin)
    page = client.get("/gui/console/").content.decode()
    for href in ("/gui/apps/sets/", "/gui/console/defaults/", "/gui/console/schedules/",
                 "/gui/console/email/", "/gui/branding/", "/gui/console/keys/",
                 "/gui/hostkeys/", "/gui/console/audit/"):
        assert f'href="{href}"' in page, href


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_the_new_sections_fit_a_phone(live_server, page, admin):
    from tests.fixtures.browser import screenshot

    from .test_console_browser import WIDTHS, _fits, _sign_in

    _sign_in(page, live_server, admin)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 860})
        page.goto(f"{live_server.url}/gui/console/")
        page.get_by_role("link", name="Backup schedules").click()
        page.get_by_label("Name", exact=True).fill(f"keep{width}")
        page.get_by_label("Daily").fill("7")
        page.get_by_role("button", name="Save").click()
        assert page.locator(f"#schedule-keep{width}").is_visible()
        assert _fits(page)
        screenshot(page, f"console-schedules-{width}")
        page.get_by_role("link", name="API keys").click()
        page.get_by_role("link", name="Rotate").first.click()
        page.get_by_role("button", name="Rotate key").click()
        assert len(page.locator("#new-key").inner_text()) == 32
        assert _fits(page)
        screenshot(page, f"console-keys-{width}")
