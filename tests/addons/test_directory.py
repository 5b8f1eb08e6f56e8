"""Adding a plugin from an upstream directory (ADDON_DIRECTORY_URL): a local server
speaking the WordPress.org API serves ZIPs built from Debian's akismet; the add goes
through the store's staged install into a real WordPress."""

from __future__ import annotations

import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import AKISMET, wp_php

THEME = Path("/usr/share/wordpress/wp-content/themes/twentytwentytwo")

pytestmark = pytest.mark.slow


def _zip_of(source: Path, folder: str, path: Path, *, extra: dict | None = None) -> bytes:
    with zipfile.ZipFile(path, "w") as zf:
        for file in sorted(source.rglob("*")):
            if file.is_file():
                zf.write(file, f"{folder}/{file.relative_to(source)}")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path.read_bytes()


def _version(header: Path = AKISMET / "akismet.php") -> str:
    return next(line for line in header.read_text().splitlines()
                if "Version:" in line).split("Version:")[1].strip()


@pytest.fixture
def directory(tmp_path, settings):
    """slug -> ZIP bytes; the server answers plugin_information and query_plugins."""
    zips = {
        "itron-akismet": _zip_of(AKISMET, "itron-akismet", tmp_path / "a.zip"),
        "itron-evil": _zip_of(AKISMET, "itron-evil", tmp_path / "e.zip",
                              extra={"itron-evil/../../evil.php": "<?php echo 1;"}),
        # The directory says 99.0; the ZIP holds akismet's own version: refused once unpacked.
        "itron-broken": _zip_of(AKISMET, "itron-broken", tmp_path / "b.zip"),
    }
    themes = {"itron-tt2": _zip_of(THEME, "itron-tt2", tmp_path / "t.zip")}
    version, theme_version = _version(), _version(THEME / "style.css")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status, body: bytes, kind="application/json"):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            url = urlsplit(self.path)
            if url.path.startswith("/zip/"):
                data = {**zips, **themes}.get(url.path[5:])
                return self._send(200 if data else 404, data or b"", "application/zip")
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            base = f"http://127.0.0.1:{self.server.server_port}"
            if q.get("action") == "plugin_information":
                slug = q.get("request[slug]", "")
                if slug not in zips:
                    return self._send(404, json.dumps({"error": "Plugin not found."}).encode())
                return self._send(200, json.dumps({
                    "name": f"Itron {slug}", "slug": slug,
                    "version": "99.0" if slug == "itron-broken" else version,
                    "download_link": f"{base}/zip/{slug}"}).encode())
            if q.get("action") == "theme_information":
                slug = q.get("request[slug]", "")
                if slug not in themes:
                    return self._send(200, json.dumps({"error": "Theme not found"}).encode())
                return self._send(200, json.dumps({
                    "name": f"Itron {slug}", "slug": slug, "version": theme_version,
                    "download_link": f"{base}/zip/{slug}"}).encode())
            if q.get("action") == "query_plugins":
                found = [{"name": f"Itron {s}", "slug": s, "version": version,
                          "short_description": "A test plugin", "download_link": f"{base}/zip/{s}"}
                         for s in zips if q.get("request[search]", "") in s]
                return self._send(200, json.dumps({
                    "info": {"page": 1, "pages": 1, "results": len(found)},
                    "plugins": found}).encode())
            return self._send(404, b"{}")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.ADDON_DIRECTORY_URL = f"http://127.0.0.1:{server.server_port}"
    settings.OUTBOUND_ALLOW = ["127.0.0.0/8"]
    yield server
    server.shutdown()
    server.server_close()


def _post(client, install, addon_id, kind="plugin"):
    from django.urls import reverse

    return client.post(reverse("installs:addon_action", args=[install.pk]),
                       {"kind": kind, "id": addon_id, "action": "install",
                        "source": "directory"}, HTTP_HX_REQUEST="true")


def test_search_lists_the_directory_s_plugins(directory):
    from apps.catalog.directory import search_addons

    results, pages = search_addons("wp-plugin", "akismet")
    assert [r["slug"] for r in results] == ["itron-akismet"] and pages == 1


def test_add_from_the_directory_installs_the_plugin(client, wp, directory):
    client.force_login(wp.account)
    response = _post(client, wp, "itron-akismet")
    assert response.status_code == 200
    assert "itron-akismet/akismet.php" in wp_php(wp, "echo implode(\" \", array_keys(get_plugins()));").split()


def test_a_zip_with_a_dotdot_member_is_refused_and_nothing_is_left(client, wp, directory):
    from apps.catalog.models import AddonPackage

    client.force_login(wp.account)
    page = _post(client, wp, "itron-evil").content.decode()
    assert "outside the add-on" in page
    plugins = Path(wp.website.path) / wp.path / "wp-content" / "plugins"
    assert not (plugins / "itron-evil").exists()
    assert not (plugins.parent / "evil.php").exists()
    assert not AddonPackage.objects.filter(slug="itron-evil").exists()


def test_an_unknown_slug_and_a_down_directory_give_clear_errors(client, wp, directory, settings):
    client.force_login(wp.account)
    assert "not in the directory" in _post(client, wp, "itron-nothing").content.decode()
    answer = _post(client, wp, "itron-akismet", kind="widget")  # a forged form
    assert answer.status_code == 200 and "not in the directory" in answer.content.decode()
    directory.shutdown()
    directory.server_close()
    page = _post(client, wp, "itron-akismet").content.decode()
    assert "cannot be reached" in page


