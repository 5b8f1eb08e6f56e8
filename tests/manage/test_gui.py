"""The Edit page, the Sync button and "Sign in to WordPress admin" on a real WordPress."""

from __future__ import annotations

import pytest

from .conftest import fetch, run_install

pytestmark = pytest.mark.slow


def test_the_edit_page_changes_only_what_changed_and_strangers_get_404(
        site, wordpress_package, client, stranger):
    from apps.installs import tasks
    from apps.tasks.models import Task

    install = run_install(site, f"{site.url}/blog", title="GUI Blog")
    client.force_login(stranger)
    assert client.get(f"/gui/installs/{install.pk}/edit/").status_code == 404
    assert client.post(f"/gui/installs/{install.pk}/admin-sso/").status_code == 404
    client.force_login(site.account)
    page = client.get(f"/gui/installs/{install.pk}/")
    assert f"/gui/installs/{install.pk}/edit/" in page.content.decode()
    form = client.get(f"/gui/installs/{install.pk}/edit/")
    assert form.status_code == 200 and "GUI Blog" in form.content.decode()
    data = {"url": install.url, "sitetitle": "Titled In The GUI", "sitetagline":
            install.fields["sitetagline"], "login": "boss", "passwd": "", "email": install.fields["email"],
            "language": "en", "autoup": "2", "autoup_backup": "on", "autobk": "0",
            "autobk_daily": "0", "autobk_weekly": "0", "autobk_monthly": "0",
            "db_host": install.db_host, "db_name": install.db_name, "db_user": install.db_user,
            "db_pass": "", "db_prefix": install.db_prefix}
    bad = client.post(f"/gui/installs/{install.pk}/edit/", {**data, "login": "no/slash"})
    assert bad.status_code == 200 and "has-error" in bad.content.decode()
    done = client.post(f"/gui/installs/{install.pk}/edit/", data)
    assert done.status_code == 302
    task = Task.objects.get(install=install.pk, cmd="edit")
    tasks.edit_install(task.id)
    task.refresh_from_db()
    assert task.status == "completed", task.message
    install.refresh_from_db()
    assert install.autoup == 2 and install.fields["sitetitle"] == "Titled In The GUI"
    assert "<title>Titled In The GUI" in fetch(f"{site.url}/blog/")[1]
    assert client.post(f"/gui/installs/{install.pk}/sync/").status_code == 302
    sso = client.post(f"/gui/installs/{install.pk}/admin-sso/")
    assert sso.status_code == 302 and sso["Location"].startswith(f"{site.url}/blog/itron-sso-")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_admin_sign_in_button_works_under_the_content_security_policy(
        site, wordpress_package, live_server, page):
    """The form posts to us and is redirected to the website: the page's form-action must
    allow that origin, or Chromium refuses the redirect."""
    from playwright.sync_api import expect

    from apps.accounts.services import create_handoff

    install = run_install(site, f"{site.url}/blog", title="Policy SSO Blog")
    complaints: list[str] = []
    page.on("console", lambda msg: complaints.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    page.goto(live_server.url + "/index.php?s=" + create_handoff(site.account))
    page.goto(f"{live_server.url}/gui/installs/{install.pk}/")
    with page.context.expect_page() as opened:
        page.get_by_role("button", name="Sign in to WordPress admin").click()
    admin = opened.value
    admin.wait_for_load_state()
    assert admin.url.startswith(f"{site.url}/blog/wp-admin"), admin.url
    expect(admin.locator("#wpadminbar")).to_be_attached()
    assert complaints == []
