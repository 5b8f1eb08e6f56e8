"""Application sets as real objects (issue 14, deliver 2): the administrator's sets are
offered to every account, a reseller's to the accounts below it and only with what the
reseller may offer; an account's package is chosen from them (account form, API's
``package``), an unknown package or language is refused with its errcode; every change
in the GUI is audited and others get 404."""

from __future__ import annotations

import pytest

from apps.catalog import services
from apps.catalog.errors import CatalogError
from apps.catalog.models import AppSet

WEBSITES = [{"id": "ws1", "path": "/home/alice", "vhosts": {"http://alice.test": "public_html"}}]


@pytest.fixture
def two_apps(wordpress_package, make_archive):
    services.add_package("dokuwiki", "2024-02-06b", make_archive(
        "doku.tar.gz", [("doku.php", "file", b"<?php echo 'wiki';\n"),
                        ("VERSION", "file", b"2024-02-06b \"Kaos\"\n")]))


def _ids(account) -> list[str]:
    return sorted(r.id for r in services.applications_for(account))


def test_an_unknown_package_or_language_is_refused_and_a_known_one_limits_the_browser(
        api, user, two_apps):
    for params, errcode in (({"package": "nosuchpackage"}, "invalid_argument_package"),
                            ({"language": "xx"}, "invalid_argument_language")):
        body = api.v1("edituser", user="alice", **params).json()
        assert (body["result"], body["errcode"]) == (False, errcode), body
        body = api.v1("guixfer", user="alice", websites=WEBSITES, **params).json()
        assert (body["result"], body["errcode"]) == (False, errcode), body
    user.refresh_from_db()
    assert (user.package, user.language) == ("", "")
    assert api.v1("browser", user="alice").json()["total_count"] == 2

    services.save_app_set("wordpress_only", ["wordpress"])
    body = api.v1("edituser", user="alice", package="wordpress_only", language="it").json()
    assert body["result"] is True, body
    assert [a["appid"] for a in api.v1("browser", user="alice").json()["data"]] == [
        "wordpress"]
    assert api.v1("edituser", user="alice", package="").json()["result"] is True
    assert api.v1("browser", user="alice").json()["total_count"] == 2


def test_a_resellers_sets_are_its_customers_and_within_what_it_may_offer(
        api, admin, reseller, user, stranger, two_apps):
    # The administrator limits the reseller to WordPress...
    services.save_app_set("wordpress_only", ["wordpress"])
    reseller.package = "wordpress_only"
    reseller.save()
    assert _ids(user) == ["wordpress"]  # ...which limits its customers too
    # ...so the reseller cannot offer DokuWiki in a set of its own.
    with pytest.raises(CatalogError, match="does not include dokuwiki"):
        services.save_app_set("wikis", ["dokuwiki"], owner=reseller)
    services.save_app_set("blogs", ["wordpress"], owner=reseller, description="Blogs")
    # Its customer may be given its set; another reseller's customer may not.
    body = api.v1("edituser", user="alice", reseller="res1", package="blogs").json()
    assert body["result"] is True, body
    other = stranger.username
    body = api.v1("edituser", user=other, package="blogs").json()
    assert body["errcode"] == "invalid_argument_package"
    # A reseller's set hides the administrator's of the same name below it only.
    reseller.package = ""
    reseller.save()
    services.save_app_set("wordpress_only", ["dokuwiki"], owner=reseller)
    user.refresh_from_db()
    user.package = "wordpress_only"
    user.save()
    assert _ids(user) == ["dokuwiki"]
    stranger.package = "wordpress_only"
    stranger.save()
    assert _ids(stranger) == ["wordpress"]


def test_the_appset_command_keeps_making_the_administrators_sets(db, reseller):
    import io

    from django.core.management import call_command

    services.save_app_set("blogs", ["wordpress"], owner=reseller)
    call_command("appset", "wordpress_only", "wordpress", stdout=io.StringIO())
    assert AppSet.objects.get(name="wordpress_only").owner is None
    out = io.StringIO()
    call_command("appset", stdout=out)
    assert out.getvalue() == "wordpress_only\twordpress\t\n"


