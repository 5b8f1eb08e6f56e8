from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "apps.backups"
    label = "backups"

    def ready(self):
        from apps.accounts.services import reattach_when_saved

        # Backups left without a website (see reattach_records) find it again.
        reattach_when_saved("backups.Backup")
