"""The wire format: how installs, backups, templates, tasks and plans look in a reply.

Only the API builds replies; models and services hand it objects. Each shape is built
with the v1 member names the integration guide shows, and v2's renames come from the
shared table (``v2names``), so the two versions never describe an object differently.
``db-pass`` is present where panels read it, but always empty: secrets never leave the
server in a reply.
"""

from __future__ import annotations

import posixpath

from apps.installs.record import record
from apps.recipes.fields import api_members, stored

from .v2names import for_version, install_to_v2


def install(i, v2: bool, packages: list | None = None, numbackups: int | None = None) -> dict:
    """An install as the installs API shows it (apps.installs.record, in v2 terms for v2)."""
    data = record(i, packages, numbackups)
    return install_to_v2(data) if v2 else data


def install_view(i, extra: dict, v2: bool) -> dict:
    """The view API's record: the installs API's members, the backup count, add-ons, and
    the members 001 3.7's example adds. ``file`` (Installatron's record file) and
    ``cache-preview`` (its screenshot's size) are present and empty: records live in the
    database and no previews are made; no add-on update emails are sent, so the
    ``*-updates-notified`` members are empty too."""
    data = install(i, False)
    newest = i.backups.order_by("-backup_time").values_list("backup_time", flat=True).first()
    data.update({"file": "", "backup-time": str(int(newest.timestamp())) if newest else "",
                 "cache-preview": "", "plugin-updates-notified": "",
                 "theme-updates-notified": "",
                 "plugin-updates-available": _updates(extra.get("list-plugins")),
                 "theme-updates-available": _updates(extra.get("list-themes"))})
    data.update(extra)
    return for_version(data, v2)


def _updates(listed) -> int | None:
    """How many listed add-ons have a newer version (``_ud``); None when not listed (the
    view without ``addons``), as 001's example shows for themes."""
    if not isinstance(listed, dict):
        return None
    return sum(1 for item in listed.values() if isinstance(item, dict) and item.get("_ud"))


def install_plan(plan, v2: bool) -> dict:
    """What an install dryrun answers: the values that would be used, secrets left out."""
    return for_version({
        "installer": plan.application,
        "version": plan.version,
        "language": plan.language,
        "url": plan.url,
        "url-domain": plan.url_domain,
        "path": posixpath.join(plan.website.display_path, plan.target),
        "db-host": plan.db.host,
        "db-name": plan.db.name,
        "db-user": plan.db.user,
        "db-prefix": plan.db.prefix,
        **api_members(plan.recipe, stored(plan.recipe, plan.fields)),
    }, v2)


def update_plan(plan, v2: bool) -> dict:
    """What an update dryrun answers: the versions and whether a backup would be taken."""
    return {"id": plan.install.id, "version": plan.version,
            ("version_previous" if v2 else "version-previous"): plan.previous,
            "upgrade": plan.kind or "none", "backup": plan.backup,
            "plugin": plan.plugins, "theme": plan.themes}


def template(t, v2: bool) -> dict:
    """The templates API's record."""
    data = {
        "id": t.id, "installer": t.installer, "version": t.version,
        "language": t.language, "owner": t.account.username, "title": t.title,
        "url": t.url, "db-prefix": t.db_prefix, "list-files": list(t.list_files),
        "list-tables": list(t.list_tables), "template-install": t.install_ref,
        "time": str(int(t.time.timestamp())), "cache-archive": str(t.size),
    }
    return install_to_v2(data) if v2 else data


def backup(b, v2: bool) -> dict:
    """The backups API's record."""
    t = str(int(b.time.timestamp())) if b.time else ""
    bt = str(int(b.backup_time.timestamp()))
    expiry = str(int(b.expiry.timestamp())) if b.expiry else ""
    data = {
        "id": b.id, "file": str(b.archive_path), "installer": b.installer,
        "version": b.version, "language": b.language, "time": t,
        "owner": b.account.username, "path": b.full_path(), "url": b.url,
        "url-domain": b.url_domain, "db-host": b.db_host, "db-type": b.db_type,
        "db-name": b.db_name, "db-user": b.db_user, "db-pass": "",
        "db-prefix": b.db_prefix, "list-files": list(b.list_files),
        "list-tables": list(b.list_tables), "title": b.title,
        "bkloc": b.backup_location, "backup-install": b.install_id or b.install_ref,
        "backup-location": b.backup_location, "backup-time": bt,
        "backup-filename": b.backup_filename, "cache-time": bt,
        "cache-archive": str(b.size), "checksum": b.checksum, "expiry": expiry,
        # As the install was when it was backed up (a backup made before these were kept
        # shows them empty).
        "agent": "", "path-created": "", "autoup": "", "autobk": "", "backup-schedule": "",
        **(b.members or {}),
    }
    return install_to_v2(data) if v2 else data


