"""Installs whose website an earlier version deleted (a header that left it out dropped
it) go back to the website of their user that serves their URL at their path, if the
panel has sent it again since; the others wait for it (reattach_when_saved)."""

from django.db import migrations


def reattach(apps, schema_editor):
    from apps.accounts.services import reattach_orphans

    reattach_orphans(apps.get_model("installs", "Install"), apps.get_model("accounts", "Website"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_website_vhost_ip"), ("installs", "0005_backup_schedules")]
    operations = [migrations.RunPython(reattach, migrations.RunPython.noop)]
