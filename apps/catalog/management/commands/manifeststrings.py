"""Write apps/recipes/manifest_strings.py again from the manifests (their fields' words,
for makemessages); ``--check`` only says whether it is up to date."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.recipes.manifest_text import MODULE, module_text


class Command(BaseCommand):
    help = "Write the manifests' field words where makemessages finds them."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true",
                            help="exit 1 when the module is out of date, writing nothing")

    def handle(self, *args, check, **opts):
        text = module_text()
        current = MODULE.read_text(encoding="utf-8") if MODULE.exists() else ""
        if text == current:
            self.stdout.write(f"{MODULE.name} is up to date")
            return
        if check:
            raise CommandError(f"{MODULE.name} is out of date: run manage.py manifeststrings")
        MODULE.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {MODULE}")
