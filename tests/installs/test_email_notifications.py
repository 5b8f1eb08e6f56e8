"""Email notifications for real (issue 14, deliver 7): a real worker installs WordPress and
its "install" email goes over SMTP, through the mail server set in the admin console, to a
local SMTP server the test starts; in the owner's language and its reseller's brand."""

from __future__ import annotations

import time

import pytest
from django.core import mail

from .conftest import ADMIN_PASS

pytestmark = pytest.mark.slow


def _use_mailbox(box, **extra):
    from apps.accounts.models import SiteSettings

    SiteSettings.objects.update_or_create(pk=1, defaults={
        "smtp_host": box.host, "smtp_port": box.port, "smtp_user": box.user,
        "smtp_password": box.password, "smtp_from": "noreply@hostiva.test", **extra})


def _wait_for(predicate, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def worker(transactional_db, wordpress_package, wordpress_archive, monkeypatch, request):
    monkeypatch.setenv("INSTALLATRON_PACKAGES", str(wordpress_archive.store))
    return request.getfixturevalue("celery_worker")


def test_the_worker_emails_a_german_branded_install_notice_over_smtp(
        site, worker, api, smtp_server, reseller):
    from apps.accounts.models import Branding

    Branding.objects.create(account=reseller, name="Hostiva Sites")
    _use_mailbox(smtp_server)
    # The panel hands its customer in with language=de, as the e2e flow does.
    handoff = api.v1("guixfer", user=site.account.username, language="de")
    assert handoff.json()["result"] is True, handoff.json()
    response = api.v1(
        "install", user=site.account.username, application="wordpress", url=site.url,
        login="chief", passwd=ADMIN_PASS, email="chief@example.com", sitetitle="Mein Blog",
        notification="install,backup")
    assert response.status_code == 200 and response.json()["result"] is True, response.json()

    assert _wait_for(lambda: smtp_server.messages), "no email reached the SMTP server"
    [received] = smtp_server.messages
    assert received.subject == "[Hostiva Sites] Mein Blog wurde installiert"
    assert received.recipients == ["owner@example.com"]
    assert received.sender == "noreply@hostiva.test"
    assert received.login == "mailer" and smtp_server.logins == [("mailer", True)]
    body = received.body
    assert "Mein Blog wurde installiert" in body and site.url in body
    assert body.rstrip().endswith("Hostiva Sites")
    # Never a secret in the email or in the worker's log.
    assert ADMIN_PASS not in body and smtp_server.password not in "".join(worker.output)


def test_an_english_owner_without_a_brand_gets_the_plain_product_name(
        user, smtp_server, settings):
    """In-process, the same backend: English, no brand prefix, the console's sender."""
    from apps.installs.models import Install
    from apps.installs.notifications import notify

    settings.EMAIL_BACKEND = "apps.accounts.mail.ConfiguredEmailBackend"
    _use_mailbox(smtp_server, smtp_from="")
    install = Install.objects.create(
        account=user, website=user.websites.first(), installer="wordpress", version="6.1",
        url="http://alice.test/blog", title="Alice's blog", notification=["backup_error"])
    assert notify(install, "install") is False  # not asked for
    assert notify(install, "backup_error", message="The disk is full.") is True
    [received] = smtp_server.messages
    assert received.subject == "The backup of Alice's blog failed"
    assert received.sender == settings.DEFAULT_FROM_EMAIL
    assert "The disk is full." in received.body
    assert received.body.rstrip().endswith("App Installer")


def test_a_mail_server_that_refuses_the_login_never_fails_the_task(user, smtp_server, settings):
    from apps.installs.models import Install
    from apps.installs.notifications import notify

    settings.EMAIL_BACKEND = "apps.accounts.mail.ConfiguredEmailBackend"
    _use_mailbox(smtp_server, smtp_password="wrong")
    install = Install.objects.create(
        account=user, website=user.websites.first(), installer="wordpress", version="6.1",
        url="http://alice.test/blog", title="Blog", notification=["all"])
    assert notify(install, "update", version="6.2", previous="6.1") is False
    assert smtp_server.messages == [] and smtp_server.logins
    assert all(user == "mailer" and not ok for user, ok in smtp_server.logins)
    assert mail.outbox == []


def test_the_email_language_is_the_accounts_else_its_last_hand_offs_else_english(user):
    from apps.accounts import services
    from apps.accounts.mail import mail_language

    assert mail_language(user) == "en"
    services.create_handoff(user, language="xx")  # no translation: not given
    assert mail_language(user) == "en"
    services.create_handoff(user, language="fr")
    assert mail_language(user) == "fr"
    user.language = "nl"
    assert mail_language(user) == "nl"
