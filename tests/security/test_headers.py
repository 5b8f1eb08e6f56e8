"""Browser-facing headers (issue 15, "Lower"): a signed-in account's pages are never
cached; public pages keep their own rules."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/gui/", "/gui/settings/", "/gui/backups/",
                                  "/gui/backups/locations/"])
def test_pages_of_a_signed_in_account_are_never_stored(client, admin, path):
    client.force_login(admin)
    response = client.get(path)
    assert response.status_code == 200, path
    assert "no-store" in response["Cache-Control"], path


def test_the_page_after_a_hand_off_is_never_stored(client, user):
    from apps.accounts import services

    response = client.get(f"/index.php?s={services.create_handoff(user)}")
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    page = client.get(response["Location"], follow=True)
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
