from __future__ import annotations

from datetime import date

import pytest

from apps.catalog import services
from apps.catalog.models import AppSet

REFERENCE_MEMBERS = {
    "id", "appid", "version", "branch", "name", "category", "type", "date", "license",
    "description", "authordescription", "changelog", "upgrade", "install", "link_site",
    "link_showcase", "link_docs", "link_faq", "link_support", "link_changelog", "link_admin",
    "requirements", "languages", "fields", "images",
}


@pytest.fixture
def released(wordpress_package):
    wordpress_package.released = date(2025, 9, 30)
    wordpress_package.save()
    return wordpress_package


def test_v1_browser_lists_wordpress_with_the_reference_members(api, released):
    body = api.v1("browser").json()
    assert body["result"] is True
    assert (body["total_count"], body["has_more"]) == (1, False)
    item = body["data"][0]
    assert REFERENCE_MEMBERS <= set(item)
    assert (item["id"], item["appid"], item["version"]) == ("wordpress_6.1.9", "wordpress", "6.1.9")
    assert (item["date"], item["upgrade"], item["install"]) == ("2025-09-30", "minor", "auto")
    assert item["requirements"]["mysql_table_prefix"] == "wp_"
    assert item["fields"]["login"]["default"] == "admin"
    assert item["fields"]["language"]["options"]["de"].startswith("Deutsch")
    assert "twofactor" not in item["fields"]


def test_v2_browser_uses_the_v2_member_names(api, released):
    body = api.v2("GET", "/browser/wordpress").json()
    item = body["data"][0]
    assert item["id"] == "wordpress" and "appid" not in item
    assert not any(k.startswith("link_") and k != "link_admin" for k in item)
    assert item["links"]["site"] == "https://wordpress.org"
    assert "date" not in item and item["time"] == 1759190400  # 2025-09-30T00:00:00Z
    assert item["update"] is True and item["install"] is True and "upgrade" not in item


def test_browser_gives_one_version_on_request_and_refuses_unknown_ones(api, wordpress_package):
    body = api.v1("browser", application="wordpress", version="6.1.9").json()
    assert [i["version"] for i in body["data"]] == ["6.1.9"]
    response = api.v1("browser", application="wordpress", version="4.9.7")
    assert response.status_code == 400
    assert response.json()["errcode"] == "invalid_argument_version"


def test_browser_refuses_an_unknown_application(api, wordpress_package):
    response = api.v2("GET", "/browser/nosuchapp")
    assert response.status_code == 400
    assert response.json()["errcode"] == "invalid_argument_application"
    response = api.v1("browser", application=["wordpress", "../x"])
    assert response.json()["errcode"] == "invalid_argument_application"


def test_browser_lists_versions_from_a_version_with_upgrade_from(api, wordpress_package,
                                                                    make_archive):
    services.add_package("wordpress", "6.1.10", make_archive("a.tar.gz"))
    services.add_package("wordpress", "6.0.2", make_archive("b.tar.gz"))
    services.add_package("wordpress", "6.2", make_archive("c.tar.gz"))
    body = api.v1("browser", application="wordpress", **{"from-version": "6.1.9"}).json()
    assert [(i["version"], i["upgrade_from"]) for i in body["data"]] == [
        ("6.1.9", "none"), ("6.1.10", "minor"), ("6.2", "major")]
    body = api.v1("browser", application="wordpress",
                  **{"versions-available-from": "6.1.9"}).json()
    assert body["data"] == {"versions-available": ["6.1.10", "6.2"],
                            "versions-available-minor": ["6.1.10"]}
    # Without a version the latest is listed, and paging applies.
    body = api.v1("browser", application=["wordpress"], limit=1).json()
    assert [i["version"] for i in body["data"]] == ["6.2"]


def test_browser_hides_applications_outside_the_users_app_set(api, user, wordpress_package):
    AppSet.objects.create(name="static_sites", applications=["grav"])
    user.package = "static_sites"
    user.save()
    body = api.v1("browser", user="alice").json()
    assert (body["data"], body["total_count"]) == ([], 0)
    response = api.v1("browser", user="alice", application="wordpress")
    assert response.json()["errcode"] == "invalid_argument_application"
    user.package = ""
    user.save()
    assert api.v1("browser", user="alice").json()["total_count"] == 1


def test_browser_lists_nothing_while_the_store_is_empty(api):
    body = api.v2("GET", "/browser").json()
    assert (body["result"], body["data"], body["total_count"]) == (True, [], 0)


def test_browser_refuses_a_malformed_language(api, wordpress_package):
    response = api.v1("browser", language="<script>")
    assert response.json()["errcode"] == "invalid_argument_language"
    assert api.v1("browser", language="pt_br").json()["result"] is True


def test_browser_has_3_2s_tags_installersupport_itron_and_a_date(api, wordpress_package,
                                                                 settings):
    """001 3.2's example members that were missing: ``tags``, ``link_installersupport``,
    ``requirements.itron``; ``date`` (v2 ``time``) even for a package without a release
    date: the day it entered the store."""
    from installatron_gui import __version__

    settings.INSTALLER_SUPPORT_URL = "https://support.example.com/installer"
    assert wordpress_package.released is None
    item = api.v1("browser", application="wordpress", version="6.1.9").json()["data"][0]
    assert REFERENCE_MEMBERS | {"tags", "link_installersupport"} <= set(item)
    assert item["tags"] == [] and item["requirements"]["itron"] == f"{__version__}-"
    assert item["link_installersupport"] == "https://support.example.com/installer"
    assert item["date"] == wordpress_package.created.date().isoformat()
    v2 = api.v2("GET", "/browser/wordpress").json()["data"][0]
    assert isinstance(v2["time"], int) and v2["links"]["installersupport"].startswith("https")


def test_browser_language_gives_the_recipes_translated_texts(api, wordpress_package,
                                                            monkeypatch):
    """001 3.2 ``language``: texts in that language where the recipe translates them,
    English for the rest and for languages it does not translate."""
    from apps.recipes import get_recipe

    recipe = get_recipe("wordpress")
    monkeypatch.setitem(recipe.manifest, "translations",
                        {"de": {"description": "WordPress ist eine Blog-Software."}})
    monkeypatch.setitem(recipe.manifest, "tags", {"6.1.9": ["security"]})
    german = api.v1("browser", application="wordpress", language="de").json()["data"][0]
    assert german["description"] == "WordPress ist eine Blog-Software."
    assert german["authordescription"] == recipe.authordescription  # not translated
    assert german["tags"] == ["security"]
    french = api.v1("browser", application="wordpress", language="fr").json()["data"][0]
    assert french["description"] == recipe.description
