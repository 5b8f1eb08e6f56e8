"""Screenshots of every catalog application, made from the real installed app: not part
of the suite (the file name is not test_*.py); ``scripts/screenshots.sh`` runs it.

Each application is built from its Debian package, installed on a local website by the
real install path (``check_install`` then the worker's task function), opened in headless
Chromium at 1024x640 and saved as ``apps/recipes/<id>/static/screenshot.png`` (under
150 KB), which the manifest's ``images`` lists and the GUI's application page shows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.browser import chromium  # noqa: F401
# php -S with four workers and without posix_getuid (Tiny Tiny RSS refuses root).
from tests.recipes.test_gui_installs import site  # noqa: F401

from .conftest import build_app, register_package

RECIPES = Path(__file__).resolve().parents[2] / "apps" / "recipes"
PASS = "Shot pass 42 ok"
# The fields of each install, and the page to show (relative to the install's URL).
APPS = {
    "wordpress": ({"sitetitle": "A WordPress site", "login": "admin", "passwd": PASS}, ""),
    "dokuwiki": ({"title": "A DokuWiki", "login": "admin", "passwd": PASS}, "doku.php"),
    "mediawiki": ({"sitetitle": "A MediaWiki", "login": "Admin", "passwd": PASS},
                  "index.php"),
    "phpmyadmin": ({}, ""),
    "adminer": ({}, ""),
    "roundcube": ({}, ""),
    "postfixadmin": ({"login": "admin@example.com", "passwd": "Shot pass 42"}, "login.php"),
    "ttrss": ({"login": "admin", "passwd": PASS}, ""),
}


@pytest.mark.parametrize("app_id", sorted(APPS))
def test_screenshot(app_id, site, chromium, tmp_path_factory, settings,  # noqa: F811
                    monkeypatch):  # noqa: F811
    from apps.installs import services, tasks
    from apps.tasks.services import wait_for_task

    built = build_app(tmp_path_factory, app_id)
    register_package(settings, monkeypatch, app_id, built)
    fields, page_path = APPS[app_id]
    plan = services.check_install(site.account, {"application": app_id,
                                                 "url": f"{site.url}/{app_id}", **fields})
    _install, task = services.start_install(plan)
    tasks.install_app(task.id)
    task = wait_for_task(task.id, timeout=600)
    assert task.status == "completed", task.message
    context = chromium.new_context(viewport={"width": 1024, "height": 640})
    try:
        page = context.new_page()
        page.goto(f"{site.url}/{app_id}/{page_path}", wait_until="networkidle",
                  timeout=60_000)
        out = RECIPES / app_id / "static" / "screenshot.png"
        page.screenshot(path=str(out), type="png")
    finally:
        context.close()
    assert 5_000 < out.stat().st_size < 150_000, out.stat().st_size
