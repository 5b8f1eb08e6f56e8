"""The install GUI: the form, the install page with its progress, My installs, uninstall,
the Tasks page, and the whole path in headless Chromium against a real worker and PHP."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.fixtures.browser import screenshot

from .conftest import databases_of

NEW_WP = "/gui/installs/new/wordpress/"


def _make_install(account, **fields):
    from apps.installs.models import Install

    website = account.websites.first()
    values = dict(account=account, website=website, installer="wordpress", version="6.1.9",
                  path="public_html", url=next(iter(website.vhosts)).rstrip("/"),
                  url_domain="alice.test", title="Alice's blog", status="installed",
                  db_name="alice_wp1", db_user="alice_wp1", db_prefix="wp_",
                  list_files=["index.php", "wp-admin", "wp-config.php"],
                  list_tables=["wp_options", "wp_posts"], fields={"login": "admin_x1", "email": "a@b.c"})
    values.update(fields)
    return Install.objects.create(**values)


def _make_task(install, **fields):
    from apps.tasks.models import Task

    values = dict(account=install.account, cmd="install", url=install.url, title=install.title,
                  install=install.pk, status="processing", percent_min=40, percent_max=60,
                  message="Copying files")
    values.update(fields)
    return Task.objects.create(**values)


def _form_data(client, **overrides) -> dict:
    """What a person submits: the form's own initial values plus ``overrides``."""
    response = client.get(NEW_WP)
    form = response.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        choices = list(getattr(field, "flatchoices", []))
        if value is None and choices:
            value = choices[0][0]  # a browser sends a select's first option
        if isinstance(value, list):  # checkboxes: each ticked value
            data[name] = [str(v) for v in value]
        elif value is not None:
            data[name] = str(value)
    data.update(overrides)
    return data


# --------------------------------------------------------------------------- the form


def test_the_form_shows_the_applications_fields_in_order_and_every_vhost(client, user,
                                                                         wordpress_package):
    from apps.accounts.models import Website

    Website.objects.create(account=user, ws_id="ws2", label="second.test", path="/srv/second",
                           vhosts={"http://second.test": "web", "https://www.second.test": "web"})
    client.force_login(user)
    response = client.get(NEW_WP)
    assert response.status_code == 200
    html = response.content.decode()

    # The manifest's settable fields, by sort_order, with the right widget each.
    names = re.findall(r'<(?:input|select)[^>]*name="(language|login|passwd|email|sitetitle|'
                       r'sitetagline)"', html)
    assert list(dict.fromkeys(names)) == ["language", "login", "passwd", "email", "sitetitle",
                                          "sitetagline"]
    assert re.search(r'<select name="language"', html)
    assert re.search(r'<input type="password" name="passwd" value="[^"]{12,}"', html)
    assert re.search(r'<input type="email" name="email" value="alice@example.com"', html)
    assert re.search(r'name="sitetitle" value="My Blog"', html)  # the manifest default, as the API
    login = re.search(r'name="login" value="([^"]+)"', html).group(1)
    assert login != "admin"  # random by default, as the reference says

    # Every vhost URL of every website, and the stored version.
    for url in ("http://alice.test", "http://second.test", "https://www.second.test"):
        assert f'<option value="{url}"' in html
    assert f'<option value="{wordpress_package.version}"' in html
    assert "Create a new database automatically (recommended)" in html


def test_the_applications_own_fields_speak_the_owners_language(client, user, wordpress_package):
    """The manifest's labels and help texts go through the catalogs
    (apps/recipes/manifest_strings.py), not only the engine's own fields."""
    user.language = "de"
    user.save()
    client.force_login(user)
    html = client.get(NEW_WP).content.decode()
    for german in ("Titel der Website", "Untertitel der Website", "Passwort des Administrators",
                   "Geben Sie einen Benutzernamen für den Administrator ein"):
        assert german in html
    assert "Website Title" not in html and "enter a username" not in html


def test_each_visit_gets_a_different_random_password(client, user, wordpress_package):
    client.force_login(user)
    first = re.search(r'name="passwd" value="([^"]+)"', client.get(NEW_WP).content.decode())
    second = re.search(r'name="passwd" value="([^"]+)"', client.get(NEW_WP).content.decode())
    assert first.group(1) != second.group(1)