# Labels stored under another spelling than the documents' (001 3.16: _tasks_backuping).
TASK_LABELS = {"_tasks_backingup": "_tasks_backuping"}


# The tasks API's ``message`` is a message key, as 001 3.16 shows it
# (``_tasks_shared_copyingfiles``): the step sentences our services report -> keys in the
# same style. The sentence itself is in ``text``.
MESSAGE_KEYS = {
    "Waiting for a worker": "_tasks_shared_waiting",
    "Checking the website": "_tasks_shared_checking",
    "Checking the package": "_tasks_shared_checking",
    "Checking the backup archive": "_tasks_shared_checking",
    "Checking the new files": "_tasks_shared_checking",
    "Connecting": "_tasks_shared_connecting",
    "Creating the database": "_tasks_shared_creatingdatabase",
    "Copying files": "_tasks_shared_copyingfiles",
    "Copying the source files": "_tasks_shared_copyingfiles",
    "Collecting the files": "_tasks_shared_copyingfiles",
    "Unpacking the files": "_tasks_shared_copyingfiles",
    "Unpacking the new version": "_tasks_shared_copyingfiles",
    "Putting the files in place": "_tasks_shared_copyingfiles",
    "Moving the files": "_tasks_shared_copyingfiles",
    "Replacing the core files": "_tasks_shared_copyingfiles",
    "Switching to the new files": "_tasks_shared_copyingfiles",
    "Compressing the archive": "_tasks_shared_compressing",
    "Writing the backup": "_tasks_shared_compressing",
    "Saving the backup": "_tasks_shared_saving",
    "Dumping the database": "_tasks_shared_copyingtables",
    "Dumping the source database": "_tasks_shared_copyingtables",
    "Saving the tables": "_tasks_shared_copyingtables",
    "Restoring the database": "_tasks_shared_copyingtables",
    "Copying the tables and rewriting the address": "_tasks_shared_copyingtables",
    "Rewriting the address": "_tasks_shared_rewritingurl",
    "Writing the configuration": "_tasks_shared_configuring",
    "Reading the source configuration": "_tasks_shared_configuring",
    "Setting up the administrator account": "_tasks_shared_configuring",
    "Changing the settings": "_tasks_shared_configuring",
    "Upgrading the database": "_tasks_shared_upgradingdatabase",
    "Updating plugins and themes": "_tasks_shared_updatingaddons",
    "Taking a backup": "_tasks_backuping",
    "Removing files": "_tasks_shared_removingfiles",
    "Removing database tables": "_tasks_shared_removingtables",
    "Cleaning up": "_tasks_shared_cleaningup",
    "Recording the install": "_tasks_shared_recording",
    "Recording the backup": "_tasks_shared_recording",
    "Recording the template": "_tasks_shared_recording",
    "Recording the changes": "_tasks_shared_recording",
}
# A sentence without a key of its own (an outcome, an error): the key of its status.
STATUS_KEYS = {"queued": "_tasks_shared_waiting", "processing": "_tasks_shared_processing",
               "completed": "_tasks_shared_complete", "failed": "_tasks_shared_failed"}


def task_message_key(t) -> str:
    return MESSAGE_KEYS.get(t.message) or STATUS_KEYS.get(t.status, "_tasks_shared_processing")


def task(t) -> dict:
    """The tasks API's member names (the reference's percentMin/percentMax): ``message``
    a message key, ``text`` the sentence, ``rate`` bytes per second of the files the task
    moves (0 when it moves none)."""
    return {
        "id": t.id,
        "user": t.account.username,
        "ws_label": t.ws_label,
        "url": t.url,
        "title": t.title,
        "label": TASK_LABELS.get(t.label, t.label),
        "status": t.status,
        "percentMin": t.percent_min,
        "rate": t.rate,
        "percentMax": t.percent_max,
        "message": task_message_key(t),
        "text": t.message,
        "errcode": t.errcode or None,
        "cmd": t.cmd,
        "install": t.install,
        "time": int(t.created.timestamp()),
    }
