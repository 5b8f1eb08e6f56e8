"""Issue 15: a GUI session left alone is signed out; spent sessions and hand-off ids are
cleaned up by a periodic job."""

from __future__ import annotations

import time
from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone

from apps.accounts import services
from apps.accounts.middleware import SEEN_KEY
from apps.accounts.models import Handoff, LoginFailure, hash_handoff_id


def _idle_for(client, seconds: int) -> None:
    session = client.session
    session[SEEN_KEY] = int(time.time()) - seconds
    session.save()


def test_an_idle_session_is_signed_out_with_a_page_that_says_why(client, user, settings):
    settings.SESSION_IDLE_TIMEOUT = 1800
    client.get(f"/index.php?s={services.create_handoff(user)}")
    assert client.get("/gui/installs/").status_code == 200
    _idle_for(client, 1801)
    answer = client.get("/gui/installs/")
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "You were signed out" in text and "30 minutes" in text
    assert "My installs" not in text
    # Signed out for good: the next page asks for a sign-in.
    assert client.get("/gui/installs/").status_code == 302


def test_activity_within_the_window_keeps_the_session(client, user, settings):
    settings.SESSION_IDLE_TIMEOUT = 1800
    client.get(f"/index.php?s={services.create_handoff(user)}")
    _idle_for(client, 1700)
    assert client.get("/gui/installs/").status_code == 200
    # That request counted as activity: the clock starts again.
    assert int(time.time()) - client.session[SEEN_KEY] < 5
    assert client.get("/gui/installs/").status_code == 200


def test_an_htmx_poll_after_the_idle_time_reloads_the_page(client, user, settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    client.get(f"/index.php?s={services.create_handoff(user)}")
    _idle_for(client, 61)
    answer = client.get("/gui/tasks/", headers={"HX-Request": "true"})
    assert answer.status_code == 204 and answer.headers["HX-Refresh"] == "true"
    assert client.get("/gui/tasks/").status_code == 302


def test_a_new_sign_in_link_works_in_a_browser_whose_session_went_idle(client, user, settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    client.get(f"/index.php?s={services.create_handoff(user)}")
    _idle_for(client, 3600)
    answer = client.get(f"/index.php?s={services.create_handoff(user)}")
    assert answer.status_code == 302
    assert client.get("/gui/installs/").status_code == 200


def test_the_clean_up_deletes_only_what_no_longer_serves(client, user, settings):
    client.get(f"/index.php?s={services.create_handoff(user)}")  # one live session
    now = timezone.now()
    Session.objects.create(session_key="x" * 32, session_data="", expire_date=now - timedelta(1))
    services.create_handoff(user)  # fresh, unused: kept
    old = services.create_handoff(user)
    Handoff.objects.filter(id_hash=hash_handoff_id(old)).update(expires=now - timedelta(days=2))
    LoginFailure.objects.create(username="admin", time=now - timedelta(days=30))
    LoginFailure.objects.create(username="admin")
    counts = services.clear_stale_rows()
    assert counts == {"sessions": 1, "handoffs": 1, "login_failures": 1}, counts
    assert Session.objects.count() == 1 and Handoff.objects.count() == 2
    assert LoginFailure.objects.count() == 1
    # The job is scheduled.
    from installatron_gui.celery import app

    assert app.conf.beat_schedule["accounts.clear_stale_rows"]["task"] == "accounts.clear_stale_rows"


def test_an_address_trying_many_sign_in_links_gets_429_and_others_do_not(client, user,
                                                                         settings):
    settings.HANDOFF_FAILURE_LIMIT = 3
    for _ in range(3):
        assert client.get("/index.php?s=" + "0" * 64).status_code == 403
    good = services.create_handoff(user)
    answer = client.get(f"/index.php?s={good}")
    assert answer.status_code == 429 and "Too many sign-in links" in answer.content.decode()
    # The good link was not looked at, so it still works from another address.
    other = client.get(f"/index.php?s={good}", REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 302
    assert client.get("/gui/installs/", REMOTE_ADDR="192.0.2.7").status_code == 200
