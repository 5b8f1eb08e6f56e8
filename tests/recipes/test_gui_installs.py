"""Every application of the catalog installed from the GUI (issue 12, Deliver 3), as a website
owner does it in headless Chromium: the hand-off link, the Applications page (search),
the application's page, its install form with its own fields, the live progress, the
finished page, and the site it opens. WordPress's own walk is tests/installs/test_gui.py."""

from __future__ import annotations

import os
import re
import subprocess
import urllib.request

import pytest

from tests.fixtures.browser import screenshot
from tests.fixtures.services import free_port, stop_group, wait_for_port
from tests.installs.conftest import drop_databases_of, make_site, owner  # noqa: F401
from tests.recipes.conftest import build_app, register_package

pytestmark = [pytest.mark.slow, pytest.mark.browser]

APPS = ["dokuwiki", "mediawiki", "phpmyadmin", "adminer", "roundcube", "ttrss", "postfixadmin"]
# What the owner types where a field has no default (every app's rules allow these).
TYPED = {"login": "keeper", "passwd": "Tulips-and-42-in-May", "email": "owner@example.com"}


@pytest.fixture
def site(owner, tmp_path, mysql_query):  # noqa: F811
    """The owner's website, served by ``php -S`` that hides posix_getuid: Tiny Tiny RSS
    refuses to run as root, and the suite runs as root where no web host would."""
    started = []

    def php(docroot) -> str:
        port = free_port()
        started.append(subprocess.Popen(
            ["php", "-d", "disable_functions=posix_getuid", "-S", f"127.0.0.1:{port}",
             "-t", str(docroot)], cwd=str(docroot), env={**os.environ,
                                                         "PHP_CLI_SERVER_WORKERS": "4"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        wait_for_port(port)
        return f"http://127.0.0.1:{port}"

    yield make_site(owner, tmp_path / "site", php)
    for proc in started:
        stop_group(proc)
    drop_databases_of(mysql_query, owner)


def _opens(url: str) -> int:
    with urllib.request.urlopen(url, timeout=60) as response:  # follows redirects
        return response.status


@pytest.mark.parametrize("app_id", APPS)
def test_each_application_installs_from_the_gui_and_opens(
        app_id, live_server, site, page, tmp_path_factory, settings, monkeypatch, request,
        transactional_db):
    from playwright.sync_api import expect

    from apps.accounts.services import create_handoff
    from apps.installs.models import Install
    from apps.recipes.base import get_recipe

    register_package(settings, monkeypatch, app_id, build_app(tmp_path_factory, app_id))
    request.getfixturevalue("celery_worker")
    recipe = get_recipe(app_id)

    page.goto(live_server.url + "/index.php?s=" + create_handoff(site.account))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Applications").click()
    page.get_by_role("searchbox").fill(recipe.name)
    page.get_by_role("searchbox").press("Enter")
    page.get_by_role("link", name=re.compile(re.escape(recipe.name))).first.click()
    page.get_by_role("link", name=f"Install {recipe.name}").click()

    page.get_by_label("Folder").fill("app")
    screenshot(page, f"gui-install-{app_id}-empty")
    for name, field in recipe.fields.items():
        if name in TYPED and field.get("type") in ("text", "email", "password") \
                and not field.get("default"):
            page.get_by_label(field["label"], exact=True).fill(TYPED[name])
    screenshot(page, f"gui-install-{app_id}-form")
    page.get_by_role("button", name=f"Install {recipe.name}").click()
    expect(page.get_by_role("heading", name=f"{recipe.name} is installed")).to_be_visible(
        timeout=180_000)
    screenshot(page, f"gui-install-{app_id}-installed")

    install = Install.objects.get(account=site.account)
    assert install.installer == app_id and install.status == "installed"
    assert install.url == f"{site.url}/app"
    assert _opens(f"{site.url}/app/") == 200