def test_a_public_only_policy_refuses_a_loopback_directory(directory, settings):
    from apps.catalog.directory import search_addons
    from apps.catalog.errors import CatalogError

    settings.OUTBOUND_ALLOW = []
    with pytest.raises(CatalogError, match="cannot be reached"):
        search_addons("wp-plugin", "akismet")


def test_the_page_searches_the_directory_with_htmx_and_pages_work_without_it(client, wp,
                                                                               directory):
    from django.urls import reverse

    client.force_login(wp.account)
    url = reverse("installs:addons", args=[wp.pk])
    page = client.get(url).content.decode()
    assert "Add from 127.0.0.1" in page and "itron-akismet" not in page
    part = client.get(url, {"q": "itron", "dkind": "plugin"}, HTTP_HX_REQUEST="true").content.decode()
    assert part.lstrip().startswith('<section class="card" id="directory">')
    assert 'value="itron-akismet"' in part and 'name="source" value="directory"' in part
    assert 'value="itron-evil"' in client.get(url, {"q": "evil"}).content.decode()


def test_no_directory_section_when_the_setting_is_empty(client, wp, settings):
    from django.urls import reverse

    settings.ADDON_DIRECTORY_URL = ""
    client.force_login(wp.account)
    page = client.get(reverse("installs:addons", args=[wp.pk]), {"q": "x"}).content.decode()
    assert 'id="directory"' not in page and "Add from" not in page


def test_a_plugin_that_fails_its_check_once_unpacked_is_rolled_back(client, wp, directory):
    client.force_login(wp.account)
    page = _post(client, wp, "itron-broken").content.decode()
    assert "holds version" in page
    plugins = Path(wp.website.path) / wp.path / "wp-content" / "plugins"
    assert not (plugins / "itron-broken").exists()
    assert not [p.name for p in plugins.iterdir() if p.name.startswith(".itron-")]
    assert "itron-broken" not in wp_php(wp, "echo implode(' ', array_keys(get_plugins()));")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_phone_searches_the_directory_and_adds_a_plugin(live_server, page, wp, directory):
    """390 px, headless Chromium: search, the result on screen, Add, the plugin listed."""
    from django.conf import settings
    from django.test import Client

    from tests.fixtures.browser import screenshot

    client = Client()
    client.force_login(wp.account)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/gui/installs/{wp.pk}/addons/")
    page.get_by_role("searchbox").fill("akismet")
    page.locator("#directory").get_by_role("button", name="Search").click()
    add = page.locator("#directory").get_by_role("button", name="Add")
    add.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator("#directory").scroll_into_view_if_needed()
    screenshot(page, "addons-directory-390")
    add.click()
    page.locator("#plugin-itron-akismet-akismet-php").wait_for()


def _plugins(wp) -> list[str]:
    return wp_php(wp, "echo implode(' ', array_keys(get_plugins()));").split()


def test_the_edit_api_takes_a_plugin_the_store_lacks_from_the_directory(api, wp, directory):
    """v1 install-plugin and a v2 POST to a plugin route, as a panel written for
    Installatron sends them: a slug the store does not hold comes from the directory."""
    from apps.catalog.models import AddonPackage

    body = api.v1("edit", id=wp.pk, **{"install-plugin": "itron-akismet"}).json()
    assert body["result"] is True, body
    assert "itron-akismet/akismet.php" in _plugins(wp)
    assert AddonPackage.objects.filter(slug="itron-akismet").count() == 1

    # v2 with the plugin already there: nothing is fetched again, it is only activated.
    answer = api.v2("POST", f"/installs/{wp.pk}/plugins/itron-akismet/akismet.php",
                    {"activated": "true"})
    assert answer.status_code == 200, answer.content
    assert "itron-akismet/akismet.php" in wp_php(
        wp, "echo implode(' ', get_option('active_plugins'));").split()
    assert AddonPackage.objects.filter(slug="itron-akismet").count() == 1


def test_the_edit_api_says_what_the_directory_refuses_and_leaves_nothing(api, wp, directory):
    before = _plugins(wp)
    # Neither in the store nor in the directory: the store's own answer, as before.
    body = api.v1("edit", id=wp.pk, **{"install-plugin": "itron-nowhere"}).json()
    assert (body["result"], body["errcode"]) == (False, "invalid_argument_plugin"), body
    # In the directory, but its archive writes outside its folder: said, nothing added.
    answer = api.v2("POST", f"/installs/{wp.pk}/plugins/itron-evil")
    assert answer.status_code == 400 and "outside the add-on" in answer.json()["message"]
    assert _plugins(wp) == before


def test_a_theme_comes_from_the_directory_too(client, api, wp, directory):
    """The GUI's Add and the edit API for a theme (no main file, style.css checked)."""
    from apps.catalog.models import AddonPackage

    themes = "echo implode(' ', array_keys(wp_get_themes()));"
    client.force_login(wp.account)
    assert _post(client, wp, "itron-tt2", kind="theme").status_code == 200
    assert "itron-tt2" in wp_php(wp, themes).split()
    package = AddonPackage.objects.get(slug="itron-tt2")
    assert package.kind == "wp-theme" and package.version == _version(THEME / "style.css")
    # Taken away, then asked for by the API: the store's copy is used, not a new download.
    assert api.v2("DELETE", f"/installs/{wp.pk}/themes/itron-tt2").status_code == 200
    assert "itron-tt2" not in wp_php(wp, themes).split()
    body = api.v1("edit", id=wp.pk, **{"install-theme": "itron-tt2"}).json()
    assert body["result"] is True, body
    assert "itron-tt2" in wp_php(wp, themes).split()
    assert AddonPackage.objects.filter(slug="itron-tt2").count() == 1