def test_the_website_databases_are_offered_when_the_panel_lists_them(client, user,
                                                                     wordpress_package):
    website = user.websites.get()
    website.db_mode = "manual"
    website.databases = [{"type": "mysql", "host": "localhost", "name": "alice_db1",
                          "user": "alice_u1", "pass": "s3cret-from-panel"}]
    website.save()
    client.force_login(user)
    html = client.get(NEW_WP).content.decode()
    assert "Use one of my databases" in html
    assert "alice_db1" in html
    assert "s3cret-from-panel" not in html  # the panel's password never reaches the page


def test_an_unknown_or_unstored_application_is_404(client, user, wordpress_package):
    client.force_login(user)
    assert client.get("/gui/installs/new/nosuchapp/").status_code == 404
    assert client.get("/gui/installs/new/..%2Fetc/").status_code == 404


def test_a_bad_email_re_renders_with_the_error_beside_the_field(client, user, wordpress_package):
    from apps.installs.models import Install

    client.force_login(user)
    response = client.post(NEW_WP, _form_data(client, email="not-an-email"))
    assert response.status_code == 200
    html = response.content.decode()
    block = re.search(r'<div class="field has-error" id="field-email">(.*?)</div>\s*(?=<div class="field|</section>)',
                      html, re.S)
    assert block, "the email field is not marked as having an error"
    assert 'class="errorlist' in block.group(1)
    assert "email address is not valid" in block.group(1)
    assert 'value="not-an-email"' in block.group(1)  # what was typed stays
    assert not Install.objects.exists()


def test_an_address_already_taken_is_shown_at_the_location(client, user, wordpress_package):
    from apps.installs.models import Install

    _make_install(user, url="http://alice.test/blog", path="public_html/blog")
    client.force_login(user)
    response = client.post(NEW_WP, _form_data(client, folder="blog"))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'id="field-url">.*Another application is already installed at '
                     r'http://alice.test/blog', html, re.S)
    assert Install.objects.count() == 1


def test_a_good_form_starts_the_install_and_the_page_never_shows_the_password(
        client, user, wordpress_package):
    from apps.installs.models import Install
    from apps.tasks.models import Task

    client.force_login(user)
    data = _form_data(client, folder="blog", sitetitle="Alice's Garden", passwd="Tulips-and-42")
    response = client.post(NEW_WP, data)
    install = Install.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("installs:detail", args=[install.pk])
    assert install.url == "http://alice.test/blog"
    assert install.title == "Alice's Garden"
    assert install.status == "installing"
    task = Task.objects.get(install=install.pk)
    assert task.cmd == "install" and not task.done

    page = client.get(response["Location"]).content.decode()
    assert "Tulips-and-42" not in page
    assert 'role="progressbar"' in page
    assert 'hx-trigger="every 1s"' in page
    assert '<meta http-equiv="refresh" content="2">' in page


# --------------------------------------------------------------------------- access


def test_a_stranger_gets_404_on_every_install_page(client, user, stranger):
    install = _make_install(user)
    pages = [reverse("installs:detail", args=[install.pk]),
             reverse("installs:uninstall", args=[install.pk])]
    client.force_login(user)
    assert [client.get(url).status_code for url in pages] == [200, 200]

    client.force_login(stranger)
    assert [client.get(url).status_code for url in pages] == [404, 404]
    assert client.get(pages[0], HTTP_HX_REQUEST="true").status_code == 404
    assert client.post(pages[1]).status_code == 404
    install.refresh_from_db()
    assert install.status == "installed" and install.task_id is None
    assert install.url not in client.get(reverse("installs:list")).content.decode()


def test_the_reseller_sees_its_users_install_but_another_reseller_does_not(client, user,
                                                                             reseller, stranger):
    install = _make_install(user)
    url = reverse("installs:detail", args=[install.pk])
    client.force_login(reseller)
    assert client.get(url).status_code == 200
    client.force_login(stranger.owner)
    assert client.get(url).status_code == 404


