"""The shared task runner: claims once, records progress and outcome, hides bugs' details."""

from __future__ import annotations

import logging

import pytest

from installatron_gui.lib.errors import InstallatronError


@pytest.fixture
def task(user):
    from apps.tasks.models import Task

    return Task.objects.create(account=user, cmd="install", url="http://alice.test")


def test_it_runs_the_service_once_and_records_completion(task):
    from apps.tasks.models import Task
    from apps.tasks.services import run_task

    calls = []

    def service(row, report):
        report(10, 50, "Copying files")
        seen = Task.objects.get(pk=row.pk)
        calls.append((seen.status, seen.percent_min, seen.percent_max, seen.message))
        return "Done here.", {"install": "abc"}

    run_task(task.id, service)
    # A redelivered message (acks_late) finds the task finished: nothing runs.
    assert run_task(task.id, service) is None
    task.refresh_from_db()
    assert calls == [("processing", 10, 50, "Copying files")]
    assert (task.status, task.percent_min, task.message, task.result) == (
        Task.Status.COMPLETED, 100, "Done here.", {"install": "abc"})
    assert task.started and task.finished


def test_a_user_fixable_error_is_shown_with_its_errcode(task):
    from apps.tasks.services import run_task

    def service(row, report):
        raise InstallatronError("The folder is full; free some space.", errcode="failed_disk")

    run_task(task.id, service)
    task.refresh_from_db()
    assert (task.status, task.errcode, task.message) == (
        "failed", "failed_disk", "The folder is full; free some space.")


def test_a_bug_is_logged_and_shown_as_generic_text(task, caplog):
    from apps.tasks.services import GENERIC_FAILURE, run_task

    def service(row, report):
        raise KeyError("secret-internal-detail")

    with caplog.at_level(logging.ERROR):
        run_task(task.id, service)
    task.refresh_from_db()
    assert task.status == "failed" and task.message == GENERIC_FAILURE
    assert "secret-internal-detail" not in task.message
    assert "secret-internal-detail" in caplog.text  # the traceback is in the log


def test_only_one_claim_wins(task):
    from apps.tasks.services import claim_task

    assert claim_task(task.id) is not None
    assert claim_task(task.id) is None


def test_wait_for_task_gives_up_after_its_timeout(task):
    from apps.tasks.services import wait_for_task

    waited = wait_for_task(task.id, timeout=0.3, interval=0.1)
    assert waited.status == "queued" and not waited.done


def test_the_install_task_with_a_vanished_install_fails_cleanly(task):
    from apps.installs.tasks import install_app

    task.install = "doesnotexist"
    task.save()
    install_app(task.id)
    task.refresh_from_db()
    assert task.status == "failed" and "no longer exists" in task.message


@pytest.mark.django_db(transaction=True)
def test_a_long_step_keeps_its_task_alive_so_the_reaper_leaves_it(user, settings):
    """The heartbeat thread beats while one step runs for longer than the stale time."""
    import time
    from datetime import timedelta

    from django.utils import timezone

    from apps.tasks.models import Task
    from apps.tasks.reaper import reap_stale_tasks
    from apps.tasks.services import run_task

    settings.TASK_HEARTBEAT_EVERY = 0.2
    row = Task.objects.create(account=user, cmd="backup", url="http://alice.test")
    seen = []

    def service(task, report):
        long_ago = timezone.now() - timedelta(hours=1)
        Task.objects.filter(pk=task.pk).update(heartbeat=long_ago)
        time.sleep(1.0)  # one step, no progress reported
        seen.append(reap_stale_tasks(seconds=600))
        return "Done.", None

    run_task(row.id, service)
    row.refresh_from_db()
    assert seen == [[]] and row.status == Task.Status.COMPLETED


def test_a_reaped_task_stops_at_its_next_progress_report(task):
    from apps.tasks.models import Task
    from apps.tasks.services import run_task

    undone, after = [], []

    def service(row, report):
        report(10, 20, "Copying files")
        # The reaper took the worker for dead meanwhile.
        Task.objects.filter(pk=row.pk).update(status=Task.Status.FAILED,
                                              errcode="failed_worker_lost")
        try:
            report(50, 60, "Creating the database")
            after.append("went on")
        finally:
            undone.append("steps undone")

    run_task(task.id, service)
    task.refresh_from_db()
    assert after == [] and undone == ["steps undone"]
    assert (task.status, task.errcode) == (Task.Status.FAILED, "failed_worker_lost")
    assert "was ended while it was still running" in task.message
