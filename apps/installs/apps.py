from django.apps import AppConfig


class InstallsConfig(AppConfig):
    name = "apps.installs"
    label = "installs"

    def ready(self):
        from apps.accounts.services import reattach_when_saved

        # Installs left without a website (see reattach_records) find it again.
        reattach_when_saved("installs.Install")
