"""No call waits forever: with no worker, a synchronous install answers failed_no_worker
within INSTALLATRON_API_CLAIM_WAIT, the task stays queued (tasks API, GUI "Waiting for a
worker…"), and a worker started later runs it; Settings shows the worker's heartbeat."""

from __future__ import annotations

import time

import pytest

from tests.fixtures.browser import screenshot
from tests.fixtures.services import stop_group

from .conftest import ADMIN_PASS, fetch

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


def _shots(page, url: str, name: str, text: str) -> None:
    """The page at phone and desktop width, each with ``text`` shown and no sideways scroll."""
    from playwright.sync_api import expect

    for label, size in (("390", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.goto(url)
        expect(page.get_by_text(text).first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], label
        screenshot(page, f"{name}-{label}")


def test_a_sync_install_without_a_worker_answers_in_time_and_runs_when_a_worker_starts(
        live_server, site, admin, wordpress_package, wordpress_archive, api, settings,
        monkeypatch, request, page):
    from apps.accounts.services import create_handoff
    from apps.installs.models import Install
    from apps.tasks.models import Task, Worker

    settings.INSTALLATRON_API_CLAIM_WAIT = 2
    user = site.account.username
    started = time.monotonic()
    response = api.v1("install", user=user, application="wordpress", url=f"{site.url}/late",
                      passwd=ADMIN_PASS, sitetitle="Came Late")
    elapsed = time.monotonic() - started
    body = response.json()
    assert (response.status_code, body["result"], body["errcode"]) == (503, False,
                                                                        "failed_no_worker"), body
    assert elapsed < 2 + 5, elapsed
    task_id = body["task"]
    assert isinstance(task_id, str) and task_id in body["message"]
    assert ADMIN_PASS not in response.content.decode()

    # The task is still there, queued, in the tasks API and in the GUI.
    task = Task.objects.get(pk=task_id)
    assert (task.status, task.cmd) == ("queued", "install")
    listed = api.v1("tasks", user=user).json()["data"]
    assert [(t["id"], t["status"]) for t in listed] == [(task_id, "queued")]
    assert task.waiting_for_worker and str(task.status_label) == "Waiting for a worker…"

    page.goto(live_server.url + "/index.php?s=" + create_handoff(site.account))
    _shots(page, live_server.url + "/gui/tasks/", "no-worker-tasks", "Waiting for a worker…")
    page.goto(live_server.url + f"/gui/installs/{task.install}/")
    page.get_by_text("Waiting for a worker…").first.wait_for()
    screenshot(page, "no-worker-install-progress")

    page.goto(live_server.url + "/index.php?s=" + create_handoff(admin))
    _shots(page, live_server.url + "/gui/settings/", "no-worker-settings",
           "No worker has been seen yet.")
    assert "1 waiting for a worker" in page.content()

    # A worker comes: it beats, Settings shows it, and it runs the queued install.
    monkeypatch.setenv("INSTALLATRON_PACKAGES", str(wordpress_archive.store))
    monkeypatch.setenv("INSTALLATRON_WORKER_BEAT_EVERY", "1")
    worker = request.getfixturevalue("celery_worker")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        task.refresh_from_db()
        if task.done:
            break
        time.sleep(0.5)
    assert task.status == "completed", task.message
    install = Install.objects.get(pk=task.install)
    assert install.status == "installed"
    status, home = fetch(f"{site.url}/late/")
    assert status == 200 and "<title>Came Late" in home

    row = Worker.objects.get()
    assert row.alive and row.pid == worker.pid
    settings.INSTALLATRON_WORKER_BEAT_EVERY = 1
    _shots(page, live_server.url + "/gui/settings/", "worker-settings", "1 worker is running")
    assert row.hostname in page.content()

    # A stopped worker says so; Settings warns that none runs.
    stop_group(worker)
    row.refresh_from_db()
    assert row.stopped is not None and not row.alive
    page.goto(live_server.url + "/gui/settings/")
    page.get_by_text("No worker has been seen for 0 minutes.").wait_for()
