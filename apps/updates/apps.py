from django.apps import AppConfig


class UpdatesConfig(AppConfig):
    """Updating installs, by hand and automatically: a backup is taken before an update
    and restored when it fails, so this app sits above backups."""

    name = "apps.updates"
    label = "updates"
