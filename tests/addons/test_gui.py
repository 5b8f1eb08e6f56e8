"""The Plugins & themes page of a real WordPress install: plain POSTs redirect, htmx
POSTs get the row (or the lists) back, uninstall asks first, strangers get 404."""

from __future__ import annotations

import pytest

from .conftest import db_rows, wp_php

pytestmark = pytest.mark.slow


def _url(install, name="addons"):
    from django.urls import reverse

    return reverse(f"installs:{name}", args=[install.pk])


def test_the_page_lists_addons_and_offers_the_store(client, wp):
    client.force_login(wp.account)
    detail = client.get(f"/gui/installs/{wp.pk}/").content.decode()
    assert _url(wp) in detail
    page = client.get(_url(wp)).content.decode()
    assert "Akismet Anti-Spam" in page and "Twenty Twenty-Three" in page
    assert 'id="plugin-akismet-akismet-php"' in page
    # Offered from the store: what is not installed yet.
    assert "Twenty Twenty-Two" in page and "HTTP Authentication" in page


def test_a_plain_post_redirects_and_an_htmx_post_renders_the_row(client, wp):
    client.force_login(wp.account)
    response = client.post(_url(wp, "addon_action"),
                           {"kind": "plugin", "id": "akismet/akismet.php", "action": "activate"})
    assert response.status_code == 302 and response["Location"] == _url(wp)
    assert wp_php(wp, "echo is_plugin_active('akismet/akismet.php') ? 'yes' : 'no';") == "yes"

    response = client.post(_url(wp, "addon_action"),
                           {"kind": "plugin", "id": "akismet/akismet.php", "action": "deactivate"},
                           HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<tr id="plugin-akismet')
    assert "<html" not in body and "Inactive" in body and 'value="activate"' in body
    assert wp_php(wp, "echo is_plugin_active('akismet/akismet.php') ? 'yes' : 'no';") == "no"

    response = client.post(_url(wp, "addon_action"),
                           {"kind": "plugin", "id": "akismet/akismet.php", "action": "autoup"},
                           HTTP_HX_REQUEST="true")
    assert 'aria-pressed="true"' in response.content.decode()


def test_uninstall_asks_first_then_removes_the_plugin(client, wp):
    import os

    client.force_login(wp.account)
    folder = f"{wp.website.path}/{wp.path}/wp-content/plugins/akismet"
    page = client.get(_url(wp), {"confirm": "plugin:akismet/akismet.php"}).content.decode()
    assert "Remove Akismet Anti-Spam and its files?" in page and os.path.isdir(folder)
    row = client.get(_url(wp), {"confirm": "plugin:akismet/akismet.php"},
                     HTTP_HX_REQUEST="true").content.decode()
    assert row.lstrip().startswith("<tr") and 'value="uninstall"' in row
    response = client.post(_url(wp, "addon_action"), {"kind": "plugin",
                           "id": "akismet/akismet.php", "action": "uninstall"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="addons"' in response.content.decode()
    assert not os.path.exists(folder)


def test_an_error_is_shown_with_status_200_and_nothing_changes(client, wp):
    client.force_login(wp.account)
    response = client.post(_url(wp, "addon_action"), {"kind": "theme", "id": "twentytwentythree",
                           "action": "uninstall"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "active theme" in response.content.decode()
    response = client.post(_url(wp, "addon_action"), {"kind": "plugin", "id": "../../x",
                           "action": "uninstall"}, HTTP_HX_REQUEST="true")
    assert "not a valid plugin id" in response.content.decode()
    assert db_rows(wp, f"SELECT option_value FROM `{wp.db_prefix}options` "
                       "WHERE option_name = 'stylesheet'")[0][0] == "twentytwentythree"


def test_a_theme_installed_from_the_page_can_be_activated(client, wp):
    client.force_login(wp.account)
    client.post(_url(wp, "addon_action"), {"kind": "theme", "id": "twentytwentytwo",
                                           "action": "install"})
    response = client.post(_url(wp, "addon_action"), {"kind": "theme", "id": "twentytwentytwo",
                           "action": "activate"}, HTTP_HX_REQUEST="true")
    assert 'id="addons"' in response.content.decode()
    assert wp_php(wp, "echo get_stylesheet();") == "twentytwentytwo"


def test_another_owners_install_is_404(client, wp, stranger):
    client.force_login(stranger)
    assert client.get(_url(wp)).status_code == 404
    response = client.post(_url(wp, "addon_action"),
                           {"kind": "plugin", "id": "akismet/akismet.php", "action": "activate"})
    assert response.status_code == 404
    assert wp_php(wp, "echo is_plugin_active('akismet/akismet.php') ? 'yes' : 'no';") == "no"