def test_forms_refuse_a_post_without_the_csrf_token(user, wordpress_package):
    install = _make_install(user)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    form = browser.get(NEW_WP)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode()).group(1)
    data = {k: v for k, v in form.context["form"].initial.items()}

    assert browser.post(NEW_WP, {**data, "email": "x"}).status_code == 403
    uninstall = reverse("installs:uninstall", args=[install.pk])
    assert browser.post(uninstall).status_code == 403
    install.refresh_from_db()
    assert install.status == "installed"
    # The same requests with the token get through (the refusal was the token's doing).
    assert browser.post(NEW_WP, {**data, "email": "x", "csrfmiddlewaretoken": token}).status_code == 200
    # htmx sends the token from <body hx-headers>.
    page = browser.get(uninstall).content.decode()
    header = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    assert browser.post(uninstall, HTTP_X_CSRFTOKEN=header).status_code == 302


# --------------------------------------------------------------------------- the install page


def test_the_progress_polls_while_the_task_runs_and_stops_when_it_is_done(client, user):
    install = _make_install(user, status="installing")
    task = _make_task(install)
    install.task = task
    install.save()
    url = reverse("installs:detail", args=[install.pk])
    client.force_login(user)

    response = client.get(url, HTTP_HX_REQUEST="true")
    # Page and partial share a URL: caches (and the back button) must tell them apart.
    assert "HX-Request" in response["Vary"]
    partial = response.content.decode()
    assert "<html" not in partial
    assert 'hx-trigger="every 1s"' in partial
    assert 'role="progressbar"' in partial and 'aria-valuenow="40"' in partial
    assert "Copying files" in partial

    task.mark_completed("WordPress was installed.")
    install.status = "installed"
    install.task = None
    install.save()
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in partial
    assert "WordPress is installed" in partial
    assert 'href="http://alice.test"' in partial
    assert 'href="http://alice.test/wp-admin/"' in partial
    full = client.get(url).content.decode()
    assert 'http-equiv="refresh"' not in full


def test_the_admin_sign_in_form_may_go_on_to_the_website_and_nowhere_else(client, user):
    """The sign-in button posts to us and is redirected to the website: the page's
    form-action names that origin, and an address that could smuggle a directive is left out."""
    install = _make_install(user, url="http://alice.test:8080/blog")
    client.force_login(user)
    page = client.get(reverse("installs:detail", args=[install.pk]))
    assert reverse("installs:admin_sso", args=[install.pk]) in page.content.decode()
    assert "form-action 'self' http://alice.test:8080;" in page["Content-Security-Policy"]
    install.url = "http://a;script-src *.example/blog"
    install.save()
    policy = client.get(reverse("installs:detail", args=[install.pk]))["Content-Security-Policy"]
    assert "form-action 'self';" in policy and "*" not in policy
    assert policy.count("script-src") == 1


def test_a_failed_install_shows_the_message_and_a_way_on(client, user):
    install = _make_install(user, status="failed", list_files=[], list_tables=[])
    _make_task(install, status="failed",
               message="The folder public_html is not writable; check its permissions.")
    client.force_login(user)
    html = client.get(reverse("installs:detail", args=[install.pk])).content.decode()
    assert "could not be installed" in html
    assert "The folder public_html is not writable; check its permissions." in html
    assert reverse("installs:new", args=["wordpress"]) in html
    assert "hx-trigger" not in html


# --------------------------------------------------------------------------- My installs


def test_my_installs_is_empty_with_a_link_to_the_applications(client, user):
    client.force_login(user)
    html = client.get(reverse("installs:list")).content.decode()
    assert "You have not installed any applications yet." in html
    assert f'href="{reverse("catalog:browser")}"' in html


