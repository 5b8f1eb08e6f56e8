"""Application sets: the Installatron "packages" (``wordpress_only``, ...) that limit what
an account whose ``package`` names one may see and install."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.catalog import services
from apps.catalog.errors import CatalogError
from apps.catalog.models import AppSet


class Command(BaseCommand):
    help = ("List application sets; 'appset NAME APP [APP ...]' creates or replaces one; "
            "'appset NAME --delete' removes it.")

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?")
        parser.add_argument("applications", nargs="*", help="application ids, e.g. wordpress")
        parser.add_argument("--description", default="")
        parser.add_argument("--delete", action="store_true")

    def handle(self, *args, name, applications, description, delete, **opts):
        if name is None:
            for app_set in AppSet.objects.filter(owner__isnull=True):
                self.stdout.write(f"{app_set.name}\t{','.join(app_set.applications)}"
                                  f"\t{app_set.description}")
            return
        if delete:
            if applications:
                raise CommandError("--delete takes only the set's name.")
            if not services.delete_app_set(name):
                raise CommandError(f"There is no application set '{name}'.")
            self.stdout.write(f"{name} deleted")
            return
        try:
            app_set = services.save_app_set(name, applications, description=description)
        except CatalogError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{app_set.name}: {', '.join(app_set.applications)}")