def test_a_reseller_manages_its_sets_in_the_gui_and_gives_one_in_the_account_form(
        client, reseller, user, stranger, two_apps):
    from apps.accounts.models import AuditEntry

    client.force_login(reseller)
    assert "/gui/apps/sets/" in client.get("/gui/").content.decode()
    page = client.get("/gui/apps/sets/").content.decode()
    assert 'value="wordpress"' in page and 'value="dokuwiki"' in page
    response = client.post("/gui/apps/sets/", {"name": "bad name", "applications": []})
    html = response.content.decode()
    assert response.status_code == 200 and html.count('class="errorlist') == 2  # both at once
    response = client.post("/gui/apps/sets/", {"name": "blogs", "description": "Blogs",
                                               "applications": ["wordpress"]})
    assert response.status_code == 302
    assert AppSet.objects.get(name="blogs").owner == reseller
    entry = AuditEntry.objects.get(action="app_set.save")
    assert (entry.actor, entry.target) == ("res1", "blogs") and "wordpress" in entry.detail

    form = client.get("/gui/accounts/alice/").content.decode()
    assert '<option value="blogs">' in form
    response = client.post("/gui/accounts/alice/", {"kind": "user", "package": "nosuch"})
    assert "nosuch is not one of the available choices" in response.content.decode()
    response = client.post("/gui/accounts/alice/", {"kind": "user", "package": "blogs"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.package == "blogs" and _ids(user) == ["wordpress"]
    client.post("/gui/apps/sets/blogs/", {"description": "Blogs and more",
                                          "applications": ["wordpress", "dokuwiki"]})
    assert AppSet.objects.get(name="blogs").applications == ["dokuwiki", "wordpress"]
    assert "Blogs and more" in AuditEntry.objects.filter(action="app_set.save").order_by("pk").last().detail
    assert b"1 account has this set" in client.get("/gui/apps/sets/blogs/delete/").content
    client.post("/gui/apps/sets/blogs/delete/")
    assert not AppSet.objects.exists()
    assert AuditEntry.objects.filter(action="app_set.delete", target="blogs").exists()

    # An owner has no such page; another reseller cannot see or touch these sets.
    services.save_app_set("blogs", ["wordpress"], owner=reseller)
    client.force_login(user)
    assert client.get("/gui/apps/sets/").status_code == 404
    other = stranger.owner
    client.force_login(other)
    assert client.get("/gui/apps/sets/blogs/").status_code == 404
    assert client.post("/gui/apps/sets/blogs/delete/").status_code == 404
    assert AppSet.objects.filter(name="blogs").exists()


def test_the_admin_finds_the_sets_in_the_console(client, admin, wordpress_package):
    client.force_login(admin)
    page = client.get("/gui/console/").content.decode()
    assert "/gui/apps/sets/" in page
    response = client.post("/gui/apps/sets/", {"name": "wordpress_only",
                                               "applications": ["wordpress"]})
    assert response.status_code == 302
    assert AppSet.objects.get(name="wordpress_only").owner is None


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_a_reseller_makes_a_set_on_a_phone_and_gives_it_to_a_customer(
        live_server, page, reseller, user, two_apps):
    from tests.fixtures.browser import screenshot
    from tests.installs.test_gui_browser_small import WIDTHS, _fits, _sign_in

    _sign_in(page, live_server, reseller)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/gui/")
        page.get_by_role("link", name="Application sets").click()
        page.get_by_label("Name", exact=True).fill(f"blogs{width}")
        page.get_by_label("WordPress").check()
        page.get_by_role("button", name="Save").click()
        assert page.locator(f"#set-blogs{width}").is_visible()
        assert _fits(page)
        screenshot(page, f"app-sets-{width}")
    page.goto(f"{live_server.url}/gui/accounts/alice/")
    page.get_by_label("Package").select_option("blogs390")
    screenshot(page, "account-package-390")
    page.get_by_role("button", name="Save").click()
    user.refresh_from_db()
    assert user.package == "blogs390"
