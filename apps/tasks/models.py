"""Task rows: what the tasks API returns and what GUI progress bars read.

Celery only carries ids; status, percent and message live here (never in a result backend).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Account, within
from installatron_gui.lib.errors import InstallatronError


class TaskEnded(InstallatronError):
    """The task row was ended (by the reaper) while its worker was still running it."""

    def __init__(self, message: str):
        super().__init__(message, errcode="failed_worker_lost", status=500)


def new_task_id() -> str:
    # Installatron's task ids are long decimal strings.
    return str(secrets.randbelow(10**18 - 10**17) + 10**17)


class TaskQuerySet(models.QuerySet):
    def visible_to(self, principal: Account) -> TaskQuerySet:
        return self.filter(within(principal))

    def running(self) -> TaskQuerySet:
        return self.filter(status__in=[Task.Status.QUEUED, Task.Status.PROCESSING])


# The reference's cmd names, as a person reads them.
VERBS = {
    "install": _("Install"),
    "uninstall": _("Uninstall"),
    "upgrade": _("Update"),
    "backup": _("Backup"),
    "restore": _("Restore"),
    "clone": _("Clone"),
    "delete": _("Delete backup"),
    "import": _("Import"),
    "restoreto": _("Restore elsewhere"),
    "edit": _("Change settings"),
    "location": _("Test a backup location"),
}


class Task(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        PROCESSING = "processing", _("Processing")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")

    id = models.CharField(primary_key=True, max_length=24, default=new_task_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tasks")
    ws_label = models.CharField(max_length=255, blank=True, default="")
    cmd = models.CharField(max_length=32)
    url = models.CharField(max_length=2048, blank=True, default="")
    title = models.CharField(max_length=255, blank=True, default="")
    label = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    percent_min = models.PositiveSmallIntegerField(default=0)
    percent_max = models.PositiveSmallIntegerField(default=0)
    message = models.TextField(blank=True, default="")
    # Bytes per second of the files the task moves (RateMeter); 0 when it moves none.
    rate = models.PositiveBigIntegerField(default=0)
    errcode = models.CharField(max_length=64, blank=True, default="")
    # The install the task works on (id string, so the row outlives the install).
    install = models.CharField(max_length=32, blank=True, default="")
    # What the task produced (e.g. the install id or backup id), for the API's reply.
    result = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    # Celery worker hostname that claimed it; a stale claim is how a killed worker shows.
    worker = models.CharField(max_length=255, blank=True, default="")
    heartbeat = models.DateTimeField(null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.cmd} {self.id} ({self.status})"

    @property
    def verb(self) -> str:
        """The task's command as a person reads it ("Backup", "Update")."""
        return str(VERBS.get(self.cmd, self.cmd.capitalize()))

    @property
    def done(self) -> bool:
        return self.status in {self.Status.COMPLETED, self.Status.FAILED}

    @property
    def waiting_for_worker(self) -> bool:
        """Queued for longer than a worker takes to claim a task: none is taking it."""
        return (self.status == self.Status.QUEUED
                and timezone.now() - self.created > timedelta(seconds=claim_wait()))

    @property
    def status_label(self) -> str:
        """What the progress bar says: "Queued" turns into "Waiting for a worker"."""
        if self.waiting_for_worker:
            return str(_("Waiting for a worker…"))
        return self.get_status_display()

    def progress(self, percent_min: int, percent_max: int | None = None, message: str = "") -> None:
        """Record progress; cheap enough to call between every step."""
        self.percent_min = max(0, min(100, percent_min))
        self.percent_max = max(self.percent_min, min(100, percent_max or percent_min))
        if message:
            self.message = message
        self.heartbeat = timezone.now()
        if self.status == self.Status.QUEUED:
            self.status = self.Status.PROCESSING
            self.started = self.started or self.heartbeat
        updated = Task.objects.filter(pk=self.pk).exclude(
            status__in=[self.Status.COMPLETED, self.Status.FAILED]).update(
            percent_min=self.percent_min, percent_max=self.percent_max, message=self.message,
            heartbeat=self.heartbeat, status=self.status, started=self.started,
        )
        if not updated:
            # Ended meanwhile (the reaper took it for dead): stop here, so the steps done
            # so far are undone, rather than go on without the install's fence.
            raise TaskEnded("This task was ended while it was still running (it showed no "
                            "sign of life for too long); what it had done was undone.")

    def mark_completed(self, message: str = "", result=None) -> None:
        self.status = self.Status.COMPLETED
        self.percent_min = self.percent_max = 100
        self.message = message or self.message
        self.result = result
        self.finished = timezone.now()
        self.save()

    def mark_failed(self, message: str, errcode: str = "failed") -> None:
        self.status = self.Status.FAILED
        self.message = message
        self.errcode = errcode
        self.finished = timezone.now()
        self.save()


def claim_wait() -> float:
    """Seconds a queued task may wait for a worker before callers are told none took it."""
    return float(getattr(settings, "INSTALLATRON_API_CLAIM_WAIT", 30))


def worker_beat_every() -> float:
    return float(getattr(settings, "INSTALLATRON_WORKER_BEAT_EVERY", 15))


class WorkerQuerySet(models.QuerySet):
    def alive(self, now=None) -> WorkerQuerySet:
        """Workers that beat recently (three beats may be missed) and did not stop."""
        now = now or timezone.now()
        cutoff = now - timedelta(seconds=3 * worker_beat_every())
        return self.filter(stopped__isnull=True, last_beat__gte=cutoff)


class Worker(models.Model):
    """A Celery worker process, as its own heartbeat thread last reported it.

    One row per worker (hostname + pid), written every ``INSTALLATRON_WORKER_BEAT_EVERY``
    seconds: the Settings page reads whether any worker is alive from here.
    """

    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started = models.DateTimeField(default=timezone.now)
    last_beat = models.DateTimeField(default=timezone.now, db_index=True)
    # Set on a clean shutdown; a killed worker only stops beating.
    stopped = models.DateTimeField(null=True, blank=True)

    objects = WorkerQuerySet.as_manager()

    class Meta:
        ordering = ["-last_beat"]
        constraints = [models.UniqueConstraint(fields=["hostname", "pid"],
                                               name="tasks_worker_hostname_pid")]

    def __str__(self) -> str:
        return f"{self.hostname} ({self.pid})"

    @property
    def alive(self) -> bool:
        return self.stopped is None and (timezone.now() - self.last_beat).total_seconds() \
            <= 3 * worker_beat_every()
