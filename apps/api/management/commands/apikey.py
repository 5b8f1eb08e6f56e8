from django.core.management.base import BaseCommand, CommandError

from apps.accounts import keys


class Command(BaseCommand):
    help = "Print the API keys (key, key2) from settings.ini, or rotate one of them."

    def add_arguments(self, parser):
        parser.add_argument("--rotate", choices=keys.KEY_NAMES, help="replace this key")

    def handle(self, *args, rotate=None, **options):
        keys.ensure_keys()
        if rotate:
            try:
                keys.rotate(rotate)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stderr.write(f"{rotate} rotated; panels using the old value now get 403.")
        for name, value in keys.current_keys().items():
            self.stdout.write(f"{name}={value}")
