import os
import secrets

from django.core.management.base import BaseCommand

from apps.accounts.models import Account
from apps.accounts import keys


class Command(BaseCommand):
    help = (
        "Create the main admin and the API keys if they do not exist yet. The admin password "
        "comes from INSTALLATRON_ADMIN_PASSWORD, or is generated and printed once."
    )

    def handle(self, *args, **options):
        keys.ensure_keys()
        admin = Account.objects.main_admin()
        wanted = os.environ.get("INSTALLATRON_ADMIN_PASSWORD")
        if wanted:
            if not admin.check_password(wanted):
                admin.set_password(wanted)
                admin.save(update_fields=["password"])
            self.stdout.write(f"Admin '{admin.username}': password from INSTALLATRON_ADMIN_PASSWORD.")
        elif not admin.has_usable_password():
            password = secrets.token_urlsafe(12)
            admin.set_password(password)
            admin.save(update_fields=["password"])
            self.stdout.write(
                f"Admin '{admin.username}' created. Password (shown only this once): {password}"
            )
        else:
            self.stdout.write(f"Admin '{admin.username}' exists; password unchanged.")
