"""Plugins and themes of a real WordPress install: listing, activation, themes from the
store, updates with rollback, uninstall; through the service and both API styles."""

from __future__ import annotations


import pytest

from .conftest import AKISMET, db_rows, derive_plugin, fetch, listing, php_unserialize_dump, wp_php

pytestmark = pytest.mark.slow


def _edit(install, **params):
    from apps.installs.addons import handle_edit
    from apps.installs.models import Install

    install = Install.objects.select_related("account", "website").get(pk=install.pk)
    return handle_edit(install, params)


def _option(install, name: str) -> str:
    rows = db_rows(install, f"SELECT option_value FROM `{install.db_prefix}options` "
                            "WHERE option_name = %s", (name,))
    return rows[0][0] if rows else ""


def test_the_build_command_stores_each_addon_versioned_from_its_header(addon_store):
    from apps.catalog import services
    from apps.catalog.models import AddonPackage
    from apps.recipes.wordpress.addons import PLUGIN_HEADERS, read_headers

    akismet = addon_store[("wp-plugin", "akismet")]
    header = read_headers((AKISMET / "akismet.php").read_text(), PLUGIN_HEADERS)["Version"]
    assert akismet.version == header and akismet.main == "akismet.php"
    assert akismet.addon_id == "akismet/akismet.php"
    assert set(addon_store) == {("wp-plugin", "akismet"), ("wp-plugin", "http-authentication"),
                                ("wp-theme", "twentytwentytwo"), ("wp-theme", "twentytwentyone")}
    for package in addon_store.values():
        services.verify_package(package)
        services.check_archive(package.path, marker=package.main or "style.css")
    # Run again: nothing new, nothing duplicated.
    from django.core.management import call_command

    call_command("build_package", "wordpress", "--addons", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert AddonPackage.objects.count() == 4


def test_it_lists_akismet_and_twentytwentythree_with_their_real_versions(wp):
    from apps.recipes.wordpress.addons import THEME_HEADERS, read_headers

    data = _edit(wp, **{"list-plugins": "1", "list-themes": "1"})
    plugin = data["list-plugins"]["akismet/akismet.php"]
    theme = data["list-themes"]["twentytwentythree"]
    expected = wp_php(wp, "$p = get_plugin_data(WP_PLUGIN_DIR . '/akismet/akismet.php');"
                          "echo $p['Version'] . ' ' . wp_get_theme()->get('Version');").split()
    assert [plugin["Version"], theme["Version"]] == expected
    assert theme["Version"] == read_headers(
        open("/usr/share/wordpress/wp-content/themes/twentytwentythree/style.css").read(),
        THEME_HEADERS)["Version"]
    assert plugin["Name"] == "Akismet Anti-Spam" and plugin["active"] is False
    assert theme["active"] is True and theme["Stylesheet"] == "twentytwentythree"
    # Only the core add-ons came with the WordPress package; the rest is in the store.
    assert set(data["list-plugins"]) == {"akismet/akismet.php"}
    assert set(data["list-themes"]) == {"twentytwentythree"}
    assert "_ud" not in plugin


def test_activating_akismet_makes_wordpress_load_it_and_deactivating_stops_it(wp):
    _edit(wp, **{"activate-plugin": "akismet/akismet.php"})
    stored = _option(wp, "active_plugins")
    assert "'akismet/akismet.php'" in php_unserialize_dump(stored)
    assert wp_php(wp, "echo json_encode([is_plugin_active('akismet/akismet.php'), "
                      "defined('AKISMET_VERSION'), has_action('init', ['Akismet', 'init'])]);"
                  ) == "[true,true,10]"
    assert fetch(wp.url + "/")[0] == 200

    data = _edit(wp, **{"deactivate-plugin": "akismet"})  # the folder name works too
    assert data["list-plugins"]["akismet/akismet.php"]["active"] is False
    assert php_unserialize_dump(_option(wp, "active_plugins")).split() == ["array", "(", ")"]
    assert wp_php(wp, "echo json_encode([is_plugin_active('akismet/akismet.php'), "
                      "defined('AKISMET_VERSION')]);") == "[false,false]"


def test_auto_update_flags_are_wordpress_own_options(wp):
    _edit(wp, **{"auotup-plugin": "akismet/akismet.php", "autoup-theme": "twentytwentythree"})
    assert wp_php(wp, "echo json_encode([get_site_option('auto_update_plugins'), "
                      "get_site_option('auto_update_themes')]);"
                  ) == '[["akismet\\/akismet.php"],["twentytwentythree"]]'
    data = _edit(wp, **{"noautoup-plugin": "akismet/akismet.php", "list-themes": "1"})
    assert data["list-plugins"]["akismet/akismet.php"]["autoup"] is False
    assert data["list-themes"]["twentytwentythree"]["autoup"] is True
    assert wp_php(wp, "echo json_encode(get_site_option('auto_update_plugins'));") == "[]"


def test_a_theme_installed_from_the_store_and_activated_is_what_the_home_page_uses(wp):
    docroot = wp.website.path + "/" + wp.path
    assert "twentytwentyone/style.css" not in fetch(wp.url + "/")[1]
    data = _edit(wp, **{"install-theme": "twentytwentyone"})
    assert data["list-themes"]["twentytwentyone"]["active"] is False
    assert data["list-themes"]["twentytwentyone"]["Version"] == "1.7"
    import os

    assert os.path.isfile(f"{docroot}/wp-content/themes/twentytwentyone/functions.php")

    _edit(wp, **{"activate-theme": "twentytwentyone"})
    status, home = fetch(wp.url + "/")
    assert status == 200 and "wp-content/themes/twentytwentyone/style.css" in home
    assert wp_php(wp, "echo get_stylesheet() . ' ' . get_template() . ' ' . "
                      "get_option('current_theme');") == "twentytwentyone twentytwentyone " \
                                                         "Twenty Twenty-One"
    # Deactivating the active theme falls back to the default one.
    _edit(wp, **{"deactivate-theme": "twentytwentyone"})
    assert wp_php(wp, "echo get_stylesheet();") == "twentytwentythree"


def test_installing_a_plugin_that_is_already_there_is_refused(wp):
    from apps.installs.errors import InstallError

    with pytest.raises(InstallError, match="already installed"):
        _edit(wp, **{"install-plugin": "akismet"})
    with pytest.raises(InstallError, match="not in the package store"):
        _edit(wp, **{"install-plugin": "hello-dolly"})


def test_a_plugin_updates_to_a_newer_archive_and_keeps_its_state(wp, tmp_path):
    _edit(wp, **{"activate-plugin": "akismet/akismet.php"})
    derive_plugin(tmp_path, "5.0.3")
    listed = _edit(wp, **{"list-plugins": "1"})["list-plugins"]["akismet/akismet.php"]
    assert listed["_ud"]["new_version"] == "5.0.3"

    data = _edit(wp, **{"update-plugin": "akismet/akismet.php"})
    entry = data["list-plugins"]["akismet/akismet.php"]
    assert entry["Version"] == "5.0.3" and entry["active"] is True and "_ud" not in entry
    assert wp_php(wp, "echo get_plugin_data(WP_PLUGIN_DIR . '/akismet/akismet.php')"
                      "['Version'];") == "5.0.3"
    plugins_dir = f"{wp.website.path}/{wp.path}/wp-content/plugins"
    import os

    assert sorted(os.listdir(plugins_dir)) == ["akismet", "index.php"]  # nothing left aside
    assert fetch(wp.url + "/")[0] == 200


def _refused_broken_akismet(wp, tmp_path, params: dict) -> None:
    """A fatal-error akismet 5.0.4 in the store; ``params`` must fail on the home page's
    HTTP 500 and leave every file as it was."""
    from pathlib import Path

    from apps.installs.errors import InstallError

    before = listing(Path(wp.website.path))
    derive_plugin(tmp_path, "5.0.4", break_it=True)
    with pytest.raises(InstallError) as caught:
        _edit(wp, **params)
    assert caught.value.errcode == "failed_addon_site" and "HTTP 500" in caught.value.message
    assert listing(Path(wp.website.path)) == before


def test_a_failed_update_puts_the_old_plugin_back(wp, tmp_path):
    _edit(wp, **{"activate-plugin": "akismet/akismet.php"})
    _refused_broken_akismet(wp, tmp_path, {"update-plugin": "akismet/akismet.php"})
    assert wp_php(wp, "echo AKISMET_VERSION . ' ' . get_plugin_data(WP_PLUGIN_DIR . "
                      "'/akismet/akismet.php')['Version'];") == "5.0.2 5.0.2"
    # The rollback waited for the web server's opcache: the old plugin is served at once.
    assert fetch(wp.url + "/")[0] == 200


def test_the_upgrade_parameters_update_the_listed_addons(wp, tmp_path):
    from apps.installs.addons import update_addons

    derive_plugin(tmp_path, "5.1")
    result = update_addons(wp, {"plugin": "*", "theme": ""})
    assert result == {"updated": ["akismet/akismet.php-5.1"], "failed": {}}
    assert update_addons(wp, {"plugin": "akismet", "theme": "twentytwentythree"}) == \
        {"updated": [], "failed": {}}
    # An id the site does not have is reported; the others still go ahead.
    result = update_addons(wp, {"plugin": "no-such-plugin,akismet", "theme": ""})
    assert list(result["failed"]) == ["no-such-plugin"] and result["updated"] == []


def test_uninstall_removes_exactly_the_plugin_folder(wp):
    from pathlib import Path

    _edit(wp, **{"activate-plugin": "akismet/akismet.php", "autoup-plugin": "akismet"})
    root = Path(wp.website.path)
    before = listing(root)
    data = _edit(wp, **{"uninstall-plugin": "akismet/akismet.php"})
    assert data["list-plugins"] == {}
    after = listing(root)
    gone = set(before) - set(after)
    prefix = f"{wp.path}/wp-content/plugins/akismet".lstrip("/")
    assert gone and all(p == prefix or p.startswith(prefix + "/") for p in gone)
    assert set(after) <= set(before)
    assert {p: before[p] for p in after if not p.startswith(prefix)} == \
        {p: after[p] for p in after if not p.startswith(prefix)}
    assert php_unserialize_dump(_option(wp, "active_plugins")).split() == ["array", "(", ")"]
    assert fetch(wp.url + "/")[0] == 200


def test_the_active_theme_cannot_be_uninstalled(wp):
    import os

    from apps.installs.errors import InstallError

    with pytest.raises(InstallError, match="active theme") as caught:
        _edit(wp, **{"uninstall-theme": "twentytwentythree"})
    assert caught.value.errcode == "invalid_argument_theme"
    assert os.path.isfile(f"{wp.website.path}/{wp.path}/wp-content/themes/twentytwentythree/"
                          "style.css")
    _edit(wp, **{"install-theme": "twentytwentytwo"})
    _edit(wp, **{"uninstall-theme": "twentytwentytwo"})
    assert not os.path.exists(f"{wp.website.path}/{wp.path}/wp-content/themes/twentytwentytwo")


@pytest.mark.parametrize("bad", ["../akismet", "akismet/../../wp-config.php", "/etc/passwd",
                                 "akismet/x/y.php", "akismet/readme.txt", ".itron-old-x",
                                 "a\x00b"])
def test_addon_ids_are_validated_strictly(bad):
    from apps.recipes.wordpress.addons import check_addon_id
    from apps.installs.errors import InstallError

    with pytest.raises(InstallError):
        check_addon_id("plugin", bad)
    with pytest.raises(InstallError):
        check_addon_id("theme", bad)


def test_v1_list_plugins_and_v2_get_plugins_agree(wp, api):
    owner = wp.account.username
    v1 = api.v1("edit", id=wp.id, user=owner, **{"list-plugins": "1"})
    v2 = api.v2("GET", f"/installs/{wp.id}/plugins", {"user": owner})
    assert v1.status_code == 200 and v2.status_code == 200, (v1.content, v2.content)
    body1, body2 = v1.json(), v2.json()
    assert body1["result"] is True and body2["result"] is True
    assert body1["data"]["list-plugins"] == body2["data"]["plugins"]
    assert "akismet/akismet.php" in body2["data"]["plugins"]
    themes = api.v2("GET", f"/installs/{wp.id}/themes", {"user": owner}).json()
    assert themes["data"]["themes"]["twentytwentythree"]["active"] is True


def test_v2_routes_install_activate_and_uninstall(wp, api):
    owner = wp.account.username
    reply = api.v2("POST", f"/installs/{wp.id}/plugins/http-authentication",
                   {"user": owner, "activated": "true", "autoup": "all"})
    assert reply.status_code == 200, reply.content
    entry = reply.json()["data"]["plugins"]["http-authentication/http-authentication.php"]
    assert entry["active"] is True and entry["autoup"] is True
    assert fetch(wp.url + "/")[0] == 200
    reply = api.v2("POST", f"/installs/{wp.id}/plugins/http-authentication",
                   {"user": owner, "activated": "false"})
    assert reply.json()["data"]["plugins"][
        "http-authentication/http-authentication.php"]["active"] is False
    reply = api.v2("DELETE", f"/installs/{wp.id}/plugins/http-authentication", {"user": owner})
    assert reply.status_code == 200
    assert "http-authentication/http-authentication.php" not in reply.json()["data"]["plugins"]
    reply = api.v2("DELETE", f"/installs/{wp.id}/themes/twentytwentythree", {"user": owner})
    assert reply.status_code == 400 and reply.json()["errcode"] == "invalid_argument_theme"


def test_another_owners_install_is_404_through_the_api(wp, api, stranger):
    for response in (
        api.v1("edit", id=wp.id, user=stranger.username, **{"list-plugins": "1"}),
        api.v2("GET", f"/installs/{wp.id}/plugins", {"user": stranger.username}),
        api.v2("POST", f"/installs/{wp.id}/plugins/akismet",
               {"user": stranger.username, "activated": "true"}),
    ):
        assert response.status_code == 404, response.content
        assert response.json()["errcode"] == "invalid_argument_id"
    assert "akismet" not in _option(wp, "active_plugins")


def _plugins_dir(install):
    import os

    return sorted(os.listdir(f"{install.website.path}/{install.path}/wp-content/plugins"))


def test_a_plugin_added_from_the_store_is_listed_and_nothing_is_left_aside(wp, addon_store):
    data = _edit(wp, **{"install-plugin": "http-authentication"})
    version = addon_store[("wp-plugin", "http-authentication")].version
    entry = data["list-plugins"]["http-authentication/http-authentication.php"]
    assert entry["Version"] == version and entry["active"] is False
    assert _plugins_dir(wp) == ["akismet", "http-authentication", "index.php"]
    assert wp_php(wp, "echo implode(',', array_keys(get_plugins()));") == \
        "akismet/akismet.php,http-authentication/http-authentication.php"
    assert fetch(wp.url + "/")[0] == 200


def test_an_added_plugin_that_breaks_the_site_is_removed_again(wp, tmp_path):
    """WordPress loads an added plugin at once when active_plugins still names it (a
    folder deleted by hand): a fatal error there makes the home page fail."""
    import shutil

    _edit(wp, **{"activate-plugin": "akismet/akismet.php"})
    shutil.rmtree(f"{wp.website.path}/{wp.path}/wp-content/plugins/akismet")
    assert fetch(wp.url + "/")[0] == 200  # WordPress skips an active plugin that is gone
    _refused_broken_akismet(wp, tmp_path, {"install-plugin": "akismet"})
    assert _plugins_dir(wp) == ["index.php"]
    assert fetch(wp.url + "/")[0] == 200


@pytest.mark.parametrize("header", ["Version: 9.9", "Description: no Plugin Name header"])
def test_a_package_without_the_expected_plugin_leaves_nothing(wp, tmp_path, header):
    from pathlib import Path

    from apps.catalog.services import add_addon_package
    from apps.installs.errors import InstallError
    from apps.recipes.wordpress.build import build_addon_archive

    source = tmp_path / "itron-odd"
    source.mkdir()
    (source / "itron-odd.php").write_text("<?php\n/*\n * Plugin Name: Itron Odd\n"
                                          " * Version: 1.0\n */\n")
    built = build_addon_archive(source, tmp_path / "odd.tar.gz", kind="wp-plugin")
    # The store keeps what it is told; the archive then says something else.
    (source / "itron-odd.php").write_text(f"<?php\n/*\n * {header}\n */\n")
    import tarfile

    with tarfile.open(tmp_path / "odd2.tar.gz", "w:gz") as tar:
        tar.add(source / "itron-odd.php", arcname="itron-odd.php")
    add_addon_package("wp-plugin", "itron-odd", "1.0", tmp_path / "odd2.tar.gz",
                      main=built.main, name=built.name)
    before = listing(Path(wp.website.path))

    with pytest.raises(InstallError) as caught:
        _edit(wp, **{"install-plugin": "itron-odd"})
    assert caught.value.errcode == "failed_package_invalid"
    assert listing(Path(wp.website.path)) == before
    assert _plugins_dir(wp) == ["akismet", "index.php"]
