"""Path hooks (sections 4.1/4.2): website_path, secondary_path and release_idle_paths,
with a custom panel class registered the way docs/panels.md tells panel authors to."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.panels.base import BasePanel, PanelError, get_panel
from apps.panels.models import PathLease
from apps.panels.mysql import MysqlPanel
from apps.panels.services import release_idle_paths, secondary_path, website_path
from tests.installs.conftest import fetch, owner, site  # noqa: F401  (fixtures)

CALLS: list[tuple[str, str]] = []


class OnDemandPanel(BasePanel):
    """A custom panel whose paths exist only while enabled."""

    def enable_path(self, website):
        CALLS.append(("enable_path", website["id"]))
        return self.options.get("path")

    def disable_path(self, website):
        CALLS.append(("disable_path", website["id"]))
        if self.options.get("fail_disable"):
            raise PanelError("panel is down")

    def enable_secondary_path(self, website):
        CALLS.append(("enable_secondary_path", website["id"]))
        return self.options.get("ssh")

    def disable_secondary_path(self, website):
        CALLS.append(("disable_secondary_path", website["id"]))


@pytest.fixture
def panel(settings):
    CALLS.clear()
    settings.PANEL_BACKENDS = {**settings.PANEL_BACKENDS,
                               "ondemand": f"{__name__}.OnDemandPanel"}
    settings.PANEL = {"BACKEND": "ondemand",
                      "OPTIONS": {"path": "sftp://u:temp-pass@10.0.0.5/web",
                                  "ssh": "ssh://u:temp-pass@10.0.0.5/web"}}
    assert isinstance(get_panel(), OnDemandPanel)


@pytest.fixture
def pathless(user):
    website = user.websites.get()
    website.path = ""
    website.save()
    return website


def test_the_header_path_wins_and_no_hook_is_called(panel, user):
    website = user.websites.get()
    with website_path(website) as path:
        assert path == website.path
    assert CALLS == [] and not PathLease.objects.exists()


def test_a_missing_path_comes_from_enable_path_and_is_recorded(panel, pathless):
    with website_path(pathless) as path:
        assert path == "sftp://u:temp-pass@10.0.0.5/web"
        assert PathLease.objects.get(website=pathless).in_use == 1
    lease = PathLease.objects.get(website=pathless)
    assert lease.in_use == 0 and CALLS == [("enable_path", "ws1")]


def test_no_path_anywhere_is_a_panel_error(settings, panel, pathless):
    settings.PANEL = {"BACKEND": "ondemand", "OPTIONS": {}}
    with pytest.raises(PanelError, match="no path"):
        with website_path(pathless):
            pass
    assert PathLease.objects.get(website=pathless).in_use == 0


def test_idle_paths_are_released_after_the_idle_time_only(panel, pathless, settings):
    settings.PATH_IDLE_RELEASE = 1800
    with website_path(pathless):
        pass
    now = timezone.now()
    assert release_idle_paths(now=now + timedelta(minutes=29)) == 0
    assert release_idle_paths(now=now + timedelta(minutes=31)) == 1
    assert CALLS[-1] == ("disable_path", "ws1") and not PathLease.objects.exists()
    assert release_idle_paths(now=now + timedelta(hours=5)) == 0  # released once


def test_a_path_in_use_is_kept_until_the_four_hour_ceiling(panel, pathless):
    with website_path(pathless):
        now = timezone.now()
        assert release_idle_paths(now=now + timedelta(hours=1)) == 0
        assert release_idle_paths(now=now + timedelta(hours=4, minutes=1)) == 1


def test_a_session_action_restarts_the_idle_clock(panel, pathless):
    from apps.panels.services import record_path_action

    with website_path(pathless):
        pass
    PathLease.objects.update(last_action=timezone.now() - timedelta(minutes=40))
    record_path_action(pathless)
    assert release_idle_paths() == 0


def test_a_failed_disable_keeps_the_lease_for_the_next_run(settings, panel, pathless):
    with website_path(pathless):
        pass
    settings.PANEL = {"BACKEND": "ondemand", "OPTIONS": {"fail_disable": True}}
    assert release_idle_paths(now=timezone.now() + timedelta(hours=1)) == 0
    assert PathLease.objects.filter(website=pathless).exists()


def test_the_secondary_path_is_disabled_right_after_the_work(panel, user):
    website = user.websites.get()
    with pytest.raises(RuntimeError):
        with secondary_path(website) as uri:
            assert uri == "ssh://u:temp-pass@10.0.0.5/web"
            assert CALLS == [("enable_secondary_path", "ws1")]
            raise RuntimeError("file work failed")
    assert CALLS[-1] == ("disable_secondary_path", "ws1")


def test_no_secondary_path_means_none_and_no_disable(settings, panel, user):
    settings.PANEL = {"BACKEND": "ondemand", "OPTIONS": {}}
    with secondary_path(user.websites.get()) as uri:
        assert uri is None
    assert CALLS == [("enable_secondary_path", "ws1")]


def test_the_release_job_is_a_periodic_celery_task(panel, pathless):
    from installatron_gui.celery import app
    from apps.panels import tasks

    assert app.conf.beat_schedule["panels.release_idle_paths"]["task"] == \
        "panels.release_idle_paths"
    with website_path(pathless):
        pass
    PathLease.objects.update(last_action=timezone.now() - timedelta(hours=2))
    assert tasks.release_idle_paths.apply().get() == 1


def test_the_header_may_leave_the_path_out_only_when_the_panel_provides_paths(
        settings, panel, api):
    from apps.accounts.models import Website

    header = {"user": "onde", "websites": [{"id": "w1", "vhosts": {"http://onde.test": ""}}]}
    assert api.v1("edituser", **header).json()["result"] is True
    assert Website.objects.get(account__username="onde").path == ""
    settings.PANEL = {"BACKEND": "mysql", "OPTIONS": {}}
    refused = api.v1("edituser", **{**header, "user": "onde2"}).json()
    assert refused["errcode"] == "invalid_argument_websites"


def test_a_gui_request_restarts_the_idle_clock(client, panel, pathless):
    with website_path(pathless):
        pass
    PathLease.objects.update(last_action=timezone.now() - timedelta(minutes=40))
    client.force_login(pathless.account)
    assert client.get("/gui/").status_code == 200
    assert release_idle_paths() == 0
    assert client.get("/static/css/app.css").status_code in (200, 404)  # not a GUI page
    PathLease.objects.update(last_action=timezone.now() - timedelta(minutes=40))
    assert release_idle_paths() == 1


class OnDemandMysqlPanel(MysqlPanel):
    """The built-in database backend, with the website's path given only on demand."""

    def enable_path(self, website):
        CALLS.append(("enable_path", website["id"]))
        return self.options["path"]

    def disable_path(self, website):
        CALLS.append(("disable_path", website["id"]))


@pytest.mark.slow
def test_wordpress_installs_through_a_path_the_panel_gives_on_demand(settings, site,
                                                                     wordpress_package):
    from tests.backups.conftest import run_install

    CALLS.clear()
    settings.PANEL_BACKENDS = {**settings.PANEL_BACKENDS,
                               "ondemand-mysql": f"{__name__}.OnDemandMysqlPanel"}
    settings.PANEL = {"BACKEND": "ondemand-mysql", "OPTIONS": {"path": str(site.root)}}
    site.website.path = ""
    site.website.save()
    install = run_install(site, site.url + "/blog", title="On Demand Blog")
    assert ("enable_path", "ws1") in CALLS
    status, body = fetch(install.url + "/")
    assert status == 200 and "On Demand Blog" in body
    assert PathLease.objects.get(website=site.website).in_use == 0
    assert release_idle_paths(now=timezone.now() + timedelta(minutes=31)) == 1
    assert CALLS[-1] == ("disable_path", "ws1")
