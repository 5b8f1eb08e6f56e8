"""Backups left without a website, like installs (installs 0006): attached again."""

from django.db import migrations


def reattach(apps, schema_editor):
    from apps.accounts.services import reattach_orphans

    reattach_orphans(apps.get_model("backups", "Backup"), apps.get_model("accounts", "Website"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_website_vhost_ip"), ("backups", "0002_backup_locations")]
    operations = [migrations.RunPython(reattach, migrations.RunPython.noop)]
