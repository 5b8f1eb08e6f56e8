"""The administrator's automatic backup schedules: an install with ``autobk=<name>``
keeps as many daily, weekly and monthly backups as its schedule says."""

from __future__ import annotations

import re

from django.core.management.base import BaseCommand, CommandError

from apps.installs.models import BackupSchedule, Install

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class Command(BaseCommand):
    help = ("List backup schedules; 'backupschedule NAME --daily N --weekly N --monthly N' "
            "creates or changes one; 'backupschedule NAME --delete' removes it.")

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?")
        for period in ("daily", "weekly", "monthly"):
            parser.add_argument(f"--{period}", type=int, default=0, choices=range(0, 100),
                                metavar="0-99")
        parser.add_argument("--description", default="")
        parser.add_argument("--delete", action="store_true")

    def handle(self, *args, name, daily, weekly, monthly, description, delete, **opts):
        if name is None:
            for s in BackupSchedule.objects.all():
                users = Install.objects.filter(autobk=s.name).count()
                self.stdout.write(f"{s.name}\t{s.daily} daily, {s.weekly} weekly, "
                                  f"{s.monthly} monthly\t{users} install(s)\t{s.description}")
            return
        if not NAME.match(name) or name in ("custom", "none", "0", "no"):
            raise CommandError("A schedule name is lowercase letters, digits, '_' and '-' "
                               "(and not custom or none).")
        if delete:
            if Install.objects.filter(autobk=name).exists():
                raise CommandError(f"Installs still use the schedule '{name}'; change their "
                                   "autobk first.")
            if not BackupSchedule.objects.filter(name=name).delete()[0]:
                raise CommandError(f"There is no backup schedule '{name}'.")
            self.stdout.write(f"{name} deleted")
            return
        if not (daily or weekly or monthly):
            raise CommandError("A schedule keeps at least one daily, weekly or monthly backup.")
        BackupSchedule.objects.update_or_create(
            name=name, defaults={"daily": daily, "weekly": weekly, "monthly": monthly,
                                 "description": description[:255]})
        self.stdout.write(f"{name}: {daily} daily, {weekly} weekly, {monthly} monthly")
