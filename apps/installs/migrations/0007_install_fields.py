"""The application's field values move from WordPress's columns (cf_login, cf_email,
cf_sitetitle, cf_sitetagline) into ``Install.fields`` (JSON, by the manifest's field
names), so any application's fields can be stored; cf_content becomes ``content``.

The data moves first (``move_to_fields``), then the columns go. Going back moves the
four values into the columns again (other fields have no column and are dropped)."""

from django.db import migrations, models

# column -> field name (the names WordPress's manifest gives them).
COLUMNS = {"cf_login": "login", "cf_email": "email", "cf_sitetitle": "sitetitle",
           "cf_sitetagline": "sitetagline"}


def move_to_fields(apps, schema_editor):
    Install = apps.get_model("installs", "Install")
    for install in Install.objects.all().only("pk", "fields", *COLUMNS).iterator():
        values = dict(install.fields or {})
        for column, name in COLUMNS.items():
            value = getattr(install, column)
            if value and name not in values:
                values[name] = value
        if values != (install.fields or {}):
            Install.objects.filter(pk=install.pk).update(fields=values)


def move_to_columns(apps, schema_editor):
    Install = apps.get_model("installs", "Install")
    for install in Install.objects.all().only("pk", "fields").iterator():
        values = install.fields or {}
        changes = {column: str(values.get(name) or "")[:254 if name == "email" else 255]
                   for column, name in COLUMNS.items()}
        Install.objects.filter(pk=install.pk).update(**changes)


class Migration(migrations.Migration):
    dependencies = [("installs", "0006_reattach_orphans")]
    operations = [
        migrations.AddField(model_name="install", name="fields",
                            field=models.JSONField(blank=True, default=dict)),
        migrations.RunPython(move_to_fields, move_to_columns),
        *[migrations.RemoveField(model_name="install", name=column) for column in COLUMNS],
        migrations.RenameField(model_name="install", old_name="cf_content", new_name="content"),
    ]