def test_my_installs_searches_filters_and_pages(client, user):
    for n in range(27):
        _make_install(user, url=f"http://alice.test/site{n:02d}", path=f"public_html/site{n:02d}",
                      title=f"Site {n:02d}", status="failed" if n == 5 else "installed")
    client.force_login(user)
    url = reverse("installs:list")
    first = client.get(url).content.decode()
    assert first.count('<tr id="install-') == 25
    assert "Page 1 of 2" in first
    assert client.get(url, {"page": 2}).content.decode().count('<tr id="install-') == 2

    found = client.get(url, {"q": "site07"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in found and found.count('<tr id="install-') == 1 and "Site 07" in found
    failed = client.get(url, {"status": "failed"}).content.decode()
    assert failed.count('<tr id="install-') == 1 and "Site 05" in failed
    none = client.get(url, {"q": "nothing-like-this"}).content.decode()
    assert "No install matches that search." in none


# --------------------------------------------------------------------------- the menu


def _current_tab(html: str) -> list[str]:
    return re.findall(r'<a href="[^"]*" aria-current="page">([^<]+)</a>', html)


def test_the_menu_marks_the_tab_each_page_belongs_to(client, user, wordpress_package):
    install = _make_install(user)
    client.force_login(user)
    pages = {
        NEW_WP: "Applications",
        reverse("catalog:browser"): "Applications",
        reverse("installs:detail", args=[install.pk]): "My installs",
        reverse("backups:clone", args=[install.pk]): "My installs",
        reverse("backups:list"): "My backups",
        reverse("tasks:list"): "Tasks",
    }
    for url, tab in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert _current_tab(response.content.decode()) == [tab], url


def test_my_installs_and_tasks_name_the_application_as_its_recipe_does(client, user):
    install = _make_install(user)
    _make_task(install)
    client.force_login(user)
    mine = client.get(reverse("installs:list")).content.decode()
    assert '<div class="muted">WordPress</div>' in mine and ">wordpress" not in mine
    tasks = client.get(reverse("tasks:list")).content.decode()
    assert '<div class="muted">WordPress</div>' in tasks and "<strong>Install</strong>" in tasks


# --------------------------------------------------------------------------- Edit: emails


def test_the_email_choices_render_as_labelled_checkboxes_and_save(client, user):
    install = _make_install(user, notification=["backup"], fields={
        "login": "admin_x1", "email": "a@b.c", "sitetitle": "Alice's blog", "sitetagline": ""})
    client.force_login(user)
    url = reverse("installs:edit", args=[install.pk])
    page = client.get(url)
    html = page.content.decode()
    assert "<legend>Email me about</legend>" in html
    boxes = re.findall(r'<label for="(id_notification_\d+)"><input type="checkbox" '
                       r'name="notification" value="(\w+)"[^>]*id="\1"([^>]*)>\s*([^<]+)</label>', html)
    assert len(boxes) == 13, html
    labels = {value: (label.strip(), "checked" in rest) for _id, value, rest, label in boxes}
    assert labels["backup"] == ("A backup was made", True)
    assert labels["update_available"] == ("An update is available", False)
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not None and v is not False}
    data["notification"] = ["update_available", "update_error"]
    done = client.post(url, data)
    assert done.status_code == 302, re.findall(r"errorlist.{0,300}", done.content.decode())
    install.refresh_from_db()
    assert sorted(install.notification) == ["update_available", "update_error"]
    again = client.get(url).content.decode()
    assert re.search(r'value="update_available"[^>]*checked', again)
    assert not re.search(r'value="backup"[^>]*checked', again)
    data["notification"] = []
    assert client.post(url, data).status_code == 302
    install.refresh_from_db()
    assert install.notification == []


# --------------------------------------------------------------------------- uninstall


def test_the_uninstall_page_says_what_goes_and_what_stays(client, user):
    install = _make_install(user, db_created_by_panel=True)
    client.force_login(user)
    html = client.get(reverse("installs:uninstall", args=[install.pk])).content.decode()
    for name in ("index.php", "wp-admin", "wp-config.php", "wp_options", "wp_posts"):
        assert f"<code>{name}</code>" in html
    assert "The database <code>alice_wp1</code> and its user" in html
    assert "Backups of this install" in html

    mine = _make_install(user, url="http://alice.test/shop", path="public_html/shop",
                         db_created_by_panel=False)
    html = client.get(reverse("installs:uninstall", args=[mine.pk])).content.decode()
    assert "and its user" not in html
    assert "itself and any tables of other applications in it" in html


def test_confirming_uninstall_starts_it_and_shows_its_progress(client, user):
    from apps.tasks.models import Task

    install = _make_install(user)
    client.force_login(user)
    response = client.post(reverse("installs:uninstall", args=[install.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("installs:detail", args=[install.pk])
    install.refresh_from_db()
    assert install.status == "uninstalling"
    task = Task.objects.get(install=install.pk, cmd="uninstall")
    assert install.task_id == task.pk
    html = client.get(response["Location"]).content.decode()
    assert "Removing WordPress" in html and 'hx-trigger="every 1s"' in html

    # A second confirmation while it runs is refused with the running task named.
    response = client.post(reverse("installs:uninstall", args=[install.pk]), follow=True)
    assert f"busy with task {task.pk}" in response.content.decode()


def test_after_the_uninstall_the_page_tells_it_is_gone(client, user, stranger):
    install = _make_install(user)
    pk = install.pk
    _make_task(install, cmd="uninstall", status="completed", percent_min=100, percent_max=100)
    install.delete()
    client.force_login(user)
    html = client.get(reverse("installs:detail", args=[pk])).content.decode()
    assert "The application was removed" in html and "hx-trigger" not in html
    client.force_login(stranger)
    assert client.get(reverse("installs:detail", args=[pk])).status_code == 404


# --------------------------------------------------------------------------- tasks page


def test_the_tasks_page_polls_only_while_a_task_runs(client, user, stranger):
    install = _make_install(user)
    task = _make_task(install)
    client.force_login(user)
    html = client.get(reverse("tasks:list")).content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert 'aria-valuenow="40"' in html and "Copying files" in html
    assert reverse("installs:detail", args=[install.pk]) in html

    task.mark_completed("Done.")
    partial = client.get(reverse("tasks:list"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "hx-trigger" not in partial
    assert 'aria-valuenow="100"' in partial

    client.force_login(stranger)
    assert install.url not in client.get(reverse("tasks:list")).content.decode()


# --------------------------------------------------------------------------- in the browser


@pytest.fixture
def worker(transactional_db, wordpress_package, wordpress_archive, monkeypatch, request):
    """The real worker on the real broker, told where the session's package store is."""
    monkeypatch.setenv("INSTALLATRON_PACKAGES", str(wordpress_archive.store))
    return request.getfixturevalue("celery_worker")


@pytest.mark.slow
def test_a_website_owner_installs_wordpress_in_the_browser_and_opens_the_site(
        live_server, site, worker, page, mysql_query):
    from playwright.sync_api import expect

    from apps.accounts.services import create_handoff
    from apps.installs.models import Install

    title = "Garden Diary E2E"
    page.goto(live_server.url + "/index.php?s=" + create_handoff(site.account))
    expect(page.get_by_role("heading", name=f"Welcome, {site.account.username}")).to_be_visible()
    screenshot(page, "install-1-home")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Applications").click()
    screenshot(page, "install-2-browser")
    page.get_by_role("link", name=re.compile("WordPress")).first.click()
    screenshot(page, "install-3-application")
    page.get_by_role("link", name="Install WordPress").click()

    expect(page.get_by_label("Website address")).to_have_value(site.url)
    page.get_by_label("Folder").fill("blog")
    page.get_by_label("Website Title").fill(title)
    password = page.get_by_label("Administrator Password", exact=True)
    expect(password).to_have_attribute("type", "password")
    page.get_by_label("Show Administrator Password").check()
    expect(password).to_have_attribute("type", "text")
    screenshot(page, "install-4-form")

    # A password the installer refuses comes back beside its field, the rest kept.
    password.fill("short")
    page.get_by_role("button", name="Install WordPress").click()
    expect(page.locator("#field-passwd .errorlist")).to_contain_text("at least 8 characters")
    expect(page.get_by_label("Website Title")).to_have_value(title)
    screenshot(page, "install-4b-form-error")
    page.get_by_label("Administrator Password", exact=True).fill("Tulips-and-42-in-May")
    page.get_by_role("button", name="Install WordPress").click()

    # The install page: a live bar first, then the finished state, without a reload.
    bar = page.get_by_role("progressbar")
    expect(bar).to_be_visible()
    screenshot(page, "install-5-progress")
    page.evaluate("window.__same_document = true")
    expect(page.get_by_role("heading", name="WordPress is installed")).to_be_visible(timeout=120_000)
    assert page.evaluate("window.__same_document === true"), "the page reloaded instead of polling"
    expect(page.locator("[hx-trigger]")).to_have_count(0)  # polling has stopped
    expect(page.get_by_role("progressbar")).to_have_count(0)
    screenshot(page, "install-6-installed")
    install = Install.objects.get(account=site.account)
    assert install.status == "installed" and install.url == site.url + "/blog"

    # The Tasks page shows the finished task at 100 %.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tasks").click()
    expect(page.get_by_role("progressbar").first).to_have_attribute("aria-valuenow", "100")
    screenshot(page, "install-7-tasks")
    page.go_back()

    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Open the website").click()
    home = opened.value
    home.wait_for_load_state()
    assert home.url.rstrip("/") == site.url + "/blog"
    expect(home).to_have_title(re.compile(title))
    expect(home.get_by_text(title).first).to_be_visible()
    screenshot(home, "install-8-site")
    home.close()

    # My installs lists it; uninstalling says what goes, then removes it while we watch.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My installs").click()
    expect(page.locator("table.installs tbody tr")).to_have_count(1)
    screenshot(page, "install-9-my-installs")
    page.get_by_role("link", name=title).click()
    page.get_by_role("link", name="Uninstall").click()
    expect(page.get_by_text(f"The database {install.db_name} and its user")).to_be_visible()
    screenshot(page, "install-10-uninstall-confirm")
    page.get_by_role("button", name="Uninstall").click()
    expect(page.get_by_role("heading", name="The application was removed")).to_be_visible(
        timeout=60_000)
    screenshot(page, "install-11-uninstalled")
    assert not (site.docroot / "blog").exists()
    assert databases_of(mysql_query, site.account) == []
    assert not Install.objects.filter(account=site.account).exists()


def test_without_javascript_the_form_submits_and_the_page_refreshes_itself(
        live_server, transactional_db, user, wordpress_package, chromium, own_database):
    """No worker here: the install stays queued, which is the state being looked at."""
    from apps.accounts.services import create_handoff
    from apps.installs.models import Install

    website = user.websites.get()
    website.db_mode = "manual"
    website.databases = [{"type": "mysql", "host": own_database["db_host"],
                          "name": own_database["db_name"], "user": own_database["db_user"]}]
    website.save()
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 860})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/index.php?s=" + create_handoff(user))
        page.goto(live_server.url + NEW_WP)
        page.get_by_label("Use one of my databases").check()
        page.get_by_label("Password of that database's user", exact=True).fill(
            own_database["db_pass"])
        page.get_by_label("Website Title").fill("No Script Blog")
        screenshot(page, "nojs-1-form-listed-databases")
        page.get_by_role("button", name="Install WordPress").click()

        install = Install.objects.get(account=user)
        assert page.url.endswith(reverse("installs:detail", args=[install.pk]))
        assert install.db_name == own_database["db_name"]
        assert install.title == "No Script Blog"
        assert page.locator('meta[http-equiv="refresh"]').count() == 1
        assert page.get_by_role("progressbar").is_visible()
        assert own_database["db_pass"] not in page.content()
        screenshot(page, "nojs-2-progress")
    finally:
        context.close()


def test_the_edit_form_marks_every_wrong_field_at_once_and_keeps_what_was_typed(client, user):
    install = _make_install(user, fields={
        "login": "admin_x1", "email": "a@b.c", "sitetitle": "Alice's blog", "sitetagline": ""})
    client.force_login(user)
    url = reverse("installs:edit", args=[install.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not None and v is not False}
    data.update(email="not-an-email", sitetagline="x" * 300, autobk="custom",
                autobk_daily="0", autobk_weekly="0", autobk_monthly="0")
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"email", "sitetagline", "autobk_daily"} <= set(errors), errors
    html = response.content.decode()
    assert 'value="not-an-email"' in html
    install.refresh_from_db()
    assert install.fields["email"] == "a@b.c" and install.autobk in ("", "0", None)
