"""The administrator's automatic backup schedules: an install with ``autobk=<name>``
keeps as many daily, weekly and monthly backups as its schedule says."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.installs.backup_schedules import delete_schedule, save_schedule
from apps.installs.errors import InstallError
from apps.installs.models import BackupSchedule, Install


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
        try:
            if delete:
                delete_schedule(name)
                self.stdout.write(f"{name} deleted")
                return
            save_schedule(name, daily=daily, weekly=weekly, monthly=monthly,
                          description=description)
        except InstallError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{name}: {daily} daily, {weekly} weekly, {monthly} monthly")
