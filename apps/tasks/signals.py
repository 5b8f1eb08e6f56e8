"""Signals of the tasks app, for the apps above it (the reaper must not import them).

``task_lost(sender=Task, task=...)``
    A task's worker died. Sent before the task is ended, outside any transaction:
    receivers look at what the task left behind (and may record it) and return a
    sentence to add to the task's message, or "" / None.

``task_reaped(sender=Task, task=..., message=...)``
    The reaper ended the task (failed, ``failed_worker_lost``). Sent inside the
    transaction that ended it: receivers release what the task held (the install's busy
    fence) and send notifications with ``transaction.on_commit``.
"""

from django.dispatch import Signal

task_lost = Signal()
task_reaped = Signal()
