from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.errors import AccountError
from apps.panels.base import PanelError
from apps.accounts.services import handoff_hestia_user


class Command(BaseCommand):
    help = (
        "Hand a HestiaCP user into the GUI: read the user's web domains from Hestia "
        "(v-list-web-domains), save them as the account's websites and print a one-time "
        "sign-in link. Uses the configured panel (INSTALLATRON_PANEL=hestia)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--base", default=settings.GUI_URL or "http://127.0.0.1:8000")
        parser.add_argument("--language", default="")

    def handle(self, *args, username, base, language, **options):
        try:
            raw = handoff_hestia_user(username, language=language)
        except (PanelError, AccountError) as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{base.rstrip('/')}/index.php?s={raw}")
