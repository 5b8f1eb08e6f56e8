"""Every catalog application has a screenshot of the real installed app (made by
scripts/screenshots.sh), small enough to commit, shown on its page in the GUI."""

from __future__ import annotations

import struct

import pytest
from django.contrib.staticfiles import finders


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_every_application_lists_a_small_screenshot_that_exists():
    from apps.recipes.base import all_recipes

    recipes = all_recipes()
    assert len(recipes) >= 8
    for recipe in recipes:
        assert recipe.screenshots, recipe.id
        for shot in recipe.screenshots:
            path = finders.find(shot)
            assert path, shot
            data = open(path, "rb").read()
            assert _png_size(data) == (1024, 640) and 5_000 < len(data) < 150_000, shot


@pytest.mark.django_db
def test_the_application_page_shows_its_screenshot(client, django_user_model):
    from apps.accounts.models import Account
    from apps.catalog.models import Package

    owner = Account.objects.create(username="shots", kind="user")
    Package.objects.create(application="roundcube", version="1.6.5", branch="current",
                           archive="roundcube-1.6.5.tar.gz", sha256="0" * 64, size=1)
    client.force_login(owner)
    page = client.get("/gui/apps/roundcube/").content.decode()
    assert "catalog/roundcube/screenshot.png" in page and "Roundcube as installed" in page
