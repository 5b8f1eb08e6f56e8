"""Worker heartbeats on the Settings page, and the bound on waiting for a worker."""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from tests.conftest import ADMIN_PASSWORD


def _settings_page(client, **headers) -> str:
    assert client.post("/gui/login/", {"username": "admin", "password": ADMIN_PASSWORD}
                       ).status_code == 302
    response = client.get("/gui/settings/", **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_a_worker_that_stopped_beating_is_shown_silent_with_a_warning(client, admin, user):
    from apps.tasks.models import Task, Worker

    ten_minutes_ago = timezone.now() - timedelta(minutes=10, seconds=5)
    Worker.objects.create(hostname="celery@gone", pid=4242, started=ten_minutes_ago,
                          last_beat=ten_minutes_ago)
    Task.objects.create(account=user, cmd="backup")
    old = Task.objects.create(account=user, cmd="install")
    Task.objects.filter(pk=old.pk).update(created=ten_minutes_ago)
    Task.objects.create(account=user, cmd="clone", status=Task.Status.PROCESSING)

    page = _settings_page(client)
    assert "No worker has been seen for 10 minutes." in page
    assert "celery@gone" in page and "silent" in page
    # two queued, one of them past the claim bound; one running
    assert "<dd>2 <span" in page and "1 waiting for a worker" in page
    assert "<dt>Tasks running</dt><dd>1</dd>" in page

    # the card refreshes itself: the htmx request gets only the card
    partial = _settings_page(client, HTTP_HX_REQUEST="true")
    assert "<html" not in partial and 'id="workers"' in partial and "API keys" not in partial


def test_a_live_worker_is_counted_and_a_stopped_one_is_not(client, admin):
    from apps.tasks.models import Worker
    from apps.tasks.workers import beat

    beat("celery@here", 1001)
    beat("celery@here", 1001)  # one row per worker, however often it beats
    Worker.objects.create(hostname="celery@old", pid=7, stopped=timezone.now())
    assert Worker.objects.alive().count() == 1
    page = _settings_page(client)
    assert "1 worker is running" in page and "No worker has been seen" not in page


def test_waiting_gives_up_when_no_worker_claims_the_task_in_time(user):
    from apps.tasks.models import Task
    from apps.tasks.services import wait_for_task

    task = Task.objects.create(account=user, cmd="install")
    started = time.monotonic()
    seen = wait_for_task(task.id, timeout=60, claim_timeout=0.5, interval=0.1)
    assert seen.status == "queued" and time.monotonic() - started < 5
    # once claimed, the claim bound no longer applies: the full wait does
    Task.objects.filter(pk=task.pk).update(status=Task.Status.PROCESSING)
    started = time.monotonic()
    seen = wait_for_task(task.id, timeout=1.5, claim_timeout=0.1, interval=0.1)
    assert seen.status == "processing" and time.monotonic() - started >= 1.5


def test_the_reaper_may_not_be_set_to_take_living_tasks_for_dead_ones(settings):
    from apps.tasks.checks import check_stale_after

    assert check_stale_after() == []
    settings.TASK_HEARTBEAT_EVERY, settings.TASK_STALE_AFTER = 60, 120
    [error] = check_stale_after()
    assert error.id == "tasks.E001"
