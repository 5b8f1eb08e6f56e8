"""Issue 14: updates are visible where people look (My installs, Home), not only on each
install's own page; issue 16: finding them costs one query for a whole page of installs."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog.models import Package
from tests.installs.test_gui import _make_install


def _store(*versions):
    for version in versions:
        Package.objects.create(application="wordpress", version=version, branch="current",
                               archive=f"wordpress-{version}.tar.gz", sha256="0" * 64, size=1)


def test_my_installs_marks_the_installs_that_can_be_updated(client, user):
    _store("6.1.8", "6.1.9")
    old = _make_install(user, version="6.1.8", path="public_html/old", url="http://alice.test/old")
    new = _make_install(user, version="6.1.9", path="public_html/new", url="http://alice.test/new")
    client.force_login(user)
    page = client.get("/gui/installs/").content.decode()
    assert f'href="/gui/installs/{old.pk}/update/">Update to 6.1.9</a>' in page
    assert f"/gui/installs/{new.pk}/update/" not in page
    only = client.get("/gui/installs/?updates=1").content.decode()
    assert f"install-{old.pk}" in only and f"install-{new.pk}" not in only


def test_home_says_how_many_installs_can_be_updated(client, user):
    _store("6.1.8", "6.1.9")
    client.force_login(user)
    assert "hx-get=\"/gui/installs/updates-notice/\"" in client.get("/gui/").content.decode()
    assert "can be updated" not in client.get("/gui/installs/updates-notice/").content.decode()
    _make_install(user, version="6.1.8", path="public_html/a", url="http://alice.test/a")
    _make_install(user, version="6.1.8", path="public_html/b", url="http://alice.test/b")
    notice = client.get("/gui/installs/updates-notice/").content.decode()
    assert "2 of your installs can be updated." in notice and "?updates=1" in notice


def test_the_list_costs_the_same_queries_for_3_or_30_installs(client, user):
    _store("6.1.8", "6.1.9")
    client.force_login(user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/gui/installs/").status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        _make_install(user, version="6.1.8", path=f"public_html/a{i}", url=f"http://alice.test/a{i}")
    queries()  # the first request of a session also records the session's activity
    few = queries()
    for i in range(3, 30):
        _make_install(user, version="6.1.8", path=f"public_html/a{i}", url=f"http://alice.test/a{i}")
    assert queries() == few


def test_the_installs_api_costs_the_same_queries_for_3_or_30_installs(client, user, api_key):
    """Issue 16: every row's version-available came from its own query."""
    _store("6.1.8", "6.1.9")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            reply = client.get(f"/installs?key={api_key}&limit=100")
        assert reply.status_code == 200
        rows = reply.json()["data"]
        assert all(r["version_available"] == "6.1.9" for r in rows) or \
            all(r.get("version-available") == "6.1.9" for r in rows), rows[:1]
        return len(ctx.captured_queries)

    for i in range(3):
        _make_install(user, version="6.1.8", path=f"public_html/a{i}", url=f"http://alice.test/a{i}")
    few = queries()
    for i in range(3, 30):
        _make_install(user, version="6.1.8", path=f"public_html/a{i}", url=f"http://alice.test/a{i}")
    assert queries() == few
