"""Automatic updates and automatic backups: the beat jobs called directly, the tasks they
queue run in this process (their bodies), on a real WordPress."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from .conftest import db_rows


def test_autoupdate_notifies_once_and_updates_within_the_branch(old_install, mailoutbox):
    from apps.installs.models import Install
    from apps.tasks.models import Task
    from apps.updates import schedules, tasks

    Install.objects.filter(pk=old_install.pk).update(autoup=0)
    assert schedules.run_autoupdates() == []
    def available():
        return [m for m in mailoutbox if m.subject.startswith("An update is available")]

    assert len(available()) == 1 and "6.1.9" in available()[0].body
    assert schedules.run_autoupdates() == [] and len(available()) == 1  # not twice

    Install.objects.filter(pk=old_install.pk).update(autoup=1)
    started = schedules.run_autoupdates()
    assert len(started) == 1
    install = Install.objects.get(pk=old_install.pk)
    assert install.busy and install.version_autouped == "6.1.9"
    assert install.version_autouped_attempts == 1
    assert schedules.run_autoupdates() == []  # busy: nothing twice
    tasks.update_app(started[0], "6.1.9", False, "", "", True)
    task = Task.objects.get(pk=started[0])
    assert task.status == "completed", task.message
    install = Install.objects.get(pk=old_install.pk)
    assert install.version == "6.1.9" and not install.busy
    assert install.version_autouped == "6.1.9" and install.version_autouped_attempts == 0
    assert schedules.run_autoupdates() == []  # up to date


def test_automatic_backups_keep_their_counts_and_never_the_last_good_one(old_install,
                                                                        mailoutbox):
    from apps.backups import schedules, tasks
    from apps.backups.models import Backup
    from apps.installs.models import Install
    from apps.tasks.models import Task

    Install.objects.filter(pk=old_install.pk).update(autobk="custom", autobk_daily=2,
                                                     autobk_weekly=1, autobk_monthly=0)
    now = timezone.now()

    def run(at) -> list[str]:
        made = []
        for task_id in schedules.run_autobackups(at):
            install = Install.objects.get(pk=old_install.pk)
            periods = schedules.due_periods(install, at)
            tasks.autobackup_install(task_id, ",".join(periods))
            task = Task.objects.get(pk=task_id)
            made.append((task.status, task.result and task.result.get("backup"), task.message))
        return made

    first = run(now)
    assert [m[0] for m in first] == ["completed"]
    b1 = first[0][1]
    assert run(now + timedelta(minutes=30)) == []  # nothing due yet
    b2 = run(now + timedelta(days=1))[0][1]
    b3 = run(now + timedelta(days=2))[0][1]
    state = Install.objects.get(pk=old_install.pk).autobk_state
    assert state["daily"] == [b3, b2] and state["weekly"] == [b1]
    assert set(Backup.objects.values_list("pk", flat=True)) == {b1, b2, b3}
    b4 = run(now + timedelta(days=3))[0][1]
    assert set(Backup.objects.values_list("pk", flat=True)) == {b1, b3, b4}  # b2 aged out

    # A backup that fails (the database refuses the install's account): nothing is
    # removed, the error is mailed.
    password = Install.objects.get(pk=old_install.pk).db_pass
    install = Install.objects.get(pk=old_install.pk)
    install.db_pass = "wrong-password"
    install.save(update_fields=["db_pass"])
    failed = run(now + timedelta(days=4))
    assert failed[0][0] == "failed" and "wrong-password" not in failed[0][2]
    assert set(Backup.objects.values_list("pk", flat=True)) == {b1, b3, b4}
    assert any(m.subject.startswith("The automatic backup of") for m in mailoutbox)
    install.db_pass = password
    install.save(update_fields=["db_pass"])
    assert not Install.objects.get(pk=old_install.pk).busy
    assert db_rows(install, "SELECT 1") == ((1,),)


def test_a_backup_schedule_id_is_accepted_and_its_counts_are_kept(old_install, api):
    """autobk=<schedule id>: the administrator's schedule (manage.py backupschedule)."""
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from apps.backups import schedules, tasks
    from apps.backups.models import Backup
    from apps.installs.models import Install

    body = api.v1("edit", user=old_install.account.username, id=old_install.id,
                  autobk="nightly").json()
    assert body["errcode"] == "invalid_argument_autobk_schedule"
    call_command("backupschedule", "nightly", "--daily", "1", "--description", "Nightly",
                 stdout=io.StringIO())
    body = api.v1("edit", user=old_install.account.username, id=old_install.id,
                  autobk="nightly").json()
    assert body["result"] is True, body
    assert api.v2("GET", f"/installs/{old_install.id}").json()["data"]["autobk_schedule"] == \
        "nightly"
    install = Install.objects.get(pk=old_install.pk)
    assert install.autobk == "nightly" and install.backup_counts() == {
        "daily": 1, "weekly": 0, "monthly": 0}

    now = timezone.now()
    made = []
    for at in (now, now + timedelta(days=1)):
        for task_id in schedules.run_autobackups(at):
            tasks.autobackup_install(task_id, ",".join(
                schedules.due_periods(Install.objects.get(pk=install.pk), at)))
            made.append(task_id)
    assert len(made) == 2
    assert Backup.objects.filter(install=install).count() == 1  # the schedule keeps one
    with pytest.raises(CommandError, match="still use"):
        call_command("backupschedule", "nightly", "--delete")
    out = io.StringIO()
    call_command("backupschedule", stdout=out)
    assert out.getvalue().startswith("nightly\t1 daily, 0 weekly, 0 monthly\t1 install(s)")
