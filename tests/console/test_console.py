"""The admin console (issue 14, deliver 3): applications on/off and default version, default
install options, the mail server with a test message, and the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

PAGES = ["console:applications", "console:defaults", "console:languages", "console:email",
         "console:audit"]


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def _older(wordpress_package):
    from apps.catalog.models import Package

    return Package.objects.create(application="wordpress", version="4.0.1",
                                  archive="wordpress-4.0.1.tar.gz", sha256="0" * 64, size=1)


@pytest.mark.parametrize("who", ["user", "reseller", "stranger"])
def test_only_the_admin_sees_the_console(client, who, request, wordpress_package):
    client.force_login(request.getfixturevalue(who))
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 404
    url = reverse("console:application", args=["wordpress"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"enabled": "0"}).status_code == 404
    assert client.post(reverse("console:email"), {"smtp_host": "evil", "smtp_port": 25}) \
        .status_code == 404
    from apps.catalog.services import disabled_applications

    assert disabled_applications() == set()
    anonymous = Client().get(reverse("console:applications"))
    assert anonymous.status_code == 302 and "/gui/login/" in anonymous["Location"]


def test_every_console_form_needs_the_csrf_token(admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    for name in ("console:defaults", "console:languages", "console:email",
                 "console:email_test"):
        assert client.post(reverse(name), {}).status_code == 403
    assert client.post(reverse("console:application", args=["wordpress"]), {}).status_code == 403
    for name in PAGES:
        page = client.get(reverse(name)).content.decode()
        assert page.count("<form") <= page.count("csrfmiddlewaretoken") + page.count(
            'method="get"'), name


def test_switching_an_application_off_hides_it_everywhere_and_refuses_installs(
        admin_client, admin, client, user, api, wordpress_package):
    from apps.accounts.models import AuditEntry

    page = admin_client.get(reverse("console:applications")).content.decode()
    assert 'id="app-wordpress"' in page and "Switch off" in page
    url = reverse("console:application", args=["wordpress"])
    confirm = admin_client.get(url)
    assert confirm.status_code == 200 and "Switch off WordPress?" in confirm.content.decode()
    assert admin_client.post(url, {"enabled": "0"}).status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.target) == (admin.username, "application.disable",
                                                         "wordpress")
    assert "enabled: True -> False" in entry.detail

    owner = Client()
    owner.force_login(user)
    assert "WordPress" not in owner.get(reverse("catalog:browser")).content.decode()
    assert owner.get(reverse("catalog:detail", args=["wordpress"])).status_code == 404
    assert owner.get(reverse("installs:new", args=["wordpress"])).status_code == 404
    listed = api.v2("GET", "/browser", {"user": user.username}).json()
    assert all(app["id"] != "wordpress" for app in listed["data"]), listed
    refused = api.v1("install", user=user.username, application="wordpress",
                     url="http://alice.test/blog", passwd="Xx-12345678").json()
    assert refused["result"] is False and refused["errcode"] == "invalid_argument_application"

    # Switched on again from the list, with htmx: the row comes back as a partial.
    row = admin_client.post(url, {"enabled": "1"}, HTTP_HX_REQUEST="true")
    html = row.content.decode()
    assert html.lstrip().startswith('<tr id="app-wordpress"') and "<html" not in html
    assert "WordPress" in owner.get(reverse("catalog:browser")).content.decode()
    assert AuditEntry.objects.filter(action="application.enable").count() == 1


def test_the_default_version_is_what_an_install_without_one_gets(
        admin_client, user, wordpress_package):
    from apps.accounts.models import AuditEntry
    from apps.catalog.services import default_version

    older = _older(wordpress_package)
    url = reverse("console:application", args=["wordpress"])
    admin_client.post(url, {"default_version": "9.9.9"})
    assert default_version("wordpress") is None  # not in the store: refused, nothing saved
    admin_client.post(url, {"default_version": older.version})
    assert default_version("wordpress") == older.version
    assert AuditEntry.objects.get(action="application.version").detail == \
        "default_version: '' -> '4.0.1'"
    owner = Client()
    owner.force_login(user)
    form = owner.get(reverse("installs:new", args=["wordpress"])).content.decode()
    assert '<option value="4.0.1" selected>' in form
    assert f'<option value="{wordpress_package.version}" selected>' not in form


def test_default_install_options_apply_to_installs_that_do_not_choose(admin_client, admin):
    from apps.accounts.models import AuditEntry, SiteSettings
    from apps.installs.plan import check_backup_options, with_install_defaults

    url = reverse("console:defaults")
    bad = admin_client.post(url, {"default_autoup": "2", "default_autobk": "custom",
                                  "default_autobk_daily": "0", "default_autobk_weekly": "0",
                                  "default_autobk_monthly": "0"})
    assert bad.status_code == 200 and "Keep at least one daily" in bad.content.decode()
    done = admin_client.post(url, {"default_autoup": "2", "default_autobk": "custom",
                                   "default_autobk_daily": "3", "default_autobk_weekly": "1",
                                   "default_autobk_monthly": "0"})
    assert done.status_code == 302
    site = SiteSettings.load()
    assert (site.default_autoup, site.default_autoup_backup, site.default_autobk,
            site.default_autobk_daily) == (2, False, "custom", 3)
    detail = AuditEntry.objects.get(action="defaults.change").detail
    assert "default_autoup: 0 -> 2" in detail and "default_autobk_daily: 0 -> 3" in detail

    options = check_backup_options(with_install_defaults({}))
    assert (options["autoup"], options["autoup_backup"], options["autobk"],
            options["autobk_daily"], options["autobk_weekly"]) == (2, False, "custom", 3, 1)
    # What the request says wins, and its own schedule is not mixed with ours.
    chosen = check_backup_options(with_install_defaults({"autoup": "0", "autobk": "0"}))
    assert (chosen["autoup"], chosen["autobk"], chosen["autobk_daily"]) == (0, "", 0)


def test_the_mail_server_is_saved_with_its_password_encrypted_and_a_test_message_goes_out(
        admin_client, admin, smtp_server):
    from apps.accounts.models import AuditEntry, SiteSettings

    admin.email = "root@example.com"
    admin.save()
    url = reverse("console:email")
    form = {"smtp_host": smtp_server.host, "smtp_port": smtp_server.port, "smtp_security": "",
            "smtp_user": smtp_server.user, "smtp_password": smtp_server.password,
            "smtp_from": "installer@hostiva.test"}
    assert admin_client.post(url, form).status_code == 302
    with connection.cursor() as cursor:
        cursor.execute("SELECT smtp_password FROM accounts_sitesettings WHERE id = 1")
        [(raw,)] = cursor.fetchall()
    assert raw and smtp_server.password not in raw
    assert SiteSettings.load().smtp_password == smtp_server.password
    detail = AuditEntry.objects.get(action="email.change").detail
    assert "smtp_password: changed" in detail and smtp_server.password not in detail
    page = admin_client.get(url).content.decode()
    assert smtp_server.password not in page and "A password is stored" in page
    assert 'value="root@example.com"' in page  # the test goes to the admin by default

    # Saving again with an empty password keeps it.
    assert admin_client.post(url, {**form, "smtp_password": ""}).status_code == 302
    assert SiteSettings.load().smtp_password == smtp_server.password

    sent = admin_client.post(reverse("console:email_test"), {"to": "root@example.com"},
                             follow=True)
    assert "A test message was sent to root@example.com." in sent.content.decode()
    [received] = smtp_server.messages
    assert received.recipients == ["root@example.com"]
    assert received.sender == "installer@hostiva.test" and received.login == "mailer"
    assert smtp_server.host in received.body

    admin_client.post(url, {**form, "smtp_password": "not it"})
    failed = admin_client.post(reverse("console:email_test"), {"to": "root@example.com"},
                               follow=True).content.decode()
    assert "The mail server did not take the message" in failed and "not it" not in failed
    assert list(AuditEntry.objects.filter(action="email.test")
                .order_by("time", "id").values_list("detail", flat=True)) == ["sent", "failed"]


def test_the_audit_log_lists_console_changes_and_api_calls_with_filters_and_pages(
        admin_client, admin):
    from apps.accounts.models import AuditEntry
    from apps.api.models import ApiLog

    now = timezone.now()
    for n in range(55):
        AuditEntry.objects.create(actor=admin.username, action="defaults.change",
                                  detail=f"change {n}", time=now - timedelta(minutes=n))
    AuditEntry.objects.create(actor="helper", action="email.change", detail="old one",
                              time=now - timedelta(days=40))
    ApiLog.objects.create(cmd="install", user="alice", result=False,
                          errcode="invalid_argument_url", time=now - timedelta(days=5))
    url = reverse("console:audit")
    first = admin_client.get(url).content.decode()
    assert "Page 1 of 2 · 57 in all" in first and "change 0" in first
    second = admin_client.get(url, {"page": 2}).content.decode()
    assert "invalid_argument_url" in second and "old one" in second

    alice = admin_client.get(url, {"user": "alice"}).content.decode()
    assert "invalid_argument_url" in alice and "change 0" not in alice
    email = admin_client.get(url, {"action": "email"}).content.decode()
    assert "old one" in email and "change 0" not in email and "1 in all" in email
    # Whole days around the API call, away from the last hour's changes (even at midnight).
    since = (now - timedelta(days=6)).date().isoformat()
    until = (now - timedelta(days=4)).date().isoformat()
    window = admin_client.get(url, {"since": since, "until": until}).content.decode()
    assert "invalid_argument_url" in window and "old one" not in window
    assert "change 0" not in window
    nothing = admin_client.get(url, {"user": "nobody"}).content.decode()
    assert "Nothing matches that search." in nothing


def test_account_and_branding_changes_are_in_the_audit_log_with_who_made_them(
        admin_client, reseller, user):
    from apps.accounts.models import AuditEntry

    as_reseller = Client()
    as_reseller.force_login(reseller)
    assert as_reseller.post(reverse("accounts:suspend", args=[user.username]),
                            {"suspended": "yes"}).status_code == 302
    assert as_reseller.post(reverse("accounts:branding"), {
        "name": "Hosty", "accent": "#2a66d0", "bar": "#17223b"}).status_code == 302
    entries = list(AuditEntry.objects.order_by("id").values_list("actor", "action", "target"))
    assert entries == [("res1", "account.suspend", "alice"),
                       ("res1", "branding.change", "res1")]
    page = admin_client.get(reverse("console:audit"), {"user": "res1"}).content.decode()
    assert "account.suspend" in page and "branding.change" in page and "Hosty" in page


def test_a_default_backup_schedule_applies_until_it_is_removed(admin_client):
    from apps.installs.models import BackupSchedule
    from apps.installs.plan import check_backup_options, with_install_defaults

    schedule = BackupSchedule.objects.create(name="nightly", daily=7, description="Every night")
    page = admin_client.get(reverse("console:defaults")).content.decode()
    assert '<option value="nightly">Schedule: Every night</option>' in page
    assert admin_client.post(reverse("console:defaults"), {
        "default_autoup": "1", "default_autoup_backup": "on", "default_autobk": "nightly",
        "default_autobk_daily": "0", "default_autobk_weekly": "0",
        "default_autobk_monthly": "0"}).status_code == 302
    options = check_backup_options(with_install_defaults({}))
    assert (options["autoup"], options["autoup_backup"], options["autobk"]) == (1, True, "nightly")
    schedule.delete()
    assert check_backup_options(with_install_defaults({}))["autobk"] == ""
