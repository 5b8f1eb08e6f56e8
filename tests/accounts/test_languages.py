"""Issue 14: the GUI speaks German, Spanish, French and Dutch besides English, chosen by the
hand-off, the account, or the browser; a language we do not have never mixes into a page."""

from __future__ import annotations

import pytest

from apps.accounts import services

MY_INSTALLS = {"en": "My installs", "de": "Meine Installationen", "es": "Mis instalaciones",
               "fr": "Mes installations", "nl": "Mijn installaties"}


@pytest.mark.parametrize("code", sorted(MY_INSTALLS))
def test_the_hand_off_language_translates_our_pages(client, user, code):
    client.get(f"/index.php?s={services.create_handoff(user, language=code)}")
    answer = client.get("/gui/installs/")
    text = answer.content.decode()
    assert MY_INSTALLS[code] in text
    assert f'<html lang="{code}">' in text and answer["Content-Language"] == code


def test_the_browser_language_is_used_when_nobody_chose_one(client, user):
    user.language = ""
    user.save()
    client.force_login(user)
    answer = client.get("/gui/installs/", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert "Mes installations" in answer.content.decode()
    assert "Accept-Language" in answer["Vary"]


def test_the_account_language_wins_over_the_browser(client, user):
    user.language = "nl"
    user.save()
    client.force_login(user)
    answer = client.get("/gui/installs/", headers={"Accept-Language": "de"})
    assert "Mijn installaties" in answer.content.decode()


def test_a_language_we_do_not_have_gives_one_language_not_two(client, admin):
    """Italian is not translated: the page is English throughout, Django's own messages
    included (they used to switch alone: a German sentence inside an English form)."""
    admin.language = "it"
    admin.save()
    client.force_login(admin)
    answer = client.post("/gui/accounts/new/", {"username": "", "kind": "user"})
    text = answer.content.decode()
    assert "This field is required." in text and "New account" in text
    assert answer["Content-Language"] == "en"


def test_django_messages_follow_our_language(client, admin):
    admin.language = "de"
    admin.save()
    client.force_login(admin)
    text = client.post("/gui/accounts/new/", {"username": "", "kind": "user"}).content.decode()
    assert "Dieses Feld ist zwingend erforderlich." in text and "Neues Konto" in text


def test_the_account_form_offers_the_gui_languages(client, admin, user):
    user.language = "pt_br"  # set by a panel through the API
    user.save()
    client.force_login(admin)
    text = client.get(f"/gui/accounts/{user.username}/").content.decode()
    for name in ("Deutsch", "Español", "Français", "Nederlands", "English"):
        assert f">{name}</option>" in text
    # A panel's code the GUI has no translation for is kept, not lost on the next save.
    assert '<option value="pt_br" selected>pt_br</option>' in text
