"""System check: the reaper must not take a living task for a dead one."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register


@register()
def check_stale_after(app_configs=None, **kwargs) -> list[Error]:
    beat, stale = settings.TASK_HEARTBEAT_EVERY, settings.TASK_STALE_AFTER
    if stale < 3 * beat:
        return [Error(f"TASK_STALE_AFTER ({stale} s) is under three heartbeats "
                      f"(TASK_HEARTBEAT_EVERY = {beat} s): running tasks would be reaped.",
                      hint="Set INSTALLATRON_TASK_STALE_AFTER to five heartbeats or more.",
                      id="tasks.E001")]
    return []
