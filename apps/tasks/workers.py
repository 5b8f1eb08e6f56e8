"""Worker heartbeats: each Celery worker says every few seconds that it is alive.

A thread started on Celery's ``worker_ready`` signal writes the worker's row (``Worker``)
every ``INSTALLATRON_WORKER_BEAT_EVERY`` seconds; ``worker_shutdown`` marks it stopped. A
killed worker only stops beating, which is how the Settings page tells it is gone. Task
rows have their own heartbeat (``services.heartbeat``); this one is per process, so it
also shows a worker that is alive but idle.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta

from celery.signals import worker_ready, worker_shutdown
from django.db import DatabaseError, connection
from django.utils import timezone

from .models import Worker, worker_beat_every

log = logging.getLogger(__name__)

# Rows of workers silent for this long are forgotten.
FORGET_AFTER = timedelta(days=7)

_stop = threading.Event()
_me: dict = {}


def beat(hostname: str, pid: int) -> None:
    """Write this worker's row: alive now."""
    now = timezone.now()
    Worker.objects.update_or_create(hostname=hostname[:255], pid=pid,
                                    defaults={"last_beat": now, "stopped": None},
                                    create_defaults={"started": now, "last_beat": now})


def _run(hostname: str, pid: int) -> None:
    try:
        Worker.objects.filter(last_beat__lt=timezone.now() - FORGET_AFTER).delete()
        while True:
            try:
                beat(hostname, pid)
            except DatabaseError:
                # The database may come back; the next beat tries again.
                log.warning("worker heartbeat could not be written", exc_info=True)
                connection.close()
            if _stop.wait(worker_beat_every()):
                return
    finally:
        connection.close()  # this thread's own connection


@worker_ready.connect
def start_beating(sender=None, **kwargs) -> None:
    hostname = getattr(sender, "hostname", "") or "celery"
    _me.update(hostname=hostname, pid=os.getpid())
    _stop.clear()
    threading.Thread(target=_run, args=(hostname, os.getpid()), name="worker-heartbeat",
                     daemon=True).start()
    log.info("worker heartbeat started for %s (pid %s)", hostname, os.getpid())


@worker_shutdown.connect
def stop_beating(sender=None, **kwargs) -> None:
    _stop.set()
    if not _me:
        return
    try:
        Worker.objects.filter(hostname=_me["hostname"][:255], pid=_me["pid"]).update(
            stopped=timezone.now())
    except DatabaseError:
        log.warning("could not record the worker's shutdown", exc_info=True)
    finally:
        connection.close()
