"""The install form (issue 14, deliver 6): every error at once beside its field with what
was typed kept, the folder checked as a path before anything is made, a database the owner
names signed in to before the install starts, and the automation options asked at install."""

from __future__ import annotations

import re

import pytest

from tests.fixtures.browser import screenshot

from .conftest import databases_of
from .test_gui import NEW_WP, _form_data


def _field_block(html: str, name: str) -> str:
    found = re.search(rf'<div class="field[^"]*" id="field-{name}">(.*?)</div>\s*'
                      r'(?=<div class="field|</section>|</details>|<div class="subfields)',
                      html, re.S)
    assert found, f"no field {name} on the page"
    return found.group(1)


def _errors_of(html: str, name: str) -> list[str]:
    return re.findall(r'<li>(.*?)</li>', "".join(re.findall(
        r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', _field_block(html, name), re.S)), re.S)


def test_five_wrong_fields_are_all_marked_at_once_and_keep_what_was_typed(
        client, user, wordpress_package, mysql_query):
    from apps.installs.models import Install

    client.force_login(user)
    response = client.post(NEW_WP, _form_data(
        client, folder="my blog", email="not-an-email", login="bad<login>", passwd="short",
        db_prefix="wp-", autobk="custom", autobk_daily="0", autobk_weekly="0",
        autobk_monthly="0"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "cannot contain spaces" in " ".join(_errors_of(html, "url"))
    assert "email address is not valid" in " ".join(_errors_of(html, "email"))
    assert _errors_of(html, "login") and _errors_of(html, "passwd")
    assert "letters, digits and _ only" in " ".join(_errors_of(html, "db_prefix"))
    assert "at least one daily" in " ".join(_errors_of(html, "autobk_daily"))
    assert "look at the 6 fields marked in red" in html
    # What was typed stays, passwords included.
    assert 'value="my blog"' in html and 'value="not-an-email"' in html
    assert 'value="bad&lt;login&gt;"' in html and 'value="short"' in html
    assert not Install.objects.exists()
    assert databases_of(mysql_query, user) == []


@pytest.mark.parametrize("folder, says", [
    ("http://alice.test/blog", "not a web address"),
    ("www.alice.test", "not a web address"),
    ("blog two", "cannot contain spaces"),
    ("blog/../..", "letters, digits"),
    ("blog?x=1", "letters, digits"),
])
def test_a_folder_that_is_no_path_is_refused_before_anything_is_made(
        client, user, wordpress_package, mysql_query, folder, says):
    from apps.installs.models import Install
    from apps.tasks.models import Task

    client.force_login(user)
    response = client.post(NEW_WP, _form_data(client, folder=folder))
    assert response.status_code == 200
    assert says in " ".join(_errors_of(response.content.decode(), "url"))
    assert not Install.objects.exists() and not Task.objects.exists()
    assert databases_of(mysql_query, user) == []


def test_a_wrong_manual_database_login_is_refused_before_the_install_starts(
        client, user, wordpress_package, own_database):
    from apps.installs.models import Install
    from apps.tasks.models import Task

    client.force_login(user)
    wrong = {**own_database, "db_pass": "not-the-password"}
    response = client.post(NEW_WP, _form_data(client, db_mode="manual", **wrong))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Could not connect to the database" in " ".join(_errors_of(html, "db_host"))
    assert "not-the-password" not in " ".join(_errors_of(html, "db_host"))
    assert "<details class=\"advanced\" open>" in html  # the fields are shown, not folded
    assert not Install.objects.exists() and not Task.objects.exists()

    # The right login starts the install on that database.
    response = client.post(NEW_WP, _form_data(client, db_mode="manual", **own_database))
    assert response.status_code == 302
    install = Install.objects.get()
    assert (install.db_name, install.db_user) == (own_database["db_name"],
                                                  own_database["db_user"])


def test_tables_under_the_prefix_in_a_manual_database_are_refused_at_the_prefix(
        client, user, wordpress_package, own_database, mysql_query):
    from apps.installs.models import Install

    mysql_query(f"CREATE TABLE `{own_database['db_name']}`.wp_options (id INT)")
    client.force_login(user)
    response = client.post(NEW_WP, _form_data(client, db_mode="manual", db_prefix="wp_",
                                              **own_database))
    assert response.status_code == 200
    assert "already has tables" in " ".join(_errors_of(response.content.decode(), "db_prefix"))
    assert not Install.objects.exists()


def test_updates_backups_and_their_location_are_chosen_at_install(
        client, user, wordpress_package):
    from apps.accounts.models import SiteSettings
    from apps.backups.models import BackupLocation
    from apps.installs.models import Install

    site = SiteSettings.load()
    site.default_autoup, site.default_autobk, site.default_autobk_weekly = 1, "custom", 2
    site.save()
    location = BackupLocation.objects.create(
        account=user, name="Offsite", uri="sftp://bk:pw@backup.example/alice")
    client.force_login(user)
    page = client.get(NEW_WP)
    form = page.context["form"]
    # The administrator's defaults are what the form shows first.
    assert (form["autoup"].value(), form["autobk"].value(), form["autobk_weekly"].value()) == (
        "1", "custom", 2)
    assert f'<option value="{location.pk}">' in page.content.decode()

    response = client.post(NEW_WP, _form_data(
        client, autoup="2", autoup_backup="", autobk="custom", autobk_daily="3",
        autobk_weekly="0", autobk_monthly="1", bkloc=str(location.pk)))
    assert response.status_code == 302
    install = Install.objects.get()
    assert (install.autoup, install.autoup_backup) == (2, False)
    assert (install.autobk, install.autobk_daily, install.autobk_weekly,
            install.autobk_monthly) == ("custom", 3, 0, 1)
    assert install.bkloc == location.uri


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_every_error_shows_beside_its_field_on_a_phone_too(
        live_server, page, user, wordpress_package):
    from .test_gui_browser_small import WIDTHS, _fits, _sign_in

    _sign_in(page, live_server, user)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}{NEW_WP}")
        assert page.get_by_label("Automatic updates").is_visible()
        page.get_by_label("Folder").fill("http://alice.test/blog")
        page.get_by_label("Administrator Password", exact=True).fill("short")
        page.get_by_role("button", name="Install WordPress").click()
        page.wait_for_load_state()
        assert page.locator("#field-url .errorlist").inner_text().startswith(
            "Type only the folder")
        assert page.locator("#field-passwd .errorlist").inner_text()
        assert page.get_by_label("Folder").input_value() == "http://alice.test/blog"
        assert _fits(page)
        screenshot(page, f"install-form-errors-{width}")
