"""What a panel class answers counts, as in the reference (001, section 4): a generate_db
without a password gets one generated, and a create_db/remove_db answering False fails
the operation. Through the API with a real worker and a panel written like 001's sample
(tests/panels/fakes/reporting.py) on the real MySQL panel."""

from __future__ import annotations

import re

import pytest

from apps.panels.base import BasePanel, DatabaseSpec, PanelError
from tests.installs.conftest import ADMIN_PASS, databases_of, fetch, listing, owner, site  # noqa: F401

PANEL_PATH = "tests.panels.fakes.reporting.ReportingPanel"


class _Answers(BasePanel):
    """generate_db answers whatever the test gives it."""

    answer = None

    def generate_db(self, db_type, website):
        return self.answer

    def create_db(self, spec, website):
        return self.answer

    def remove_db(self, name, db_type, website):
        return self.answer


@pytest.mark.parametrize("answer", [
    ["db1", "db1", None, "localhost", None],
    ("db1", "db1", "", "localhost"),
    DatabaseSpec(name="db1", user="db1", password=None, host="localhost"),
])
def test_generate_db_without_a_password_gets_a_random_one(answer):
    panel = _Answers()
    panel.answer = answer
    spec = panel.generate_db("mysql", {"user": "bob"})
    assert (spec.name, spec.user, spec.host, spec.prefix) == ("db1", "db1", "localhost", None)
    assert re.fullmatch(r"[A-Za-z0-9]{32}", spec.password)
    panel.answer = ["db1", "db1", None, "localhost", None]
    assert panel.generate_db("mysql", {}).password != spec.password


@pytest.mark.parametrize("answer", [None, False, [], ["", "", None, "localhost", None]])
def test_generate_db_answering_nothing_is_a_failure(answer):
    panel = _Answers()
    panel.answer = answer
    with pytest.raises(PanelError) as caught:
        panel.generate_db("mysql", {})
    assert caught.value.errcode == "failed_database_create"


def test_false_from_create_db_or_remove_db_is_a_failure_none_and_true_are_not():
    panel = _Answers()
    spec = DatabaseSpec(name="db1", user="db1", password="x", host="localhost")
    for ok in (None, True):
        panel.answer = ok
        panel.create_db(spec, {})
        panel.remove_db("db1", "mysql", {})
    panel.answer = False
    with pytest.raises(PanelError) as caught:
        panel.create_db(spec, {})
    assert caught.value.errcode == "failed_database_create" and "db1" in caught.value.message
    with pytest.raises(PanelError) as caught:
        panel.remove_db("db1", "mysql", {})
    assert caught.value.errcode == "failed_database_remove"


@pytest.fixture
def reporting_worker(transactional_db, wordpress_package, wordpress_archive, monkeypatch,
                     settings, request):
    """The real worker with the reporting panel selected (here and in the worker)."""
    monkeypatch.setenv("INSTALLATRON_PACKAGES", str(wordpress_archive.store))
    monkeypatch.setenv("INSTALLATRON_PANEL_BACKENDS", f"reporting={PANEL_PATH}")
    monkeypatch.setenv("INSTALLATRON_PANEL", "reporting")
    settings.PANEL_BACKENDS = {**settings.PANEL_BACKENDS, "reporting": PANEL_PATH}
    settings.PANEL = {"BACKEND": "reporting", "OPTIONS": {}}
    return request.getfixturevalue("celery_worker")


def _website(site, fail: str = "") -> list[dict]:
    member = {"_fail": fail} if fail else {}
    return [{"id": "ws1", "path": str(site.root), "vhosts": {site.url: "public_html"},
             **member}]


@pytest.mark.slow
def test_a_panel_class_answering_like_the_reference_through_the_api(
        site, reporting_worker, api, mysql_query):
    from apps.installs.models import Install
    from apps.installs.services import connect_db

    user = site.account.username
    before = listing(site.root)

    # create_db made the database, then answered false: the install fails, nothing stays.
    response = api.v1("install", user=user, application="wordpress", url=f"{site.url}/blog",
                      passwd=ADMIN_PASS, websites=_website(site, "create_db"))
    body = response.json()
    assert response.status_code == 500, body
    assert body["errcode"] == "failed_database_create"
    assert "create_db reported a failure" in body["message"]
    assert databases_of(mysql_query, site.account) == []
    assert listing(site.root) == before
    assert Install.objects.get(account=site.account).status == Install.Status.FAILED
    Install.objects.filter(account=site.account).delete()

    # generate_db gave no password: a random one was made, and WordPress runs with it.
    response = api.v1("install", user=user, application="wordpress", url=site.url,
                      passwd=ADMIN_PASS, sitetitle="Panel Pass", websites=_website(site))
    assert response.status_code == 200, response.json()
    install = Install.objects.get(pk=response.json()["data"]["id"])
    assert install.db_created_by_panel
    assert re.fullmatch(r"[A-Za-z0-9]{32}", install.db_pass)
    connect_db(install.db_host, install.db_user, install.db_pass, install.db_name).close()
    status, home = fetch(site.url + "/")
    assert status == 200 and "<title>Panel Pass" in home

    # remove_db answered false: the uninstall fails and the install (and database) stay.
    response = api.v1("uninstall", user=user, id=install.id,
                      websites=_website(site, "remove_db"))
    body = response.json()
    assert response.status_code == 500, body
    assert body["errcode"] == "failed_database_remove"
    assert "force" in body["message"]
    assert databases_of(mysql_query, site.account) == [install.db_name]
    install.refresh_from_db()
    assert install.status == Install.Status.INSTALLED and not install.busy

    # Once the panel removes it, the uninstall finishes.
    response = api.v1("uninstall", user=user, id=install.id, websites=_website(site))
    assert response.status_code == 200, response.json()
    assert databases_of(mysql_query, site.account) == []
    assert not Install.objects.filter(pk=install.id).exists()
