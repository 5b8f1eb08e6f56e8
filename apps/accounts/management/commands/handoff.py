from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.accounts import services
from apps.accounts.models import Account


class Command(BaseCommand):
    help = "Print a one-time GUI sign-in link for an account (as guixfer would give a panel)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--base", default=settings.GUI_URL or "http://127.0.0.1:8000")
        parser.add_argument("--ttl", type=int, default=None, help="lifetime in seconds")

    def handle(self, *args, username, base, ttl, **options):
        account = Account.objects.filter(username=username).first()
        if account is None:
            raise CommandError(f"no account {username!r}")
        raw = services.create_handoff(account, ttl=ttl)
        self.stdout.write(f"{base.rstrip('/')}/index.php?s={raw}")
