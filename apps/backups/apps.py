from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "apps.backups"
    label = "backups"

    def ready(self):
        from apps.accounts.services import reattach_when_saved
        from apps.installs.services import register_template_installer

        from . import checks  # noqa: F401  (registers the BACKUP_COMPRESSION check)
        from . import receivers  # noqa: F401  (remembers bklocs, forgets backups on edit)
        from .templates_service import install_from_template

        # install_app runs content=<template id> installs through this app.
        register_template_installer(install_from_template)

        # Backups left without a website (see reattach_records) find it again.
        reattach_when_saved("backups.Backup")
