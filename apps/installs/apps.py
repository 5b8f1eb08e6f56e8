from django.apps import AppConfig


class InstallsConfig(AppConfig):
    name = "apps.installs"
    label = "installs"

    def ready(self):
        from apps.accounts.services import reattach_when_saved
        from apps.tasks.views import DESCRIBERS

        from . import receivers  # also connects the lost-task receivers (see tasks/reaper.py)

        DESCRIBERS.append(receivers.describe_tasks)

        # Installs left without a website (see reattach_records) find it again.
        reattach_when_saved("installs.Install")
