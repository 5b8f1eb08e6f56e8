"""Running the work behind a Task row: claim it, report progress, record the outcome."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from installatron_gui.lib.errors import InstallatronError

from .models import Task, Worker, claim_wait

log = logging.getLogger(__name__)

GENERIC_FAILURE = "The task failed because of an internal error. The administrator has been told."

Report = Callable[[int, int, str], None]

# The task this worker thread runs (run_task), for what a service measures beside its
# reports: the transfer rate of the files it moves (RateMeter).
_running: ContextVar[str | None] = ContextVar("running_task", default=None)
# How often a RateMeter writes the rate to the task row, in seconds.
RATE_EVERY = 1.0


class RateMeter:
    """A write-only file object in front of ``fh`` that measures bytes per second and
    records it as the running task's ``rate`` (the tasks API's member) about once a
    second and when it is closed; outside a task it only counts."""

    def __init__(self, fh):
        self.fh = fh
        self.bytes = 0
        self.started = self.noted = time.monotonic()

    @property
    def rate(self) -> int:
        elapsed = time.monotonic() - self.started
        return int(self.bytes / elapsed) if elapsed > 0 else 0

    def write(self, data) -> int:
        written = self.fh.write(data)
        self.bytes += len(data)
        if time.monotonic() - self.noted >= RATE_EVERY:
            self.note()
        return written

    def flush(self) -> None:
        self.fh.flush()

    def note(self) -> None:
        self.noted = time.monotonic()
        task_id = _running.get()
        if task_id:
            Task.objects.filter(pk=task_id, status=Task.Status.PROCESSING).update(
                rate=self.rate)


def enqueue(task_fn, *args, cmd: str, label: str, install=None, account=None, url: str = "",
            title: str = "") -> Task:
    """Create the queued Task row and send ``task_fn(task.id, *args)`` to the workers once
    the current transaction commits, so a worker never looks for a row that is not there
    and a refused operation (rolled back) queues nothing. Call it inside the caller's
    ``transaction.atomic`` when more rows change after it (the busy fence).

    ``install`` (an Install) gives the row's account, website label, URL, title and
    install id; ``account``, ``url`` and ``title`` override them. Only ids and primitives
    go in ``args``: secrets wait for the worker encrypted on their row.
    """
    website = getattr(install, "website", None)
    task = Task.objects.create(
        account=account or install.account, cmd=cmd, label=label,
        ws_label=(website.label or website.ws_id) if website else "",
        url=url or (install.url if install else ""),
        title=title or (install.title if install else ""),
        install=install.id if install else "", message="Waiting for a worker")
    task_id = task.id
    transaction.on_commit(lambda: task_fn.delay(task_id, *args))
    return task


def claim_task(task_id: str, worker: str = "") -> Task | None:
    """Move a queued task to processing; exactly one caller wins.

    A redelivered Celery message (acks_late) finds the task processing or finished and
    gets None, so the work never runs twice.
    """
    now = timezone.now()
    won = Task.objects.filter(pk=task_id, status=Task.Status.QUEUED).update(
        status=Task.Status.PROCESSING, started=now, heartbeat=now,
        worker=worker or socket.gethostname(),
    )
    if won != 1:
        return None
    return Task.objects.select_related("account").get(pk=task_id)


@contextmanager
def heartbeat(task_id: str) -> Iterator[None]:
    """While the block runs, a thread of this worker tells the task row it is alive every
    ``TASK_HEARTBEAT_EVERY`` seconds: one long step (copying a large site) is not taken
    for a dead worker. The thread dies with the process, which is what the reaper is for."""
    every = float(settings.TASK_HEARTBEAT_EVERY)
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every):
                Task.objects.filter(pk=task_id, status=Task.Status.PROCESSING).update(
                    heartbeat=timezone.now())
        except DatabaseError:
            log.warning("task %s: heartbeat stopped", task_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{task_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()


def run_task(task_id: str, service: Callable[[Task, Report], Any], *, worker: str = "") -> Task | None:
    """Claim the task, run ``service(task, report)`` and record completed or failed.

    ``service`` returns ``(message, result)`` or None. An InstallatronError's message is
    what the user sees; any other exception is a bug: logged, shown as generic text.
    """
    task = claim_task(task_id, worker)
    if task is None:
        log.info("task %s is not queued any more; nothing to do", task_id)
        return None

    def report(percent_min: int, percent_max: int, message: str = "") -> None:
        task.progress(percent_min, percent_max, message)

    running = _running.set(task.pk)
    try:
        with heartbeat(task.pk):
            outcome = service(task, report)
    except InstallatronError as exc:
        log.info("task %s (%s) failed: %s", task.pk, task.cmd, exc.errcode)
        task.mark_failed(exc.message, exc.errcode)
        return task
    except Exception:
        log.exception("task %s (%s) crashed", task.pk, task.cmd)
        task.mark_failed(GENERIC_FAILURE, "failed")
        return task
    finally:
        _running.reset(running)
        # What a RateMeter recorded meanwhile, so ending the task does not write it over.
        task.rate = Task.objects.filter(pk=task.pk).values_list("rate", flat=True).first() or 0
    message, result = outcome if outcome else ("", None)
    task.mark_completed(message or "The task is complete.", result)
    return task


def worker_status(now=None) -> dict:
    """What the Settings page shows: the workers' heartbeats and how many tasks wait.

    ``silent_minutes`` is set when no worker is alive: minutes since the last beat of any
    worker (None if none was ever seen).
    """
    now = now or timezone.now()
    workers = list(Worker.objects.all()[:20])
    alive = sum(1 for w in workers if w.alive)
    last = max((w.last_beat for w in workers), default=None)
    queued = Task.objects.filter(status=Task.Status.QUEUED)
    return {
        "workers": workers,
        "alive": alive,
        "ever_seen": last is not None,
        "silent_minutes": int((now - last).total_seconds() // 60) if last and not alive else None,
        "queued": queued.count(),
        "waiting": queued.filter(created__lt=now - timedelta(seconds=claim_wait())).count(),
        "processing": Task.objects.filter(status=Task.Status.PROCESSING).count(),
    }


def wait_for_task(task_id: str, *, timeout: float, claim_timeout: float | None = None,
                  interval: float = 0.25) -> Task:
    """Poll the Task row until it is done or ``timeout`` seconds pass; returns the row.

    With ``claim_timeout``, give up sooner when the task is still queued after that many
    seconds: no worker took it (none runs, or all are busy), and the caller says so
    instead of hanging. The task stays queued and runs when a worker takes it.
    """
    start = time.monotonic()
    deadline = start + timeout
    claim_deadline = start + claim_timeout if claim_timeout is not None else deadline
    while True:
        task = Task.objects.select_related("account").get(pk=task_id)
        now = time.monotonic()
        if task.done or now >= deadline:
            return task
        if task.status == Task.Status.QUEUED and now >= claim_deadline:
            return task
        time.sleep(interval)
