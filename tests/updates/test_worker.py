"""Through the API and a real Celery worker: v1 cmd=upgrade and v2 POST
/installs/{id}/update; a worker SIGKILLed mid-update or mid-clone is reaped and says what
it left behind."""

from __future__ import annotations

import os
import signal
import time

import pytest

from .conftest import fetch, run_install

pytestmark = pytest.mark.slow


@pytest.fixture
def start_worker(transactional_db, wordpress_older_package, wordpress_archive, monkeypatch,
                 request, backup_dir):
    """Start the worker only when the test asks, after the in-process installs."""
    monkeypatch.setenv("INSTALLATRON_PACKAGES", str(wordpress_archive.store))

    def start(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return request.getfixturevalue("celery_worker")

    return start


def _wait(api, user, task_id, *, until=("completed", "failed"), timeout=240, message=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = next(t for t in api.v2("GET", "/tasks", {"user": user}).json()["data"]
                    if t["id"] == task_id)
        if task["status"] in until or (message and task["text"] == message):
            return task
        time.sleep(0.2)
    raise AssertionError(f"task {task_id} still {task['status']}: {task['text']}")


def test_v1_upgrade_and_v2_update_through_the_api(site, start_worker, api, stranger):
    first = run_install(site, f"{site.url}/one", title="First", version="6.1.8")
    second = run_install(site, f"{site.url}/two", title="Second", version="6.1.8")
    user = site.account.username
    listed = api.v1("installs", user=user, **{"filter-version-available-minor": "yes"}).json()
    assert {i["id"] for i in listed["data"]} == {first.id, second.id}
    assert listed["data"][0]["version-available-minor"] == "6.1.9"
    # Refusals answer at once, with the reference's errcodes.
    body = api.v1("upgrade", user=user, id=first.id, version="6.1.7").json()
    assert body["errcode"] == "invalid_argument_version", body
    assert api.v2("POST", f"/installs/{first.id}/update",
                  {"user": stranger.username}).status_code == 404
    dry = api.v2("POST", f"/installs/{first.id}/update", {"user": user, "dryrun": "1"}).json()
    assert dry["result"] is True and dry["data"]["version"] == "6.1.9", dry
    assert dry["data"]["version_previous"] == "6.1.8"

    worker = start_worker()
    body = api.v1("upgrade", user=user, id=first.id).json()
    assert body["result"] is True, body
    assert body["data"]["version"] == "6.1.9" and body["data"]["time-updated"]
    assert "$wp_version = '6.1.9';" in (site.docroot / "one/wp-includes/version.php").read_text()

    response = api.v2("POST", f"/installs/{second.id}/update",
                      {"user": user, "version": "6.1.9", "background": "1"})
    assert response.status_code == 200, response.json()
    task = _wait(api, user, response.json()["task"]["id"])
    assert task["status"] == "completed", task["text"]
    data = api.v2("GET", "/installs", {"user": user, "id": second.id}).json()["data"][0]
    assert data["version"] == "6.1.9" and isinstance(data["time_updated"], int)
    assert fetch(f"{site.url}/two/")[0] == 200
    listed = api.v1("installs", user=user, **{"filter-version-available": "yes"}).json()
    assert listed["data"] == []
    assert not any(second.db_pass in line for line in worker.output)


def test_a_worker_killed_mid_update_is_reaped_and_names_the_backup(site, start_worker, api):
    from apps.updates import services as updates
    from apps.installs.models import Install
    from apps.tasks.models import Task
    from apps.tasks.reaper import reap_stale_tasks

    install = run_install(site, f"{site.url}/blog", title="Killed Update", version="6.1.8")
    worker = start_worker(INSTALLATRON_TEST_UPDATE_PAUSE="120")
    user = site.account.username
    response = api.v2("POST", f"/installs/{install.id}/update", {"user": user,
                                                                "background": "1"})
    task_id = response.json()["task"]["id"]
    # Files swapped and the database upgraded; the worker sits in the site check.
    _wait(api, user, task_id, message="Checking the website", timeout=180)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    assert Task.objects.get(pk=task_id).status == "processing"
    assert reap_stale_tasks(seconds=3600) == []  # not silent for long enough yet

    assert reap_stale_tasks(seconds=0) == [task_id]

    task = Task.objects.get(pk=task_id)
    backup = task.result["backup"]
    assert task.status == "failed" and task.errcode == "failed_worker_lost"
    assert task.message.startswith("The worker stopped while updating the application")
    assert backup in task.message
    install = Install.objects.get(pk=install.pk)
    assert not install.busy and install.status == "installed"
    updates.check_update(install, {"version": "6.1.9"})  # no longer busy
    assert reap_stale_tasks(seconds=0) == []


def test_a_worker_killed_mid_clone_leaves_a_failed_install_listing_its_files(
        site, start_worker, api, mysql_query):
    from apps.backups import services
    from apps.installs import services as installs
    from apps.installs.models import Install
    from apps.tasks.models import Task
    from apps.tasks.reaper import reap_stale_tasks

    source = run_install(site, f"{site.url}/blog", title="Clone Source", version="6.1.8")
    with open(site.docroot / "blog" / "wp-content" / "big.bin", "wb") as fh:
        for _ in range(40):
            fh.write(os.urandom(8 * 1024 * 1024))
    worker = start_worker()
    plan = services.check_clone(source, {"url": f"{site.url}/copy"})
    clone, task = services.start_clone(source, plan)
    target = site.docroot / "copy"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if target.exists() and (target / "wp-content").exists():
            break
        time.sleep(0.05)
    else:
        pytest.fail("the clone never started writing files")
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)

    assert reap_stale_tasks(seconds=0) == [task.id]

    task = Task.objects.get(pk=task.pk)
    clone = Install.objects.get(pk=clone.pk)
    assert task.status == "failed" and "cloning" in task.message
    assert clone.status == "failed" and not clone.busy
    assert "wp-content" in clone.list_files and "uninstall it with force" in task.message
    assert not Install.objects.get(pk=source.pk).busy
    # Uninstall with force removes what the half-finished clone left.
    uninstall = installs.start_uninstall(clone, force=True)
    from apps.installs import tasks

    tasks.uninstall_app(uninstall.id, True)
    assert not any(target.iterdir()) if target.exists() else True
