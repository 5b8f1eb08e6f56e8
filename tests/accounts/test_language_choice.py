"""Which languages the GUI offers (the console's Languages section) and the switcher every
page carries, the sign-in page included."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

LANGUAGES = "/gui/console/languages/"


def _offer(client, admin, codes, default):
    client.force_login(admin)
    return client.post(LANGUAGES, {"languages": codes, "default_language": default})


def test_the_admin_offers_some_languages_and_a_default_for_everyone_else(client, admin, user):
    from apps.accounts.models import AuditEntry
    from apps.accounts.services import create_handoff

    answer = _offer(client, admin, ["en", "de"], "fr")
    assert "must be one of the languages offered" in answer.content.decode()
    answer = _offer(client, admin, ["en", "de"], "de")
    assert answer.status_code == 302
    entry = AuditEntry.objects.get(action="languages.change")
    assert entry.actor == admin.username and "'de'" in entry.detail

    owner = Client()
    user.language = ""
    user.save()
    owner.force_login(user)
    # French is not offered: the browser's second choice, then the default.
    text = owner.get("/gui/installs/", headers={"Accept-Language": "fr,en;q=0.5"}).content.decode()
    assert "My installs" in text
    text = owner.get("/gui/installs/", headers={"Accept-Language": "fr"}).content.decode()
    assert "Meine Installationen" in text
    # Nor for an account or a hand-off that asks for it.
    user.language = "fr"
    user.save()
    owner = Client()
    owner.get(f"/index.php?s={create_handoff(user, language='fr')}")
    text = owner.get("/gui/installs/", headers={"Accept-Language": "nl"}).content.decode()
    assert "Meine Installationen" in text and "Mes installations" not in text
    # The switcher offers only the two.
    assert 'value="de" lang="de" selected>Deutsch' in text
    assert 'value="en" lang="en">English' in text and 'value="fr"' not in text.split(
        'id="language-switch"')[1].split("</select>")[0]


def test_the_switcher_changes_the_language_of_the_account_and_goes_back(client, user):
    from apps.accounts.services import create_handoff

    client.get(f"/index.php?s={create_handoff(user, language='de')}")
    text = client.get("/gui/backups/").content.decode()
    assert "Meine Sicherungen" in text and 'id="language-switch"' in text
    answer = client.post("/gui/language/", {"language": "fr", "next": "/gui/backups/"})
    assert answer.status_code == 302 and answer["Location"] == "/gui/backups/"
    assert "Mes sauvegardes" in client.get("/gui/backups/").content.decode()
    user.refresh_from_db()
    assert user.language == "fr"
    # Elsewhere is not a place to go back to; an unknown language is refused.
    answer = client.post("/gui/language/", {"language": "nl", "next": "https://evil.test/"})
    assert answer["Location"] == "/gui/"
    assert client.post("/gui/language/", {"language": "xx"}).status_code == 404


def test_the_switcher_needs_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/gui/language/", {"language": "fr"}).status_code == 403
    assert Client(enforce_csrf_checks=True).post(
        "/gui/language/", {"language": "fr"}).status_code == 403


def test_the_sign_in_page_has_the_switcher_and_the_choice_outlives_signing_in(admin):
    from tests.conftest import ADMIN_PASSWORD

    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    page = client.get("/gui/login/")
    assert 'id="language-switch"' in page.content.decode()
    token = client.cookies["csrftoken"].value
    answer = client.post("/gui/language/", {"language": "de", "next": "/gui/login/",
                                            "csrfmiddlewaretoken": token})
    assert answer.status_code == 302 and answer["Location"] == "/gui/login/"
    page = client.get("/gui/login/").content.decode()
    assert 'lang="de"' in page and "Anmelden" in page
    admin.refresh_from_db()
    assert admin.language != "de"  # nobody was signed in: no account changed
    answer = client.post("/gui/login/", {"username": admin.username, "password": ADMIN_PASSWORD,
                                         "csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert answer.status_code == 302
    assert "Meine Installationen" in client.get("/gui/installs/").content.decode()
