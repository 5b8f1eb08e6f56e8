"""The administrator's automatic backup schedules (``autobk=<name>``), saved and removed
the same way from ``manage.py backupschedule`` and the console."""

from __future__ import annotations

import re

from .errors import InstallError
from .models import BackupSchedule, Install

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
RESERVED = ("custom", "none", "0", "no")


def save_schedule(name: str, *, daily: int, weekly: int, monthly: int,
                  description: str = "") -> BackupSchedule:
    if not NAME.match(name or "") or name in RESERVED:
        raise InstallError("A schedule name is lowercase letters, digits, '_' and '-' "
                           "(and not custom or none).",
                           errcode="invalid_argument_autobk_schedule", field="name")
    if not (daily or weekly or monthly):
        raise InstallError("A schedule keeps at least one daily, weekly or monthly backup.",
                           errcode="invalid_argument_autobk_custom_daily", field="daily")
    schedule, _ = BackupSchedule.objects.update_or_create(
        name=name, defaults={"daily": daily, "weekly": weekly, "monthly": monthly,
                             "description": description[:255]})
    return schedule


def delete_schedule(name: str) -> None:
    if Install.objects.filter(autobk=name).exists():
        raise InstallError(f"Installs still use the schedule '{name}'; change their autobk "
                           "first.", errcode="invalid_argument_autobk_schedule")
    if not BackupSchedule.objects.filter(name=name).delete()[0]:
        raise InstallError(f"There is no backup schedule '{name}'.",
                           errcode="invalid_argument_autobk_schedule")
